"""One desktop GPU through NVML (nvidia-ml-py): utilization, memory, power, temperature, SM clock.

Fields (each read on its own; one that the GPU does not support is simply left out):

- ``gpu_util_pct``: percent of the last sample period (1/6 s to 1 s) in which a kernel ran;
  ``gpu_mem_util_pct``: percent of it in which device memory was read or written
- ``gpu_mem_used_mb`` / ``gpu_mem_total_mb``: the whole card, every process (MiB)
- ``power_w``: GPU board power. NVML's instantaneous field (``NVML_FI_DEV_POWER_INSTANT``) where the
  driver has it, else ``nvmlDeviceGetPowerUsage``, which on Ampere and newer (except GA100) is a 1 s
  average; :meth:`NvmlSource.describe` says which. It is the GPU's power, not the whole machine's.
- ``temp_gpu_c``, ``gpu_sm_clock_mhz``
- ``gpu_clock_event_reasons`` (NVML's bitmask) and ``gpu_throttled`` (1 when it holds a slowdown reason:
  software power cap, hardware slowdown, software or hardware thermal slowdown, power brake; else 0)

The CUDA device index is mapped to NVML's device through the device UUID when given, else through
``CUDA_VISIBLE_DEVICES`` (indices or ``GPU-`` UUIDs), else index for index.
"""

from __future__ import annotations

import os
from typing import Optional

from .source_base import TelemetrySource

# nvmlClocksEventReason bits that mean "slowed down": SwPowerCap 0x4, HwSlowdown 0x8, SwThermalSlowdown 0x20,
# HwThermalSlowdown 0x40, HwPowerBrakeSlowdown 0x80 (GpuIdle 0x1 and application clocks 0x2 are not slowdowns).
SLOWDOWN_REASONS = 0x4 | 0x8 | 0x20 | 0x40 | 0x80
MIB = 2**20


def nvml_device_for_cuda_index(cuda_index: int, visible: Optional[str] = None) -> tuple:
    """``(kind, key)`` naming the NVML device behind CUDA device ``cuda_index``.

    ``kind`` is ``"index"`` (key: NVML index) or ``"uuid"`` (key: a UUID or UUID prefix) or ``"mig"``.
    ``visible`` is ``CUDA_VISIBLE_DEVICES`` (read from the environment when None).
    """
    if visible is None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None or not visible.strip():
        return "index", cuda_index
    entries = [e.strip() for e in visible.split(",") if e.strip()]
    if cuda_index >= len(entries):
        raise ValueError(f"cuda:{cuda_index} is not among CUDA_VISIBLE_DEVICES={visible!r}")
    entry = entries[cuda_index]
    if entry.isdigit():
        return "index", int(entry)
    if entry.startswith("MIG-"):
        return "mig", entry
    return "uuid", entry if entry.startswith("GPU-") else f"GPU-{entry}"


