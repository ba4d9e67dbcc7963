"""Host interference: busy processes beside a measurement make it invalid with a host reason, wherever in the
window they start and whether they spin in Python or in native threads; without them, on a quiet machine, the
same measurement is valid. Real processes, real psutil readings; every hog is bounded in time and killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import REPO, TINY, load_json, run_cli, write_conv_onnx
from harness.measure.host_interference import HostLoadSampler
from harness.measure.validity import HOST_INTERFERENCE_LIMIT_PCT

TESTS = Path(__file__).resolve().parent
WINDOW_S = 3.2
HOG_S = 0.8


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{TESTS}", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextmanager
def _spawned(*args):
    proc = subprocess.Popen([sys.executable, *map(str, args)], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _hog_args(kind: str) -> list:
    return [TESTS / "cpu_hogs.py", kind, "--seconds", HOG_S, "--threads", 2]


def _measured_with_hog(kind: str, start_s: float) -> tuple:
    """(the probe's output, the hog's CPU seconds): a hog starts ``start_s`` into the probe's window."""
    with _spawned(TESTS / "host_load_probe.py", "--window_s", WINDOW_S) as probe:
        assert probe.stdout.readline().strip() == "start"
        time.sleep(start_s)
        with _spawned(*_hog_args(kind)) as hog:
            hog_cpu_s = float(hog.communicate(timeout=30)[0])
        out = json.loads(probe.communicate(timeout=30)[0])
    return out, hog_cpu_s


@pytest.mark.parametrize("kind,start_s", [("python", 0.1), ("python", 1.3), ("native", 0.1), ("native", 2.2)])
def test_a_hog_at_any_moment_of_the_window_makes_the_run_invalid(kind, start_s):
    out, hog_cpu_s = _measured_with_hog(kind, start_s)
    figures, verdict = out["figures"], out["verdict"]
    # the hog's CPU is seen as other processes' (the busy machine may add more, never less)
    assert figures["host_other_cpu_s"] >= 0.7 * hog_cpu_s, (figures, hog_cpu_s)
    assert figures["host_interference_pct"] > HOST_INTERFERENCE_LIMIT_PCT
    assert verdict["valid"] is False
    assert any(r.startswith("host busy: other processes used ") for r in verdict["reasons"]), verdict


def _quiet_now(seconds: float = 2.0) -> tuple:
    sampler = HostLoadSampler().start()
    time.sleep(seconds)
    sampler.stop()
    figures, _ = sampler.result()
    return figures["host_interference_pct"] < HOST_INTERFERENCE_LIMIT_PCT / 2, figures


@pytest.mark.quiet_machine
def test_the_same_measurement_without_a_hog_is_valid_on_a_quiet_machine():
    quiet, figures = _quiet_now()
    if not quiet:
        pytest.skip(f"this machine is not quiet: other processes took {figures['host_interference_pct']} % of its CPU "
                    f"({figures['host_other_cpu_core_pct']} % of a core) while nothing of this test ran")
    with _spawned(TESTS / "host_load_probe.py", "--window_s", WINDOW_S) as probe:
        out = json.loads(probe.communicate(timeout=30)[0].split("\n", 1)[1])
    assert out["verdict"]["valid"] is True, out
    assert out["figures"]["host_interference_pct"] <= HOST_INTERFERENCE_LIMIT_PCT


def test_a_window_too_short_to_judge_is_unchecked_not_passed():
    sampler = HostLoadSampler().start()
    sampler.stop()
    figures, why = sampler.result()
    assert figures is None and "too short to judge the host's load" in why


@pytest.mark.slow
def test_phase_b_under_a_native_thread_hog_is_invalid_with_the_host_reason(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "convnet.onnx")
    args = ["--weights_dir", weights, *TINY[:-2], "--min_duration_s", "2", "--fidelity_frames", "0",
            "--accuracy_images", "0", "--out_dir", tmp_path / "out"]
    hog = subprocess.Popen([sys.executable, *map(str, [TESTS / "cpu_hogs.py", "native", "--seconds", 40,
                                                       "--threads", 2])], stdout=subprocess.DEVNULL, env=_env())
    try:
        proc = run_cli(*args, cwd=tmp_path, timeout=120)
    finally:
        hog.kill()
        hog.wait()
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    result = load_json(next((tmp_path / "out" / "runs").glob("convnet__*.json")))
    metrics, validity = result["metrics"], result["validity"]
    assert metrics["host_interference_pct"] > HOST_INTERFERENCE_LIMIT_PCT and metrics["host_cores_n"] >= 1
    assert validity["valid"] is False and any(r.startswith("host busy") for r in validity["reasons"])
    assert validity["conditions"]["host_interference_pct"] == metrics["host_interference_pct"]
    assert "host busy" in proc.stdout
