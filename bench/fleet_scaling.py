"""The fleet on a local Ray test cluster, in one command: the wall time of one matrix on one node against two
nodes of the same profile, the per-run p50 of both, and the memory Ray's own processes hold.

    python3 bench/fleet_scaling.py --workdir /tmp/jb_fleet

Nodes are raylets of Ray's test cluster on this machine advertising tests/data/fleet/fake-a.json (a CPU
profile), so "two nodes" share this host's cores: the speed-up says what the scheduling costs and overlaps, not
what two boards would give, and two runs measured at once on one CPU slow each other (the p50 table shows by how
much). Ray's memory is the RSS and PSS of its processes here with the cluster idle; Phase B's own peaks are
measured inside the Phase B process and do not include them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench_common import REPO

FAKE_A = REPO / "tests" / "data" / "fleet" / "fake-a.json"
RAY_PROCESSES = (("gcs_server", "GCS (head only)"), ("raylet", "raylet (per node, holds the object store)"),
                 ("dashboard", "dashboard / agents"), ("ray::", "worker"), ("default_worker", "worker"),
                 ("log_monitor", "log monitor"), ("runtime_env", "runtime env agent"))


def ray_memory_mib() -> dict:
    """{role: (processes, RSS MiB, PSS MiB)} of Ray's processes on this host. PSS splits shared pages (the
    libraries every worker maps) among the processes that share them, so it adds up; RSS counts them in each."""
    import psutil

    totals: dict = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        text = " ".join(proc.info.get("cmdline") or []) or proc.info.get("name") or ""
        for needle, role in RAY_PROCESSES:
            if needle in text:
                try:
                    full = proc.memory_full_info()
                except (psutil.Error, OSError):
                    break
                totals.setdefault(role, []).append((full.rss / 2**20, getattr(full, "pss", full.rss) / 2**20))
                break
    return {role: (len(v), sum(r for r, _ in v), sum(p for _, p in v)) for role, v in totals.items()}


def matrix(address: str, work: Path) -> tuple:
    args = ["--cluster", address, "--devices", str(FAKE_A), "--models", "yolo11n", "--backend", "torch,onnxruntime",
            "--batch", "1,2,4", "--imgsz", "64", "--warmup", "2", "--iters", "20", "--min_duration_s", "1",
            "--fidelity_frames", "0", "--accuracy_images", "0", "--metrics_interval", "0",
            "--out_dir", work / "out", "--preprocessed_dir", work / "pre", "--fleet_dir", work / "nodes"]
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *map(str, args)], cwd=work,
                         capture_output=True, text=True)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"matrix failed (exit {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    import pandas as pd

    frame = pd.read_csv(work / "out" / "jetson_benchmark_summary.csv")
    return wall, frame.set_index("run_id")[["node", "latency_ms_p50"]]


def runs_per_node(work: Path) -> dict:
    from harness.records.results import load_results

    counts: dict = {}
    for result in load_results(work / "out"):
        node = result["fleet"]["node_id"][:8]
        counts[node] = counts.get(node, 0) + 1
    return counts


def main() -> None:
    from ray.cluster_utils import Cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/jb_fleet")
    work = Path(parser.parse_args().workdir)
    node = {"num_cpus": 1, "resources": {"jb-device:fake-a": 1}}
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    try:
        cluster.add_node(**node)
        cluster.wait_for_nodes()
        time.sleep(3)
        idle = ray_memory_mib()
        wall_1, one = matrix(cluster.address, work / "one_node")
        cluster.add_node(**node)
        cluster.wait_for_nodes()
        wall_2, two = matrix(cluster.address, work / "two_nodes")
    finally:
        cluster.shutdown()
    print(f"matrix of {len(one)} runs: one node {wall_1:.1f} s, two nodes {wall_2:.1f} s, "
          f"speed-up {wall_1 / wall_2:.2f}x; runs per node with two: {runs_per_node(work / 'two_nodes')}")
    both = one[["latency_ms_p50"]].rename(columns={"latency_ms_p50": "p50_ms_one_node"}).join(
        two[["latency_ms_p50"]].rename(columns={"latency_ms_p50": "p50_ms_two_nodes"}))
    both["ratio"] = both["p50_ms_two_nodes"] / both["p50_ms_one_node"]
    print(both.to_markdown(floatfmt=".3g"))
    print("\nRay's processes, head + 1 node, idle (dashboard off):\n\n| role | processes | RSS MiB | PSS MiB |\n|---|---|---|---|")
    for role, (count, rss, pss) in sorted(idle.items()):
        print(f"| {role} | {count} | {rss:.0f} | {pss:.0f} |")


if __name__ == "__main__":
    main()
