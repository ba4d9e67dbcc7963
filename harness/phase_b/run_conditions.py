"""Phase B: the conditions a run was measured under, read before and after it (the power state on a Jetson,
swap in use, other processes on the GPU) and taken from its own telemetry and figures (NVML slowdown, the
latency's CV); ``harness/measure/validity.py`` judges them. Only reading: nothing here changes the machine."""

from __future__ import annotations

import os
from typing import Optional

MIB = 2**20


def swap_used_mb() -> Optional[float]:
    try:
        import psutil

        return psutil.swap_memory().used / MIB
    except Exception:  # noqa: BLE001 - psutil missing, or no /proc/swaps in a container
        return None


def _visible(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def other_pids(pids: list, own: int, visible) -> tuple:
    """(the other processes among NVML's ``pids``, or None; why None). Inside a container NVML reports the host's
    pid namespace: when this process is not among them and some are not visible here, nothing can be told apart."""
    if own not in pids and any(not visible(pid) for pid in pids):
        return None, ("NVML reports pids of another pid namespace (a container?): other processes cannot be told "
                      "from this one")
    return [pid for pid in pids if pid != own], None


def gpu_other_processes(device: str) -> tuple:
    """(pids of other processes computing on the run's GPU ``device``, e.g. "cuda:0", or None; why None)."""
    if not str(device).startswith("cuda"):
        return None, "the run's device is not a GPU"
    from harness.telemetry.nvml_source import NvmlSource

    index = int(str(device).partition(":")[2] or 0)
    source = NvmlSource(cuda_index=index)
    source.start()
    try:
        if not source.available:
            return None, source.reason
        return other_pids(source.compute_pids(), os.getpid(), _visible)
    except Exception as exc:  # noqa: BLE001 - NVML without process accounting (Jetson, some drivers)
        return None, f"NVML cannot list the GPU's processes: {type(exc).__name__}: {exc}"
    finally:
        source.stop()


def read_power(setup: dict) -> tuple:
    if not (setup.get("memory") or {}).get("jetson"):
        return None, "not a Jetson"
    from harness.telemetry.jetson_power_state import read_power_state

    return read_power_state()


def conditions_before(setup: dict, device: str, power_at_process_start: tuple) -> dict:
    """What is read before the run: the process's power state (read at its start), swap, the GPU's processes."""
    others, why = gpu_other_processes(device)
    state, reason = power_at_process_start[:2]
    return {"jetson": bool((setup.get("memory") or {}).get("jetson")), "power_before": state,
            "power_before_unavailable": reason if state is None else None, "swap_used_mb_before": swap_used_mb(),
            "gpu_other_processes_before": others, "gpu_processes_unavailable": why}


def conditions_after(before: dict, setup: dict, device: str, result: dict) -> dict:
    """``before`` completed with what is read after the run and what its telemetry and figures say."""
    others, why = gpu_other_processes(device)
    state, reason = read_power(setup) if before.get("jetson") else (None, "not a Jetson")
    nvml = ((result.get("telemetry") or {}).get("summary") or {}).get("nvml") or {}
    throttled = (nvml.get("gpu_throttled") or {}).get("mean")
    return {**before, "power_after": state, "power_after_unavailable": reason if state is None else None,
            "swap_used_mb_after": swap_used_mb(), "gpu_other_processes_after": others,
            "gpu_processes_unavailable": before.get("gpu_processes_unavailable") or why,
            "gpu_throttled_fraction": throttled,
            "gpu_slowdown_unavailable": None if throttled is not None else "NVML reported no clock event reasons",
            "latency_cv_pct": (result.get("metrics") or {}).get("latency_cv_pct"), **host_load(result)}


def host_load(result: dict) -> dict:
    """The host's load in the measured window (harness/measure/host_interference.py), or why it is unknown."""
    metrics = result.get("metrics") or {}
    keys = ("host_interference_pct", "host_other_cpu_core_pct", "host_other_cpu_core_pct_max", "host_steal_core_pct",
            "host_run_queue_max", "host_cores_n")
    why = (result.get("unavailable") or {}).get("host_interference_pct")
    return {**{k: metrics.get(k) for k in keys},
            "host_load_unavailable": why if metrics.get("host_interference_pct") is None else None}
