"""PyTorch eager: an Ultralytics checkpoint (.pt), Conv+BN fused, fp32 or fp16."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner


class TorchRunner(Runner):
    backend = "torch"

    def load(self) -> None:
        import torch
        from ultralytics.nn.tasks import load_checkpoint

        self.torch = torch
        self.torch_device = torch.device(self.device)
        if self.precision == "fp16" and self.torch_device.type != "cuda":
            raise BackendUnavailable("fp16 needs a CUDA device")
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
