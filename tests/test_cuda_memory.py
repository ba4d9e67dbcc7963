"""On a CUDA device: a hard budget, clean peaks, a real OOM recorded as skipped_oom. Skipped without CUDA."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

from conftest import load_json, run_cli  # noqa: E402


def test_budgeted_run_on_cuda(tmp_path):
    proc = run_cli("--models", "yolo11n", "--backend", "torch", "--precision", "fp16", "--imgsz", "640",
                   "--batch", "1,512", "--gpu_mem_limit_gb", "2", "--iters", "5", "--warmup", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = tmp_path / "jetson_results" / "runs"
    ok = load_json(runs / "yolo11n__torch__fp16__img640__b1.json")
    assert ok["status"] == "ok" and ok["memory_budget"]["limit_type"] == "hard"
    m = ok["metrics"]
    assert 0 < m["peak_torch_alloc_mb"] <= m["peak_torch_reserved_mb"] <= 2048
    assert m["baseline_torch_alloc_mb"] == 0
    big = load_json(runs / "yolo11n__torch__fp16__img640__b512.json")
    assert big["status"] == "skipped_oom", big["reason"]
