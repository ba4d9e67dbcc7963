"""The fleet end to end on a real multi-node Ray cluster on this machine (Ray's own test cluster: one raylet per
node on loopback), two CPU nodes advertising the fake profiles of tests/data/fleet/. The real CLI, the real
Phase A on each node, a real Phase B process per run; a node removed mid-matrix, and the rerun that completes it."""

import time
from pathlib import Path

import pytest

from conftest import REPO, TINY, load_json, run_cli
from harness.errors import EXIT_RUN_FAILURES

ray_cluster_utils = pytest.importorskip("ray.cluster_utils")
pytestmark = pytest.mark.slow

FLEET = REPO / "tests" / "data" / "fleet"
DEVICES = f"{FLEET / 'fake-a.json'},{FLEET / 'fake-b.json'}"


def node_args(profile: str) -> dict:
    return {"num_cpus": 1, "resources": {f"jb-device:{profile}": 1}}


@pytest.fixture(scope="module")
def cluster():
    c = ray_cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    nodes = {"fake-a": c.add_node(**node_args("fake-a")), "fake-b": c.add_node(**node_args("fake-b"))}
    c.wait_for_nodes()
    yield c, nodes
    c.shutdown()


def fleet_cli(cluster, work: Path, *extra, timeout=600):
    return run_cli("--cluster", cluster.address, "--devices", DEVICES, "--models", "yolo11n", "--fidelity_frames", "1",
                   "--accuracy_images", "4", "--metrics_interval", "0", *TINY, "--out_dir", work / "out",
                   "--preprocessed_dir", work / "pre", "--fleet_dir", work / "nodes", *extra, cwd=work, timeout=timeout)


def results(out_dir: Path) -> dict:
    return {p.stem: load_json(p) for p in sorted((out_dir / "runs").glob("*.json"))}


def never_overlap(runs: list) -> bool:
    """No two runs of one node's device were in flight at the same time."""
    by_node = {}
    for r in runs:
        by_node.setdefault(r["fleet"]["node_id"], []).append((r["fleet"]["started_at"], r["fleet"]["ended_at"]))
    for spans in by_node.values():
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])):
            return False
    return True


def test_a_matrix_spreads_over_both_profiles_with_one_run_per_device_at_a_time(cluster, tmp_path):
    c, nodes = cluster
    started = time.perf_counter()
    out = fleet_cli(c, tmp_path, "--backend", "torch,onnxruntime", "--batch", "1,2")
    wall_s = time.perf_counter() - started
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    stored = results(tmp_path / "out")
    assert len(stored) == 8 and all(r["status"] == "ok" for r in stored.values())
    for run_id, r in stored.items():
        profile = run_id.rsplit("__on-", 1)[1]
        assert r["fleet"]["profile"] == profile and r["fleet"]["node_id"] == nodes[profile].node_id
        assert r["process"]["pid"] != r["fleet"]["worker_pid"]  # Phase B is the worker's child, Ray is outside it
    assert len({r["fleet"]["worker_pid"] for r in stored.values()}) == 8  # max_calls=1: a fresh worker per run
    assert never_overlap(list(stored.values()))
    summary = (tmp_path / "out" / "jetson_benchmark_summary.csv").read_text().splitlines()
    assert "device_profile" in summary[0] and sum("fake-a" in line for line in summary[1:]) == 4
    print(f"fleet matrix of 8 runs on 2 nodes: {wall_s:.1f} s")

    # the same result shape as on one host: every key a single-host result has
    single = run_cli("--models", "yolo11n", "--backend", "torch", "--fidelity_frames", "1", "--accuracy_images", "4",
                     "--metrics_interval", "0", *TINY, "--out_dir", tmp_path / "single", "--preprocessed_dir",
                     tmp_path / "single_pre", cwd=tmp_path)
    assert single.returncode == 0, single.stderr[-2000:]
    one_host = next(iter(results(tmp_path / "single").values()))
    fleet_run = stored["yolo11n__torch__fp32__img64__b1__on-fake-a"]
    assert set(one_host) <= set(fleet_run) and set(fleet_run) - set(one_host) == {"fleet"}
    assert set(one_host["metrics"]) == set(fleet_run["metrics"])
    assert fleet_run["metrics"]["map50"] == one_host["metrics"]["map50"]  # the same frames, labels and weights

    # two devices of one fleet run compare like two runs: the device is what differs, nothing else may
    compared = run_cli("compare", tmp_path / "out", "--devices", "fake-a,fake-b", cwd=tmp_path)
    # exit 4 says the second device was worse on some figure by more than the threshold: a finding, not an error
    assert compared.returncode in (0, 4) and "0 run(s) not comparable" in compared.stdout, compared.stdout[-2000:]
    assert "yolo11n__torch__fp32__img64__b2 | p50 ms" in compared.stdout
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Across devices" in report and "fake-a p50 ms" in report and "fake-b p50 ms" in report
    assert (tmp_path / "out" / "plots" / "latency_per_device.png").stat().st_size > 1000

    # a rerun measures nothing: every result is reused
    again = fleet_cli(c, tmp_path, "--backend", "torch,onnxruntime", "--batch", "1,2")
    assert again.returncode == 0 and again.stdout.count("result exists, reused") == 8, again.stdout[-2000:]


