"""What a TensorRT engine is tied to: the GPU (name and compute capability) and the TensorRT version.

An engine built on a desktop GPU does not load on a Jetson, nor one built with TensorRT 8.6 under 10.3.
The fingerprint is stored in the engine's sidecar when it is built; before an engine is reused or run it
is compared with the machine at hand, and a mismatch is one line saying what differs and how to rebuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

NV_TEGRA_RELEASE = Path("/etc/nv_tegra_release")
DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
COMPARED = ("gpu_name", "compute_capability", "tensorrt")


def _import_or_none(name: str):
    try:
        return __import__(name)
    except Exception:  # a broken install (missing shared library) is as absent as a missing one
        return None


def _first_line(path: Path) -> Optional[str]:
    try:
        text = path.read_bytes().replace(b"\x00", b"").decode("utf-8", "replace")
    except OSError:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or None


def jetson_model(model_path: Path = DEVICE_TREE_MODEL) -> Optional[str]:
    """The board name from the device tree (NULs stripped), only when it is a Jetson."""
    model = _first_line(model_path)
    return model if model and "jetson" in model.lower() else None


def current_platform(torch_module=None, trt_module=None, tegra_release_path: Path = NV_TEGRA_RELEASE,
                     model_path: Path = DEVICE_TREE_MODEL, device_index: int = 0) -> dict:
    """The fingerprint of this machine. Modules not given are imported here if installed.

    gpu_name / compute_capability ("9.0"): CUDA device ``device_index``, None without one; tensorrt: the
    installed TensorRT version, None without it; cuda: the CUDA version torch was built with;
    l4t_release: the first line of /etc/nv_tegra_release (Jetson Linux), jetson_model: the board.
    """
    torch = torch_module if torch_module is not None else _import_or_none("torch")
    trt = trt_module if trt_module is not None else _import_or_none("tensorrt")
    gpu_name = capability = cuda = None
    if torch is not None:
        cuda = getattr(getattr(torch, "version", None), "cuda", None)
        try:
            if torch.cuda.is_available():
                gpu_name = torch.cuda.get_device_name(device_index)
                major, minor = torch.cuda.get_device_capability(device_index)
                capability = f"{major}.{minor}"
        except Exception:  # a driver that fails to initialise: no usable GPU
            gpu_name = capability = None
    return {
        "gpu_name": gpu_name,
        "compute_capability": capability,
        "tensorrt": getattr(trt, "__version__", None) if trt is not None else None,
        "cuda": cuda,
        "l4t_release": _first_line(tegra_release_path),
        "jetson_model": jetson_model(model_path),
    }


def tensorrt_release(version: Optional[str]) -> Optional[str]:
    """major.minor.patch of a TensorRT version ("10.3.0.30" -> "10.3.0"); the build number is ignored."""
    if not version:
        return None
    parts = str(version).split(".")[:3]
    return ".".join(parts + ["0"] * (3 - len(parts)))


def _describe(platform: dict) -> str:
    return (f"{platform.get('gpu_name') or 'no GPU'} (compute {platform.get('compute_capability') or 'none'}, "
            f"TensorRT {tensorrt_release(platform.get('tensorrt')) or 'none'})")


def engine_mismatch(stored: dict, current: dict, rebuild_hint: str) -> Optional[str]:
    """One line saying why an engine built on ``stored`` cannot run on ``current``, or None if it can.

    Compared: GPU name, compute capability and TensorRT major.minor.patch. A field the stored fingerprint
    does not have (an engine from elsewhere, with partial metadata) is not held against it.
    """
    def value(platform: dict, key: str):
        return tensorrt_release(platform.get(key)) if key == "tensorrt" else platform.get(key)

    differs = [key for key in COMPARED if value(stored, key) is not None and value(stored, key) != value(current, key)]
    if not differs:
        return None
    return (f"built for {_describe(stored)}, this is {_describe(current)}: rebuild with {rebuild_hint} "
            f"(engines are specific to GPU architecture and TensorRT version)")
