"""INT8 by explicit quantization: Phase A writes Q/DQ ONNX models with ONNX Runtime's static quantization on the
preprocessed frames (u8s8 for ONNX Runtime, symmetric s8s8 for TensorRT), int8 runs on ONNX Runtime's CPU provider
measure speed, fidelity and accuracy, every int8 result records its calibration, and the summary judges the drop
against the fp32 run of the same model. Real end to end on the shipped trained yolo11n."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import load_json, run_cli
from harness.data.default_weights import SHIPPED_WEIGHTS_DIR
from harness.engines.calibration import int8_build_path
from harness.engines.qdq_quantize import FrameFeed, graph_nodes, plan_fingerprint, stride_for
from harness.report.int8_deltas import add_int8_columns, int8_against_fp32
from harness.tasks.registry import make_task
from harness.tasks.task_settings import TaskSettings


def test_the_stride_divides_the_frames_and_stays_small():
    assert [stride_for(n) for n in (1, 7, 16, 64, 500, 97)] == [1, 7, 16, 16, 10, 1]
    with pytest.raises(ValueError):
        stride_for(0)


def test_tensorrt_builds_int8_explicitly_from_10_and_implicitly_on_8_where_it_has_the_calibrator():
    assert int8_build_path("10.3.0", "minmax") == "explicit"
    assert int8_build_path("8.5.2.2", "minmax") == "implicit"
    assert int8_build_path("8.6.1", "entropy") == "implicit"
    assert int8_build_path("8.5.2", "percentile") == "explicit"  # 8.x has no percentile calibrator
    assert int8_build_path(None, "minmax") == "explicit"


def test_the_feed_serves_each_frame_of_its_range_once():
    loaders = [lambda i=i: np.full((1, 3, 2, 2), i, np.float32) for i in range(5)]
    feed = FrameFeed("images", loaders)
    feed.set_range(1, 3)
    got = [feed.get_next(), feed.get_next(), feed.get_next()]
    assert [float(g["images"][0, 0, 0, 0]) for g in got[:2]] == [1.0, 2.0] and got[2] is None
    assert len(feed) == 5 and feed.frames_fed == 2


def test_the_frames_fingerprint_names_the_frames_not_their_folder():
    plan = [("/a/frames/img416/seq.npy", 0), ("/a/frames/img416/seq.npy", 3)]
    moved = [("/b/frames/img416/seq.npy", 0), ("/b/frames/img416/seq.npy", 3)]
    assert plan_fingerprint(plan) == plan_fingerprint(moved) != plan_fingerprint(plan[:1])


def test_a_classifier_keeps_only_its_final_softmax_in_float():
    task = make_task(TaskSettings(task="classify"))
    assert task.int8_float_nodes([("c", "Conv"), ("g", "Gemm"), ("s", "Softmax")])[0] == ["s"]
    assert task.int8_float_nodes([("c", "Conv"), ("g", "Gemm")])[0] == []


def test_the_int8_columns_compare_with_the_fp32_run_of_the_same_configuration():
    fp32 = {"model": "m", "backend": "onnxruntime", "variant": "", "imgsz": "416", "batch": 1, "precision": "fp32",
            "status": "ok", "map50_95": 0.60, "fidelity_box_match_pct": 100.0, "latency_ms_p50": 16.0}
    int8 = {**fp32, "precision": "int8", "map50_95": 0.57, "fidelity_box_match_pct": 88.0, "latency_ms_p50": 12.0,
            "int8_max_accuracy_drop": 0.02}
    other_batch = {**int8, "batch": 8}
    rows = add_int8_columns([dict(fp32), dict(int8), dict(other_batch)])
    assert rows[1]["int8_accuracy_figure"] == "map50_95"
    assert rows[1]["int8_accuracy_drop"] == pytest.approx(0.03) and rows[1]["int8_accuracy_flag"] is True
    assert rows[1]["int8_fidelity_delta"] == pytest.approx(-12.0) and rows[1]["int8_speedup"] == pytest.approx(4 / 3)
    assert rows[0]["int8_accuracy_drop"] is None and rows[2]["int8_accuracy_drop"] is None  # no fp32 at batch 8
    within = int8_against_fp32({**int8, "map50_95": 0.59}, fp32)
    assert within["int8_accuracy_flag"] is False
    top1 = int8_against_fp32({**int8, "map50_95": None, "top1_acc": 0.7}, {**fp32, "map50_95": None, "top1_acc": 0.8})
    assert top1["int8_accuracy_figure"] == "top1_acc" and top1["int8_accuracy_drop"] == pytest.approx(0.1)


@pytest.fixture(scope="module")
def int8_run(tmp_path_factory):
    """fp32 and int8 on ONNX Runtime (and tensorrt, which this machine skips but whose Q/DQ model Phase A still
    writes) for the shipped trained yolo11n, judged with a 0 limit so any drop is flagged."""
    root = tmp_path_factory.mktemp("int8")
    proc = run_cli("--weights_dir", SHIPPED_WEIGHTS_DIR, "--models", "yolo11n", "--backend", "onnxruntime,tensorrt",
                   "--precision", "fp32,int8", "--calib_images", "16", "--int8_max_map_drop", "0",
                   "--warmup", "1", "--iters", "5", "--min_duration_s", "0", "--out_dir", root / "out",
                   "--preprocessed_dir", root / "pre", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc.stdout


@pytest.mark.slow
def test_an_int8_run_measures_speed_fidelity_and_accuracy_with_its_calibration_recorded(int8_run):
    root, stdout = int8_run
    result = load_json(root / "out" / "runs" / "yolo11n__onnxruntime__int8__img416__b1.json")
    fp32 = load_json(root / "out" / "runs" / "yolo11n__onnxruntime__fp32__img416__b1.json")
    assert result["status"] == "ok" and result["runner"]["providers"] == ["CPUExecutionProvider"]
    calibration = result["calibration"]
    assert calibration["flavour"] == "u8s8" and calibration["method"] == "minmax"
    assert calibration["frames_used"] == 16 and len(calibration["frames_fingerprint"]) == 16
    assert calibration["float_nodes_n"] == len(calibration["float_nodes"]) > 0
    assert all(n.startswith("/model.23/") and "/cv2" not in n for n in calibration["float_nodes"])
    assert calibration["max_accuracy_drop"] == 0.0 and "300 are recommended" in calibration["warning"]
    metrics = result["metrics"]
    assert metrics["fidelity_informative"] is True and metrics["map50_95"] > 0.3
    assert metrics["fidelity_max_abs_err"] > 100 * fp32["metrics"]["fidelity_max_abs_err"]  # int8 is not fp32
    assert metrics["fidelity_box_match_pct"] >= 80.0 and result["fidelity"]["fidelity_gate"] == (
        "fidelity_box_match_pct >= 80")
    assert result["identity"]["artifact_sha256"] != fp32["identity"]["artifact_sha256"]
    summary = pd.read_csv(root / "out" / "jetson_benchmark_summary.csv")
    row = summary[summary["run_id"] == result["run_id"]].iloc[0]
    assert row["int8_accuracy_figure"] == "map50_95" and row["int8_max_accuracy_drop"] == 0.0
    assert row["int8_accuracy_drop"] == pytest.approx(fp32["metrics"]["map50_95"] - metrics["map50_95"])
    if row["int8_accuracy_drop"] > 0:
        assert bool(row["int8_accuracy_flag"]) and "OVER int8 accuracy drop" in stdout


@pytest.mark.slow
def test_the_symmetric_qdq_model_for_tensorrt_is_written_and_runs_here(int8_run):
    import onnxruntime as ort

    root, _ = int8_run
    artifacts = root / "pre" / "artifacts" / "yolo11n"
    qdq, fp32 = artifacts / "yolo11n_img416_int8_s8s8.onnx", artifacts / "yolo11n_img416.onnx"
    nodes = graph_nodes(str(qdq))
    assert sum(op == "QuantizeLinear" for _, op in nodes) > 50
    import onnx

    graph = onnx.load(str(qdq)).graph
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    zero_points = [initializers[n.input[2]] for n in graph.node if n.op_type == "DequantizeLinear"]
    assert zero_points and all(z.dtype == np.int8 and not z.any() for z in zero_points)  # symmetric int8 only
    weights = [initializers[n.input[0]] for n in graph.node if n.op_type == "QuantizeLinear" and n.input[0] in initializers]
    assert weights and all(w.dtype == np.float32 for w in weights)  # float weights behind Q/DQ pairs, as TensorRT 8 wants
    frames = np.load(next((root / "pre" / "frames").rglob("*.npy")), mmap_mode="r")[:2].astype(np.float32) / 255
    outputs = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"images": frames})[0]
               for p in (fp32, qdq)]
    a, b = outputs[0].ravel(), outputs[1].ravel()
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.99
    tensorrt = load_json(root / "out" / "runs" / "yolo11n__tensorrt__int8__img416__b1.json")
    assert tensorrt["status"] == "skipped"


def test_a_tensorrt_int8_engine_is_built_from_the_symmetric_qdq_model_on_10_and_calibrated_on_8(tmp_path):
    from harness.settings.options import Options
    from harness.phase_a.engine_preparation import _int8_input

    qdq = tmp_path / "m_img416_int8_s8s8.onnx"
    qdq.write_bytes(b"qdq")
    model = {"int8": {"416/s8s8": {"path": str(qdq), "method": "minmax", "frames_used": 64,
                                   "frames_fingerprint": "ab" * 8}}}
    opts = Options(int8_calibration="minmax")
    implicit = {"algorithm": "minmax", "plan": [["f.npy", 0]]}
    source, sha, calibration, problem = _int8_input(model, 416, opts, {"tensorrt": "10.3.0"}, "fp32.onnx", "f" * 64,
                                                    lambda: implicit)
    assert (source, problem, calibration["int8_path"], calibration["explicit"]) == (str(qdq), None, "explicit", True)
    assert sha != "f" * 64
    source, sha, calibration, _ = _int8_input(model, 416, opts, {"tensorrt": "8.5.2.2"}, "fp32.onnx", "f" * 64,
                                              lambda: implicit)
    assert (source, sha, calibration["int8_path"], calibration["plan"]) == ("fp32.onnx", "f" * 64, "implicit",
                                                                           [["f.npy", 0]])
    refused = {"int8": {"416/s8s8": {"refused": "no fp32 ONNX to quantize"}}}
    assert _int8_input(refused, 416, opts, {"tensorrt": "10.3.0"}, "x", "y", lambda: implicit)[3] == (
        "int8 (explicit quantization): no fp32 ONNX to quantize")


def test_an_explicit_engine_names_its_scales_by_the_frames_and_warns_only_about_too_few():
    from harness.engines.engine_builds import NO_CALIBRATION_WARNING, calibration_identity, calibration_note

    explicit = {"explicit": True, "method": "percentile", "frames_used": 64, "frames_fingerprint": "cd" * 8}
    assert calibration_identity(explicit) == {"key": "cd" * 8, "algorithm": "percentile", "images": 64,
                                              "random": False, "explicit": True}
    note = calibration_note("int8", explicit)
    assert note != NO_CALIBRATION_WARNING and "64 images" in note
