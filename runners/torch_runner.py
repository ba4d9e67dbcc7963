"""PyTorch eager: an Ultralytics checkpoint (.pt, Conv+BN fused), a TorchScript archive or a torch.export
program (.pt2), fp32 or fp16; optionally channels-last memory format and CUDA graph replay (``options``:
model_file_kind, channels_last, cuda_graph). The input conversion follows the run's InputSpec."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner, unenforced
from runners.input_conversion import convert_torch
from runners.math_mode import apply_torch_math_mode

MB = 2**20
GRAPH_WARMUP_PASSES = 3  # passes on a side stream before capture, as torch.cuda.graphs requires


def apply_torch_memory_fraction(torch, device, budget_mb) -> dict:
    """A hard cap on torch's caching allocator: allocations past it raise torch.cuda.OutOfMemoryError."""
    if budget_mb is None or device.type != "cuda":
        return unenforced(budget_mb, "no CUDA device")
    total = torch.cuda.get_device_properties(device).total_memory
    fraction = min(1.0, budget_mb * MB / total)
    torch.cuda.set_per_process_memory_fraction(fraction, device)
    return {"limit_mb": budget_mb, "limit_type": "hard",
            "mechanism": f"torch.cuda.set_per_process_memory_fraction({fraction:.5f}) of {total / MB:.0f} MiB",
            "note": "caps the torch caching allocator (tensors, cuDNN/cuBLAS workspaces); the CUDA context and "
                    "memory allocated outside torch are not under the cap"}


