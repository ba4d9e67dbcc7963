"""J and F for video object segmentation, as the DAVIS and SA-V evaluators define them (written once, here).

- ``J`` (region similarity): the IoU of the predicted and the annotated mask of one object in one frame; 1 when
  both are empty.
- ``F`` (boundary accuracy): the F-measure of the two masks' boundaries. A boundary is one pixel wide (the mask's
  pixels with a 4-neighbour outside it, the image edge counting as outside); a boundary pixel is matched when the
  other boundary lies within a disk of radius ``ceil(0.008 x image diagonal)`` around it. Precision = matched
  predicted boundary / predicted boundary, recall = matched annotated boundary / annotated boundary; with no
  boundary on either side both are 1, with none on one side only they are 1 and 0 (so F = 0).
- Per object: the mean of J and of F over its evaluated frames — its annotated frames except the first (the
  prompt frame) and the last, as semi-supervised SA-V / DAVIS evaluation does; ``J&F`` = (J + F) / 2. Per video:
  the mean over its objects. Over a split: the mean over every object (DAVIS 2017's "J&F-Mean"); the mean over
  videos is given beside it. Figures are fractions in [0, 1] (the papers print them x 100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

BOUNDARY_TOLERANCE = 0.008  # of the image diagonal


@dataclass
class PredictionCounts:
    missing_predictions: int = 0
    resized_predictions: int = 0


def scored_prediction(pred, shape: tuple, counts: PredictionCounts) -> np.ndarray:
    """The prediction a frame is scored with: a missing one is an empty mask (J = 0 where the object is annotated),
    one of another size is resized nearest to the annotation's; both counted."""
    from harness.data.vos_layouts import resized_mask

    if pred is None:
        counts.missing_predictions += 1
        return np.zeros(shape, dtype=bool)
    if pred.shape != tuple(shape):
        counts.resized_predictions += 1
        return resized_mask(pred, (shape[1], shape[0]))
    return pred


def region_similarity(pred: np.ndarray, gt: np.ndarray) -> float:
    pred, gt = pred.astype(bool), gt.astype(bool)
    union = np.logical_or(pred, gt).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(pred, gt).sum() / union)


def boundary(mask: np.ndarray) -> np.ndarray:
    """The mask's one-pixel-wide inner boundary."""
    mask = mask.astype(bool)
    padded = np.pad(mask, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


def tolerance_px(shape: tuple) -> int:
    return max(1, math.ceil(BOUNDARY_TOLERANCE * math.hypot(shape[0], shape[1])))


def _dilate(edges: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(edges.astype(np.uint8), disk).astype(bool)


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray) -> float:
    pred_edges, gt_edges = boundary(pred), boundary(gt)
    n_pred, n_gt = int(pred_edges.sum()), int(gt_edges.sum())
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    radius = tolerance_px(gt.shape)
    precision = float((pred_edges & _dilate(gt_edges, radius)).sum() / n_pred)
    recall = float((gt_edges & _dilate(pred_edges, radius)).sum() / n_gt)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def evaluated_frames(annotated: list) -> list:
    """The frames an object is scored on: its annotated frames without the first (prompt) and the last."""
    ordered = sorted(annotated)
    return ordered[1:-1]


@dataclass
class ObjectScore:
    video: str
    object_id: str
    j: list = field(default_factory=list)
    f: list = field(default_factory=list)

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        self.j.append(region_similarity(pred, gt))
        self.f.append(boundary_f_measure(pred, gt))

    def row(self) -> dict:
        j = float(np.mean(self.j)) if self.j else None
        f = float(np.mean(self.f)) if self.f else None
        both = (j + f) / 2 if j is not None and f is not None else None
        return {"video": self.video, "object": self.object_id, "frames_n": len(self.j), "j_mean": j, "f_mean": f,
                "j_and_f": both}


def video_rows(objects: list) -> list:
    """Per video: the mean of its objects' J, F and J&F."""
    by_video: dict = {}
    for row in (o.row() for o in objects):
        if row["j_mean"] is not None:
            by_video.setdefault(row["video"], []).append(row)
    return [{"video": video, "objects_n": len(rows), **{k: float(np.mean([r[k] for r in rows]))
                                                        for k in ("j_mean", "f_mean", "j_and_f")}}
            for video, rows in sorted(by_video.items())]


def split_figures(objects: list) -> dict:
    """Over a split: the mean over objects (DAVIS 2017's convention), and the mean over videos beside it."""
    rows = [o.row() for o in objects if o.j]
    if not rows:
        return {"j_and_f": None, "j_mean": None, "f_mean": None, "j_and_f_video_mean": None, "objects_n": 0}
    videos = video_rows(objects)
    return {"j_and_f": float(np.mean([r["j_and_f"] for r in rows])),
            "j_mean": float(np.mean([r["j_mean"] for r in rows])),
            "f_mean": float(np.mean([r["f_mean"] for r in rows])),
            "j_and_f_video_mean": float(np.mean([v["j_and_f"] for v in videos])),
            "objects_n": len(rows), "videos_n": len(videos)}
