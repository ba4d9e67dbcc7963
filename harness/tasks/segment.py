"""segment: boxes + instance masks (Ultralytics Segment head: output 0 is (4 + classes + 32 mask
coefficients) x anchors, output 1 the 32 mask prototypes at a quarter of the input size).

Fidelity adds ``fidelity_mask_iou_mean``: the masks of matched reference / backend boxes (Ultralytics'
process_mask at prototype resolution, as its validator scores them) and their mean IoU. Accuracy: box and
mask mAP with Ultralytics' SegmentationValidator, from YOLO polygon labels.
"""

from __future__ import annotations

import numpy as np

from harness.tasks.base import Figures
from harness.tasks.yolo_family import YoloHeadTask, box_targets, frame_geometry
from harness.tasks.yolo_labels import polygon_masks


def instance_masks(protos: np.ndarray, rows: np.ndarray, coefficients: int) -> np.ndarray:
    """Binary masks (N x h x w) of NMS rows whose last ``coefficients`` columns are mask coefficients."""
    import torch
    from ultralytics.utils.ops import process_mask

    if len(rows) == 0:
        return np.zeros((0, *protos.shape[1:]), dtype=bool)
    shape = (protos.shape[1] * 4, protos.shape[2] * 4)
    masks = process_mask(torch.from_numpy(np.ascontiguousarray(protos, np.float32)),
                         torch.from_numpy(np.ascontiguousarray(rows[:, -coefficients:], np.float32)),
                         torch.from_numpy(np.ascontiguousarray(rows[:, :4], np.float32)), shape, upsample=False)
    return masks.numpy() > 0.5


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


class SegmentTask(YoloHeadTask):
    name = "segment"
    label_format = "class x1 y1 x2 y2 ... (a polygon) or class cx cy w h"
    map_figures = ("map50", "map50_95", "mask_map50", "mask_map50_95")

    def label_fits(self, row) -> bool:
        return len(row) == 5 or (len(row) >= 7 and len(row) % 2 == 1)

    def matched_figures(self) -> tuple:
        return ("fidelity_mask_iou_mean",)

    def extra_channels(self, outputs: list) -> int:
        return int(outputs[1].shape[1]) if len(outputs) > 1 else 0

    def compare_matched(self, agreement: dict, reference: list, test: list) -> Figures:
        if len(reference) < 2:
            return Figures().missing(self.matched_figures(), "the model has no mask-prototype output")
        return super().compare_matched(agreement, reference, test)

    def pair_scores(self, frame: int, pairs: list, agreement: dict, reference: list, test: list) -> list:
        coefficients = self.extra_channels(reference)
        ref_masks = instance_masks(reference[1][frame], agreement["reference_rows"][frame], coefficients)
        test_masks = instance_masks(test[1][frame], agreement["test_rows"][frame], coefficients)
        return [mask_iou(ref_masks[r], test_masks[t]) for r, t in pairs]

    def targets(self, record: dict, spec, rows: list) -> dict:
        import torch

        geometry = frame_geometry(record, spec)
        return {**box_targets(rows, "polygon", geometry), "masks": torch.from_numpy(polygon_masks(rows, *geometry))}
