"""GPU-side memory readings, each one source, each able to say why it is unavailable.

- NVML per-process used memory (desktop GPUs): what the driver has given this process, CUDA context and
  every allocator (torch, cuDNN, ONNX Runtime, TensorRT) included.
- NVML device used memory (desktop GPUs): the whole card, every process.
- ``NvMapMemUsed`` from /proc/meminfo (Jetson): memory mapped for the GPU, system-wide. NVML's memory
  queries are not supported on Jetson.
Readings are MiB. A reader returns None when a single read fails; ``available``/``reason`` say whether
the source works here at all.
"""

from __future__ import annotations

import os
import re
from typing import Optional

_NVMAP = re.compile(r"^NvMapMemUsed:\s+(\d+)\s*kB", re.MULTILINE)


class NvmlMemory:
    """Per-process and device-used readings through nvidia-ml-py for one CUDA device."""

    def __init__(self, torch_device_index: int = 0, pid: Optional[int] = None, uuid: Optional[str] = None):
        self.pid = pid or os.getpid()
        self.available = False
        self.process_available = False
        self.reason: Optional[str] = None
        self.process_reason: Optional[str] = None
        self.handle_source: Optional[str] = None
        try:
            import pynvml
        except ImportError:
            self.reason = "nvidia-ml-py is not installed (pip install 'jetson-benchmark[nvml]')"
            return
        self.nvml = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            self.reason = f"NVML unavailable: {exc}"
            return
        try:
            self.handle = None
            if uuid:
                try:
                    self.handle = pynvml.nvmlDeviceGetHandleByUUID(uuid)
                    self.handle_source = "uuid"
                except pynvml.NVMLError:
                    self.handle = None
            if self.handle is None:
                self.handle = pynvml.nvmlDeviceGetHandleByIndex(torch_device_index)
                self.handle_source = "index"
            pynvml.nvmlDeviceGetMemoryInfo(self.handle)
            self.available = True
        except pynvml.NVMLError as exc:
            self.reason = f"NVML memory queries unsupported on this device: {exc}"
            return
        if self.process_used_mb() is not None:
            self.process_available = True
        else:
            self.process_reason = (f"NVML lists no compute process with pid {self.pid} (a container or VM with its own "
                                   "PID namespace, or the driver does not report per-process memory)")

    def device_used_mb(self) -> Optional[float]:
        try:
            return self.nvml.nvmlDeviceGetMemoryInfo(self.handle).used / 2**20
        except Exception:  # noqa: BLE001 - one failed read is a gap, not an error
            return None

    def process_used_mb(self) -> Optional[float]:
        try:
            for proc in self.nvml.nvmlDeviceGetComputeRunningProcesses(self.handle):
                if proc.pid == self.pid and proc.usedGpuMemory is not None:
                    return proc.usedGpuMemory / 2**20
        except Exception:  # noqa: BLE001
            return None
        return None

    def close(self) -> None:
        if self.available:
            try:
                self.nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001
                pass


def parse_nvmap_used_mb(meminfo_text: str) -> Optional[float]:
    match = _NVMAP.search(meminfo_text)
    return int(match.group(1)) / 1024 if match else None


def nvmap_used_mb(path: str = "/proc/meminfo") -> Optional[float]:
    try:
        with open(path, "r") as handle:
            return parse_nvmap_used_mb(handle.read())
    except OSError:
        return None


def cuda_device_uuid(torch, device: str) -> Optional[str]:
    """NVML's name for the torch device (CUDA_VISIBLE_DEVICES can make indices disagree)."""
    try:
        uuid = str(torch.cuda.get_device_properties(torch.device(device)).uuid)
        return uuid if uuid.startswith("GPU-") else f"GPU-{uuid}"
    except Exception:  # noqa: BLE001
        return None
