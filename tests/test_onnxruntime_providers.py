"""ONNX Runtime named by what it runs: ``onnxruntime`` never takes the TensorRT provider, even from a build that
lists it first (a Jetson's onnxruntime-gpu), ``onnxruntime_trt`` asks for it with its engine cache, and is
skipped with the reason where it is not there — checked against the real (CPU-only) onnxruntime installed here
and the planner's records."""

from __future__ import annotations

import pytest

from conftest import write_conv_onnx
from harness.phase_a.run_planner import plan_runs
from runners.base import BackendUnavailable
from runners.onnxruntime_runner import OnnxRuntimeTrtRunner, choose_providers, trt_provider_options

JETSON_BUILD = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
MODEL = {"name": "m", "artifacts": {"onnxruntime": {"64/fp32": "/m64.onnx"}},
         "int8": {"64/s8s8": {"path": "/m64_int8_s8s8.onnx"}, "64/u8s8": {"path": "/m64_int8_u8s8.onnx"}}}


def test_plain_onnxruntime_never_takes_the_tensorrt_provider():
    asked = choose_providers("cuda:0", JETSON_BUILD)
    assert [p[0] if isinstance(p, tuple) else p for p in asked] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("cpu", JETSON_BUILD) == ["CPUExecutionProvider"]


def test_onnxruntime_trt_asks_for_the_tensorrt_provider_with_its_engine_cache():
    options = trt_provider_options("cuda:1", "fp16", "/pre/artifacts/ort_trt_cache", budget_mb=4096)
    asked = choose_providers("cuda:1", JETSON_BUILD, 4096, "fp16", options)
    assert asked[0] == ("TensorrtExecutionProvider", options) and asked[1][0] == "CUDAExecutionProvider"
    assert options["trt_engine_cache_enable"] and options["trt_engine_cache_path"] == "/pre/artifacts/ort_trt_cache"
    assert options["trt_fp16_enable"] and not options["trt_int8_enable"] and options["device_id"] == 1
    assert options["trt_max_workspace_size"] == 2 * 2**30
    assert trt_provider_options("cuda:0", "int8", "/c")["trt_int8_enable"] is True


def test_without_the_tensorrt_provider_the_runner_says_so_instead_of_falling_back(tmp_path):
    model = write_conv_onnx(tmp_path / "conv.onnx")
    runner = OnnxRuntimeTrtRunner(str(model), "cuda:0", "fp32", 32, 1)
    with pytest.raises(BackendUnavailable, match="TensorRT execution provider, which this onnxruntime lacks"):
        runner.load()


def test_the_planner_skips_onnxruntime_trt_with_the_reason_and_plans_it_where_it_can_run():
    def plan(device, precision):
        return plan_runs([MODEL], ["onnxruntime_trt"], [precision], [64], [1], device)[0]

    cpu = plan({"resolved": "cpu", "cuda": False}, "fp32")
    assert cpu.skip_status == "skipped" and cpu.skip_reason == "onnxruntime_trt needs a CUDA device"
    no_provider = plan({"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": True}, "fp32")
    assert "TensorRT execution provider, which this install lacks" in no_provider.skip_reason
    gpu = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": True, "onnxruntime_trt": True}
    fp16 = plan(gpu, "fp16")
    assert fp16.skip_status is None and fp16.artifact == "/m64.onnx"  # fp16 by the provider's flag
    assert fp16.runner_options.get("trt_cache_dir", "unset") is None  # filled from setup's modes
    assert plan(gpu, "int8").artifact == "/m64_int8_s8s8.onnx"  # TensorRT's symmetric Q/DQ, not the CPU's u8s8
    assert "runs fp32, fp16 and int8" in plan(gpu, "tf32").skip_reason
