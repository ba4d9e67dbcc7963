"""Recognising out-of-memory failures, whatever raised them. OOM is a recorded skip, never "failed"."""

from __future__ import annotations

_OOM_TYPE_NAMES = {"OutOfMemoryError", "MemoryError"}
_OOM_MESSAGES = (
    "out of memory",                       # CUDA / cuDNN / cuBLAS through torch
    "cuda_error_out_of_memory",
    "cudnn_status_alloc_failed",
    "cublas_status_alloc_failed",
    "failed to allocate memory",           # ONNX Runtime BFC arena
    "bad_alloc",                           # C++ allocation failures surfaced by ORT / TensorRT
    "failed_allocation",                   # TensorRT ErrorCode.FAILED_ALLOCATION
    "requested memory exceeds",
)


def is_oom_exception(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MemoryError) or type(exc).__name__ in _OOM_TYPE_NAMES:
            return True
        text = str(exc).lower()
        if any(pattern in text for pattern in _OOM_MESSAGES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
