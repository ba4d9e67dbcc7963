"""One video's streaming session with a SAM 2 / EdgeTAM model: prompts added at their frames, one model call per
frame, masks back at the frame's original size. How the graph executes, nothing about timing or scoring.

A frame arrives as the preprocessed uint8 3 x S x S array (stretched to the model's square input, as the
library's processor resizes); :meth:`VideoSession.prepare` copies it to the device and normalizes it with the
processor's ImageNet mean and std, in the run's dtype. :meth:`step` is the model's call for that frame: image
encoder, memory attention over the memory bank, mask decoder and memory encoder of every tracked object, given the
frame's absolute index in the video (so a prompt given on frame k lands on frame k, whichever frame the session
started at); then, with a window (harness/video/window.py), the session drops what frames outside it hold.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from harness.video.encoder_clock import EncoderClock, timed
from harness.video.window import trim_session

DTYPES = {"fp32": "float32", "tf32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def seed_features(session, frame_index: int, features: dict) -> None:
    """Put a frame's features into a transformers video session's cache, where the model looks first."""
    session.cache.cache_vision_features(int(frame_index), features)


class VideoSession:
    def __init__(self, model, processor, torch_module, device: str, precision: str, original_hw: tuple,
                 window: Optional[int] = None, encoder=None, clock=None):
        self.model, self.processor, self.torch = model, processor, torch_module
        self.device = device
        self.dtype = getattr(torch_module, DTYPES[precision])
        self.original_hw = tuple(int(v) for v in original_hw)
        self.session = processor.init_video_session(inference_device=device, dtype=self.dtype)
        mean = np.asarray(processor.image_processor.image_mean, dtype=np.float32).reshape(3, 1, 1)
        std = np.asarray(processor.image_processor.image_std, dtype=np.float32).reshape(3, 1, 1)
        self.scale = torch_module.from_numpy(1.0 / (255.0 * std)).to(device)
        self.shift = torch_module.from_numpy(mean / std).to(device)
        self.objects: list = []
        self.window = window                  # frames kept besides the prompted ones; None keeps every frame
        self.prompted: set = set()
        self.encoder = encoder                # pixels -> the frame's features (ONNX Runtime); None: the model's own
        self.clock = clock                    # harness.video.encoder_clock.EncoderClock, or None

    def prepare(self, frame_chw_uint8: np.ndarray):
        """Host uint8 3 x S x S -> normalized device tensor in the run's dtype."""
        tensor = self.torch.from_numpy(np.ascontiguousarray(frame_chw_uint8)).to(self.device, non_blocking=True)
        return (tensor.float() * self.scale - self.shift).to(self.dtype)

    def add(self, prompts: list) -> None:
        """Give the prompts of one frame (harness.tasks.vos.ObjectPrompt, all of one kind) in one call, before
        :meth:`step` of that frame: the session treats the objects of one call as that frame's new inputs."""
        kinds = {p.kind for p in prompts}
        if len(kinds) != 1:
            raise ValueError(f"one prompt kind per frame, got {sorted(kinds)}")
        kind, ids = kinds.pop(), [p.object_id for p in prompts]
        if kind == "points":
            kwargs = {"input_points": [[[list(map(float, xy)) for xy in p.points] for p in prompts]],
                      "input_labels": [[[1] * len(p.points) for p in prompts]], "original_size": self.original_hw}
        elif kind == "bbox":
            kwargs = {"input_boxes": [[list(map(float, p.box)) for p in prompts]], "original_size": self.original_hw}
        elif kind == "mask":
            kwargs = {"input_masks": [p.mask.astype(bool) for p in prompts]}
        else:
            raise ValueError(f"unknown prompt {kind!r}")
        self.processor.add_inputs_to_inference_session(self.session, frame_idx=prompts[0].frame_index, obj_ids=ids,
                                                       **kwargs)
        self.objects.extend(ids)
        self.prompted.add(int(prompts[0].frame_index))

    def step(self, pixel_values, frame_index: int):
        """The model's call for frame ``frame_index`` of the video; returns its output (masks still on the device,
        low resolution). With a window, what the session holds of older frames is dropped after the call. With an
        external encoder, the frame's features are computed by it and cached first, so the model skips its own."""
        if self.encoder is not None:
            seed_features(self.session, frame_index, self.encoder(pixel_values))
        output = self.model(inference_session=self.session, frame=pixel_values, frame_idx=int(frame_index))
        if self.window is not None:
            trim_session(self.session, int(frame_index), self.window, self.prompted)
        return output

    def encoder_ms(self) -> Optional[float]:
        """The image encoder's milliseconds in the last step (None without a clock)."""
        return self.clock.take() if self.clock is not None else None

    def masks(self, output) -> dict:
        """object id -> bool H x W mask at the frame's original size (the processor's upsampling, threshold 0)."""
        upsampled = self.processor.post_process_masks([output.pred_masks.float()], original_sizes=[self.original_hw],
                                                      binarize=True)[0]
        ids = list(getattr(output, "object_ids", None) or self.session.obj_ids)
        return {int(obj): upsampled[i, 0].cpu().numpy().astype(bool) for i, obj in enumerate(ids)}

    def close(self) -> None:
        """Drop the session's memory bank and cached features (the caller then collects and empties caches)."""
        reset = getattr(self.session, "reset_inference_session", None)
        if reset is not None:
            reset()
        self.session = None


def timed_session(model, processor, torch_module, device: str, precision: str, original_hw: tuple,
                  window: Optional[int], encoder, sync) -> tuple:
    """(a VideoSession whose image encoder is timed, the hooks to remove after it): ONNX Runtime's calls when
    ``encoder`` is given, else hooks around the model's own encoder."""
    clock = EncoderClock(sync)
    hooks = [] if encoder is not None else clock.attach(model)
    session = VideoSession(model, processor, torch_module, device, precision, original_hw, window,
                           timed(encoder, clock), clock)
    return session, hooks