class TorchRunner(Runner):
    backend = "torch"

    def load(self) -> None:
        import torch

        from runners.torch_model_files import load_torch_model

        self.torch = torch
        self.torch_device = torch.device(self.device)
        on_cuda = self.torch_device.type == "cuda"
        if self.precision == "fp16" and not on_cuda:
            raise BackendUnavailable("fp16 needs a CUDA device")
        if self.options.get("cuda_graph") and not on_cuda:
            raise BackendUnavailable("CUDA graphs need a CUDA device")
        self.memory_limit = apply_torch_memory_fraction(torch, self.torch_device, self.memory_budget_mb)
        self.math_mode = apply_torch_math_mode(torch, self.precision) if on_cuda else {}
        if self.input.extra_inputs:
            raise BackendUnavailable("the torch backend feeds the image input only; run a model with several inputs "
                                     "from its ONNX file (onnxruntime or tensorrt)")
        kind = self.options.get("model_file_kind", "ultralytics")
        model = load_torch_model(self.artifact, kind, "cpu").to(self.torch_device)
        self.dtype = torch.float16 if self.precision == "fp16" else torch.float32
        self.input_dtype = torch.uint8 if self.input.raw_pixels else self.dtype
        if self.dtype == torch.float16:
            model = model.half()
        self.memory_format = torch.channels_last if self.options.get("channels_last") else torch.contiguous_format
        if self.options.get("channels_last"):
            model = model.to(memory_format=torch.channels_last)
        for param in model.parameters():
            param.requires_grad_(False)
        self.model = model
        self.forward = self._wrap(model)
        self.graph = None
        if self.options.get("cuda_graph"):
            self._capture()
        self.streams = []
        if int(self.options.get("streams") or 1) > 1:
            if not on_cuda:
                raise BackendUnavailable("multi-stream runs need a CUDA device")
            self.streams = [torch.cuda.Stream(self.torch_device) for _ in range(int(self.options["streams"]))]

    def _wrap(self, model):
        """The callable the passes run; subclasses (torch.compile) replace it."""
        return model

    def _to_input(self, frames_nchw_uint8: np.ndarray):
        tensor = self.torch.from_numpy(frames_nchw_uint8).to(self.torch_device)
        tensor = convert_torch(tensor, self.input, self.input_dtype, self.torch)
        if self.input.layout == "nhwc":
            return tensor
        return tensor.contiguous(memory_format=self.memory_format)

    def _run(self, inputs):
        """Every output the model returns (the synchronize after it waits for all of them)."""
        with self.torch.inference_mode():
            return self.forward(inputs)

    def _capture(self) -> None:
        """Capture one forward pass on a static input buffer; replaying it skips the per-kernel launches."""
        torch = self.torch
        self.static_input = torch.zeros(self.image_input_shape(), dtype=self.input_dtype, device=self.torch_device)
        if self.input.layout == "nchw":
            self.static_input = self.static_input.contiguous(memory_format=self.memory_format)
        try:
            side = torch.cuda.Stream(self.torch_device)
            side.wait_stream(torch.cuda.current_stream(self.torch_device))
            with torch.cuda.stream(side):
                for _ in range(GRAPH_WARMUP_PASSES):
                    self._run(self.static_input)
            torch.cuda.current_stream(self.torch_device).wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.inference_mode(), torch.cuda.graph(self.graph):
                self.static_output = self.forward(self.static_input)
            torch.cuda.synchronize(self.torch_device)
        except Exception as exc:  # noqa: BLE001 - capture is not possible for every model
            self.graph = None
            raise BackendUnavailable(f"CUDA graph capture failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        if self.streams:  # the same batch, copied and converted on each stream, as S concurrent requests
            inputs = []
            for stream in self.streams:
                with self.torch.cuda.stream(stream):
                    inputs.append(self._to_input(frames_nchw_uint8))
            return inputs
        inputs = self._to_input(frames_nchw_uint8)
        if self.graph is not None:
            self.static_input.copy_(inputs)
            return self.static_input
        return inputs

    def infer(self, inputs: Any) -> Any:
        if self.streams:
            outputs = []
            for stream, batch in zip(self.streams, inputs):
                with self.torch.cuda.stream(stream):
                    outputs.append(self._run(batch))
            return outputs
        if self.graph is not None:
            self.graph.replay()
            return self.static_output
        return self._run(inputs)

    def pipeline(self, depth: int):
        """``depth`` batches in flight on separate copy and compute streams (CUDA only)."""
        from runners.torch_pipeline import TorchPipeline

        if self.torch_device.type != "cuda" or self.streams or self.graph is not None:
            raise BackendUnavailable("--pipeline needs a CUDA device and no --streams / --cuda_graph")
        return TorchPipeline(self, depth)

    def synchronize(self) -> None:
        if self.torch_device.type == "cuda":
            self.torch.cuda.synchronize(self.torch_device)

    def gpu_stream(self):
        if self.streams or self.torch_device.type != "cuda":
            return None
        return self.torch.cuda.current_stream(self.torch_device)

    def gpu_timing_unavailable(self) -> str:
        if self.streams:
            return (f"{len(self.streams)} streams run their batches concurrently and their kernels overlap: GPU compute per "
                    "batch is not defined; compare throughput and host latency")
        return super().gpu_timing_unavailable()

    def batches_per_pass(self) -> int:
        return max(1, len(self.streams))

    def to_numpy(self, outputs: Any) -> list:
        from runners.torch_model_files import flatten_outputs

        if self.streams:  # several streams ran the same batch: the first stream's copy
            outputs = outputs[0]
        return [t.detach().float().cpu().numpy() for t in flatten_outputs(outputs)]

    def cleanup(self) -> None:
        gc.collect()
        if self.torch_device.type == "cuda":
            self.torch.cuda.empty_cache()

    def release(self) -> None:
        self.model = self.forward = self.graph = None
        self.streams = []
        self.static_input = self.static_output = None
        self.cleanup()

    def describe(self) -> dict:
        from runners.torch_model_files import ULTRALYTICS_KINDS

        kind = self.options.get("model_file_kind", "ultralytics")
        return {**super().describe(), "dtype": str(self.dtype).replace("torch.", ""), "model_file_kind": kind,
                "fused_conv_bn": kind in ULTRALYTICS_KINDS,
                "channels_last": bool(self.options.get("channels_last")), "cuda_graph": self.graph is not None,
                "streams": int(self.options.get("streams") or 1), "math_mode": getattr(self, "math_mode", {})}
