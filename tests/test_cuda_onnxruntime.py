"""On a CUDA device with onnxruntime-gpu: ONNX Runtime's CUDA provider like for like with torch (the same uint8
input path, fp32 and fp16), and the Q/DQ int8 model on that provider, through the real CLI on the trained default
yolo11n. Skipped without CUDA or without the CUDA provider (CI has neither); run with ``pytest -m cuda``."""

import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytestmark = [pytest.mark.cuda, pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
              pytest.mark.skipif("CUDAExecutionProvider" not in ort.get_available_providers(),
                                 reason="needs onnxruntime-gpu (the CUDA execution provider)")]

from conftest import REPO, load_json, run_cli  # noqa: E402


def test_onnxruntime_cuda_runs_like_torch_and_int8_keeps_its_accuracy(tmp_path):
    out = run_cli("--weights_dir", REPO / "weights" / "default", "--models", "yolo11n", "--imgsz", "416",
                  "--backend", "torch,onnxruntime", "--precision", "fp32,fp16,int8", "--batch", "2", "--iters", "30",
                  "--warmup", "5", "--min_duration_s", "0", "--probe_batch", "off", "--calib_images", "32",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    results = {p.stem: load_json(p) for p in sorted((tmp_path / "jetson_results" / "runs").glob("*.json"))}
    ort_runs = {k: r for k, r in results.items() if "__onnxruntime__" in k}
    assert {r["status"] for r in ort_runs.values()} == {"ok"}, {k: r.get("reason") for k, r in ort_runs.items()}
    for result in ort_runs.values():  # the CUDA provider ran it, never the TensorRT one listed first
        assert result["runner"]["providers"][0] == "CUDAExecutionProvider", result["runner"]
        assert result["runner"]["execution_device"].startswith("cuda"), result["runner"]
        assert result["metrics"]["fidelity_pass"] is True, result["metrics"]
    fp32 = ort_runs["yolo11n__onnxruntime__fp32__img416__b2"]["metrics"]
    torch_fp32 = results["yolo11n__torch__fp32__img416__b2"]["metrics"]
    assert fp32["fidelity_max_abs_err"] < 0.01 and torch_fp32["fidelity_max_abs_err"] < 0.01
    assert abs(fp32["map50_95"] - torch_fp32["map50_95"]) < 0.005  # the same model, the same frames
    int8 = ort_runs["yolo11n__onnxruntime__int8__img416__b2"]
    assert int8["calibration"]["frames_used"] == 32
    assert abs(int8["metrics"]["map50_95"] - fp32["map50_95"]) < 0.02, (int8["metrics"], fp32)
