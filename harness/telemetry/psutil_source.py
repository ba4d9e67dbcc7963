"""Host CPU and memory through psutil, on every machine.

- ``cpu_util_pct``: all cores, averaged since the previous sample (psutil's ``cpu_percent(None)``; the
  first call after ``start()`` covers the time since ``start()``).
- ``ram_used_mb`` = total - available, ``ram_total_mb``, ``swap_used_mb`` (MiB, like the rest of the
  harness). On a Jetson RAM is the pool CPU and GPU share.
"""

from __future__ import annotations

from .source_base import TelemetrySource

MIB = 2**20


class PsutilSource(TelemetrySource):
    name = "psutil"

    def __init__(self) -> None:
        super().__init__()
        self._started = False
        try:
            import psutil
        except ImportError:
            self.mark_unavailable("psutil is not installed (pip install psutil)")
            return
        self._psutil = psutil

    def start(self) -> None:
        if not self.available or self._started:
            return
        try:
            self._psutil.cpu_percent(interval=None)  # primes the counter; its first answer is meaningless
        except Exception as exc:  # noqa: BLE001
            self.mark_unavailable(f"psutil cannot read CPU times here: {exc}")
            return
        self._started = True

    def sample(self) -> dict:
        if not self.available:
            return {}
        if not self._started:
            self.start()
        out = {}
        try:
            out["cpu_util_pct"] = float(self._psutil.cpu_percent(interval=None))
        except Exception:  # noqa: BLE001 - a failed read is a gap, not an error
            pass
        try:
            memory = self._psutil.virtual_memory()
            out["ram_used_mb"] = (memory.total - memory.available) / MIB
            out["ram_total_mb"] = memory.total / MIB
        except Exception:  # noqa: BLE001
            pass
        try:
            out["swap_used_mb"] = self._psutil.swap_memory().used / MIB
        except Exception:  # noqa: BLE001
            pass
        return out
