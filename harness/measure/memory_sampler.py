"""A background thread that samples memory sources at a fixed interval and keeps peaks per window.

Windows follow the run: ``baseline`` -> ``load`` -> ``measure``. Each window's peak includes a reading
taken synchronously when the window opens and when it closes, so a short window is never missed. In the
``measure`` window every sample of the budgeted source above the budget counts as a violation.
The thread only reads counters (a few microseconds of GIL per sample); docs/memory.md shows it does not
move the latency figures.
"""

from __future__ import annotations

import threading
import time
from typing import Optional


class MemorySampler:
    def __init__(self, sources: dict, interval_s: float, budget_mb: Optional[float] = None,
                 budget_source: Optional[str] = None):
        """``sources``: name -> zero-argument callable returning MiB or None."""
        self.sources: dict = dict(sources)
        self.interval_s = interval_s
        self.budget_mb = budget_mb
        self.budget_source = budget_source
        self.window = "baseline"
        self.sub_window: Optional[str] = None   # a part of the current window with its own peaks (one video)
        self.peaks: dict = {}          # (window, source) -> MiB
        self.first: dict = {}          # (window, source) -> first reading in the window
        self.samples_n = 0
        self.violations_n = 0
        self.max_gap_s = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._last_sample_t: Optional[float] = None

    def _read_all(self) -> None:
        readings = {}
        for name, read in self.sources.items():
            value = read()
            if value is not None:
                readings[name] = value
        now = time.perf_counter()
        with self._lock:
            if self._last_sample_t is not None:
                self.max_gap_s = max(self.max_gap_s, now - self._last_sample_t)
            self._last_sample_t = now
            self.samples_n += 1
            for name, value in readings.items():
                for window in (self.window, self.sub_window):
                    if window is None:
                        continue
                    key = (window, name)
                    self.first.setdefault(key, value)
                    if value > self.peaks.get(key, float("-inf")):
                        self.peaks[key] = value
            if (self.window == "measure" and self.budget_mb is not None and self.budget_source in readings
                    and readings[self.budget_source] > self.budget_mb):
                self.violations_n += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._read_all()

    def start(self) -> None:
        self._read_all()
        if self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)
            self._thread.start()

    def enter(self, window: str) -> None:
        self._read_all()  # closes the previous window with a fresh reading
        with self._lock:
            self.window = window
        self._read_all()  # and opens the new one

    def enter_sub(self, sub_window: Optional[str]) -> None:
        """Open (a name) or close (None) a sub-window inside the current window, with a reading at each edge."""
        self._read_all()
        with self._lock:
            self.sub_window = sub_window
        self._read_all()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._read_all()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def peak(self, window: str, source: str) -> Optional[float]:
        return self.peaks.get((window, source))

    def baseline(self, source: str) -> Optional[float]:
        return self.first.get(("baseline", source))


