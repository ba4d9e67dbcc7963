"""On a CUDA device: the video models in fp16 and bf16 under the emulated Orin Nano budget, through the real CLI on
the generated split at a small input. The cleanup between videos returns the torch allocator to where it was (the
drift is below 1 MiB), and every video has its own allocator peak. Skipped without CUDA (CI has none)."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

from conftest import load_json, run_cli  # noqa: E402


def test_video_models_in_fp16_and_bf16_under_the_orin_nano_budget(tmp_path):
    proc = run_cli("--models", "sam2.1_hiera_tiny,edgetam", "--prompt", "points,bbox", "--precision", "fp32,fp16,bf16",
                   "--imgsz", "256", "--profile", "orin-nano-8gb", "--warmup", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = [load_json(p) for p in sorted((tmp_path / "jetson_results" / "runs").glob("*.json"))]
    assert len(results) == 12 and {r["status"] for r in results} == {"ok"}, [(r["run_id"], r["reason"]) for r in results]
    for result in results:
        metrics = result["metrics"]
        assert abs(metrics["start_memory_drift_mb"]) < 1.0, (result["run_id"], metrics["start_memory_drift_mb"])
        assert result["memory_budget"]["limit_type"] == "hard" and metrics["budget_violations_n"] == 0
        assert all(v["peaks"]["peak_torch_alloc_mb"] > v["start_memory"]["torch_alloc_mb"] for v in result["videos"])
        assert metrics["peak_torch_alloc_mb"] == pytest.approx(max(v["peaks"]["peak_torch_alloc_mb"]
                                                                   for v in result["videos"]))
        assert result["runner"]["dtype"] == {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}[result["run"]["precision"]]
        assert 0 <= metrics["j_and_f"] <= 1


def test_the_image_encoder_on_onnx_runtimes_cuda_provider_in_fp32_and_fp16(tmp_path):
    """The exported encoder on the CUDA provider (IO binding, no host round trip), fp32 and its fp16 copy, beside
    torch: every run ok, the provider recorded, the masks checked against the torch encoder's in the run."""
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this onnxruntime has no CUDA provider (onnxruntime-gpu)")
    from harness.data.synthetic_vos import generate_vos_split

    split = generate_vos_split(tmp_path / "sav", videos=1, frames=24, size=(240, 320))
    proc = run_cli("--split_dir", split, "--models", "sam2.1_hiera_tiny", "--backend", "torch,onnxruntime",
                   "--precision", "fp32,fp16", "--imgsz", "256", "--warmup", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {(r["run"]["backend"], r["run"]["precision"]): r
               for r in map(load_json, sorted((tmp_path / "jetson_results" / "runs").glob("*.json")))}
    assert set(results) == {("torch", "fp32"), ("torch", "fp16"), ("onnxruntime", "fp32"), ("onnxruntime", "fp16")}
    for (backend, precision), result in results.items():
        assert result["status"] == "ok", (backend, precision, result["reason"])
        if backend == "onnxruntime":
            assert result["runner"]["image_encoder"]["providers"][0] == "CUDAExecutionProvider"
            assert result["metrics"]["encoder_check_frames_n"] == 24
            assert result["metrics"]["encoder_mask_iou_mean"] > 0.9, result["encoder_check"]
