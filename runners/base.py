"""The small interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class BackendUnavailable(Exception):
    """This backend cannot run this run here (missing library, unsupported precision/device)."""


class Runner(ABC):
    """Load an artifact, allocate inputs, run a batch, synchronize, release.

    ``prepare`` + ``infer`` + ``synchronize`` together are one measured pass (host end-to-end: the copy of
    the uint8 batch to the device and its conversion to the model's input type are inside).
    """

    backend: str = ""

    def __init__(self, artifact: str, device: str, precision: str, imgsz: int, batch: int):
        self.artifact = artifact
        self.device = device
        self.precision = precision
        self.imgsz = imgsz
        self.batch = batch

    @abstractmethod
    def load(self) -> None:
        """Load the artifact onto the device (timed as model load)."""

    @abstractmethod
    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        """Host uint8 NCHW RGB batch -> the model's input (on the device, normalized to [0, 1])."""

    @abstractmethod
    def infer(self, inputs: Any) -> Any:
        """Run the model; may return before the device has finished."""

    def synchronize(self) -> None:
        """Block until the device has finished the work submitted so far."""

    @abstractmethod
    def to_numpy(self, outputs: Any) -> np.ndarray:
        """The primary output as a float32 numpy array (outside the timed region)."""

    def cleanup(self) -> None:
        """Release cached, unused memory between chunks (outside the timed region)."""

    @abstractmethod
    def release(self) -> None:
        """Drop the model and everything it holds."""

    def describe(self) -> dict:
        """Facts about how this runner executes (providers, dtype, device), stored in the result."""
        return {"backend": self.backend, "device": self.device, "precision": self.precision}
