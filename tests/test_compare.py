"""compare: identical inputs pass, a planted regression is caught, noise is not mistaken for a change."""

import json
import shutil

import numpy as np

from conftest import REPO, run_cli
from harness.report.compare import bootstrap_interval

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


# --- comparability, nothing to compare, between-process noise (issue: compare must not call noise a change) ---

TORCH_B1 = "yolo11n__torch__fp16__img640__b1"


def _identity(result, fingerprint):
    """The identity the writer stores, built from the fixture's own run, measurement and environment."""
    from harness.records.planned_run import PlannedRun
    from harness.records.run_identity import run_identity

    setup = {"dataset": {"fingerprint": fingerprint}, "environment": result["environment"],
             "device": {"resolved": "cuda:0", "cuda": True}, "memory": {"profile_name": "desktop-gpu"}}
    return run_identity(PlannedRun.from_dict(result["run"]), result["measurement"], setup, "run")


def _give_identity(result, fingerprint="7e0544577056cf4c5fd90cdf9c08e3be2929c069d63568cf153d4a0e1c33250b"):
    result["identity"] = _identity(result, fingerprint)


def _give_repeats(result, p50s):
    """``--repeats``: one entry per fresh process; the result's own samples become those of the median one."""
    chosen = int(np.argsort(p50s)[len(p50s) // 2])
    _slow_down(result, p50s[chosen] / result["metrics"]["latency_ms_p50"])
    result["repeats"] = {"chosen": chosen, "processes": [
        {"pid": 100 + i, "latency_ms_p50": v, "latency_ms_p99": v * 1.25, "throughput_img_per_s": 1000.0 / v}
        for i, v in enumerate(p50s)]}


def _rows(proc, run_id):
    return {line.split(" | ")[1]: line for line in proc.stdout.splitlines() if line.startswith(f"| {run_id} |")}


def test_folders_with_no_common_run_are_a_one_line_error(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    for path in (b / "runs").glob("*.json"):
        result = json.loads(path.read_text())
        result["run_id"] = "other__" + result["run_id"]
        (b / "runs" / f"{result['run_id']}.json").write_text(json.dumps(result))
        path.unlink()
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "nothing to compare: no run id is in both" in proc.stderr


def test_a_run_on_another_dataset_is_not_comparable_and_never_a_regression(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(a, TORCH_B1, _give_identity)
    _edit(b, TORCH_B1, lambda r: (_give_identity(r, "3c4d" * 16), _slow_down(r, 1.3)))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    rows = _rows(proc, TORCH_B1)
    assert list(rows) == ["status"], proc.stdout  # one row, no figures compared
    assert "not comparable: dataset changed 7e0544577056… → 3c4d3c4d3c4d…" in rows["status"]
    assert "REGRESSION" not in proc.stdout and proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 run(s) not comparable" in proc.stdout


def test_with_identities_on_both_sides_every_comparable_part_is_checked(tmp_path):
    """Same dataset, another math mode (a COMPARABLE_PARTS entry beyond dataset and device): not comparable."""
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(a, TORCH_B1, _give_identity)
    _edit(b, TORCH_B1, lambda r: (_give_identity(r), r["identity"].update(math_mode="tf32")))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert "not comparable: math_mode changed fp16 → tf32" in _rows(proc, TORCH_B1)["status"], proc.stdout


def test_without_identity_only_dataset_and_device_are_checked_and_said(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(b, TORCH_B1, lambda r: (r["environment"].update(device_name="NVIDIA A100"), _slow_down(r, 1.3)))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    status = _rows(proc, TORCH_B1)["status"]
    assert "not comparable: device changed NVIDIA H200 → NVIDIA A100" in status
    assert "only dataset and device checked (no identity record on A and B)" in status
    other = _rows(proc, "yolo11s__torch__fp32__img640__b8")["p50 ms"]
    assert "only dataset and device checked" in other and proc.returncode == 0, proc.stdout


def test_when_no_pair_is_comparable_there_is_nothing_to_compare(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    for path in (b / "runs").glob("*.json"):
        _edit(b, path.stem, lambda r: r.get("setup") and r["setup"].update(dataset_fingerprint="another"))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert "nothing to compare: of the 6 run(s) in both folders, 5 are not comparable" in proc.stderr


def test_overlapping_repeats_are_not_significant(tmp_path):
    """Per-process p50s that overlap are noise, even with no noise floor and a 3.8 % gap between the chosen
    processes that a one-process bootstrap calls real."""
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(a, TORCH_B1, lambda r: _give_repeats(r, [10.0, 11.2, 10.5]))
    _edit(b, TORCH_B1, lambda r: _give_repeats(r, [10.9, 10.1, 11.0]))
    proc = run_cli("compare", a, b, "--noise_pct", "0", "--threshold_pct", "1", cwd=tmp_path, timeout=120)
    p50 = _rows(proc, TORCH_B1)["p50 ms"]
    assert "| 10.5 | 10.9 | +3.8 % |  |  | between processes (3 vs 3, Welch p=0.84) |" in p50, p50
    assert "REGRESSION" not in proc.stdout and proc.returncode == 0, proc.stdout


def test_separated_repeats_are_significant_even_below_the_noise_floor(tmp_path):
    """A 6 % slowdown every process agrees on is real: the floor stands in for between-process noise only
    when that noise was not measured."""
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(a, TORCH_B1, lambda r: _give_repeats(r, [10.0, 10.1, 10.05]))
    _edit(b, TORCH_B1, lambda r: _give_repeats(r, [10.6, 10.7, 10.65]))
    proc = run_cli("compare", a, b, cwd=tmp_path, timeout=120)
    rows = _rows(proc, TORCH_B1)
    for figure in ("p50 ms", "p99 ms", "img/s"):
        assert "| * | REGRESSION | between processes (3 vs 3, Welch p=0.0046) |" in rows[figure], rows[figure]
    assert proc.returncode == 4 and "3 regression(s)" in proc.stdout, proc.stdout


def test_a_change_below_the_noise_floor_is_not_significant_without_repeats(tmp_path):
    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    _edit(b, TORCH_B1, lambda r: _slow_down(r, 1.06))
    samples = json.loads((a / "runs" / f"{TORCH_B1}.json").read_text())["samples"]["latency_ms"]
    median = lambda draws: np.percentile(draws, 50, axis=1)
    ia, ib = bootstrap_interval(samples, median, 1000, 0), bootstrap_interval(np.multiply(samples, 1.06), median, 1000, 1)
    assert ia[1] < ib[0]  # the one-process intervals alone would call it real
    proc = run_cli("compare", a, b, "--threshold_pct", "1", cwd=tmp_path, timeout=120)
    p50 = _rows(proc, TORCH_B1)["p50 ms"]
    assert "+6.0 % |  |  | bootstrap + 10 % noise floor |" in p50 and "below the 10 % noise floor" in p50, p50
    assert proc.returncode == 0, proc.stdout
    lower = run_cli("compare", a, b, "--threshold_pct", "1", "--noise_pct", "5", cwd=tmp_path, timeout=120)
    assert "| * | REGRESSION | bootstrap + 5 % noise floor |" in _rows(lower, TORCH_B1)["p50 ms"], lower.stdout
    assert lower.returncode == 4


def test_repeats_on_one_side_only_fall_back_to_the_bootstrap():
    from harness.report.compare import Settings, compare_runs

    a = json.loads((FIXTURE / "runs" / f"{TORCH_B1}.json").read_text())
    b = json.loads(json.dumps(a))
    _give_repeats(a, [3.85, 3.9, 3.8])
    rows = compare_runs(a, b, Settings(5.0, 10.0, 200, 0))
    assert rows[0]["test"] == "bootstrap + 10 % noise floor (repeats on A only)", rows[0]


def test_without_scipy_the_between_process_test_is_not_claimed(monkeypatch):
    import sys

    from harness.report.compare import Settings, compare_runs

    a = json.loads((FIXTURE / "runs" / f"{TORCH_B1}.json").read_text())
    b = json.loads(json.dumps(a))
    _give_repeats(a, [10.0, 10.1, 10.05])
    _give_repeats(b, [12.0, 12.1, 12.05])
    monkeypatch.setitem(sys.modules, "scipy.stats", None)  # import scipy.stats now raises ImportError
    row = compare_runs(a, b, Settings(5.0, 10.0, 200, 0))[0]
    assert row["test"] == "bootstrap + 10 % noise floor (scipy not installed)" and row["significant"], row


def test_the_between_process_test_keeps_its_false_alarm_rate_at_tiny_n():
    """Same true mean, unequal spreads, 2 and 3 processes a side: p < 0.05 in at most 5 % of 2000 trials,
    while a 5-sigma shift is found most of the time with 3 a side."""
    import scipy.stats

    from harness.report.compare import welch_p

    rng = np.random.default_rng(3)
    for n in (2, 3):
        alarms = [welch_p(rng.normal(10, 0.2, n), rng.normal(10, 0.6, n), scipy.stats) < 0.05 for _ in range(2000)]
        assert np.mean(alarms) <= 0.05, (n, np.mean(alarms))
    found = [welch_p(rng.normal(10, 0.2, 3), rng.normal(11, 0.2, 3), scipy.stats) < 0.05 for _ in range(500)]
    assert np.mean(found) > 0.5, np.mean(found)


def test_plots_put_a_video_run_of_both_folders_on_one_axis(tmp_path):
    """--plots: a video run in both folders (here the keep-everything window in B, stopped out of memory) gets its
    memory and latency by frame with A and B on one axis, each labelled with its window; image runs get none."""
    from harness.report.video_plots import _series

    a, b = _copy(tmp_path, "a"), _copy(tmp_path, "b")
    run_id = sorted(p.stem for p in (a / "runs").glob("*.json"))[0]

    def video(window, frames, stopped=None):
        record = {"name": "v", "status": "ok" if stopped is None else "skipped_oom",
                  "frame_indices": list(range(frames)), "memory_by_frame_mb": [100.0 + (i if window == "all" else 0)
                                                                                for i in range(frames)],
                  "frame_latency_ms": [10.0] * frames}
        if stopped is not None:
            record = {"name": "v", "status": "skipped_oom", "stopped_at_frame": stopped, "before_stop": record}
        return lambda result: result.update(videos=[record], vos={"window": {"setting": window}})

    _edit(a, run_id, video("auto", 8))
    _edit(b, run_id, video("all", 5, stopped=5))
    plots = tmp_path / "plots"
    proc = run_cli("compare", a, b, "--plots", plots, cwd=tmp_path)
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    assert "by-frame plots of 1 video run(s)" in proc.stdout
    assert sorted(p.name for p in plots.iterdir()) == [f"{run_id}__latency_by_frame.png", f"{run_id}__memory_by_frame.png"]
    sides = {"A (window auto)": json.loads((a / "runs" / f"{run_id}.json").read_text()),
             "B (window all)": json.loads((b / "runs" / f"{run_id}.json").read_text())}
    labels = [label for label, _, _ in _series(sides, "memory_by_frame_mb")]
    assert labels == ["A (window auto): v", "B (window all): v (skipped_oom at frame 5)"]
