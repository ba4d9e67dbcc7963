"""compare: identical inputs pass, a planted regression is caught, noise is not mistaken for a change."""

import json
import shutil

import numpy as np

from conftest import REPO, run_cli
from harness.compare import bootstrap_interval

FIXTURE = REPO / "tests" / "data" / "report_fixtures" / "h200"  # 200 samples per run, low noise


def _copy(tmp_path, name):
    out = tmp_path / name
    shutil.copytree(FIXTURE, out)
    return out


def _edit(folder, run_id, change):
    path = folder / "runs" / f"{run_id}.json"
    result = json.loads(path.read_text())
    change(result)
    path.write_text(json.dumps(result))


def _slow_down(result, factor):
    samples = [v * factor for v in result["samples"]["latency_ms"]]
    result["samples"]["latency_ms"] = samples
    result["metrics"]["latency_ms_p50"] = float(np.percentile(samples, 50))
    result["metrics"]["latency_ms_p99"] = float(np.percentile(samples, 99))
    result["metrics"]["throughput_img_per_s"] /= factor


def test_identical_results_pass(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 regression(s)" in proc.stdout and "REGRESSION" not in proc.stdout


def test_planted_regression_is_caught(tmp_path):
    """A 30 % slowdown of a 200-sample GPU run is real (intervals disjoint) and past the 5 % threshold."""
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    run_id = "yolo11n__torch__fp16__img640__b1"
    _edit(b, run_id, lambda r: _slow_down(r, 1.3))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith(f"| {run_id} |")]
    p50 = next(line for line in rows if "| p50 ms |" in line)
    assert "+30.0 %" in p50 and "| * |" in p50 and "REGRESSION" in p50
    assert "REGRESSION" in next(line for line in rows if "| img/s |" in line)
    assert not any("REGRESSION" in line for line in proc.stdout.splitlines() if "cudagraph" in line)


def test_change_within_noise_is_not_a_regression(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    run_id = "yolo11n__torch__fp16__img640__b1"
    # a 0.5 % shift is inside this run's own spread: not real, so no regression even with a 0.1 % threshold
    _edit(b, run_id, lambda r: _slow_down(r, 1.005))
    proc = run_cli("compare", a, b, "--threshold_pct", "0.1", cwd=tmp_path, timeout=120)
    p50 = next(line for line in proc.stdout.splitlines() if line.startswith(f"| {run_id} | p50 ms |"))
    assert "| * |" not in p50 and "REGRESSION" not in p50
    assert proc.returncode == 0, proc.stdout


def test_a_run_that_stopped_working_is_a_regression(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(b, "yolo11n__onnxruntime__fp32__img640__b8",
          lambda r: r.update(status="skipped_oom", reason="out of memory during measure"))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert proc.returncode == 4 and "| status | ok | skipped_oom |" in proc.stdout


def test_bootstrap_interval_contains_the_median_and_narrows_with_n():
    rng = np.random.default_rng(1)
    small, large = rng.normal(10, 1, 50), rng.normal(10, 1, 5000)
    median = lambda draws: np.percentile(draws, 50, axis=1)
    lo_s, hi_s = bootstrap_interval(small, median, 500, 0)
    lo_l, hi_l = bootstrap_interval(large, median, 500, 0)
    assert lo_s < 10 < hi_s and lo_l < 10 < hi_l and (hi_l - lo_l) < (hi_s - lo_s) / 3


def test_missing_folder_is_a_one_line_error(tmp_path):
    proc = run_cli("compare", tmp_path / "nope", FIXTURE, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "no results" in proc.stderr and "Traceback" not in proc.stderr


def test_too_few_noisy_samples_cannot_prove_a_change(tmp_path):
    """The same 30 % slowdown on 30 noisy CPU samples is not provable: reported, not called a regression."""
    cpu = REPO / "tests" / "data" / "report_fixtures" / "cpu"
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(cpu, a)
    shutil.copytree(cpu, b)
    _edit(b, "yolo11n__torch__fp32__img64__b1", lambda r: _slow_down(r, 1.3))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    p50 = next(line for line in proc.stdout.splitlines() if line.startswith("| yolo11n__torch__fp32__img64__b1 | p50 ms |"))
    assert "+30.0 %" in p50 and "| * |" not in p50 and proc.returncode == 0
