"""The fleet on every GPU of one host, in one command: the matrix under ``--cluster local`` on every GPU,
the same matrix on one GPU, single-host runs of the same configurations, and a worker killed mid-matrix.

    python3 bench/fleet_gpu_evidence.py --workdir /tmp/jb_fleet_gpu            # on the two-GPU machine
    python3 bench/fleet_gpu_evidence.py --workdir /tmp/jb_fleet_cpu --dry_run  # the same steps on a CPU, tiny

Prints four tables: (1) every run's node, GPU and start/end, and whether two runs ever overlapped on one GPU;
(2) the wall time on all GPUs against one GPU (``CUDA_VISIBLE_DEVICES=0``: Ray then counts one) with each run's
p50 on both and their ratio; (3) each run's peaks under the fleet against a single-host run of the same
configuration; (4) the fault: a ``ray::measure_run`` worker killed with SIGKILL while it measures, the row it
left, and a rerun that completes the matrix and redoes nothing finished.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_common import REPO

PEAKS = ("peak_torch_alloc_mb", "peak_torch_reserved_mb", "peak_process_gpu_mb", "peak_rss_mb")


SMALL = False  # --small: yolo11n, torch, fp16 / fp32, batch 1 / 16 (a one-GPU check of the GPU path)


def matrix_args(dry_run: bool) -> list:
    if SMALL:
        return ["--models", "yolo11n", "--backend", "torch", "--precision", "fp16,fp32", "--batch", "1,16",
                "--imgsz", "640", "--warmup", "10", "--iters", "100", "--min_duration_s", "1", "--probe_batch", "off"]
    if dry_run:
        return ["--models", "yolo11n", "--backend", "torch,onnxruntime", "--precision", "fp32", "--batch", "1,2",
                "--imgsz", "64", "--warmup", "2", "--iters", "10", "--min_duration_s", "0.5"]
    return ["--models", "yolo11n,yolo11s", "--backend", "torch,onnxruntime", "--precision", "fp16,fp32",
            "--batch", "1,16", "--imgsz", "640", "--warmup", "10", "--iters", "100", "--min_duration_s", "2",
            "--probe_batch", "off"]


def cli(args: list, work: Path, env_extra: dict = None, background: bool = False):
    env = {**os.environ, "YOLO_OFFLINE": "1", "JETSON_BENCHMARK_PROGRESS": "0", **(env_extra or {})}
    command = [sys.executable, str(REPO / "jetson_benchmark.py"), *map(str, args)]
    work.mkdir(parents=True, exist_ok=True)
    if background:
        return subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.perf_counter()
    out = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, out


def fleet(work: Path, dry_run: bool, env_extra: dict = None) -> tuple:
    args = ["--cluster", "local", *matrix_args(dry_run), "--out_dir", work / "out", "--preprocessed_dir", work / "pre",
            "--fleet_dir", work / "nodes", "--fidelity_frames", "2", "--accuracy_images", "0"]
    wall, out = cli(args, work, env_extra)
    if out.returncode != 0:
        raise SystemExit(f"{work}: exit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}")
    return wall, results(work / "out")


def results(out_dir: Path) -> dict:
    from harness.records.results import load_results

    return {r["run_id"]: r for r in load_results(out_dir)}


def overlaps(runs: dict) -> int:
    """Pairs of runs in flight at the same time on one GPU of one node."""
    spans: dict = {}
    for r in runs.values():
        fleet_record = r.get("fleet") or {}
        if fleet_record.get("started_at") is None:
            continue
        key = (fleet_record["node_id"], ",".join(fleet_record.get("gpu_ids") or []) or "cpu")
        spans.setdefault(key, []).append((fleet_record["started_at"], fleet_record["ended_at"]))
    count = 0
    for intervals in spans.values():
        intervals.sort()
        count += sum(later[0] < earlier[1] for earlier, later in zip(intervals, intervals[1:]))
    return count


def placement_table(runs: dict) -> str:
    t0 = min(r["fleet"]["started_at"] for r in runs.values() if r["fleet"].get("started_at"))
    lines = ["| run | status | node | GPU ids | CUDA_VISIBLE_DEVICES | start s | end s | p50 ms |", "|---|---|---|---|---|---|---|---|"]
    for run_id, r in sorted(runs.items(), key=lambda kv: kv[1]["fleet"].get("started_at") or 0):
        f = r["fleet"]
        start = "" if f.get("started_at") is None else f"{f['started_at'] - t0:.1f}"
        end = "" if f.get("ended_at") is None else f"{f['ended_at'] - t0:.1f}"
        lines.append(f"| {run_id} | {r['status']} | {(f.get('node_id') or '')[:8]} | {','.join(f.get('gpu_ids') or [])} | "
                     f"{f.get('cuda_visible_devices')} | {start} | {end} | {r['metrics'].get('latency_ms_p50')} |")
    return "\n".join(lines)


def agreement_table(many: dict, one: dict) -> str:
    lines = ["| run | p50 ms, all GPUs | p50 ms, one GPU | ratio |", "|---|---|---|---|"]
    for run_id in sorted(many):
        a, b = many[run_id]["metrics"].get("latency_ms_p50"), (one.get(run_id) or {}).get("metrics", {}).get("latency_ms_p50")
        ratio = f"{a / b:.3f}" if a and b else ""
        lines.append(f"| {run_id} | {a} | {b} | {ratio} |")
    return "\n".join(lines)


def single_host(work: Path, dry_run: bool) -> dict:
    args = [*matrix_args(dry_run), "--out_dir", work / "out", "--preprocessed_dir", work / "pre",
            "--fidelity_frames", "2", "--accuracy_images", "0"]
    _, out = cli(args, work)
    if out.returncode != 0:
        raise SystemExit(f"single host: exit {out.returncode}\n{out.stdout[-3000:]}")
    return results(work / "out")


def peaks_table(fleet_runs: dict, host_runs: dict) -> str:
    lines = ["| run | " + " | ".join(f"{p} fleet / host" for p in PEAKS) + " |", "|---|" + "---|" * len(PEAKS)]
    for run_id, r in sorted(fleet_runs.items()):
        host = host_runs.get(run_id.rsplit("__on-", 1)[0])
        if not host:
            continue
        cells = [f"{r['metrics'].get(p)} / {host['metrics'].get(p)}" for p in PEAKS]
        lines.append(f"| {run_id} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def kill_a_measuring_worker(deadline_s: float = 600) -> int:
    """SIGKILL the first Ray worker found executing measure_run whose Phase B child has started; its pid."""
    import psutil

    deadline = time.time() + deadline_s
    while time.time() < deadline:
        for proc in psutil.process_iter(["pid", "cmdline"]):
            title = " ".join(proc.info.get("cmdline") or [])
            if "ray::measure_run" in title and any("harness.phase_b" in " ".join(c.cmdline()) for c in proc.children()):
                time.sleep(1.0)  # well inside its measured passes
                os.kill(proc.info["pid"], signal.SIGKILL)
                return proc.info["pid"]
        time.sleep(0.2)
    raise SystemExit("no measuring worker was found to kill")


def fault(work: Path, dry_run: bool) -> str:
    args = ["--cluster", "local", *matrix_args(dry_run), "--out_dir", work / "out", "--preprocessed_dir", work / "pre",
            "--fleet_dir", work / "nodes", "--fidelity_frames", "0", "--accuracy_images", "0"]
    proc = cli(args, work, background=True)
    victim = kill_a_measuring_worker()
    first_out, _ = proc.communicate()
    first = results(work / "out")
    touched = [r for r in first.values() if (r.get("fleet") or {}).get("previous_attempts") or r["status"] != "ok"]
    _, again = cli(args, work)
    final = results(work / "out")
    redone = [k for k, r in first.items() if r["status"] == "ok" and final[k]["created_at"] != r["created_at"]]
    lines = [f"killed worker pid {victim}; first command exit {proc.returncode}, rerun exit {again.returncode}",
             "| run | first command | attempts | reason / previous attempt | after rerun |", "|---|---|---|---|---|"]
    for r in touched:
        previous = (r["fleet"].get("previous_attempts") or [{}])[0].get("reason", "")
        lines.append(f"| {r['run_id']} | {r['status']} | {r['fleet'].get('attempt')} | {r.get('reason') or previous} | "
                     f"{final[r['run_id']]['status']} |")
    lines.append(f"\nruns after the rerun: {len(final)}, ok {sum(r['status'] == 'ok' for r in final.values())}; "
                 f"finished runs redone by the rerun: {len(redone)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/jb_fleet_gpu")
    parser.add_argument("--dry_run", action="store_true", help="tiny CPU matrix: checks the steps, not the figures")
    parser.add_argument("--parts", default="1234", help="which of the four parts to run (default all)")
    parser.add_argument("--small", action="store_true", help="4 runs: yolo11n torch fp16/fp32 batch 1/16 at 640")
    args = parser.parse_args()
    global SMALL
    SMALL = args.small
    work = Path(args.workdir)
    if "1" in args.parts or "2" in args.parts:
        wall_many, many = fleet(work / "all_gpus", args.dry_run)
        print(f"## 1. --cluster local, every GPU: {len(many)} runs in {wall_many:.1f} s; "
              f"runs overlapping on one GPU: {overlaps(many)}\n\n{placement_table(many)}\n", flush=True)
    if "2" in args.parts:
        wall_one, one = fleet(work / "one_gpu", args.dry_run, {"CUDA_VISIBLE_DEVICES": "0"})
        print(f"## 2. one GPU: {wall_one:.1f} s; all GPUs {wall_many:.1f} s; speed-up {wall_one / wall_many:.2f}x\n\n"
              f"{agreement_table(many, one)}\n", flush=True)
    if "3" in args.parts:
        many = many if "1" in args.parts else results(work / "all_gpus" / "out")
        print(f"## 3. peaks, fleet / single host\n\n{peaks_table(many, single_host(work / 'host', args.dry_run))}\n",
              flush=True)
    if "4" in args.parts:
        print(f"## 4. a worker killed mid-matrix\n\n{fault(work / 'fault', args.dry_run)}\n", flush=True)


if __name__ == "__main__":
    main()
