"""End to end (real CLI subprocesses, real yolo11n, --skip_setup on the session's shared setup): a stored result
is reused only when it would be measured the same way, an --out_dir holds one dataset, a check that fails
after the measurement keeps the timings, --repeats keeps every process, a paced run has its figures, and a
closed stdout pipe stops nothing."""

import subprocess
import sys

import pytest

from conftest import CLI, TINY, cli_env, load_json, random_image, run_cli, write_image

pytestmark = pytest.mark.slow
RUN = "yolo11n__torch__fp32__img64__b1"
FAST = ["--iters", "3", "--warmup", "1", "--min_duration_s", "0", "--backend", "torch"]


def _measure(shared_setup, out, cwd, *extra):
    proc = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", out, *FAST, *extra, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_a_rerun_redoes_a_result_measured_another_way_and_says_why(shared_setup, tmp_path):
    out = tmp_path / "out"
    _measure(shared_setup, out, tmp_path)
    first = load_json(out / "runs" / f"{RUN}.json")
    assert first["identity"]["isolation"] == "fork" and first["identity"]["device"]["resolved"] == "cpu"
    assert first["identity"]["versions"]["torch"] and first["identity"]["dataset"]
    assert first["process"]["launcher"]["pid"] and first["process"]["parts_s"]["torch_import"] < 0.1  # imported once
    same = _measure(shared_setup, out, tmp_path)
    assert f"{RUN}: result exists, reused" in same.stdout
    spawned = _measure(shared_setup, out, tmp_path, "--isolation", "run")
    assert f"{RUN}: redone: isolation changed fork → run" in spawned.stdout
    own = load_json(out / "runs" / f"{RUN}.json")
    assert own["process"]["launcher"] is None and own["process"]["parts_s"]["torch_import"] > 0.1  # its own import
    changed = _measure(shared_setup, out, tmp_path, "--isolation", "phase")
    assert f"{RUN}: redone: isolation changed run → phase" in changed.stdout
    assert load_json(out / "runs" / f"{RUN}.json")["identity"]["isolation"] == "phase"