def in_flight_on(node_root: Path):
    """A run folder in one node's work folder whose result is not written yet: that run is being measured now."""
    for folder in node_root.glob("*/out/*"):
        if any((folder / "requests").glob("phase_b.*.json")) and not (folder / "runs" / f"{folder.name}.json").is_file():
            return folder
    return None


def test_a_node_lost_mid_matrix_is_recorded_and_a_rerun_completes_it(cluster, tmp_path):
    import subprocess
    import sys

    from conftest import CLI, cli_env

    c, nodes = cluster
    work = tmp_path
    args = ["--cluster", c.address, "--devices", DEVICES, "--models", "yolo11n", "--backend", "torch,onnxruntime",
            "--batch", "1,2", "--fidelity_frames", "0", "--accuracy_images", "0", "--metrics_interval", "0",
            "--imgsz", "64", "--warmup", "1", "--iters", "3", "--min_duration_s", "4", "--out_dir", work / "out",
            "--preprocessed_dir", work / "pre", "--fleet_dir", work / "nodes"]
    proc = subprocess.Popen([sys.executable, str(CLI), *map(str, args)], cwd=work, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 300
    b_root = victim = None
    while victim is None and time.time() < deadline and proc.poll() is None:
        pointers = list((work / "nodes" / "by-node").glob(f"{nodes['fake-b'].node_id}-*"))
        b_root = Path(pointers[0].read_text()).parent if pointers else None  # <host>-fake-b[-<id>]/
        victim = in_flight_on(b_root) if b_root else None
        time.sleep(0.2)
    assert victim is not None, "no run of fake-b was ever in flight"
    c.remove_node(nodes["fake-b"], allow_graceful=False)
    output, _ = proc.communicate(timeout=400)
    assert proc.returncode == EXIT_RUN_FAILURES, output[-3000:]  # failed runs, and the matrix went on
    stored = results(work / "out")
    lost = stored[f"{victim.name}__on-fake-b"]
    assert lost["status"] == "failed" and lost["reason"] == "node lost", lost.get("reason")
    assert lost["evidence"]["lost_nodes"] and lost["evidence"]["ray_error"]
    a_runs = {k: v for k, v in stored.items() if k.endswith("__on-fake-a")}
    assert len(a_runs) == 4 and all(r["status"] == "ok" for r in a_runs.values())
    b_runs = {k: v for k, v in stored.items() if k.endswith("__on-fake-b")}
    assert len(b_runs) == 4 and any(r["status"] != "ok" for r in b_runs.values())
    created = {k: v["created_at"] for k, v in a_runs.items()}

    nodes["fake-b"] = c.add_node(**node_args("fake-b"))  # the board comes back (a new raylet: a new node id)
    c.wait_for_nodes()
    rerun = run_cli(*args, cwd=work, timeout=600)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-2000:]
    stored = results(work / "out")
    assert len(stored) == 8 and all(r["status"] == "ok" for r in stored.values())
    assert {k: stored[k]["created_at"] for k in a_runs} == created  # nothing finished was redone or lost
    assert rerun.stdout.count("result exists, reused") == 4 + sum(r["status"] == "ok" for r in b_runs.values())


def test_a_run_on_a_lost_node_is_retried_once_on_another_node_of_its_profile(cluster, tmp_path):
    import subprocess
    import sys

    from conftest import CLI, cli_env

    c, nodes = cluster
    spare = c.add_node(**node_args("fake-b"))  # now two fake-b nodes
    c.wait_for_nodes()
    args = ["--cluster", c.address, "--devices", str(FLEET / "fake-b.json"), "--models", "yolo11n", "--backend",
            "torch", "--batch", "1,2", "--fidelity_frames", "0", "--accuracy_images", "0", "--metrics_interval", "0",
            "--imgsz", "64", "--warmup", "1", "--iters", "3", "--min_duration_s", "4", "--out_dir", tmp_path / "out",
            "--preprocessed_dir", tmp_path / "pre", "--fleet_dir", tmp_path / "nodes"]
    proc = subprocess.Popen([sys.executable, str(CLI), *map(str, args)], cwd=tmp_path, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    victim_node = victim = None
    deadline = time.time() + 300
    while victim is None and time.time() < deadline and proc.poll() is None:
        for node in (nodes["fake-b"], spare):
            pointers = list((tmp_path / "nodes" / "by-node").glob(f"{node.node_id}-*"))
            folder = in_flight_on(Path(pointers[0].read_text()).parent) if pointers else None
            if folder is not None:
                victim_node, victim = node, folder
                break
        time.sleep(0.2)
    assert victim is not None, "no run was ever in flight"
    c.remove_node(victim_node, allow_graceful=False)
    output, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, output[-3000:]  # the retry on the other node succeeded: nothing failed
    stored = results(tmp_path / "out")
    assert len(stored) == 2 and all(r["status"] == "ok" for r in stored.values())
    retried = stored[f"{victim.name}__on-fake-b"]["fleet"]
    survivor = spare if victim_node is nodes["fake-b"] else nodes["fake-b"]
    assert retried["attempt"] == 2 and retried["node_id"] == survivor.node_id
    assert retried["previous_attempts"][0]["reason"] == "node lost" and retried["previous_attempts"][0]["lost_nodes"]
    assert "retried once on another fake-b node" in output