class NvmlSource(TelemetrySource):
    name = "nvml"

    def __init__(self, cuda_index: int = 0, uuid: Optional[str] = None):
        super().__init__()
        self.cuda_index = cuda_index
        self.uuid = uuid
        self.mapping: Optional[str] = None
        self.power_kind: Optional[str] = None
        self._handle = None
        self._initialized = False
        try:
            import pynvml
        except ImportError:
            self.mark_unavailable("nvidia-ml-py is not installed (pip install 'jetson-benchmark[nvml]')")
            return
        self._nvml = pynvml

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.available or self._initialized:
            return
        nvml = self._nvml
        try:
            nvml.nvmlInit()
        except Exception as exc:  # noqa: BLE001 - NVMLError_LibraryNotFound, DriverNotLoaded, ...
            self.mark_unavailable(f"NVML unavailable (no NVIDIA driver or GPU here?): {exc}")
            return
        self._initialized = True
        try:
            self._handle = self._resolve_handle()
        except Exception as exc:  # noqa: BLE001
            self.mark_unavailable(f"no NVML device for cuda:{self.cuda_index}: {exc}")
            self.stop()
            return
        self.power_kind = self._probe_power_kind()

    def _resolve_handle(self):
        nvml = self._nvml
        if self.uuid:
            uuid = self.uuid if self.uuid.startswith("GPU-") else f"GPU-{self.uuid}"
            self.mapping = f"cuda:{self.cuda_index} -> NVML device {uuid} (by UUID)"
            return nvml.nvmlDeviceGetHandleByUUID(uuid)
        kind, key = nvml_device_for_cuda_index(self.cuda_index)
        if kind == "mig":
            raise ValueError(f"CUDA_VISIBLE_DEVICES names a MIG instance ({key}); NVML's device figures "
                             "would be the whole GPU's")
        if kind == "index":
            self.mapping = f"cuda:{self.cuda_index} -> NVML index {key}"
            return nvml.nvmlDeviceGetHandleByIndex(key)
        for index in range(nvml.nvmlDeviceGetCount()):  # CUDA accepts UUID prefixes; NVML wants it whole
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            uuid = nvml.nvmlDeviceGetUUID(handle)
            uuid = uuid.decode() if isinstance(uuid, bytes) else uuid
            if uuid.startswith(key):
                self.mapping = f"cuda:{self.cuda_index} -> NVML index {index} ({uuid}, from CUDA_VISIBLE_DEVICES)"
                return handle
        raise ValueError(f"no GPU's UUID starts with {key}")

    def _instant_power_mw(self) -> Optional[float]:
        nvml = self._nvml
        field = getattr(nvml, "NVML_FI_DEV_POWER_INSTANT", None)
        if field is None or not hasattr(nvml, "nvmlDeviceGetFieldValues"):
            return None
        value = nvml.nvmlDeviceGetFieldValues(self._handle, [field])[0]
        if value.nvmlReturn != 0:
            return None
        return float(value.value.uiVal)

    def _probe_power_kind(self) -> Optional[str]:
        try:
            if self._instant_power_mw() is not None:
                return "instant"
        except Exception:  # noqa: BLE001 - older driver: fall back to the average
            pass
        try:
            self._nvml.nvmlDeviceGetPowerUsage(self._handle)
            return "average"
        except Exception:  # noqa: BLE001
            return None

    def compute_pids(self) -> list:
        """Pids of the processes computing on this GPU now (NVML's running compute processes); start() first.
        Inside a container NVML may see other namespaces' pids, or none."""
        return [int(p.pid) for p in self._nvml.nvmlDeviceGetComputeRunningProcesses(self._handle)]

    def stop(self) -> None:
        if self._initialized:
            self._initialized = False
            self._handle = None
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001
                pass

    def describe(self) -> dict:
        power = {"instant": "NVML_FI_DEV_POWER_INSTANT (instantaneous GPU board power)",
                 "average": "nvmlDeviceGetPowerUsage (GPU board power; a 1 s average on Ampere and newer)",
                 None: "not supported by this GPU"}[self.power_kind]
        info = {"device": self.mapping, "power_w": power}
        try:
            info["max_sm_clock_mhz"] = float(self._nvml.nvmlDeviceGetMaxClockInfo(self._handle, self._nvml.NVML_CLOCK_SM))
        except Exception:  # noqa: BLE001
            pass
        return info

    # -- sampling ----------------------------------------------------------------------------------
    def sample(self) -> dict:
        if not self.available:
            return {}
        if not self._initialized:
            self.start()
            if not self.available:
                return {}
        nvml, handle, out = self._nvml, self._handle, {}
        try:
            util = nvml.nvmlDeviceGetUtilizationRates(handle)
            out["gpu_util_pct"] = float(util.gpu)
            out["gpu_mem_util_pct"] = float(util.memory)
        except Exception:  # noqa: BLE001 - unsupported or a failed read: a gap, not an error
            pass
        try:
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            out["gpu_mem_used_mb"] = memory.used / MIB
            out["gpu_mem_total_mb"] = memory.total / MIB
        except Exception:  # noqa: BLE001
            pass
        try:
            if self.power_kind == "instant":
                milliwatts = self._instant_power_mw()
            elif self.power_kind == "average":
                milliwatts = float(nvml.nvmlDeviceGetPowerUsage(handle))
            else:
                milliwatts = None
            if milliwatts is not None:
                out["power_w"] = milliwatts / 1000.0
        except Exception:  # noqa: BLE001
            pass
        try:
            out["temp_gpu_c"] = float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        except Exception:  # noqa: BLE001
            pass
        try:
            out["gpu_sm_clock_mhz"] = float(nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM))
        except Exception:  # noqa: BLE001
            pass
        reasons = self._clock_event_reasons()
        if reasons is not None:
            out["gpu_clock_event_reasons"] = reasons
            out["gpu_throttled"] = 1.0 if reasons & SLOWDOWN_REASONS else 0.0
        return out

    def _clock_event_reasons(self):
        """NVML's bitmask of why the clocks are where they are (newer name, then the older one)."""
        for name in ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"):
            query = getattr(self._nvml, name, None)
            if query is not None:
                try:
                    return int(query(self._handle))
                except Exception:  # noqa: BLE001
                    return None
        return None
