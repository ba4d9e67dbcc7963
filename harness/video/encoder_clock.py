"""The image encoder's share of each frame's latency: host milliseconds around the encoder, whichever runs it
(the model's own torch encoder, or an exported one on ONNX Runtime or TensorRT)."""

from __future__ import annotations

import time
from typing import Callable, Optional


class EncoderClock:
    """Host milliseconds of the image encoder per frame, whichever runs it: hooks around the torch encoder
    (``model.vision_encoder``), or around the ONNX Runtime call; ``sync`` makes the device's work part of it."""

    def __init__(self, sync: Callable[[], None]):
        self.sync, self.started, self.last_ms = sync, None, 0.0

    def begin(self, *_args) -> None:
        self.sync()
        self.started = time.perf_counter()

    def end(self, *_args) -> None:
        self.sync()
        self.last_ms += (time.perf_counter() - self.started) * 1000.0

    def attach(self, model) -> list:
        """Hooks on the torch encoder; returns their handles."""
        return [model.vision_encoder.register_forward_pre_hook(self.begin),
                model.vision_encoder.register_forward_hook(self.end)]

    def take(self) -> float:
        """The encoder's milliseconds since the last take (one frame's)."""
        value, self.last_ms = self.last_ms, 0.0
        return value


def timed(encoder: Optional[Callable], clock: EncoderClock) -> Optional[Callable]:
    """``encoder`` with its calls timed on ``clock`` (None stays None: the torch encoder is timed by hooks)."""
    if encoder is None:
        return None

    def run(pixel_values):
        clock.begin()
        features = encoder(pixel_values)
        clock.end()
        return features

    return run
