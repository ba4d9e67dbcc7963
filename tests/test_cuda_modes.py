"""On a CUDA device: GPU compute timing, CUDA graph replay, multi-stream, --e2e, fp16 fidelity and NVML telemetry,
through the real CLI on a tiny input. Skipped without CUDA (CI has none); run with ``pytest -m cuda``."""

import json

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

from conftest import load_json, run_cli  # noqa: E402

COMMON = ("--models", "yolo11n", "--backend", "torch", "--precision", "fp16", "--imgsz", "64", "--batch", "2",
          "--iters", "40", "--warmup", "5", "--min_duration_s", "0", "--probe_batch", "off")


def test_gpu_timing_modes_and_fidelity(tmp_path):
    first = run_cli(*COMMON, "--streams", "1,2", "--e2e", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    graph = run_cli(*COMMON, "--cuda_graph", cwd=tmp_path)
    assert graph.returncode == 0, graph.stdout + graph.stderr
    out = tmp_path / "jetson_results"
    results = {p.stem: load_json(p) for p in sorted((out / "runs").glob("*.json"))}
    assert {r["status"] for r in results.values()} == {"ok"}, {k: (r["status"], r.get("reason")) for k, r in results.items()}
    single = {k: r for k, r in results.items() if "streams2" not in k}
    multi = [r for k, r in results.items() if "streams2" in k]
    graphs = [r for k, r in results.items() if "cudagraph" in k]
    eager = [r for k, r in single.items() if "cudagraph" not in k]
    assert multi and graphs and eager, sorted(results)

    for result in single.values():  # CUDA events around the model's work, inside the host's clock
        m = result["metrics"]
        assert 0 < m["gpu_compute_ms_p50"] <= m["latency_ms_p50"], m
        assert len(result["samples"]["gpu_compute_ms"]) == len(result["samples"]["latency_ms"]) >= 40
        assert m["fidelity_cos_sim_min"] > 0.999 and m["fidelity_max_abs_err"] < 0.05, m
    for result in multi:  # kernels of two streams overlap: no per-batch GPU time, and the reason says so
        assert result["metrics"]["gpu_compute_ms_p50"] is None
        assert "streams" in result["unavailable"]["gpu_compute_ms_p50"]
        assert result["runner"]["streams"] == 2
    # at imgsz 64 the eager model is launch-bound: replaying the captured graph must be clearly faster on the GPU
    eager_gpu = min(r["metrics"]["gpu_compute_ms_p50"] for r in eager)
    assert graphs[0]["runner"]["cuda_graph"] is True
    assert graphs[0]["metrics"]["gpu_compute_ms_p50"] < 0.8 * eager_gpu, (graphs[0]["metrics"], eager_gpu)
    with_e2e = [r for k, r in results.items() if "e2e" in k]
    assert with_e2e
    for result in with_e2e:
        m = result["metrics"]
        assert m["e2e_ms_p50"] > 0 and m["preprocess_ms_p50"] > 0 and m["postprocess_ms_p50"] > 0, m
        assert m["e2e_ms_p50"] >= m["inference_ms_p50"], m

    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert any(line.get("source") == "nvml" and "info" in line for line in lines), lines[:5]


def test_math_mode_pipeline_and_pacing_on_cuda(tmp_path):
    """fp32 is strict fp32 and tf32 its own run; --pipeline 2 keeps two batches in flight with its own figures;
    a paced run on the GPU measures from each arrival."""
    args = ("--models", "yolo11n", "--backend", "torch", "--imgsz", "64", "--batch", "2", "--iters", "40",
            "--warmup", "5", "--min_duration_s", "0", "--probe_batch", "off")
    proc = run_cli(*args, "--precision", "fp32,tf32", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    piped = run_cli(*args, "--precision", "fp16", "--pipeline", "1,2", "--arrival_fps", "0,100", cwd=tmp_path)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    runs = {p.stem: load_json(p) for p in sorted((tmp_path / "jetson_results" / "runs").glob("*.json"))}
    fp32, tf32 = runs["yolo11n__torch__fp32__img64__b2"], runs["yolo11n__torch__tf32__img64__b2"]
    assert fp32["math_mode"] == "fp32 (TF32 off)" and fp32["runner"]["math_mode"]["matmul_allow_tf32"] is False
    assert fp32["torch_settings"]["cudnn_allow_tf32"] is False
    assert tf32["math_mode"] == "tf32" and tf32["runner"]["math_mode"]["cudnn_allow_tf32"] is True
    # random-init outputs barely depend on the input, so fidelity cannot rank fp32 against tf32 here (both are
    # one rounding step from the CPU reference); it must still be that small
    assert max(fp32["metrics"]["fidelity_max_abs_err"], tf32["metrics"]["fidelity_max_abs_err"]) < 1e-3
    pipelined = runs["yolo11n__torch__fp16__img64__b2__pipeline2"]
    m = pipelined["metrics"]
    assert pipelined["status"] == "ok" and m["throughput_img_per_s"] is None and m["sustained_img_per_s"] > 0
    assert len(pipelined["samples"]["latency_ms"]) >= 40 and m["latency_ms_p50"] > 0
    paced = runs["yolo11n__torch__fp16__img64__b2__fps100"]
    assert paced["status"] == "ok" and paced["metrics"]["arrival_fps_target"] == 100
    assert paced["metrics"]["achieved_fps"] == pytest.approx(100, rel=0.1)
    assert "yolo11n__torch__fp16__img64__b2__pipeline2__fps100" in runs  # recorded as skipped, with the reason
