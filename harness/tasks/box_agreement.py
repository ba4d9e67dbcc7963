"""Do a backend's detections agree with the reference's after NMS? Boxes from Ultralytics' own
non_max_suppression on both outputs, then greedy one-to-one matching (same class, IoU >= 0.5; for rotated
boxes the IoU is Ultralytics' probiou).

Thresholds follow Ultralytics' validator (conf 0.001, NMS IoU 0.7) so that even random-init weights give
enough boxes for the comparison to mean something; the figure is the share of reference boxes that the
backend reproduces. The matched pairs are returned too: segment and pose compare masks and keypoints on them.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

CONF, NMS_IOU, MAX_DET, MATCH_IOU = 0.001, 0.7, 100, 0.5


def nms(outputs: np.ndarray, nc: int = 0, rotated: bool = False, conf: float = CONF, iou: float = NMS_IOU,
        max_det: int = MAX_DET) -> list:
    """Per frame: N x (6 + extra) rows (x1 y1 x2 y2 | cx cy w h for rotated, conf, class, extra channels)."""
    import torch

    try:
        from ultralytics.utils.nms import non_max_suppression
    except ImportError:  # older Ultralytics
        from ultralytics.utils.ops import non_max_suppression
    tensor = outputs if isinstance(outputs, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(outputs, dtype=np.float32))
    boxes = non_max_suppression(tensor.float(), conf_thres=conf, iou_thres=iou, max_det=max_det, nc=nc,
                                rotated=rotated)
    return [b.cpu().numpy() for b in boxes]


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


def rotated_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """probiou of every (cx, cy, w, h, angle) box in ``a`` with every one in ``b`` (Ultralytics' batch_probiou)."""
    from ultralytics.utils.metrics import batch_probiou

    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    return np.asarray(batch_probiou(np.asarray(a, np.float32), np.asarray(b, np.float32)), dtype=np.float64)


def _rotated(rows: np.ndarray) -> np.ndarray:
    return np.concatenate([rows[:, :4], rows[:, -1:]], axis=1)


def matched_pairs(reference: np.ndarray, test: np.ndarray, iou: float = MATCH_IOU, rotated: bool = False) -> list:
    """Greedy, highest reference confidence first: (reference row, test row) pairs, each test box used once."""
    if len(reference) == 0 or len(test) == 0:
        return []
    ious = rotated_iou_matrix(_rotated(reference), _rotated(test)) if rotated else iou_matrix(reference[:, :4], test[:, :4])
    ious = np.where(reference[:, None, 5] == test[None, :, 5], ious, 0.0)
    used = np.zeros(len(test), dtype=bool)
    pairs = []
    for r in np.argsort(-reference[:, 4]):
        candidates = np.where(~used & (ious[r] >= iou))[0]
        if len(candidates):
            best = candidates[np.argmax(ious[r, candidates])]
            used[best] = True
            pairs.append((int(r), int(best)))
    return pairs


def matched_boxes(reference: np.ndarray, test: np.ndarray, iou: float = MATCH_IOU) -> int:
    return len(matched_pairs(reference, test, iou))


def box_agreement(reference_outputs: np.ndarray, test_outputs: np.ndarray, nc: int = 0, rotated: bool = False,
                  figure: str = "fidelity_box_match_pct") -> dict:
    """``figure``: reference boxes reproduced by the backend, over all frames, in %. Also the boxes after NMS
    (``reference_rows``, ``test_rows``) and the matched ``pairs`` per frame, for the task's own comparisons."""
    ref_boxes, test_boxes = nms(reference_outputs, nc, rotated), nms(test_outputs, nc, rotated)
    pairs = [matched_pairs(r, t, rotated=rotated) for r, t in zip(ref_boxes, test_boxes)]
    total = sum(len(b) for b in ref_boxes)
    matched = sum(len(p) for p in pairs)
    pct: Optional[float] = (matched / total * 100.0) if total else None
    return {figure: pct, "reference_boxes_n": total, "test_boxes_n": sum(len(b) for b in test_boxes),
            "matched_boxes_n": matched, "thresholds": {"conf": CONF, "nms_iou": NMS_IOU, "max_det": MAX_DET,
                                                       "match_iou": MATCH_IOU, "rotated": rotated},
            "reference_rows": ref_boxes, "test_rows": test_boxes, "pairs": pairs,
            **({} if total else {"note": "the reference has no boxes above the confidence threshold"})}
