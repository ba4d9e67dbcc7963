"""Where a measuring process's life goes: contiguous parts from its creation to its exit, in seconds.

A part ends when the code closes it (``close(name)``): it is the time since the previous part ended (the first
starts at the process's creation, as the kernel recorded it), so the parts of a process never overlap, never leave
a gap, and add up to its wall time by construction. The process closes every part up to the start of writing its
result; the parent, which sees the write end (the ``run_end`` event) and the process exit, adds ``write_result`` and
``teardown`` (:func:`finish_parts`). Names, in the order a run meets them:

startup_imports   interpreter start and the harness's own imports, up to the first heavy import
torch_import      importing torch (and its CUDA libraries)
device_init       creating the CUDA context, when the process's runs need one
model_load        the run's baseline, its runner built and its model loaded onto the device
warmup            the warm-up passes
measured          the measured passes: the window every latency figure comes from
check_e2e, check_fidelity, check_accuracy, check_layer_profile
                  each check after the measured passes
summary           figures computed from the raw samples, memory released
validity          the conditions around the run read and judged
write_result      writing the result file (parent, from the child's event)
teardown          from the result written to the process's exit (parent)
"""

from __future__ import annotations

import time
from typing import Optional

PROCESS_PARTS = ("startup_imports", "torch_import", "device_init", "model_load", "warmup", "measured", "check_e2e",
                 "check_fidelity", "check_accuracy", "check_layer_profile", "check_encoder_fidelity", "summary",
                 "validity", "write_result", "teardown")
CHECK_PARTS = ("check_e2e", "check_fidelity", "check_accuracy", "check_layer_profile", "check_encoder_fidelity")


def process_created_at() -> float:
    """When this process's life began (time.time() clock): the moment its parent launched it, as the parent wrote it
    in its environment (exact), else the kernel's creation time (psutil; whole-second boot-time granularity)."""
    import os

    launched = os.environ.get("JETSON_BENCHMARK_LAUNCHED_AT")
    if launched:
        try:
            return float(launched)
        except ValueError:
            pass
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001
        return time.time()


class ProcessTimeline:
    def __init__(self, started_at: Optional[float] = None):
        self.started_at = process_created_at() if started_at is None else started_at
        self.last = self.started_at
        self.parts: list = []   # (name, seconds) in order

    def close(self, name: str) -> None:
        """The part ``name`` ends now (a name met twice adds up)."""
        now = time.time()
        self.parts.append((name, max(0.0, now - self.last)))
        self.last = now

    def since(self, index: int) -> dict:
        """{part: seconds} of the parts closed from position ``index`` on."""
        totals: dict = {}
        for name, seconds in self.parts[index:]:
            totals[name] = totals.get(name, 0.0) + seconds
        return {name: round(seconds, 4) for name, seconds in totals.items()}


class NoTimeline:
    """For a caller that keeps no timeline (Phase A's probes)."""

    def close(self, name: str) -> None:
        pass


def finish_parts(process: dict, written_at: Optional[float], exited_at: Optional[float], last_in_process: bool) -> dict:
    """The result's ``process`` record with the parent's two parts and the total: ``write_result`` (from the last part
    the child closed to its ``run_end`` event) and, for the last run of the process, ``teardown`` (to its exit);
    ``parts_wall_s`` is the time the parts cover."""
    parts = dict(process.get("parts_s") or {})
    if written_at is not None and process.get("write_started_at") is not None:
        parts["write_result"] = round(max(0.0, written_at - process["write_started_at"]), 4)
        if last_in_process and exited_at is not None:
            parts["teardown"] = round(max(0.0, exited_at - written_at), 4)
    return {**process, "parts_s": parts, "parts_wall_s": round(sum(parts.values()), 4),
            "process_wall_s": (round(exited_at - process["process_started_at"], 4)
                               if last_in_process and exited_at and process.get("process_started_at") else None)}
