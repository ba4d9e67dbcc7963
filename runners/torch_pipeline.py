"""``--pipeline N`` for the torch backends on CUDA: N batches in flight, as trtexec queues ahead.

Each of the N slots owns a pinned host buffer and a device input buffer, allocated once. Submitting batch i
into slot i % N: the uint8 frames are copied into the slot's pinned buffer (host), then an asynchronous copy to
the device on the copy stream, and the conversion + forward pass on the compute stream after that copy's event.
So the copy of batch i+1 overlaps the compute of batch i. Completion is read from CUDA events: the time a
batch finished is its done event's offset from an origin event (GPU clock, ms), which the measurement loop puts
on the host clock. The runner knows streams and buffers; the loop (harness.measure.pipeline_loop) knows time.
"""

from __future__ import annotations

import numpy as np

from runners.input_conversion import convert_torch


class TorchPipeline:
    def __init__(self, runner, depth: int):
        torch = runner.torch
        self.runner, self.torch, self.depth = runner, torch, depth
        self.device = runner.torch_device
        shape = (runner.batch, 3, runner.input.height, runner.input.width)
        self.pinned = [torch.empty(shape, dtype=torch.uint8).pin_memory() for _ in range(depth)]
        self.device_in = [torch.empty(shape, dtype=torch.uint8, device=self.device) for _ in range(depth)]
        self.copy_stream = torch.cuda.Stream(self.device)
        self.compute_stream = torch.cuda.Stream(self.device)
        self.copied = [torch.cuda.Event() for _ in range(depth)]
        self.done = [torch.cuda.Event(enable_timing=True) for _ in range(depth)]
        self.outputs = [None] * depth
        self.origin_event = torch.cuda.Event(enable_timing=True)

    def set_origin(self) -> None:
        """Records the origin event and waits for it: its host time is the caller's clock right after."""
        self.torch.cuda.synchronize(self.device)
        self.origin_event.record(self.compute_stream)
        self.origin_event.synchronize()

    def submit(self, slot: int, frames_nchw_uint8: np.ndarray) -> None:
        """The slot must be free (its previous batch waited for)."""
        torch = self.torch
        self.pinned[slot].copy_(torch.from_numpy(frames_nchw_uint8))
        with torch.cuda.stream(self.copy_stream):
            self.device_in[slot].copy_(self.pinned[slot], non_blocking=True)
            self.copied[slot].record(self.copy_stream)
        with torch.cuda.stream(self.compute_stream):
            self.compute_stream.wait_event(self.copied[slot])
            x = convert_torch(self.device_in[slot], self.runner.input, self.runner.input_dtype, torch)
            if self.runner.input.layout == "nchw":
                x = x.contiguous(memory_format=self.runner.memory_format)
            self.outputs[slot] = self.runner._run(x)
            self.done[slot].record(self.compute_stream)
        # the copy stream may overwrite device_in[slot] only after the compute that reads it: the next submit
        # into this slot happens after wait(slot), which waits for done[slot]

    def wait(self, slot: int) -> float:
        """Blocks until the slot's batch is done; returns when it finished, in ms after the origin event."""
        self.done[slot].synchronize()
        return self.origin_event.elapsed_time(self.done[slot])

    def output(self, slot: int):
        return self.outputs[slot]

    def release(self) -> None:
        self.pinned = self.device_in = self.outputs = []
