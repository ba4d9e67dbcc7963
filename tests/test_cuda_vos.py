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
