"""trtexec side by side: its output parsed from recorded TensorRT 8.5 and 10.x samples (tests/data/trtexec/, from
the project's reference samples; line shapes real, numbers illustrative), malformed and truncated input, the
commands asked of it, and the check end to end — a real child process running a stand-in trtexec
(tests/fake_trtexec.py, since TensorRT cannot be installed here) on a real result file, whose measurement the
check never changes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.engines.trtexec_command import TRTEXEC_ENV, engine_is_dynamic, find_trtexec, pass_commands
from harness.engines.trtexec_output import (parse_export_profile, parse_export_times, parse_perf_summary,
                                            tensorrt_version)
from harness.measure.metric_catalog import BY_NAME
from harness.measure.trtexec_comparison import TRTEXEC_FIGURES, side_by_side
from harness.records.results import read_result, result_path, write_result
from harness.parent.trtexec_check import check_tensorrt_runs

DATA = Path(__file__).resolve().parent / "data" / "trtexec"
FAKE = Path(__file__).resolve().parent / "fake_trtexec.py"


def test_the_trt10_summary_gives_every_figure_with_its_percentiles_warnings_and_verdict():
    s = parse_perf_summary((DATA / "trtexec_perf_summary_trt10.txt").read_text())
    assert s.throughput_qps == 457.816 and s.host_walltime_s == 3.00557 and s.gpu_compute_total_s == 2.94348
    assert set(s.figures) == {"latency", "enqueue_time", "h2d_latency", "gpu_compute_time", "d2h_latency"}
    compute = s.figures["gpu_compute_time"]
    assert (compute.min, compute.median, compute.percentiles) == (2.10254, 2.13574,
                                                                 {"90": 2.15234, "95": 2.15918, "99": 2.18164})
    assert s.passed is True and s.tensorrt_version == "10.3.0" and "--useCudaGraph" in s.command
    assert s.warnings == ["GPU compute time is unstable, with coefficient of variance = 1.32%. If not already in use, "
                          "locking GPU clock frequency or adding --useSpinWait may improve the stability."]
    assert s.malformed_lines == []


def test_the_trt85_summary_and_its_enqueue_bound_warning():
    s = parse_perf_summary((DATA / "trtexec_perf_summary_trt85.txt").read_text())
    assert s.tensorrt_version == "8.5.2" and s.figures["latency"].median == 5.1738
    assert s.warnings[0].startswith("Throughput may be bound by Enqueue Time")
    assert [tensorrt_version(d) for d in ("100300", "8502", "8601", "101300")] == ["10.3.0", "8.5.2", "8.6.1",
                                                                                   "10.13.0"]


def test_malformed_truncated_and_failed_output_is_counted_never_fatal():
    text = (DATA / "trtexec_perf_summary_trt10.txt").read_text().splitlines()
    broken = text[:3] + ["[12/01/2026-10:00:00] [I] Latency: min = 2.1 ms, max = garbage",
                         "[12/01/2026-10:00:00] [I] Throughput: fast qps",
                         text[6][:60]]  # cut mid-line, as a killed trtexec leaves it
    s = parse_perf_summary("\n".join(broken))
    assert "latency" not in s.figures and s.throughput_qps is None and s.passed is None
    assert len(s.malformed_lines) == 3 and s.figures == {}  # a figure with only its min is not a figure
    failed = parse_perf_summary("&&&& FAILED TensorRT.trtexec [TensorRT v8502] # trtexec --loadEngine=x")
    assert failed.passed is False and failed.tensorrt_version == "8.5.2"
    old = parse_perf_summary("[01/01/2021-10:00:00] [I] Average on 10 runs - GPU latency: 6.32176 ms - Host latency: "
                             "6.44522 ms (end to end 12.4829 ms, enqueue 1.09462 ms)")
    assert old.figures["gpu_compute_time"].mean == 6.32176 and old.figures["latency"].mean == 6.44522


def test_export_times_in_both_spellings_and_cut_short():
    times = parse_export_times((DATA / "trtexec_export_times_excerpt.json").read_text())
    assert times["compute_ms"] == [2.139, 2.136, 2.137] and times["queries_n"] == 3 and not times["truncated"]
    assert times["enqueue_ms"][0] == pytest.approx(0.031)
    old = json.dumps([{"startInMs": 0, "endInMs": 0.1, "inMs": 0.1, "computeMs": 2.0, "outMs": 0.05,
                       "latencyMs": 2.15}, {"latencyMs": 1.0}])
    parsed = parse_export_times(old)
    assert parsed["h2d_ms"] == [0.1] and parsed["d2h_ms"] == [0.05] and parsed["records_skipped_n"] == 1
    cut = (DATA / "trtexec_export_times_excerpt.json").read_text()
    cut = cut[:cut.rindex("{")]  # the last record never written
    parsed = parse_export_times(cut)
    assert parsed["queries_n"] == 2 and parsed["truncated"] is True
    assert parse_export_times("") ["queries_n"] == 0


def test_the_layer_profile_is_sorted_by_time():
    text = json.dumps([{"count": 10}, {"name": "small", "timeMs": 1.0, "averageMs": 0.1, "percentage": 10},
                       {"name": "big", "timeMs": 9.0, "averageMs": 0.9, "percentage": 90}, {"timeMs": 3}])
    assert [layer["name"] for layer in parse_export_profile(text)] == ["big", "small"]


def test_the_commands_match_the_run_and_ask_for_shapes_only_of_a_dynamic_engine(tmp_path):
    static = pass_commands("trtexec", "e.engine", "images", 8, 416, 416, True, 3.0, False, tmp_path)
    assert "--useCudaGraph" in static["with_transfers"] and not any(a.startswith("--shapes") for a in static["compute_only"])
    assert "--noDataTransfers" in static["compute_only"] and "--noDataTransfers" not in static["with_transfers"]
    assert f"--exportTimes={tmp_path / 'times_compute_only.json'}" in static["compute_only"]
    dynamic = pass_commands("trtexec", "e.engine", "images", 8, 384, 640, False, 0.0, True, tmp_path)
    assert "--shapes=images:8x3x384x640" in dynamic["with_transfers"] and "--duration=1" in dynamic["with_transfers"]
    assert engine_is_dynamic({"batch": {"min": 1, "opt": 8, "max": 8}}) and not engine_is_dynamic(
        {"batch": {"min": 8, "opt": 8, "max": 8}}) and not engine_is_dynamic(None)


def test_every_trtexec_figure_is_defined_once_with_its_unit():
    assert all(name in BY_NAME for name in TRTEXEC_FIGURES)
    record = {"passes": {"with_transfers": {"summary": {"throughput_qps": 100.0, "figures": {
        "latency": {"median": 2.0, "percentiles": {"99": 2.5}}}}},
        "compute_only": {"summary": {"figures": {"gpu_compute_time": {"median": 1.5}}}}}}
    figures = side_by_side({"latency_ms_p50": 3.0, "gpu_compute_ms_p50": 1.6}, record, 4)
    assert figures == {"trtexec_latency_ms_median": 2.0, "trtexec_latency_ms_p99": 2.5,
                       "trtexec_gpu_compute_ms_median": 1.5, "trtexec_throughput_img_per_s": 400.0,
                       "harness_over_trtexec_latency_ratio": 1.5,
                       "harness_over_trtexec_gpu_compute_ratio": pytest.approx(1.6 / 1.5)}


@pytest.fixture
def tensorrt_result(tmp_path):
    """A real ok result on disk, as a tensorrt run writes it (the measurement part is what the check must keep)."""
    result = {"run_id": "m__tensorrt__fp16__img416__b1", "status": "ok", "reason": None,
              "run": {"model": "m", "backend": "tensorrt", "precision": "fp16", "imgsz": 416, "batch": 1,
                      "artifact": str(tmp_path / "m.engine")},
              "input": {"name": "images", "height": 416, "width": 416}, "runner": {"cuda_graph": True},
              "metrics": {"latency_ms_p50": 3.1, "gpu_compute_ms_p50": 2.2}, "samples": {"latency_ms": [3.0, 3.2]},
              "unavailable": {}}
    write_result(tmp_path / "out", result)
    return tmp_path / "out", result


def _check(out_dir, monkeypatch, trtexec):
    if trtexec:
        monkeypatch.setenv(TRTEXEC_ENV, str(trtexec))
    else:
        monkeypatch.delenv(TRTEXEC_ENV, raising=False)
        monkeypatch.setenv("PATH", "/nonexistent")
    lines = []
    with open(out_dir / "run.log", "a") as log:
        checked = check_tensorrt_runs(["m__tensorrt__fp16__img416__b1"], out_dir, 0.0, False, log, lines.append)
    return checked, lines, read_result(result_path(out_dir, "m__tensorrt__fp16__img416__b1"))


def _stand_in(tmp_path) -> Path:
    script = tmp_path / "trtexec"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE} \"$@\"\n")
    script.chmod(0o755)
    return script


def test_the_check_runs_trtexec_in_a_child_and_puts_its_figures_beside_ours(tensorrt_result, tmp_path, monkeypatch):
    out_dir, before = tensorrt_result
    checked, lines, after = _check(out_dir, monkeypatch, _stand_in(tmp_path))
    assert checked == 1 and "harness p50 / trtexec median latency = 1.39" in lines[0]
    assert after["metrics"]["trtexec_latency_ms_median"] == 2.22656
    assert after["metrics"]["trtexec_gpu_compute_ms_median"] == 2.13574  # the --noDataTransfers pass
    assert after["metrics"]["trtexec_throughput_img_per_s"] == 457.816
    assert after["metrics"]["harness_over_trtexec_latency_ratio"] == pytest.approx(3.1 / 2.22656)
    assert {k: after["metrics"][k] for k in before["metrics"]} == before["metrics"] and after["samples"] == before["samples"]
    passes = after["trtexec"]["passes"]
    assert "--useCudaGraph" in passes["with_transfers"]["argv"] and passes["with_transfers"]["times"]["queries_n"] == 3
    assert passes["with_transfers"]["profile_top"][0]["name"] == "conv1" and after["trtexec"]["gap_explanation"]
    assert _check(out_dir, monkeypatch, _stand_in(tmp_path))[0] == 0  # checked once; --force checks again


def test_without_trtexec_the_columns_are_empty_with_the_reason(tensorrt_result, monkeypatch):
    out_dir, before = tensorrt_result
    _, _, after = _check(out_dir, monkeypatch, None)
    assert "trtexec not found" in after["trtexec"]["unavailable"]
    assert all("trtexec not found" in after["unavailable"][name] for name in TRTEXEC_FIGURES)
    assert after["metrics"] == before["metrics"]
    assert find_trtexec()[0] is None


def test_a_trtexec_that_crashes_is_recorded_and_the_measurement_stays(tensorrt_result, tmp_path, monkeypatch):
    out_dir, before = tensorrt_result
    monkeypatch.setenv("FAKE_TRTEXEC_MODE", "fail")
    _, _, after = _check(out_dir, monkeypatch, _stand_in(tmp_path))
    problems = after["trtexec"]["problems"]
    assert len(problems) == 2 and "exited 1 without a PASSED line" in problems[0]
    assert "exited 1" in after["unavailable"]["trtexec_latency_ms_median"]
    assert after["metrics"] == before["metrics"] and after["status"] == "ok"


def test_only_whole_model_tensorrt_runs_are_checked_with_trtexec():
    """A video model's TensorRT run has only its image encoder as an engine (its artifact is a model card): no
    trtexec pass is asked for it; an image model's measured TensorRT run is checked once unless forced."""
    from harness.parent.trtexec_check import wants_check

    image = {"run": {"backend": "tensorrt"}, "status": "ok", "task": {"task": "detect"}}
    video = {"run": {"backend": "tensorrt"}, "status": "ok", "task": {"task": "vos"}}
    assert wants_check(image, False) and not wants_check(video, False) and not wants_check(video, True)
    assert not wants_check({**image, "trtexec": {}}, False) and wants_check({**image, "trtexec": {}}, True)
    assert not wants_check({**image, "status": "skipped"}, True)
    assert not wants_check({**image, "run": {"backend": "onnxruntime"}}, True)
