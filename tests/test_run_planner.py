from harness.phase_a.run_planner import plan_runs

CPU = {"resolved": "cpu", "cuda": False, "onnxruntime_cuda": False}
GPU_NO_ORT_CUDA = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
MODEL = {"name": "m", "artifacts": {"torch": "/m.pt", "onnxruntime": {"64/fp32": "/m64.onnx", "64/fp16": "/m64h.onnx"}}}


def by_id(planned):
    return {p.spec.run_id: p for p in planned}


def test_cpu_skips_fp16_and_keeps_artifacts():
    runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["fp32", "fp16"], [64], [1], CPU))
    assert runs["m__torch__fp32__img64__b1"].artifact == "/m.pt"
    assert runs["m__torch__fp32__img64__b1"].skip_status is None
    assert runs["m__onnxruntime__fp32__img64__b1"].artifact == "/m64.onnx"
    for run_id in ("m__torch__fp16__img64__b1", "m__onnxruntime__fp16__img64__b1"):
        assert runs[run_id].skip_status == "skipped" and "CUDA" in runs[run_id].skip_reason


def test_gpu_without_ort_cuda_skips_only_ort_fp16():
    runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["fp16"], [64], [1], GPU_NO_ORT_CUDA))
    assert runs["m__torch__fp16__img64__b1"].skip_status is None
    assert "execution provider" in runs["m__onnxruntime__fp16__img64__b1"].skip_reason


def test_missing_artifacts_are_named():
    onnx_only = {"name": "o", "artifacts": {"onnxruntime": {"any/fp32": "/o.onnx"}}, "onnx_input_shape": [1, 3, 64, 64]}
    runs = by_id(plan_runs([onnx_only], ["torch", "onnxruntime"], ["fp32"], [64, 128], [1, 2], CPU))
    assert "no PyTorch artifact" in runs["o__torch__fp32__img64__b1"].skip_reason
    assert runs["o__onnxruntime__fp32__img64__b1"].skip_status is None
    assert "fixed batch of 1" in runs["o__onnxruntime__fp32__img64__b2"].skip_reason
    assert "fixed input of 64x64" in runs["o__onnxruntime__fp32__img128__b1"].skip_reason
