"""Backends end to end on the CPU: fidelity against the FP32 reference, artifact reuse, backend priority,
refusal of another platform's TensorRT engine, modes that need CUDA, and torch.compile warm vs cold."""

import json
import shutil

import pytest

from conftest import TINY, load_json, run_cli, write_conv_onnx

pytestmark = pytest.mark.slow


def _results(out_dir):
    return {p.stem: load_json(p) for p in sorted((out_dir / "runs").glob("*.json"))}


def test_fidelity_figures_and_artifact_reuse(tmp_path):
    args = ["--models", "yolo11n", *TINY, "--batch", "1,2", "--channels_last"]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "jetson_results")
    assert set(results) == {"yolo11n__torch__fp32__img64__b1__channelslast", "yolo11n__torch__fp32__img64__b2__channelslast",
                            "yolo11n__onnxruntime__fp32__img64__b1", "yolo11n__onnxruntime__fp32__img64__b2"}
    for result in results.values():
        m = result["metrics"]
        assert result["status"] == "ok"
        assert 0 <= m["fidelity_max_abs_err"] < 1e-2 and m["fidelity_cos_sim_min"] > 0.9999
        assert result["fidelity"]["reference"] == "torch fp32 on the CPU" and len(result["fidelity"]["frames"]) == 4
        assert m["fidelity_box_match_pct"] is None and "no boxes" in result["unavailable"]["fidelity_box_match_pct"]
    assert results["yolo11n__torch__fp32__img64__b2__channelslast"]["runner"]["channels_last"] is True
    pre = tmp_path / "preprocessed_data"
    onnx = pre / "artifacts" / "yolo11n" / "yolo11n_img64.onnx"
    sidecar = json.loads((pre / "artifacts" / "yolo11n" / "yolo11n_img64.onnx.json").read_text())
    assert sidecar["source_sha256"] and sidecar["imgsz"] == 64 and sidecar["batch"] == "dynamic" and sidecar["ultralytics"]
    before = onnx.stat().st_mtime_ns
    again = run_cli(*args, "--skip_inference", cwd=tmp_path)
    assert again.returncode == 0 and onnx.stat().st_mtime_ns == before  # reused, not re-exported
    assert "reusing" in (tmp_path / "jetson_results" / "run.log").read_text()


