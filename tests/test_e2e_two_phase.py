"""End to end, in real subprocesses: the real CLI, real random-init YOLO models, real files."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CLI, TINY, cli_env, load_json, run_cli

pytestmark = pytest.mark.slow


def _results(out_dir: Path) -> dict:
    return {p.stem: load_json(p) for p in sorted((out_dir / "runs").glob("*.json"))}


def _csv_rows(out_dir: Path) -> list:
    with open(out_dir / "jetson_benchmark_summary.csv") as handle:
        return list(csv.DictReader(handle))


def test_full_run_two_phases_separate_processes(tmp_path):
    proc = run_cli("--models", "yolo11n,yolov8n", *TINY, "--batch", "1,2", "--backend", "torch,onnxruntime",
                   "--precision", "fp32,fp16", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out, pre = tmp_path / "jetson_results", tmp_path / "preprocessed_data"
    setup = load_json(pre / "setup_config.json")
    results = _results(out)
    assert len(results) == 2 * 2 * 2 * 2  # models x backends x precisions x batches
    ok = {k: r for k, r in results.items() if r["status"] == "ok"}
    assert len(ok) == 8 and all("fp32" in k for k in ok)
    assert all(r["status"] == "skipped" and "CUDA" in r["reason"] for k, r in results.items() if "fp16" in k)
    phase_a_pid = setup["phase_a"]["pid"]
    phase_b_pids = {r["process"]["pid"] for r in ok.values()}
    assert phase_a_pid not in phase_b_pids and os.getpid() not in phase_b_pids
    assert len(phase_b_pids) == len(ok)  # one fresh process per run (default isolation)
    assert setup["phase_a"]["wall_s"] > 0 and all(r["process"]["process_wall_s_at_write"] > 0 for r in ok.values())
    for r in ok.values():  # every second of each process accounted for, in contiguous parts
        process = r["process"]
        assert {"startup_imports", "torch_import", "model_load", "warmup", "measured", "check_fidelity",
                "check_accuracy", "write_result", "teardown"} <= set(process["parts_s"])
        assert process["parts_wall_s"] == pytest.approx(process["process_wall_s"], rel=0.02)
        # the measured window holds every measured pass (and, on a busy host, whatever delayed the loop between them)
        assert sum(r["samples"]["latency_ms"]) / 1000 - 0.005 <= process["parts_s"]["measured"] < process["process_wall_s"]
    assert "where the time went" in proc.stdout and "Phase B, 8 process(es)" in proc.stdout
    assert "## Where each process's time went" in (out / "report.md").read_text()
    for r in ok.values():
        m = r["metrics"]
        assert len(r["samples"]["latency_ms"]) == 3 and len(r["samples"]["warmup_latency_ms"]) == 1
        assert 0 < m["latency_ms_min"] <= m["latency_ms_p50"] <= m["latency_ms_p99"] <= m["latency_ms_max"] < 60_000
        assert m["throughput_img_per_s"] == pytest.approx(r["run"]["batch"] * 3 / (sum(r["samples"]["latency_ms"]) / 1000))
        assert 50 < m["peak_rss_mb"] < 20_000 and m["model_load_s"] > 0
        assert m["peak_torch_alloc_mb"] is None and "CUDA" in r["unavailable"]["peak_torch_alloc_mb"]
        assert r["environment"]["torch"] and r["environment"]["onnxruntime"] and r["environment"]["ultralytics"]
    ort = ok["yolo11n__onnxruntime__fp32__img64__b2"]
    assert ort["runner"]["providers"] == ["CPUExecutionProvider"] and ort["runner"]["execution_device"] == "cpu"
    rows = _csv_rows(out)
    assert len(rows) == 16 and {r["run_id"] for r in rows} == set(results)
    for column in ("latency_ms_p50", "latency_ms_p99", "throughput_img_per_s", "peak_rss_mb", "model_load_s"):
        assert column in rows[0]
    assert "results:" in proc.stdout and "| model" in proc.stdout
    meta = load_json(pre / "metadata.json")
    assert meta["totals"] == {"frames": 64, "images": 16, "videos": 1, "skipped": 0, "ignored": 0}
    records = [item for seq in meta["sequences"] for item in seq["items"]]
    assert len(records) == 17 and all(r["original_size"] and r["source_path"] for r in records)
    assert all(r["label_path"] for r in records if r["frame_count"] == 1)

    # Same command again: every finished run is skipped, nothing is measured again.
    again = run_cli("--models", "yolo11n,yolov8n", *TINY, "--batch", "1,2", "--backend", "torch,onnxruntime",
                    "--precision", "fp32,fp16", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("result exists") == 16
    assert _results(out) == results


def test_skip_setup_reuses_without_decoding(shared_setup, tmp_path):
    frames = sorted(shared_setup.glob("frames/**/*.npy"))
    before = {p: p.stat().st_mtime_ns for p in frames}
    config_before = (shared_setup / "setup_config.json").read_bytes()
    proc = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", tmp_path / "out",
                   "--iters", "2", "--warmup", "0", "--min_duration_s", "0", "--backend", "torch", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Phase A (setup)" not in proc.stdout and "--skip_setup: reusing" in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in frames} == before
    assert (shared_setup / "setup_config.json").read_bytes() == config_before
    results = _results(tmp_path / "out")
    assert list(results) == ["yolo11n__torch__fp32__img64__b1"]
    (result,) = results.values()
    assert result["status"] == "ok" and len(result["samples"]["latency_ms"]) == 2
    assert result["setup"]["phase_a_pid"] == json.loads(config_before)["phase_a"]["pid"]


def test_skip_setup_new_batch_and_phase_isolation(shared_setup, tmp_path):
    proc = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", tmp_path / "out",
                   "--iters", "2", "--warmup", "0", "--min_duration_s", "0", "--batch", "1,3", "--isolation", "phase", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "out")
    assert len(results) == 4 and all(r["status"] == "ok" for r in results.values())
    assert len({r["process"]["pid"] for r in results.values()}) == 1
    assert sorted(r["process"]["run_index_in_process"] for r in results.values()) == [0, 1, 2, 3]


def test_skip_setup_refuses_unprepared_and_changed(shared_setup, tmp_path):
    proc = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", tmp_path / "o", "--imgsz", "128",
                   cwd=tmp_path)
    assert proc.returncode == 2 and "was not prepared" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("--skip_setup", "--preprocessed_dir", tmp_path / "nothing_here", "--out_dir", tmp_path / "o",
                   cwd=tmp_path)
    assert proc.returncode == 2 and "no saved setup" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_skip_setup_detects_changed_source(tmp_path):
    from conftest import random_image, write_image

    source = tmp_path / "imgs"
    for i in range(3):
        write_image(source / f"{i}.png", random_image(40, 50, seed=i))
    common = ["--source", f"image_dir={source}", "--models", "yolo11n", "--backend", "torch", *TINY,
              "--preprocessed_dir", tmp_path / "pre", "--out_dir", tmp_path / "out"]
    assert run_cli(*common, "--skip_inference", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "out" / "runs").exists() or not list((tmp_path / "out" / "runs").glob("*.json"))
    write_image(source / "new.png", random_image(40, 50, seed=9))
    proc = run_cli(*common, "--skip_setup", cwd=tmp_path)
    assert proc.returncode == 2 and "changed since setup" in proc.stderr and "rerun without --skip_setup" in proc.stderr


def test_skip_inference_prints_what_was_prepared(tmp_path):
    proc = run_cli("--models", "yolo11n", *TINY, "--skip_inference", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "setup only" in proc.stdout and "model yolo11n" in proc.stdout and "runs planned: 2" in proc.stdout
    assert (tmp_path / "preprocessed_data" / "setup_config.json").is_file()
    assert not list((tmp_path / "jetson_results" / "runs").glob("*.json"))


def test_killed_harness_loses_no_finished_run(shared_setup, tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, str(CLI), "--skip_setup", "--preprocessed_dir", str(shared_setup), "--out_dir", str(out),
            "--iters", "40", "--warmup", "0", "--min_duration_s", "0", "--batch", "1,2,3,4"]
    harness = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "runs").glob("*.json"))) < 2:
        time.sleep(0.1)
    os.killpg(harness.pid, signal.SIGKILL)  # the parent and its running Phase B child, mid-matrix
    harness.wait()
    finished = _results(out)
    assert 2 <= len(finished) < 8
    assert all(r["status"] == "ok" for r in finished.values()), {k: (r["status"], r["reason"]) for k, r in finished.items()}  # every file there is whole and parses
    proc = run_cli(*args[2:], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("result exists") == len(finished)
    after = _results(out)
    assert len(after) == 8 and all(after[k] == v for k, v in finished.items())
    assert not [p for p in (out / "runs").iterdir() if p.suffix != ".json"]


def test_a_failing_model_is_recorded_and_the_matrix_goes_on(tmp_path):
    """Any ONNX model with an image input runs; one that cannot take 3-channel frames fails on its own."""
    from conftest import write_conv_onnx

    weights = tmp_path / "w"
    write_conv_onnx(weights / "good.onnx", in_channels=3)
    write_conv_onnx(weights / "needs4ch.onnx", in_channels=4)
    proc = run_cli("--weights_dir", weights, "--backend", "onnxruntime", *TINY, "--batch", "1,2", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr  # matrix completed, some run failed
    results = _results(tmp_path / "jetson_results")
    assert {k: r["status"] for k, r in results.items()} == {
        "good__onnxruntime__fp32__img64__b1": "ok", "good__onnxruntime__fp32__img64__b2": "ok",
        "needs4ch__onnxruntime__fp32__img64__b1": "failed", "needs4ch__onnxruntime__fp32__img64__b2": "failed"}
    bad = results["needs4ch__onnxruntime__fp32__img64__b1"]
    assert "error during measure" in bad["reason"] and "dimensions" in bad["reason"].lower()
    assert bad["evidence"]["traceback_tail"]
    assert "needs4ch__onnxruntime__fp32__img64__b1: failed" in proc.stdout
