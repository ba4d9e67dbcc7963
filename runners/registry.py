"""Backend name -> runner class, imported only when asked for (the CLI never imports torch)."""

from __future__ import annotations

import importlib

_RUNNERS = {
    "torch": ("runners.torch_runner", "TorchRunner"),
    "torch_compile": ("runners.torch_compile_runner", "TorchCompileRunner"),
    "onnxruntime": ("runners.onnxruntime_runner", "OnnxRuntimeRunner"),
    "onnxruntime_trt": ("runners.onnxruntime_runner", "OnnxRuntimeTrtRunner"),
    "tensorrt": ("runners.tensorrt_runner", "TensorRTRunner"),
}


def runner_class(backend: str):
    """A built-in backend name, or ``package.module:Class`` for a runner of your own (a Runner subclass)."""
    if backend in _RUNNERS:
        module_name, class_name = _RUNNERS[backend]
    elif ":" in backend:
        module_name, class_name = backend.split(":", 1)
    else:
        raise ValueError(f"unknown backend {backend!r}")
    return getattr(importlib.import_module(module_name), class_name)
