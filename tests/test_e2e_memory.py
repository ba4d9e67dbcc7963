"""OOM is a recorded skip, never a crash of the matrix: profile rules, and a Phase B process SIGKILLed the
way the kernel OOM killer does it."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import CLI, TINY, cli_env, load_json, run_cli

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


def test_phase_b_killed_by_sigkill_is_skipped_oom_and_the_matrix_goes_on(shared_setup, tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, str(CLI), "--skip_setup", "--preprocessed_dir", str(shared_setup), "--out_dir", str(out),
            "--backend", "torch", "--batch", "1,2", "--warmup", "0", "--iters", "400", "--min_duration_s", "0"]
    harness = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    victim = None
    deadline = time.time() + 120
    while victim is None and time.time() < deadline:
        for child in psutil.Process(harness.pid).children(recursive=True):
            try:
                if "harness.phase_b" in " ".join(child.cmdline()):
                    victim = child
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.05)
    assert victim is not None, "no Phase B process appeared"
    time.sleep(2.0)  # let it reach the measured passes
    os.kill(victim.pid, signal.SIGKILL)
    output, _ = harness.communicate(timeout=600)
    assert harness.returncode == 0, output
    killed = load_json(out / "runs" / "yolo11n__torch__fp32__img64__b1.json")
    assert killed["status"] == "skipped_oom"
    assert "SIGKILL" in killed["reason"] and killed["evidence"]["returncode"] == -9
    assert killed["evidence"]["signal"] == "SIGKILL" and killed["process"]["pid"] == victim.pid
    survivor = load_json(out / "runs" / "yolo11n__torch__fp32__img64__b2.json")
    assert survivor["status"] == "ok" and survivor["process"]["pid"] != victim.pid
    assert "yolo11n__torch__fp32__img64__b1: skipped_oom" in output
