"""OOM is a recorded skip, never a crash of the matrix: profile rules, and a Phase B process SIGKILLed the
way the kernel OOM killer does it."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import CLI, TINY, cli_env, load_json, phase_b_processes, run_cli

pytestmark = pytest.mark.slow


def test_a_profile_rule_is_not_applied_off_its_own_device(tmp_path):
    """--profile orin-nano-8gb on a CPU host: its skip rule (large model at batch >= 16 does not fit the board) is a
    prediction for the board, not for this machine, so the run is measured, never recorded as skipped_oom. The
    rule itself becomes skipped_oom with oom_evidence "rule" where it applies (tests/test_run_planner.py)."""
    proc = run_cli("--profile", "orin-nano-8gb", "--models", "yolo11l", "--backend", "torch", *TINY,
                   "--batch", "1,16", "--max_frames_in_mem", "32", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = tmp_path / "jetson_results" / "runs"
    measured = load_json(runs / "yolo11l__torch__fp32__img64__b16.json")
    assert measured["status"] == "ok" and "oom_evidence" not in measured
    ok = load_json(runs / "yolo11l__torch__fp32__img64__b1.json")
    assert ok["status"] == "ok"
    budget = ok["memory_budget"]
    assert budget["profile"] == "orin-nano-8gb" and budget["limit_mb"] == 8192.0
    assert budget["limit_type"] == "unavailable" and budget["unified_memory"] is False  # emulated on a CPU host
    assert ok["metrics"]["peak_process_gpu_mb"] is None and "no GPU" in ok["unavailable"]["peak_process_gpu_mb"]
    setup = load_json(tmp_path / "preprocessed_data" / "setup_config.json")
    assert setup["memory"]["profile_name"] == "orin-nano-8gb" and setup["memory"]["detection"] == "--profile orin-nano-8gb"
    assert setup["tuning"]["batch_probe"]["ran"] is False  # no CUDA device: nothing to probe
    assert setup["memory"]["rules_apply"] is False
    assert "recorded as skipped_oom: 0" in proc.stdout
    summary = (tmp_path / "jetson_results" / "jetson_benchmark_summary.md").read_text()
    assert "Memory Safety Summary" in summary


def _phase_b_child(harness: subprocess.Popen, timeout_s: float = 120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        found = phase_b_processes(harness.pid)
        if found:
            return found[0]
        time.sleep(0.05)
    return None


def test_a_sigkill_without_memory_pressure_is_a_failure_measured_again(shared_setup, tmp_path):
    """kill -9 of a Phase B process on a host with memory to spare is told as it was, not as an OOM: the run is
    failed with the evidence, the matrix goes on, and a rerun measures it again."""
    out = tmp_path / "out"
    args = [sys.executable, str(CLI), "--skip_setup", "--preprocessed_dir", str(shared_setup), "--out_dir", str(out),
            "--backend", "torch", "--batch", "1,2", "--warmup", "0", "--iters", "5", "--min_duration_s", "6"]
    harness = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    victim = _phase_b_child(harness)
    assert victim is not None, "no Phase B process appeared"
    time.sleep(2.0)  # let it reach the measured passes (they last 6 s)
    os.kill(victim.pid, signal.SIGKILL)
    output, _ = harness.communicate(timeout=600)
    assert harness.returncode == 3, output  # a run failed
    killed = load_json(out / "runs" / "yolo11n__torch__fp32__img64__b1.json")
    assert killed["status"] == "failed" and "oom_evidence" not in killed
    assert "killed by SIGKILL (no sign of memory pressure" in killed["reason"], killed["reason"]
    assert killed["evidence"]["returncode"] == -9 and killed["evidence"]["signal"] == "SIGKILL"
    assert killed["evidence"]["memory_pressure"]["last_sample"]["tree_rss_mb"] > 0
    assert killed["process"]["pid"] == victim.pid
    survivor = load_json(out / "runs" / "yolo11n__torch__fp32__img64__b2.json")
    assert survivor["status"] == "ok" and survivor["process"]["pid"] != victim.pid
    again = subprocess.run(args, cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "b1: redone: the stored result is failed" in again.stdout and "b2: result exists, reused" in again.stdout
    assert load_json(out / "runs" / "yolo11n__torch__fp32__img64__b1.json")["status"] == "ok"


def _memory_cgroup(limit_mb: int):
    """A fresh memory cgroup limited to ``limit_mb`` (v2 memory.max, else v1 memory.limit_in_bytes): (procs file,
    folder), or pytest.skip with the reason where this host does not let us make one."""
    from pathlib import Path

    name = f"jetson_benchmark_test_{os.getpid()}_{time.time_ns()}"
    candidates = []
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        candidates.append((Path("/sys/fs/cgroup"), "memory.max"))
    if Path("/sys/fs/cgroup/memory").is_dir():
        candidates.append((Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"))
    for root, limit_file in candidates:
        folder = root / name
        try:
            folder.mkdir()
            (folder / limit_file).write_text(str(limit_mb * 2**20))
            return folder / "cgroup.procs", folder
        except OSError:
            if folder.exists():
                folder.rmdir()
    pytest.skip("no writable memory cgroup on this host (needs root and a cgroup v1 or v2 memory controller)")


def test_a_phase_b_process_killed_by_the_kernel_oom_killer_is_skipped_oom(shared_setup, tmp_path):
    """A real kernel OOM kill: the command runs in a memory cgroup too small for a Phase B process (torch alone needs
    more), the kernel kills that process, and the parent reads the cgroup's OOM-kill count rising."""
    procs, folder = _memory_cgroup(300)
    out = tmp_path / "out"
    args = [sys.executable, str(CLI), "--skip_setup", "--preprocessed_dir", str(shared_setup), "--out_dir", str(out),
            "--backend", "torch", "--warmup", "0", "--iters", "5", "--min_duration_s", "0", "--metrics_interval", "0"]
    harness = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        procs.write_text(str(harness.pid))  # before it starts any child: they are all born in the cgroup
        output, _ = harness.communicate(timeout=600)
    finally:
        harness.kill()
        harness.wait()
        time.sleep(0.2)
        folder.rmdir()
    result = load_json(out / "runs" / "yolo11n__torch__fp32__img64__b1.json")
    assert result["status"] == "skipped_oom", output[-3000:]
    assert result["oom_evidence"] == "observed" and "OOM-kill count rose" in result["oom_evidence_detail"]
    assert "killed by SIGKILL, out of memory" in result["reason"]
