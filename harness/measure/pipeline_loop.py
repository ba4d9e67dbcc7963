"""The measured loop of a ``--pipeline N`` run: N batches in flight, what a pipelined application sustains.

Batch i is submitted into slot i % N as soon as that slot's previous batch (i - N) is done. Per batch:
- ``latency_ms``: host submit -> done, i.e. the copy in, the wait behind the batches ahead of it, and the
  compute (trtexec's "end-to-end host latency", which includes waiting for the previous query). The done time
  is the batch's CUDA event, put on the host clock through an origin event recorded and waited for at a known
  host time; host and GPU clocks drift by parts per million over a run, far below a microsecond.
The measured window runs from the first measured submit to the last completion; sustained throughput is the
images in it divided by its length. Warm-up batches go through the same pipeline and are drained before the
window opens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional


@dataclass
class PipelinedPasses:
    latency_ms: list = field(default_factory=list)   # submit -> done, per measured batch
    warmup_ms: list = field(default_factory=list)
    measured_wall_s: float = 0.0                     # first measured submit -> last completion
    depth: int = 1
    extra: dict = field(default_factory=dict)
    last_output: Any = None
    rewarm_passes: int = 0


def _drain(pipeline, pending: dict, on_done) -> None:
    for slot in sorted(pending, key=lambda s: pending[s][0]):
        on_done(slot, pending.pop(slot)[1], pipeline.wait(slot))


def _pump(pipeline, batches: Iterator, depth: int, first_index: int, clock_ns, on_done,
          more: Callable[[int], bool]) -> int:
    """Submits batches while ``more(submitted so far)``, waiting for each slot before reusing it; drains at the
    end. Returns the next batch index."""
    pending: dict = {}  # slot -> (batch index, host submit ns)
    index = first_index
    while more(index - first_index):
        slot = index % depth
        if slot in pending:
            _, submitted = pending.pop(slot)
            on_done(slot, submitted, pipeline.wait(slot))
        batch = next(batches)
        pending[slot] = (index, clock_ns())
        pipeline.submit(slot, batch)
        index += 1
    _drain(pipeline, pending, on_done)
    return index


def run_pipelined_passes(pipeline, batches: Iterator, depth: int, warmup: int, iters: int,
                         min_duration_s: float = 0.0, on_measure_start: Optional[Callable[[], None]] = None,
                         clock_ns: Callable[[], int] = time.perf_counter_ns) -> PipelinedPasses:
    result = PipelinedPasses(depth=depth)
    origin = {}

    def host_ns(gpu_ms: float) -> float:
        return origin["host"] + gpu_ms * 1e6

    def warm_done(slot, submitted, gpu_ms):
        result.warmup_ms.append((host_ns(gpu_ms) - submitted) / 1e6)

    pipeline.set_origin()
    origin["host"] = clock_ns()
    after_warmup = _pump(pipeline, batches, depth, 0, clock_ns, warm_done, lambda submitted: submitted < warmup)
    if on_measure_start:
        on_measure_start()
    ends, last_slot = [], {}

    def measured_done(slot, submitted, gpu_ms):
        end = host_ns(gpu_ms)
        ends.append(end)
        last_slot["slot"] = slot
        result.latency_ms.append((end - submitted) / 1e6)

    start = clock_ns()
    min_ns = min_duration_s * 1e9
    _pump(pipeline, batches, depth, after_warmup, clock_ns, measured_done,
          lambda submitted: submitted < iters or clock_ns() - start < min_ns)
    result.measured_wall_s = (max(ends) - start) / 1e9 if ends else 0.0
    result.last_output = pipeline.output(last_slot["slot"]) if ends else None
    return result
