"""One measured pass, broken down (outside the host clock's total, nothing is added):

- ``prepare_ms``: host time to copy the uint8 batch to the device and convert it (runner.prepare);
- ``enqueue_ms``: host time to submit the model's work (runner.infer returning; on CUDA the kernels may
  still be running);
- ``gpu_compute_ms``: CUDA events recorded on the runner's stream just before and after the model's work,
  so the input copy is not in it (trtexec's "GPU Compute Time"). Only where the runner exposes the stream it
  submits to: ONNX Runtime's CUDA provider uses its own internal stream, so none there.
The host end-to-end latency of the pass is measured around the whole step by the timing loop.
"""

from __future__ import annotations

import time
from typing import Callable

from harness.measure.timing_loop import StepResult


def make_step(runner, torch_module) -> tuple:
    """(step function, why GPU compute is not measured or None)."""
    stream = runner.gpu_stream()
    events = None
    why_no_gpu = None
    if stream is not None:
        events = (torch_module.cuda.Event(enable_timing=True), torch_module.cuda.Event(enable_timing=True))
    else:
        why_no_gpu = runner.gpu_timing_unavailable()
    clock: Callable[[], int] = time.perf_counter_ns

    def step(batch):
        t0 = clock()
        inputs = runner.prepare(batch)
        t1 = clock()
        if events:
            events[0].record(stream)
        outputs = runner.infer(inputs)
        if events:
            events[1].record(stream)
        t2 = clock()
        runner.synchronize()
        samples = {"prepare_ms": (t1 - t0) / 1e6, "enqueue_ms": (t2 - t1) / 1e6}
        if events:
            samples["gpu_compute_ms"] = events[0].elapsed_time(events[1])
        return StepResult(outputs, samples)

    return step, why_no_gpu
