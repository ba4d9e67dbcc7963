"""Warm-up and timed passes. The clock is read only after the device has been synchronized.

One pass = one batch: ``step(batch)`` must submit the work and wait for the device to finish (the runner's
prepare + infer + synchronize). Host time around it is the pass's host end-to-end latency. Fetching the
next batch (and any chunk reload or cleanup it triggers) happens before the clock starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, NamedTuple, Optional


class StepResult(NamedTuple):
    """What a step may return instead of a bare output: more per-pass samples (e.g. gpu_compute_ms)."""

    output: Any
    samples: dict


@dataclass
class TimedPasses:
    latency_ms: list = field(default_factory=list)   # one host end-to-end sample per measured pass
    warmup_ms: list = field(default_factory=list)    # warm-up passes, kept for inspection, never summarized
    measured_wall_s: float = 0.0                     # first measured start -> last measured end
    last_output: Any = None
    extra: dict = field(default_factory=dict)        # name -> one sample per measured pass (from StepResult)
    rewarm_passes: int = 0                           # untimed passes run after a between-chunk cleanup


def run_passes(
    step: Callable[[Any], Any],
    batches: Iterator,
    warmup: int,
    iters: int,
    min_duration_s: float = 0.0,
    on_pass: Optional[Callable[[int, bool], None]] = None,
    on_measure_start: Optional[Callable[[], None]] = None,
    clock_ns: Callable[[], int] = time.perf_counter_ns,
    needs_rewarm: Optional[Callable[[], bool]] = None,
) -> TimedPasses:
    """Run ``warmup`` discarded passes, then measure until ``iters`` passes AND ``min_duration_s`` are met.

    ``needs_rewarm()`` is asked after each batch is fetched; when True (the feed just released memory between
    chunks) the batch is run once untimed before its timed pass, so re-allocation stays off the clock."""
    result = TimedPasses()
    batch = None
    for index in range(warmup):
        batch = None  # drop our reference first, so a chunk change can free the previous chunk
        batch = next(batches)
        t0 = clock_ns()
        step(batch)
        result.warmup_ms.append((clock_ns() - t0) / 1e6)
        if on_pass:
            on_pass(index, True)
    if on_measure_start:
        on_measure_start()  # e.g. reset peak-memory counters: outside every timed pass
    first_start = None
    last_end = None
    min_duration_ns = int(min_duration_s * 1e9)
    count = 0
    output = None
    while count < iters or (last_end - first_start) < min_duration_ns:
        batch = None
        output = None  # the previous pass's output is consumed: don't hold it while the next pass allocates
        batch = next(batches)
        if needs_rewarm is not None and needs_rewarm():
            step(batch)
            result.rewarm_passes += 1
        t0 = clock_ns()
        output = step(batch)
        t1 = clock_ns()
        if first_start is None:
            first_start = t0
        last_end = t1
        result.latency_ms.append((t1 - t0) / 1e6)
        if isinstance(output, StepResult):
            for name, value in output.samples.items():
                result.extra.setdefault(name, []).append(value)
            output = output.output
        count += 1
        if on_pass:
            on_pass(count - 1, False)
    result.measured_wall_s = (last_end - first_start) / 1e9
    result.last_output = output
    return result
