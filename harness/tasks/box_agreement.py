"""Do a backend's detections agree with the reference's after NMS? Boxes from Ultralytics' own
non_max_suppression on both outputs, then greedy one-to-one matching (same class, IoU >= 0.5).

Thresholds follow Ultralytics' validator (conf 0.001, NMS IoU 0.7) so that even random-init weights give
enough boxes for the comparison to mean something; the figure is the share of reference boxes that the
backend reproduces.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

CONF, NMS_IOU, MAX_DET, MATCH_IOU = 0.001, 0.7, 100, 0.5


def _nms(outputs: np.ndarray) -> list:
    import torch

    try:
        from ultralytics.utils.nms import non_max_suppression
    except ImportError:  # older Ultralytics
        from ultralytics.utils.ops import non_max_suppression
    boxes = non_max_suppression(torch.from_numpy(np.ascontiguousarray(outputs, dtype=np.float32)), conf_thres=CONF,
                                iou_thres=NMS_IOU, max_det=MAX_DET)
    return [b.numpy() for b in boxes]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every xyxy box in ``a`` with every one in ``b``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def matched_boxes(reference: np.ndarray, test: np.ndarray, iou: float = MATCH_IOU) -> int:
    """Greedy, highest reference confidence first: each test box matches at most one reference box."""
    if len(reference) == 0 or len(test) == 0:
        return 0
    ious = iou_matrix(reference[:, :4], test[:, :4])
    same_class = reference[:, None, 5] == test[None, :, 5]
    ious = np.where(same_class, ious, 0.0)
    used = np.zeros(len(test), dtype=bool)
    matched = 0
    for r in np.argsort(-reference[:, 4]):
        candidates = np.where(~used & (ious[r] >= iou))[0]
        if len(candidates):
            used[candidates[np.argmax(ious[r, candidates])]] = True
            matched += 1
    return matched


def box_agreement(reference_outputs: np.ndarray, test_outputs: np.ndarray) -> dict:
    """``fidelity_box_match_pct``: reference boxes reproduced by the backend, over all frames, in %."""
    ref_boxes, test_boxes = _nms(reference_outputs), _nms(test_outputs)
    total = sum(len(b) for b in ref_boxes)
    matched = sum(matched_boxes(r, t) for r, t in zip(ref_boxes, test_boxes))
    pct: Optional[float] = (matched / total * 100.0) if total else None
    return {"fidelity_box_match_pct": pct, "reference_boxes_n": total, "test_boxes_n": sum(len(b) for b in test_boxes),
            "matched_boxes_n": matched, "thresholds": {"conf": CONF, "nms_iou": NMS_IOU, "max_det": MAX_DET, "match_iou": MATCH_IOU},
            **({} if total else {"note": "the reference has no boxes above the confidence threshold"})}
