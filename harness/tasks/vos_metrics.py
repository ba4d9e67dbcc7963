"""J and F for video object segmentation, exactly as the official evaluators compute them (written once, here):
DAVIS 2017's ``davis2017-evaluation`` (``davis2017/metrics.py``) and SA-V's ``sav_dataset/utils/sav_benchmark.py``,
which share J and F and differ in the frames and objects they score.

- ``J`` (region similarity): the IoU of the predicted and the annotated mask of one object in one frame; 1 when
  both are empty.
- ``F`` (boundary accuracy): the F-measure of the two masks' boundaries. A boundary is DAVIS's ``seg2bmap``: a
  pixel is on it when it differs from its right, lower or lower-right neighbour, the image's last row and column
  compared with their right / lower neighbour only (so the image edge is not a boundary by itself). A boundary
  pixel is matched when it lies in the other boundary dilated (OpenCV) by scikit-image's ``disk(r)``, r =
  ``ceil(0.008 x image diagonal)`` (8 px at 854 x 480). Precision = matched predicted boundary / predicted
  boundary, recall = matched annotated boundary / annotated boundary; with no boundary on either side F = 1, with
  none on one side only F = 0.
- Frames and objects (``protocol``):
  - ``sav`` (default; SA-V val/test): per object, its annotated frames (in the per-object layout, the files of its
    folder; in the palette layout, every annotated frame) without the first and the last; of those, the frames
    from the first where the prediction or the annotation is not empty on. An object is scored when its
    annotation is not empty on one of them (the official code stops with an error otherwise).
  - ``davis`` (DAVIS 2017 semi-supervised): the video's annotated frames without its first and last, every one of
    them, for every object present on the video's first annotated frame.
- Per object: the mean of J and of F over its scored frames; ``J&F`` = (J + F) / 2. Per video: the mean over its
  objects. Over a split: the mean over every object (both evaluators' global score); the mean over videos is
  given beside it. Figures are fractions in [0, 1] (the evaluators print them x 100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

BOUNDARY_TOLERANCE = 0.008  # of the image diagonal
PROTOCOLS = ("sav", "davis")


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


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """DAVIS's ``_seg2bmap`` at the mask's own size: a pixel differing from its right (e), lower (s) or lower-right
    (se) neighbour; the last row compares with e only, the last column with s only, the corner is never set."""
    seg = mask.astype(bool)
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    edges = seg ^ e | seg ^ s | seg ^ se
    edges[-1, :] = seg[-1, :] ^ e[-1, :]
    edges[:, -1] = seg[:, -1] ^ s[:, -1]
    edges[-1, -1] = False
    return edges


def disk(radius: int) -> np.ndarray:
    """scikit-image's ``morphology.disk(radius)``: the (2r+1)^2 grid's points with x^2 + y^2 <= r^2, uint8."""
    grid = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(grid, grid)
    return (x ** 2 + y ** 2 <= radius ** 2).astype(np.uint8)


def tolerance_px(shape: tuple) -> int:
    """ceil(0.008 x the image diagonal), in pixels."""
    return math.ceil(BOUNDARY_TOLERANCE * math.hypot(shape[0], shape[1]))


def _dilate(edges: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    return cv2.dilate(edges.astype(np.uint8), disk(radius)).astype(bool)


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray) -> float:
    pred_edges, gt_edges = seg2bmap(pred), seg2bmap(gt)
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
    """Annotated frames without the first and the last (both evaluators' semi-supervised convention)."""
    ordered = sorted(annotated)
    return ordered[1:-1]


def frames_to_score(protocol: str, object_frames: list, video_frames: list, on_first_frame: bool):
    """The frames an object is fed on under ``protocol`` (in order), or None when the protocol does not score it:
    ``sav`` its own annotated frames, ``davis`` the video's, for objects on the video's first annotated frame."""
    if protocol == "davis":
        return evaluated_frames(video_frames) if on_first_frame else None
    if protocol == "sav":
        return evaluated_frames(object_frames)
    raise ValueError(f"unknown protocol {protocol!r}; choose {' or '.join(PROTOCOLS)}")


@dataclass
class ObjectScore:
    """One object's J and F, fed its frames in order. Under ``sav`` the frames before the first where the
    prediction or the annotation is not empty are not scored, and an object never annotated on a fed frame gets no
    figure; under ``davis`` every fed frame is scored."""

    video: str
    object_id: str
    protocol: str = "sav"
    j: list = field(default_factory=list)
    f: list = field(default_factory=list)
    started: bool = False
    annotated: bool = False

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        present = bool(gt.any())
        if self.protocol == "sav" and not self.started and not (present or pred.any()):
            return
        self.started, self.annotated = True, self.annotated or present
        self.j.append(region_similarity(pred, gt))
        self.f.append(boundary_f_measure(pred, gt))

    @property
    def scored(self) -> bool:
        return bool(self.j) and (self.annotated or self.protocol == "davis")

    def row(self) -> dict:
        j = float(np.mean(self.j)) if self.scored else None
        f = float(np.mean(self.f)) if self.scored else None
        both = (j + f) / 2 if j is not None and f is not None else None
        return {"video": self.video, "object": self.object_id, "frames_n": len(self.j) if self.scored else 0,
                "j_mean": j, "f_mean": f, "j_and_f": both}


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
    rows = [o.row() for o in objects if o.scored]
    if not rows:
        return {"j_and_f": None, "j_mean": None, "f_mean": None, "j_and_f_video_mean": None, "objects_n": 0}
    videos = video_rows(objects)
    return {"j_and_f": float(np.mean([r["j_and_f"] for r in rows])),
            "j_mean": float(np.mean([r["j_mean"] for r in rows])),
            "f_mean": float(np.mean([r["f_mean"] for r in rows])),
            "j_and_f_video_mean": float(np.mean([v["j_and_f"] for v in videos])),
            "objects_n": len(rows), "videos_n": len(videos)}
