"""Facts about the software and hardware a phase ran on. Heavy modules are imported only if already
loaded or asked for, so the parent can call :func:`basic_environment` without importing torch."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Optional

from harness import __version__

L4T_RELEASE_FILE = "/etc/nv_tegra_release"
DEVICE_TREE_MODEL = "/proc/device-tree/model"


def _read_text(path: str) -> Optional[str]:
    try:
        return Path(path).read_text(errors="replace").replace("\x00", "").strip() or None
    except OSError:
        return None


def _cpu_model() -> Optional[str]:
    text = _read_text("/proc/cpuinfo") or ""
    for line in text.splitlines():
        if line.lower().startswith(("model name", "hardware")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


def basic_environment() -> dict:
    board = _read_text(DEVICE_TREE_MODEL)
    l4t = _read_text(L4T_RELEASE_FILE)
    is_jetson = l4t is not None or "jetson" in (board or "").lower()
    return {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "jetson_model": board if is_jetson else None,
        "l4t_release": l4t.splitlines()[0] if l4t else None,
    }


def _version(module_name: str) -> Optional[str]:
    module = sys.modules.get(module_name)
    if module is None:
        try:
            from importlib.metadata import version

            return version({"cv2": "opencv-python"}.get(module_name, module_name))
        except Exception:
            return None
    return getattr(module, "__version__", None)


def full_environment(device: str) -> dict:
    """Everything in :func:`basic_environment` plus library versions and the device (imports torch)."""
    import torch

    env = basic_environment()
    env.update({
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "onnxruntime": _version("onnxruntime"),
        "ultralytics": _version("ultralytics"),
        "transformers": _version("transformers"),
        "timm": _version("timm"),
        "numpy": _version("numpy"),
        "opencv": _version("cv2"),
        "tensorrt": _version("tensorrt"),
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "device": device,
    })
    if device.startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index or 0
        props = torch.cuda.get_device_properties(index)
        env.update({
            "device_name": props.name,
            "compute_capability": f"{props.major}.{props.minor}",
            "device_total_memory_mb": props.total_memory / 2**20,
            "cuda_driver": _cuda_driver_version(torch),
        })
    else:
        env["device_name"] = env["cpu"] or "cpu"
    return env


def _cuda_driver_version(torch) -> Optional[str]:
    try:
        version = torch.cuda.driver_version() if hasattr(torch.cuda, "driver_version") else None
        return str(version) if version else None
    except Exception:
        return None
