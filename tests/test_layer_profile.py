"""--layer_profile: where the time goes, from each backend's own profiler in untimed passes after the measured
ones — ONNX Runtime's session profile of a real tiny model, and end to end torch.profiler and ONNX Runtime on
real runs, with the report's table; TensorRT's per-layer reports reduced the same way."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_cli, write_conv_onnx
from harness.measure.layer_profile import ort_profile_entries, tensorrt_profile_entries, top_entries


def test_the_top_entries_carry_their_share_of_the_total():
    entries = [{"name": f"l{i}", "op": "Conv", "total_ms": float(i), "calls": 1} for i in range(1, 21)]
    top = top_entries(entries, n=15)
    assert [e["name"] for e in top["top"][:2]] == ["l20", "l19"] and len(top["top"]) == 15
    assert top["total_ms"] == 210.0 and top["top"][0]["share_pct"] == pytest.approx(20 / 210 * 100)
    assert sum(e["share_pct"] for e in top["top"]) + top["other_share_pct"] == pytest.approx(100.0)
    assert top_entries([])["top"] == [] and top_entries([])["other_share_pct"] is None


def test_onnx_runtime_s_own_profile_of_a_real_model_is_read_per_node(tmp_path):
    import onnxruntime as ort

    model = write_conv_onnx(tmp_path / "conv.onnx")
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(tmp_path / "p")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    for _ in range(3):
        session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 32, 32), np.float32)})
    entries = ort_profile_entries(open(session.end_profiling()).read())
    assert {e["op"] for e in entries} >= {"Conv"} and all(e["calls"] == 3 and e["total_ms"] > 0 for e in entries)
    assert ort_profile_entries("") == []


def test_tensorrt_layer_reports_sum_per_layer():
    entries = tensorrt_profile_entries({"conv1": 3.0, "head": 1.0}, {"conv1": 10, "head": 10})
    assert top_entries(entries)["top"][0] == {"name": "conv1", "op": None, "total_ms": 3.0, "calls": 10,
                                              "share_pct": 75.0}


@pytest.mark.slow
def test_a_profiled_run_keeps_its_figures_and_reports_its_top_operators(shared_setup, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--backend", "torch,onnxruntime", "--warmup", "1",
                   "--iters", "5", "--min_duration_s", "0", "--layer_profile", "--out_dir", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for backend, source in (("torch", "torch.profiler"), ("onnxruntime", "ONNX Runtime session profiling")):
        result = json.loads(next((out / "runs").glob(f"yolo11n__{backend}__*.json")).read_text())
        profile = result["layer_profile"]
        assert result["status"] == "ok" and profile["source"].startswith(source) and profile["passes"] == 10
        assert 0 < len(profile["top"]) <= 15 and profile["total_ms"] > 0
        assert sum(e["share_pct"] for e in profile["top"]) + profile["other_share_pct"] == pytest.approx(100.0)
        assert result["identity"]["measurement"]["layer_profile"] is True and result["metrics"]["latency_ms_p50"] > 0
    report = (out / "report.md").read_text()
    assert "## Where the time goes (--layer_profile)" in report and "aten::" in report
