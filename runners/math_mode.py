"""What a precision means for fp32 matrix math on a GPU, applied the same way by every backend.

``fp32`` is strict IEEE fp32: TF32 off in torch (cuBLAS matmuls and cuDNN convolutions), ``use_tf32=0`` for
ONNX Runtime's CUDA provider, and the TF32 builder flag cleared for TensorRT (which otherwise enables it by
default). ``tf32`` lets fp32 matrix math run on TF32 tensor cores (10-bit mantissa inputs, fp32 accumulate).
fp16 and int8 leave TF32 as the library sets it, for the layers that stay in fp32.
"""

from __future__ import annotations

from harness.precisions import STRICT_FP32, model_precision, tf32_allowed  # noqa: F401 - the vocabulary, one home


def apply_torch_math_mode(torch, precision: str) -> dict:
    """Sets torch's TF32 switches for the run's precision; returns the mode in force (for the result)."""
    allowed = tf32_allowed(precision)
    if allowed is not None:
        torch.backends.cuda.matmul.allow_tf32 = allowed
        torch.backends.cudnn.allow_tf32 = allowed
    return {"matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32)}


def ort_cuda_options(precision: str) -> dict:
    """The CUDA execution provider's TF32 option for the precision (ONNX Runtime >= 1.17)."""
    allowed = tf32_allowed(precision)
    return {} if allowed is None else {"use_tf32": "1" if allowed else "0"}


def trt_builder_flags(precision: str) -> tuple:
    """(flags to set, flags to clear) on a TensorRT builder config, by BuilderFlag name."""
    return {
        "fp32": ((), ("TF32",)),
        "tf32": (("TF32",), ()),
        "fp16": (("FP16",), ()),
        "int8": (("INT8", "FP16"), ()),
    }[precision]
