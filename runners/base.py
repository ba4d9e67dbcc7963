"""The small interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

import numpy as np

from harness.data.image_size import parse_size
from harness.model_input.input_spec import InputSpec


def unenforced(budget_mb: Optional[float], why: str) -> dict:
    """A budget we can only monitor (violations are still counted by the memory sampler)."""
    return {"limit_mb": budget_mb, "limit_type": "unavailable", "mechanism": None,
            "note": why if budget_mb is not None else "no GPU memory budget applies to this run"}


class BackendUnavailable(Exception):
    """This backend cannot run this run here (missing library, unsupported precision/device)."""


class Runner(ABC):
    """Load an artifact, allocate inputs, run a batch, synchronize, release.

    ``prepare`` + ``infer`` + ``synchronize`` together are one measured pass (host end-to-end: the copy of
    the uint8 batch to the device and its conversion to the model's input type are inside). ``input_spec``
    says how that conversion is done (layout, dtype, normalization, channel order, extra inputs); without one
    the model takes ``imgsz`` RGB NCHW float in [0, 1].
    """

    backend: str = ""

    def __init__(self, artifact: str, device: str, precision: str, imgsz, batch: int,
                 memory_budget_mb: Optional[float] = None, options: Optional[dict] = None,
                 input_spec: Optional[InputSpec] = None):
        self.artifact = artifact
        self.device = device
        self.precision = precision
        self.input = input_spec or InputSpec(*parse_size(imgsz))
        self.imgsz = self.input.size
        self.batch = batch
        self.memory_budget_mb = memory_budget_mb
        self.options = dict(options or {})
        # How the budget is enforced, filled in by load(): limit_type is hard (allocations past it fail) |
        # preflight (checked once against the engine's declared device memory, not a cap: TensorRT) | unavailable.
        self.memory_limit: dict = unenforced(memory_budget_mb, "this backend does not enforce a memory budget")

    @abstractmethod
    def load(self) -> None:
        """Apply the memory budget, then load the artifact onto the device (timed as model load)."""

    @abstractmethod
    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        """Host uint8 NCHW RGB batch -> the model's input (on the device, normalized to [0, 1])."""

    @abstractmethod
    def infer(self, inputs: Any) -> Any:
        """Run the model; may return before the device has finished."""

    def synchronize(self) -> None:
        """Block until the device has finished the work submitted so far."""

    def batches_per_pass(self) -> int:
        """Batches one pass processes (more than one when several streams each run one concurrently)."""
        return 1

    def pipeline(self, depth: int):
        """An object that keeps ``depth`` batches in flight (see runners.torch_pipeline), for --pipeline."""
        raise BackendUnavailable(f"--pipeline is implemented for the torch backends on CUDA, not {self.backend}")

    def gpu_stream(self):
        """The torch CUDA stream this runner submits the model's work to (for CUDA-event timing), or None."""
        return None

    def gpu_timing_unavailable(self) -> str:
        """Why GPU compute time cannot be measured for this runner (when gpu_stream() is None)."""
        return "the run executes on the CPU: there is no GPU compute time"

    @abstractmethod
    def to_numpy(self, outputs: Any) -> list:
        """Every output of the model, in the graph's order, as float32 numpy arrays (outside the timed region)."""

    def image_input_shape(self) -> tuple:
        """The image input's shape for this run, in the model's layout."""
        h, w = self.input.height, self.input.width
        return (self.batch, h, w, 3) if self.input.layout == "nhwc" else (self.batch, 3, h, w)

    def cleanup(self) -> None:
        """Release cached, unused memory between chunks (outside the timed region)."""

    @abstractmethod
    def release(self) -> None:
        """Drop the model and everything it holds."""

    def describe(self) -> dict:
        """Facts about how this runner executes (providers, dtype, device), stored in the result."""
        return {"backend": self.backend, "device": self.device, "precision": self.precision,
                "memory_limit": self.memory_limit}
