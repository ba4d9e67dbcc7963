"""How much of the host's CPU other processes took while a run was measured.

A sampler thread reads, every ``slice_s`` of the measured window, the whole host's CPU time (psutil's system CPU
times, steal included where the kernel reports it), the CPU time of this process and its children, and the run
queue (``procs_running`` of /proc/stat). Per slice, the CPU seconds the host spent busy minus this process tree's
are what other processes took; with steal they are the interference. ``host_interference_pct`` is the worst
slice's interference as a share of the host's capacity (slice x logical cores), so a hog that starts at any moment
of the window is seen at full strength, not diluted by the quiet part; the whole window's figures sit beside it.
``harness/measure/validity.py`` judges it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

HOST_FIGURES = ("host_interference_pct", "host_other_cpu_core_pct", "host_other_cpu_core_pct_max", "host_other_cpu_s",
                "host_own_cpu_core_pct", "host_steal_core_pct", "host_run_queue_mean", "host_run_queue_max",
                "host_cores_n")
SLICE_S = 0.5  # long enough that jiffies (10 ms) and a daemon's wake-up stay small, short enough to see a hog start


@dataclass(frozen=True)
class CpuReading:
    at_s: float          # perf_counter
    host_busy_s: float   # all cores: user + nice + system + irq + softirq (guest is inside user)
    steal_s: float       # all cores: time the hypervisor gave to other guests (0 where not reported)
    own_s: float         # this process (all threads) + its children, user + system
    run_queue: Optional[int]


def _run_queue() -> Optional[int]:
    try:
        with open("/proc/stat") as handle:
            for line in handle:
                if line.startswith("procs_running"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _own_cpu_s(process) -> float:
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
        except Exception:  # noqa: BLE001 - a child that ended between listing and reading
            continue
    return total


def read_cpu(process) -> CpuReading:
    import psutil

    host = psutil.cpu_times()
    busy = host.user + host.nice + host.system + getattr(host, "irq", 0.0) + getattr(host, "softirq", 0.0)
    return CpuReading(time.perf_counter(), busy, getattr(host, "steal", 0.0), _own_cpu_s(process), _run_queue())


@dataclass
class HostLoad:
    """The figures of one measured window (``figures()`` names them as in the metric catalog)."""

    cores: int
    window_s: float = 0.0
    own_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    steal_s: float = 0.0
    worst_slice_pct: float = 0.0
    worst_slice_other_core_pct: float = 0.0
    run_queue: list = field(default_factory=list)
    slices_n: int = 0
    judged_slices_n: int = 0  # slices long enough to judge (>= SLICE_S / 2)

    def figures(self) -> dict:
        window = self.window_s or float("nan")
        queue = self.run_queue
        return {
            "host_interference_pct": round(self.worst_slice_pct, 1),
            "host_other_cpu_core_pct": round(100 * self.other_cpu_s / window, 1),
            "host_other_cpu_core_pct_max": round(self.worst_slice_other_core_pct, 1),
            "host_other_cpu_s": round(self.other_cpu_s, 3),
            "host_own_cpu_core_pct": round(100 * self.own_cpu_s / window, 1),
            "host_steal_core_pct": round(100 * self.steal_s / window, 1),
            "host_run_queue_mean": round(sum(queue) / len(queue), 2) if queue else None,
            "host_run_queue_max": max(queue) if queue else None,
            "host_cores_n": self.cores,
        }

    def add(self, first: CpuReading, last: CpuReading) -> None:
        span = last.at_s - first.at_s
        if span <= 0:
            return
        own = max(0.0, last.own_s - first.own_s)
        other = max(0.0, (last.host_busy_s - first.host_busy_s) - own)
        steal = max(0.0, last.steal_s - first.steal_s)
        self.window_s += span
        self.own_cpu_s += own
        self.other_cpu_s += other
        self.steal_s += steal
        self.slices_n += 1
        if span >= SLICE_S / 2:  # a short last slice would magnify a single jiffy
            self.judged_slices_n += 1
            share = min(100.0, 100 * (other + steal) / (span * self.cores))  # readings a jiffy apart can pass 100
            self.worst_slice_pct = max(self.worst_slice_pct, share)
            self.worst_slice_other_core_pct = max(self.worst_slice_other_core_pct, 100 * other / span)
        if last.run_queue is not None:
            self.run_queue.append(last.run_queue)


class HostLoadSampler:
    """``start()`` at the first measured pass, ``stop()`` after the last; ``result()`` -> (figures, why None)."""

    def __init__(self, slice_s: float = SLICE_S):
        self.slice_s = slice_s
        self.load: Optional[HostLoad] = None
        self.reason: Optional[str] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._process = None
        self._last: Optional[CpuReading] = None

    def start(self) -> "HostLoadSampler":
        try:
            import psutil

            self._process = psutil.Process(os.getpid())
            self._last = read_cpu(self._process)
            self.load = HostLoad(cores=psutil.cpu_count(logical=True) or 1)
        except Exception as exc:  # noqa: BLE001 - psutil missing, or /proc unreadable
            self.reason = f"the host's CPU times could not be read: {type(exc).__name__}: {exc}"
            return self
        self._thread = threading.Thread(target=self._loop, name="host-load", daemon=True)
        self._thread.start()
        return self

    def _take(self) -> None:
        reading = read_cpu(self._process)
        self.load.add(self._last, reading)
        self._last = reading

    def _loop(self) -> None:
        while not self._stop.wait(self.slice_s):
            self._take()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._take()

    def result(self) -> tuple:
        if self.load is None or self.load.window_s <= 0:
            return None, self.reason or "the measured window was not sampled"
        if not self.load.judged_slices_n:
            return None, (f"the measured window ({self.load.window_s:.2f} s) is too short to judge the host's load "
                          f"(at least {self.slice_s / 2:g} s; --min_duration_s makes it longer)")
        return self.load.figures(), None
