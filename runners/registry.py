"""Backend name -> runner class, imported only when asked for (the CLI never imports torch)."""

from __future__ import annotations

import importlib

_RUNNERS = {
    "torch": ("runners.torch_runner", "TorchRunner"),
    "onnxruntime": ("runners.onnxruntime_runner", "OnnxRuntimeRunner"),
}


def runner_class(backend: str):
    try:
        module_name, class_name = _RUNNERS[backend]
    except KeyError:
        raise ValueError(f"unknown backend {backend!r}") from None
    return getattr(importlib.import_module(module_name), class_name)
