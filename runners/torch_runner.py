"""PyTorch eager: an Ultralytics checkpoint (.pt), Conv+BN fused, fp32 or fp16."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner, unenforced

MB = 2**20


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
        from ultralytics.nn.tasks import load_checkpoint

        self.torch = torch
        self.torch_device = torch.device(self.device)
        if self.precision == "fp16" and self.torch_device.type != "cuda":
            raise BackendUnavailable("fp16 needs a CUDA device")
        self.memory_limit = apply_torch_memory_fraction(torch, self.torch_device, self.memory_budget_mb)
        model, _ = load_checkpoint(self.artifact, device="cpu", fuse=True)
        model = model.to(self.torch_device).eval()
        self.dtype = torch.float16 if self.precision == "fp16" else torch.float32
        if self.dtype == torch.float16:
            model = model.half()
        for param in model.parameters():
            param.requires_grad_(False)
        self.model = model

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        tensor = self.torch.from_numpy(frames_nchw_uint8).to(self.torch_device)
        return tensor.to(self.dtype).div_(255.0)

    def infer(self, inputs: Any) -> Any:
        with self.torch.inference_mode():
            out = self.model(inputs)
        return out[0] if isinstance(out, (list, tuple)) else out

    def synchronize(self) -> None:
        if self.torch_device.type == "cuda":
            self.torch.cuda.synchronize(self.torch_device)

    def to_numpy(self, outputs: Any) -> np.ndarray:
        return outputs.detach().float().cpu().numpy()

    def cleanup(self) -> None:
        gc.collect()
        if self.torch_device.type == "cuda":
            self.torch.cuda.empty_cache()

    def release(self) -> None:
        self.model = None
        self.cleanup()

    def describe(self) -> dict:
        return {**super().describe(), "dtype": str(self.dtype).replace("torch.", ""), "fused_conv_bn": True}
