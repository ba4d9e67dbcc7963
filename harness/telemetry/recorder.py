"""Sample telemetry sources in a background thread and append one JSON line per sample to metrics.jsonl.

Lines (every one carries ``run_id``, the recording's ``instance`` (pid@start time; a rerun of a run id appends
a new instance) and an ISO 8601 ``timestamp`` with the UTC offset):

- a sample: ``{"run_id", "timestamp", "t_monotonic_s", "window", "<source>": {figures...}, ...}`` - one
  object per source that had figures, so two sources' ``ram_used_mb`` never overwrite each other;
- a window mark: ``{"run_id", "timestamp", "t_monotonic_s", "mark": "<window>"}``;
- once per source that cannot work here: ``{"run_id", "timestamp", "source", "unavailable": "<reason>"}``;
- once per working source that can say what it measures: ``{"run_id", "timestamp", "source", "info": {...}}``.

Each line goes out in one unbuffered ``write`` to a file opened with ``O_APPEND``, so consecutive runs (each
its own process) can share the file and a killed run leaves at most its last line unfinished.

Windows: the run calls :meth:`TelemetryRecorder.mark` at each phase edge (``warmup``, ``measure``, ...); a
mark samples every source just before and just after the switch, so a short window still has samples at
its edges. The recorder keeps the power samples ``(t, W)`` of the first source that reports ``power_w``
and, per window, the mean / min / max of every numeric figure. A power sample is timed when it was read:
the middle of the ``sample()`` call, or for a buffered source (tegrastats, jtop) the arrival of its
reading, which counts once, in the window where it arrived. :meth:`TelemetryRecorder.energy` integrates the power
over every span of the measured window (:mod:`harness.telemetry.energy`).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

from harness.files.atomic_io import json_safe

from .energy import energy_figures, energy_over_spans

READING_TIME_KEY = "reading_t_monotonic_s"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def iso_now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class TelemetryRecorder:
    def __init__(self, path, run_id: str, sources: list, interval_s: float = 0.5,
                 measured_window: str = "measure", initial_window: str = "start"):
        self.path = Path(path)
        self.run_id = run_id
        # One recording of a run: reruns of the same run id append to the same file, readers keep the last.
        self.instance = f"{os.getpid()}@{time.time():.3f}"
        self.sources = list(sources)
        self.interval_s = float(interval_s)
        self.measured_window = measured_window
        self.window = initial_window
        self.power_source: Optional[str] = None
        self.samples_n = 0
        self.write_errors: list = []
        self.spans: list = []                # [window, t_start, t_end or None]
        self._power: list = []               # (t_monotonic_s, W) of the power source
        self._stats: dict = {}               # (window, source, field) -> [n, sum, min, max]
        self._last_reading: dict = {}        # source -> reading time already counted
        self._noted: set = set()             # sources whose unavailability is written
        self._fd: Optional[int] = None
        self._sample_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._started = False
        self._stopped = False

    # -- file --------------------------------------------------------------------------------------
    def _write(self, record: dict) -> None:
        data = (json.dumps(json_safe(record), separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        with self._write_lock:
            if self._fd is None:
                return
            try:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            except OSError as exc:  # disk full, ...: the run goes on without telemetry lines
                self.write_errors.append(str(exc))

    def _header(self) -> dict:
        return {"run_id": self.run_id, "instance": self.instance, "timestamp": iso_now()}

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "TelemetryRecorder":
        if self._started:
            return self
        self._started = True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:  # the figures in memory (energy, summaries) still work without the file
            self.write_errors.append(f"cannot open {self.path}: {exc}")
        for source in self.sources:
            try:
                source.start()
            except Exception as exc:  # noqa: BLE001 - sources should not raise; if one does, it is unavailable
                source.mark_unavailable(f"start failed: {type(exc).__name__}: {exc}")
        for source in self.sources:
            if not source.available:
                self._note_unavailable(source)
            elif hasattr(source, "describe"):
                try:
                    info = source.describe()
                except Exception:  # noqa: BLE001
                    info = None
                if info:
                    self._write({**self._header(), "source": source.name, "info": info})
        now = time.monotonic()
        self.spans.append([self.window, now, None])
        self._sample_once()
        if self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="telemetry-recorder", daemon=True)
            self._thread.start()
        return self

    def mark(self, window: str) -> None:
        """Close the current window and open ``window`` (sampling at the edge on both sides)."""
        if not self._started or self._stopped:
            return
        with self._sample_lock:
            self._sample_once()
            now = time.monotonic()
            self.spans[-1][2] = now
            self.window = window
            self.spans.append([window, now, None])
            self._write({**self._header(), "t_monotonic_s": round(now, 6), "mark": window})
            self._sample_once()

    def stop(self) -> None:
        if not self._started or self._stopped:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 4 * self.interval_s))
        with self._sample_lock:
            self._sample_once()
            self.spans[-1][2] = time.monotonic()
            self._stopped = True
        for source in self.sources:
            try:
                source.stop()
            except Exception:  # noqa: BLE001
                pass
        with self._write_lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> "TelemetryRecorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- sampling ----------------------------------------------------------------------------------
    def _loop(self) -> None:
        next_t = time.monotonic() + self.interval_s
        while not self._stop.wait(max(0.0, next_t - time.monotonic())):
            try:
                self._sample_once()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one bad sample
                self.write_errors.append(f"sample failed: {type(exc).__name__}: {exc}")
            next_t += self.interval_s
            if next_t < time.monotonic():  # fell behind (a slow source): skip, do not burst
                next_t = time.monotonic() + self.interval_s

    def _note_unavailable(self, source) -> None:
        if source.name in self._noted:
            return
        self._noted.add(source.name)
        self._write({**self._header(), "source": source.name, "unavailable": source.reason or "unavailable"})

    def _window_at(self, t: float) -> str:
        for window, t_start, _ in reversed(self.spans):
            if t >= t_start:
                return window
        return self.spans[0][0] if self.spans else self.window

    def _sample_once(self) -> None:
        with self._sample_lock:
            if self._stopped:
                return
            now = time.monotonic()
            record = {**self._header(), "t_monotonic_s": round(now, 6), "window": self.window}
            for source in self.sources:
                if not source.available:
                    self._note_unavailable(source)
                    continue
                before = time.monotonic()
                try:
                    fields = source.sample()
                except Exception as exc:  # noqa: BLE001
                    source.mark_unavailable(f"sample failed: {type(exc).__name__}: {exc}")
                    fields = {}
                read_at = (before + time.monotonic()) / 2.0  # when a direct reading was taken
                if not source.available:
                    self._note_unavailable(source)
                    continue
                if fields:
                    record[source.name] = fields
                    self._accumulate(source.name, fields, read_at)
            self.samples_n += 1
            self._write(record)

    def _accumulate(self, name: str, fields: dict, read_at: float) -> None:
        reading_t = fields.get(READING_TIME_KEY)
        reading_t = float(reading_t) if _is_number(reading_t) else read_at
        if self._last_reading.get(name) == reading_t:
            return  # the same buffered reading polled again
        self._last_reading[name] = reading_t
        window = self._window_at(reading_t)
        for field, value in fields.items():
            if field == READING_TIME_KEY or not _is_number(value):
                continue
            stat = self._stats.get((window, name, field))
            if stat is None:
                self._stats[(window, name, field)] = [1, float(value), float(value), float(value)]
            else:
                stat[0] += 1
                stat[1] += value
                stat[2] = min(stat[2], value)
                stat[3] = max(stat[3], value)
        power = fields.get("power_w")
        if self.power_source is None and _is_number(power):
            self.power_source = name
        if name == self.power_source and _is_number(power):
            self._power.append((reading_t, float(power)))

    # -- results -----------------------------------------------------------------------------------
    @property
    def power_samples(self) -> list:
        with self._sample_lock:
            return list(self._power)

    def window_spans(self, window: Optional[str] = None) -> list:
        """``(t_start, t_end)`` of every span of ``window`` (the measured window by default)."""
        window = window or self.measured_window
        with self._sample_lock:
            return [(t0, t1 if t1 is not None else time.monotonic()) for w, t0, t1 in self.spans if w == window]

    def summary(self, window: Optional[str] = None) -> dict:
        """``{source: {field: {"mean", "min", "max", "n"}}}`` over ``window`` (the measured one by default)."""
        window = window or self.measured_window
        out: dict = {}
        with self._sample_lock:
            for (w, source, field), (n, total, low, high) in sorted(self._stats.items()):
                if w == window:
                    out.setdefault(source, {})[field] = {"mean": total / n, "min": low, "max": high, "n": n}
        return out

    def unavailable(self) -> dict:
        return {s.name: s.reason for s in self.sources if not s.available}

    def energy(self, window: Optional[str] = None) -> dict:
        """Energy over every span of ``window`` (the measured one by default) from the power samples."""
        if self.power_source is None:
            missing = "; ".join(f"{name}: {reason}" for name, reason in self.unavailable().items())
            working = ", ".join(s.name for s in self.sources if s.available) or "none"
            reason = f"no source here reports power (working: {working})" + (f"; unavailable: {missing}" if missing else "")
            return {"energy_j": None, "avg_power_w": None, "duration_s": None, "samples_n": 0,
                    "reason": reason, "power_source": None}
        result = energy_over_spans(self.power_samples, self.window_spans(window))
        result["power_source"] = self.power_source
        return result

    def measured_figures(self, images: Optional[int] = None, busy_s: Optional[float] = None) -> dict:
        """Everything a run's result needs: energy, efficiency, the window summary, unavailable sources."""
        energy = self.energy()
        return {
            "window": self.measured_window,
            "energy": energy,
            "efficiency": energy_figures(energy, images, busy_s),
            "summary": self.summary(),
            "unavailable": self.unavailable(),
            "samples_n": self.samples_n,
        }
