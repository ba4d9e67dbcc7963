"""Resolve ``--device`` into the device Phase B will use, with the facts the planner needs."""

from __future__ import annotations

from harness.errors import UserError
from runners.backends import BACKENDS


def resolve_device(requested: str) -> dict:
    import torch

    cuda_available = torch.cuda.is_available()
    count = torch.cuda.device_count() if cuda_available else 0
    if requested == "auto":
        resolved = "cuda:0" if cuda_available else "cpu"
    elif requested == "cpu":
        resolved = "cpu"
    else:
        if not cuda_available:
            raise UserError(f"--device {requested}: no CUDA device is available here (torch.cuda.is_available() is False)")
        index = int(requested.split(":", 1)[1]) if ":" in requested else 0
        if index >= count:
            raise UserError(f"--device {requested}: only {count} CUDA device(s) here")
        resolved = f"cuda:{index}"
    info = {"requested": requested, "resolved": resolved, "cuda": resolved.startswith("cuda")}
    if info["cuda"]:
        props = torch.cuda.get_device_properties(torch.device(resolved))
        info.update({"name": props.name, "compute_capability": f"{props.major}.{props.minor}",
                     "total_memory_mb": props.total_memory / 2**20,
                     "bf16": props.major >= 8})  # bf16 tensor cores from Ampere (8.x) on; Jetson Orin is 8.7
    else:
        info["name"] = "cpu"
    try:
        import onnxruntime

        providers = onnxruntime.get_available_providers()
    except ImportError:
        providers = []
    info["onnxruntime_providers"] = providers
    for backend in BACKENDS.values():  # the GPU providers a backend runs on the GPU with (runners/backends.py)
        if backend.gpu_provider:
            info[backend.gpu_provider] = info["cuda"] and backend.provider_name in providers
    return info
