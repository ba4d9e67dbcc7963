"""``--arrival_fps F``: batches released on a camera's schedule instead of back to back.

A camera at F frames/s completes a batch of B frames every B / F seconds; batch k is released at its scheduled
arrival ``origin + offset_k`` (fixed: k * B / F; poisson: exponential gaps with that mean, MLPerf Server style,
seeded). The loop waits for the arrival (a sleep, then a short spin for the last millisecond), runs the pass,
and records, per batch:

- ``arrival_latency_ms``: scheduled arrival -> result (queueing behind a slow previous batch, plus the pass);
- ``queue_ms``: scheduled arrival -> the pass starting (0 when the harness was idle, waiting);
- ``latency_ms``: the pass itself, on the same host clock as the back-to-back loop;
- a deadline miss when the result comes after the next batch's scheduled arrival.
Idle gaps are the point: a GPU or CPU that drops its clocks or loses its caches between frames shows it here
and not in the back-to-back figure. Warm-up passes are paced too; the schedule restarts when measuring starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import numpy as np

from harness.measure.timing_loop import StepResult

SPIN_NS = 1_000_000  # the last millisecond before an arrival is spun, not slept (sleep overshoots by ~0.1 ms)


def arrival_offsets_ns(count: int, interval_s: float, kind: str = "fixed", seed: int = 0) -> list:
    """Offsets from the schedule's origin of ``count`` releases, ``interval_s`` apart on average."""
    if kind == "fixed":
        return [round(k * interval_s * 1e9) for k in range(count)]
    if kind == "poisson":
        gaps = np.random.default_rng(seed).exponential(interval_s, size=count)
        gaps[0] = 0.0
        return [round(v * 1e9) for v in np.cumsum(gaps)]
    raise ValueError(f"unknown arrival kind {kind!r}")


def wait_until(target_ns: int, clock_ns: Callable[[], int] = time.perf_counter_ns,
               sleep: Callable[[float], None] = time.sleep) -> None:
    remaining = target_ns - clock_ns()
    if remaining > SPIN_NS:
        sleep((remaining - SPIN_NS) / 1e9)
    while clock_ns() < target_ns:
        pass


@dataclass
class PacedPasses:
    latency_ms: list = field(default_factory=list)           # the pass itself, per measured batch
    arrival_latency_ms: list = field(default_factory=list)   # scheduled arrival -> result
    queue_ms: list = field(default_factory=list)             # scheduled arrival -> pass start
    deadline_missed: list = field(default_factory=list)      # result after the next scheduled arrival
    warmup_ms: list = field(default_factory=list)
    measured_wall_s: float = 0.0                             # first scheduled arrival -> last result
    results_span_s: float = 0.0                              # first result -> last result
    interval_s: float = 0.0
    extra: dict = field(default_factory=dict)
    last_output: Any = None
    rewarm_passes: int = 0


def _paced_pass(step, batch, arrival_ns: int, clock_ns, sleep) -> tuple:
    wait_until(arrival_ns, clock_ns, sleep)
    t0 = clock_ns()
    output = step(batch)
    return output, t0, clock_ns()


def run_paced_passes(step: Callable[[Any], Any], batches: Iterator, warmup: int, iters: int, interval_s: float,
                     kind: str = "fixed", min_duration_s: float = 0.0, seed: int = 0,
                     on_pass: Optional[Callable[[int, bool], None]] = None,
                     on_measure_start: Optional[Callable[[], None]] = None,
                     clock_ns: Callable[[], int] = time.perf_counter_ns,
                     sleep: Callable[[float], None] = time.sleep) -> PacedPasses:
    """Like :func:`harness.measure.timing_loop.run_passes`, with each batch released at its scheduled arrival;
    ``interval_s`` = batch / frame rate. Measures until ``iters`` batches and ``min_duration_s`` are done."""
    result = PacedPasses(interval_s=interval_s)
    origin = clock_ns()
    for index, offset in enumerate(arrival_offsets_ns(warmup, interval_s, kind, seed + 1)):
        batch = next(batches)
        _, t0, t1 = _paced_pass(step, batch, origin + offset, clock_ns, sleep)
        result.warmup_ms.append((t1 - t0) / 1e6)
        if on_pass:
            on_pass(index, True)
    if on_measure_start:
        on_measure_start()
    wanted = max(iters, int(np.ceil(min_duration_s / interval_s)) + 1)
    offsets = arrival_offsets_ns(wanted + 1, interval_s, kind, seed)
    origin = clock_ns()
    output, last_end, first_end = None, origin, None
    for index in range(wanted):
        batch = output = None
        batch = next(batches)
        arrival, following = origin + offsets[index], origin + offsets[index + 1]
        output, t0, last_end = _paced_pass(step, batch, arrival, clock_ns, sleep)
        first_end = last_end if first_end is None else first_end
        if isinstance(output, StepResult):
            for name, value in output.samples.items():
                result.extra.setdefault(name, []).append(value)
            output = output.output
        result.latency_ms.append((last_end - t0) / 1e6)
        result.arrival_latency_ms.append((last_end - arrival) / 1e6)
        result.queue_ms.append(max(0, t0 - arrival) / 1e6)
        result.deadline_missed.append(last_end > following)
        if on_pass:
            on_pass(index, False)
    result.measured_wall_s = (last_end - origin) / 1e9
    result.results_span_s = (last_end - first_end) / 1e9 if first_end is not None else 0.0
    result.last_output = output
    return result


PACED_FIGURES = ("arrival_fps_target", "arrival_latency_ms_p50", "arrival_latency_ms_p90", "arrival_latency_ms_p99",
                 "arrival_queue_ms_p99", "deadline_misses_n", "deadline_miss_pct", "achieved_fps")


def paced_figures(passes: PacedPasses, batch: int) -> dict:
    """The figures of a paced run, named as in PACED_FIGURES (names carry their unit; defined in harness/measure/metric_catalog.py)."""
    latency = np.asarray(passes.arrival_latency_ms, dtype=np.float64)
    missed = int(sum(passes.deadline_missed))
    spacing = batch * (len(latency) - 1)
    return {
        "arrival_fps_target": batch / passes.interval_s if passes.interval_s else None,
        "arrival_latency_ms_p50": float(np.percentile(latency, 50)),
        "arrival_latency_ms_p90": float(np.percentile(latency, 90)),
        "arrival_latency_ms_p99": float(np.percentile(latency, 99)),
        "arrival_queue_ms_p99": float(np.percentile(passes.queue_ms, 99)),
        "deadline_misses_n": missed,
        "deadline_miss_pct": missed / len(latency) * 100.0,
        "achieved_fps": spacing / passes.results_span_s if passes.results_span_s else None,
    }