def test_auto_backend_priority_and_cuda_only_modes(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "convnet.onnx")
    proc = run_cli("--models", "yolo11n", *TINY, "--preprocessed_dir", tmp_path / "pre", "--skip_inference", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shutil.copy(tmp_path / "pre" / "artifacts" / "yolo11n" / "yolo11n.pt", weights / "both.pt")
    write_conv_onnx(weights / "both.onnx")
    proc = run_cli("--weights_dir", weights, *TINY, "--cuda_graph", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "jetson_results")
    # auto: .onnx beats .pt for "both"; "convnet" has only an .onnx
    assert set(results) == {"both__onnxruntime__fp32__img64__b1", "convnet__onnxruntime__fp32__img64__b1"}
    assert results["convnet__onnxruntime__fp32__img64__b1"]["fidelity"]["reference"] == "onnxruntime fp32 on the CPU"
    proc = run_cli("--weights_dir", weights, "--backend", "torch", *TINY, "--cuda_graph", "--models", "both",
                   "--out_dir", tmp_path / "o2", cwd=tmp_path)
    (graph,) = _results(tmp_path / "o2").values()
    assert graph["run_id"].endswith("__cudagraph") and graph["status"] == "skipped"
    assert graph["reason"] == "CUDA graphs need a CUDA device"


def test_another_platforms_engine_is_refused_in_one_line(tmp_path):
    from harness.engines.engine_file import write_ultralytics_engine

    weights = tmp_path / "w"
    weights.mkdir()
    engine = write_ultralytics_engine(weights / "orin.engine", b"\x00plan-bytes-from-an-orin" * 10,
                                      {"imgsz": [64, 64], "batch": 1, "half": True})
    (weights / "orin.engine.json").write_text(json.dumps({"built_on": {
        "gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0", "l4t_release": "# R36 (release), REVISION: 4.3"}}))
    proc = run_cli("--weights_dir", weights, *TINY, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # nothing could be measured: the engine is not for here
    assert "not a model file" not in proc.stdout  # the engine's sidecar is read with it, not reported
    (result,) = _results(tmp_path / "jetson_results").values()
    assert result["run_id"] == "orin__tensorrt__fp32__img64__b1" and result["status"] == "skipped"
    assert result["reason"].startswith("orin.engine: built for Orin (compute 8.7, TensorRT 10.3.0), this is ")
    assert "rebuild with" in result["reason"] and "Traceback" not in proc.stdout + proc.stderr
    assert engine.is_file()


def test_torch_compile_warm_cache_from_phase_a_and_cold(tmp_path):
    """Phase A compiles once; Phase B's compile is served from that cache (inductor's counters say so) and is
    much faster than a cold compile of the same shape."""
    proc = run_cli("--models", "yolo11n", *TINY, "--backend", "torch_compile", cwd=tmp_path, timeout=1500)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("--models", "yolo11n", *TINY, "--backend", "torch_compile", "--compile_cache", "cold", cwd=tmp_path,
                   timeout=1500)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "jetson_results")
    warm = results["yolo11n__torch_compile__fp32__img64__b1"]
    cold = results["yolo11n__torch_compile__fp32__img64__b1__coldcache"]
    assert warm["status"] == cold["status"] == "ok"
    assert warm["runner"]["compile_cache"] == "warm" and cold["runner"]["compile_cache"] == "cold"
    assert warm["runner"]["cache_counters"].get("inductor.fxgraph_cache_hit", 0) > 0
    assert warm["runner"]["cache_counters"].get("inductor.fxgraph_cache_miss", 0) == 0
    assert cold["runner"]["cache_counters"].get("inductor.fxgraph_cache_miss", 0) > 0
    assert warm["metrics"]["compile_s"] < cold["metrics"]["compile_s"]
    assert warm["metrics"]["fidelity_max_abs_err"] < 1e-2


def test_depth_ground_truth_and_custom_accuracy_hook(tmp_path):
    """A dense model (Conv+Relu ONNX, output N x 1 x H x W) declared as depth and scored against ground-truth
    maps; AbsRel / RMSE / delta1 checked against an independent computation on the same preprocessed frames."""
    import json

    import numpy as np
    import onnxruntime as ort

    from conftest import random_image, write_image

    weights, source, gt = tmp_path / "w", tmp_path / "imgs", tmp_path / "gt"
    model = write_conv_onnx(weights / "dense.onnx", out_channels=1)
    (weights / "dense.model.json").write_text(json.dumps({"task": "depth"}))
    for i in range(3):
        write_image(source / f"im{i}.png", random_image(48, 80, seed=i))
    gt.mkdir()
    for i in range(2):  # ground truth for two of the three images only, at the original size
        np.save(gt / f"im{i}.npy", np.full((48, 80), 0.25, dtype=np.float32))
    proc = run_cli("--weights_dir", weights, "--source", f"image_dir={source}", *TINY, "--dense_gt", gt,
                   "--accuracy_hook", "tests.accuracy_hook_example:mean_output", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (result,) = _results(tmp_path / "jetson_results").values()
    frames = np.load(tmp_path / "preprocessed_data" / "frames" / "img64-stretch" / "images.npy")  # depth stretches
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    outputs = [session.run(None, {"images": frames[i:i + 1].astype(np.float32) / 255})[0][0, 0] for i in range(3)]
    # every ground-truth pixel is valid (0.25 m, stretched over the whole input): per-frame figures, averaged
    per_frame = [(np.mean(np.abs(np.maximum(o, 1e-9) - 0.25) / 0.25), np.sqrt(np.mean((np.maximum(o, 1e-9) - 0.25) ** 2)),
                  np.mean(np.maximum(np.maximum(o, 1e-9) / 0.25, 0.25 / np.maximum(o, 1e-9)) < 1.25)) for o in outputs[:2]]
    m = result["metrics"]
    assert m["depth_abs_rel"] == pytest.approx(np.mean([f[0] for f in per_frame]), rel=1e-4)
    assert m["depth_rmse"] == pytest.approx(np.mean([f[1] for f in per_frame]), rel=1e-4)
    assert m["depth_delta1"] == pytest.approx(np.mean([f[2] for f in per_frame]), abs=1e-6)
    assert result["accuracy"]["depth"]["frames_n"] == 2 and result["accuracy"]["depth"]["missing_ground_truth_n"] == 1
    assert m["hook_mean_output"] == pytest.approx(float(np.mean([o.mean() for o in outputs])), rel=1e-5)
    assert m["hook_frames_n"] == 3
    assert result["task"]["task"] == "depth" and "map50" not in m
