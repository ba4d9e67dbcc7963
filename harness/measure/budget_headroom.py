"""How much of a Jetson's shared memory pool a run leaves free: ``budget_headroom_mb`` = total memory − memory in use
before the run (the OS baseline) − the run's peak.

On unified memory the CPU, the GPU and the OS draw on one pool, and a per-process GPU cap is only ``soft`` there, so
the figure that says whether a run fits the board is system-wide: memory in use = ``MemTotal − MemAvailable`` from
/proc/meminfo (MemAvailable is the kernel's estimate of what can still be handed out without swapping; GPU buffers
mapped through NvMap come out of the same pool and lower it). The baseline is read in Phase B after the device is
initialised and before the model loads; the run's peak is the largest sample of memory in use from the model load
to the end of the measured passes, minus that baseline. Total is MemTotal (what the OS manages, not the board's
nominal size). A desktop GPU has its own memory: there the figure is empty with the reason.
"""

from __future__ import annotations

from typing import Optional

from harness.measure.host_memory import kb_fields

MEMINFO = "/proc/meminfo"
BASELINE_HOW = ("/proc/meminfo MemTotal - MemAvailable, read in Phase B after device initialization and before the "
                "model loads")
NOT_UNIFIED = ("the GPU has memory of its own here (not a Jetson's unified pool; an emulated Jetson profile included): "
               "see budget_peak_pct against the budget")


def meminfo_mb(text: str) -> dict:
    """MemTotal and the memory in use (MemTotal − MemAvailable) of /proc/meminfo text, MiB (None where missing)."""
    fields = kb_fields(text)
    total, available = fields.get("MemTotal"), fields.get("MemAvailable")
    used = (total - available) / 1024 if total is not None and available is not None else None
    return {"mem_total_mb": total / 1024 if total is not None else None, "in_use_mb": used}


def read_meminfo_mb(path: Optional[str] = None) -> dict:
    try:
        with open(path or MEMINFO, "r") as handle:
            return meminfo_mb(handle.read())
    except OSError:
        return {"mem_total_mb": None, "in_use_mb": None}


def in_use_mb() -> Optional[float]:
    """The sampler's reader: system-wide memory in use now, MiB."""
    return read_meminfo_mb()["in_use_mb"]


def budget_headroom(mem_total_mb: Optional[float], baseline_in_use_mb: Optional[float],
                    peak_in_use_mb: Optional[float]) -> tuple:
    """(the record: budget_headroom_mb and its parts, or None; why it is None)."""
    if mem_total_mb is None or baseline_in_use_mb is None or peak_in_use_mb is None:
        return None, "no MemTotal / MemAvailable reading in /proc/meminfo at the baseline or during the run"
    run_peak = max(peak_in_use_mb - baseline_in_use_mb, 0.0)
    return {"budget_headroom_mb": mem_total_mb - baseline_in_use_mb - run_peak, "mem_total_mb": mem_total_mb,
            "baseline_in_use_mb": baseline_in_use_mb, "run_peak_mb": run_peak, "baseline": BASELINE_HOW}, None
