"""fp32 means fp32 on every backend (the switches each sets), and ONNX Runtime's device binding: the uint8 batch
converted into one input buffer bound at load, outputs bound once, the same outputs as a plain session.run."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from harness.model_input.input_spec import InputSpec
from runners.input_conversion import convert_numpy
from runners.math_mode import apply_torch_math_mode, model_precision, ort_cuda_options, trt_builder_flags
from runners.ort_device_binding import DeviceBinding
from conftest import write_conv_onnx


def test_torch_fp32_turns_tf32_off_and_tf32_turns_it_on():
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        assert apply_torch_math_mode(torch, "tf32") == {"matmul_allow_tf32": True, "cudnn_allow_tf32": True}
        assert apply_torch_math_mode(torch, "fp32") == {"matmul_allow_tf32": False, "cudnn_allow_tf32": False}
        assert apply_torch_math_mode(torch, "fp16") == {"matmul_allow_tf32": False, "cudnn_allow_tf32": False}
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_onnxruntime_and_tensorrt_switches():
    assert ort_cuda_options("fp32") == {"use_tf32": "0"} and ort_cuda_options("tf32") == {"use_tf32": "1"}
    assert ort_cuda_options("fp16") == {}
    assert trt_builder_flags("fp32") == ((), ("TF32",)) and trt_builder_flags("tf32") == (("TF32",), ())
    assert trt_builder_flags("int8") == (("INT8", "FP16"), ())
    assert model_precision("tf32") == "fp32" and model_precision("fp16") == "fp16"


def test_builder_flags_are_applied_by_name_on_a_recorded_config():
    from harness.engines.trt_build import apply_builder_flags

    class Flags:  # the names of tensorrt.BuilderFlag members the builder uses
        FP16, INT8, TF32 = "FP16", "INT8", "TF32"

    class Trt:
        BuilderFlag = Flags

    class Config:
        def __init__(self):
            self.calls = []

        def set_flag(self, flag):
            self.calls.append(("set", flag))

        def clear_flag(self, flag):
            self.calls.append(("clear", flag))

    for precision, calls in (("fp32", [("clear", "TF32")]), ("tf32", [("set", "TF32")]),
                             ("fp16", [("set", "FP16")]), ("int8", [("set", "INT8"), ("set", "FP16")])):
        config = Config()
        apply_builder_flags(Trt, config, precision)
        assert config.calls == calls, precision


@pytest.mark.parametrize("spec", [InputSpec(32, 32), InputSpec(32, 32, color="bgr", norm="imagenet")])
def test_device_binding_converts_into_one_bound_buffer_and_matches_session_run(tmp_path, spec):
    path = write_conv_onnx(tmp_path / "conv.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    outputs = [o.name for o in session.get_outputs()]
    binding = DeviceBinding(ort, session, torch, "cpu", spec, name, np.float32, (2, 3, 32, 32), {}, outputs)
    assert not binding.rebinds_outputs
    buffer_address = binding.buffer.data_ptr()
    rng = np.random.default_rng(0)
    for _ in range(3):
        frames = rng.integers(0, 256, size=(2, 3, 32, 32), dtype=np.uint8)
        binding.prepare(frames)
        got = [v.numpy() for v in binding.run()]
        want = session.run(outputs, {name: convert_numpy(frames, spec, np.float32)})
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert binding.buffer.data_ptr() == buffer_address  # allocated once at load, never per pass
