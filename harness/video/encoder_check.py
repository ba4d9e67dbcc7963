"""The fidelity of an exported image encoder, inside the run that measures it: the masks of a video run with the
encoder on ONNX Runtime against the masks of the same frames with the model's own torch encoder (same weights,
same precision, same prompts), frame by frame.

While the first measured video runs, the masks of its first ``ENCODER_CHECK_FRAMES`` processed frames are kept
(bit-packed, at the frame's original size). After the measured window closes, the same frames run again in a
fresh session with the torch encoder (outside every timed region and every memory peak), and each frame's masks
are compared: the IoU of each object's masks (1.0 when both are empty), and per frame the mean and the lowest
over its objects. A video model feeds its masks back as memory, so a difference on one frame can grow over the
following frames: the per-frame list shows whether it does.

Why the first frames of the first video and not every frame: the check runs the video a second time; a whole
hour-long video would double the run. ``ENCODER_CHECK_FRAMES`` frames bound its cost and its memory (the kept
masks) whatever the video's length.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from harness.tasks.vos_metrics import region_similarity

ENCODER_CHECK_FRAMES = 64
REFERENCE = "the model's own torch image encoder: same weights, precision, prompts and frames"


class MaskKeeper:
    """The masks of the first ``limit`` frames one video gives, bit-packed (frame index -> object -> bits)."""

    def __init__(self, limit: int = ENCODER_CHECK_FRAMES):
        self.limit, self.frames = int(limit), {}

    def wants(self, frame_index: int) -> bool:
        return len(self.frames) < self.limit or frame_index in self.frames

    def add(self, frame_index: int, masks: dict) -> None:
        if self.wants(frame_index):
            self.frames[int(frame_index)] = {obj: (m.shape, np.packbits(m.astype(bool), axis=None))
                                             for obj, m in masks.items()}

    def mask(self, frame_index: int, obj) -> Optional[np.ndarray]:
        kept = self.frames.get(int(frame_index), {}).get(obj)
        if kept is None:
            return None
        shape, bits = kept
        return np.unpackbits(bits, count=int(np.prod(shape))).reshape(shape).astype(bool)


class MaskComparison:
    """Compares the reference run's masks, frame by frame, with the kept ones."""

    def __init__(self, kept: MaskKeeper):
        self.kept, self.frame_indices, self.iou_mean, self.iou_min, self.missing = kept, [], [], [], []

    def wants(self, frame_index: int) -> bool:
        return int(frame_index) in self.kept.frames

    def add(self, frame_index: int, masks: dict) -> None:
        ious = []
        for obj, reference in masks.items():
            got = self.kept.mask(frame_index, obj)
            if got is None:
                self.missing.append([int(frame_index), int(obj)])
                continue
            ious.append(region_similarity(got, reference))  # J: mask IoU, 1.0 when both are empty
        if ious:
            self.frame_indices.append(int(frame_index))
            self.iou_mean.append(float(np.mean(ious)))
            self.iou_min.append(float(np.min(ious)))

    def record(self, video: str) -> dict:
        return {"video": video, "reference": REFERENCE, "frames_n": len(self.frame_indices),
                "frame_indices": self.frame_indices, "iou_mean_by_frame": self.iou_mean,
                "iou_min_by_frame": self.iou_min, "objects_missing": self.missing}


def encoder_check_figures(check: Optional[dict], why_not: Optional[str]) -> tuple:
    """(metrics, unavailable) of the check's record: the mean of the per-frame mean IoU, the lowest IoU of any
    object on any frame, and the frames compared."""
    names = ("encoder_mask_iou_mean", "encoder_mask_iou_min", "encoder_check_frames_n")
    if check is None or not check["frames_n"]:
        reason = why_not or "no frame of the first video could be compared"
        return {}, {name: reason for name in names}
    return {"encoder_mask_iou_mean": float(np.mean(check["iou_mean_by_frame"])),
            "encoder_mask_iou_min": float(np.min(check["iou_min_by_frame"])),
            "encoder_check_frames_n": check["frames_n"]}, {}