def test_an_out_dir_holds_one_dataset(shared_setup, tmp_path):
    out = tmp_path / "out"
    _measure(shared_setup, out, tmp_path)
    stored = load_json(out / "runs" / f"{RUN}.json")["identity"]["dataset"]
    for i in range(2):
        write_image(tmp_path / "imgs" / f"{i}.jpg", random_image(48, 64, seed=i))
    other = ["--models", "yolo11n", *TINY, "--backend", "torch", "--source", tmp_path / "imgs",
             "--preprocessed_dir", tmp_path / "pre2", "--out_dir", out]
    refused = run_cli(*other, cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1 and stored[:12] in line and "--out_dir" in line and "--force" in line
    forced = run_cli(*other, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    moved = list(out.glob("replaced_*/runs/*.json"))
    assert [p.stem for p in moved] == [RUN] and load_json(moved[0])["identity"]["dataset"] == stored
    assert load_json(out / "runs" / f"{RUN}.json")["identity"]["dataset"] != stored


def test_a_hook_that_fails_after_the_measurement_loses_only_its_own_figures(shared_setup, tmp_path):
    _measure(shared_setup, tmp_path / "out", tmp_path, "--accuracy_hook", "tests.raising_hook:fails")
    result = load_json(tmp_path / "out" / "runs" / f"{RUN}.json")
    assert result["status"] == "ok" and len(result["samples"]["latency_ms"]) == 3
    assert result["metrics"]["latency_ms_p50"] > 0
    assert result["metrics"]["map50"] is not None  # the task's own accuracy check stands
    why = result["accuracy"]["hook_error"]
    assert why.startswith("the accuracy hook failed: ValueError: labels of the wrong shape") and "\n" not in why
    assert why in result["warnings"]
    assert result["metrics"]["checks_peak_rss_mb"] > 0  # the checks' own peak, apart from the passes'


def test_an_out_of_memory_inside_a_check_is_reported_as_such_and_keeps_the_timings(shared_setup, tmp_path):
    _measure(shared_setup, tmp_path / "out", tmp_path, "--accuracy_hook", "tests.raising_hook:runs_out_of_memory")
    result = load_json(tmp_path / "out" / "runs" / f"{RUN}.json")
    assert result["status"] == "ok" and result["metrics"]["latency_ms_p50"] > 0
    assert result["accuracy"]["hook_error"].startswith("the accuracy hook ran out of memory")
    assert result["accuracy"]["hook_oom"] is True and result["metrics"]["map50"] is not None


def test_repeats_measure_in_fresh_processes_and_keep_each(shared_setup, tmp_path):
    proc = _measure(shared_setup, tmp_path / "out", tmp_path, "--repeats", "3")
    assert f"{RUN} (process 3/3): ok" in proc.stdout
    result = load_json(tmp_path / "out" / "runs" / f"{RUN}.json")
    processes = result["repeats"]["processes"]
    assert len(processes) == 3 and len({p["pid"] for p in processes}) == 3
    p50s = [p["latency_ms_p50"] for p in processes]
    assert result["metrics"]["latency_ms_p50"] == sorted(p50s)[1]  # the median process's result is stored
    assert processes[result["repeats"]["chosen"]]["pid"] == result["process"]["pid"]


def test_a_paced_run_measures_from_each_arrival(shared_setup, tmp_path):
    _measure(shared_setup, tmp_path / "out", tmp_path, "--arrival_fps", "40")
    result = load_json(tmp_path / "out" / "runs" / f"{RUN}__fps40.json")
    metrics = result["metrics"]
    assert result["status"] == "ok" and metrics["arrival_fps_target"] == 40
    assert len(result["samples"]["arrival_latency_ms"]) >= 3
    assert all(a >= p for a, p in zip(result["samples"]["arrival_latency_ms"], result["samples"]["latency_ms"]))
    assert 0 <= metrics["deadline_miss_pct"] <= 100 and 0 < metrics["achieved_fps"] <= 40 * 1.05


def test_a_closed_stdout_pipe_stops_nothing(shared_setup, tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, str(CLI), "--skip_setup", "--preprocessed_dir", str(shared_setup), "--out_dir", str(out),
            *FAST, "--batch", "1,2"]
    child = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    child.stdout.readline()
    child.stdout.close()  # what `| head -1` does
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=600) == 0, stderr
    assert "BrokenPipe" not in stderr and "internal error" not in stderr
    assert len(list((out / "runs").glob("*.json"))) == 2
    for name in ("report.md", "report.html", "jetson_benchmark_summary.csv"):
        assert (out / name).is_file(), name


def test_the_accuracy_check_holds_at_most_max_frames_in_mem_frames(shared_setup, monkeypatch):
    import torch

    from harness.phase_b import accuracy_check
    from harness.phase_b.run_task import run_input, run_task
    from harness.records.setup_config import read_setup_config
    from harness.records.planned_run import PlannedRun
    from runners.torch_runner import TorchRunner

    config = shared_setup / "setup_config.json"
    setup = read_setup_config(config)
    planned = PlannedRun.from_dict(next(r for r in setup["runs"] if r["backend"] == "torch"))
    seen = []
    real = accuracy_check.backend_outputs
    monkeypatch.setattr(accuracy_check, "backend_outputs",
                        lambda runner, frames, batch: seen.append(len(frames)) or real(runner, frames, batch))
    spec = run_input(planned)
    runner = TorchRunner(planned.artifact, "cpu", "fp32", spec.size, 1, input_spec=spec)
    runner.load()
    measurement = {"accuracy_images": 40, "max_frames_in_mem": 6}
    figures = accuracy_check.check_accuracy(runner, run_task(planned), spec, planned, setup, config, measurement)
    assert torch is not None and figures.details["frames_n"] == sum(seen) and sum(seen) >= 12
    assert max(seen) <= 6 and figures.metrics["map50"] is not None
