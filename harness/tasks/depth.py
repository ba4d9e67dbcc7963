"""depth: one dense single-channel map per image (MiDaS / Depth Anything / Ultralytics Depth heads, ...).

Accuracy against ``--dense_gt``: ``<image stem>.npy`` (float, metres) or ``<image stem>.png`` (16-bit,
millimetres); ``--depth_scale`` overrides the unit (ground truth x scale = metres). The ground truth belongs
to the original image: one of another size is resized to it (nearest neighbour, counted), then it is brought
into the model input's frame with the same geometry as the pixels (letterbox padding is invalid). The
prediction is resized (bilinear) to the input size when it is smaller. Pixels whose ground truth is 0, NaN
or inf are masked. With ``--depth_median_scaling`` each prediction is first scaled by median(gt) /
median(pred), as monocular evaluations do for scale-free models. Figures are per-frame means, averaged over
frames: AbsRel = mean(|p - g| / g), RMSE = sqrt(mean((p - g)^2)), delta1 = share of pixels with
max(p / g, g / p) < 1.25. A missing ground-truth file skips that frame (counted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from harness.data.frame_resize import resize_geometry
from harness.tasks.base import AccuracyAccumulator, Figures, Task

ACCURACY = ("depth_abs_rel", "depth_rmse", "depth_delta1")


def depth_errors(pred: np.ndarray, gt: np.ndarray, median_scaling: bool = False) -> Optional[dict]:
    """AbsRel, RMSE and delta1 of one frame over the valid ground-truth pixels (None when there are none)."""
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    valid = np.isfinite(gt) & (gt > 0) & np.isfinite(pred)
    if not valid.any():
        return None
    p, g = pred[valid], gt[valid]
    if median_scaling and np.median(p) != 0:
        p = p * (np.median(g) / np.median(p))
    p = np.maximum(p, 1e-9)
    ratio = np.maximum(p / g, g / p)
    return {"depth_abs_rel": float(np.mean(np.abs(p - g) / g)), "depth_rmse": float(np.sqrt(np.mean((p - g) ** 2))),
            "depth_delta1": float(np.mean(ratio < 1.25))}


class BadGroundTruth(Exception):
    """A ground-truth file that exists but is not one depth map (unreadable, or not H x W): skipped and named."""


def _depth_map(array, name: str) -> np.ndarray:
    if array is None:
        raise BadGroundTruth(f"{name}: not readable as an image or array")
    array = np.asarray(array).squeeze()
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise BadGroundTruth(f"{name}: shape {tuple(array.shape)} {array.dtype}, expected one H x W depth map")
    return array.astype(np.float64)


def read_ground_truth(folder: Path, stem: str, scale: Optional[float]) -> Optional[np.ndarray]:
    """The frame's ground truth in metres, or None when neither file exists; BadGroundTruth when it is not one."""
    import cv2

    npy, png = folder / f"{stem}.npy", folder / f"{stem}.png"
    if npy.is_file():
        try:
            array = np.load(npy, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise BadGroundTruth(f"{npy.name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return _depth_map(array, npy.name) * (1.0 if scale is None else scale)
    if png.is_file():
        return _depth_map(cv2.imread(str(png), cv2.IMREAD_UNCHANGED), png.name) * (0.001 if scale is None else scale)
    return None


def to_input_frame(gt: np.ndarray, orig_w: int, orig_h: int, spec) -> np.ndarray:
    """The original-size ground truth warped into the model input's frame (nearest; outside = 0, invalid)."""
    import cv2

    geo = resize_geometry(orig_h, orig_w, (spec.height, spec.width), spec.resize)
    matrix = np.array([[geo.scale_x, 0, geo.offset_x], [0, geo.scale_y, geo.offset_y]], dtype=np.float64)
    return cv2.warpAffine(gt.astype(np.float32), matrix, (spec.width, spec.height), flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def prediction_map(output: np.ndarray, spec) -> np.ndarray:
    import cv2

    pred = np.asarray(output, dtype=np.float32).squeeze()
    if pred.shape != (spec.height, spec.width):
        pred = cv2.resize(pred, (spec.width, spec.height), interpolation=cv2.INTER_LINEAR)
    return pred


class DepthTask(Task):
    name = "depth"
    default_resize = "stretch"
    accuracy_figures = ACCURACY

    def accuracy(self, spec) -> Optional[AccuracyAccumulator]:
        return DepthAccuracy(self.settings, spec) if self.settings.dense_gt else None

    def accuracy_unavailable(self) -> str:
        return "no --dense_gt given (a folder of <image stem>.npy metres or .png millimetres)"


class DepthAccuracy(AccuracyAccumulator):
    def __init__(self, settings, spec):
        self.settings, self.spec = settings, spec
        self.frames, self.missing, self.resized, self.empty = [], 0, 0, 0
        self.bad: list = []  # {"file", "reason"} of ground-truth files that are not one depth map

    def add(self, outputs: list, records: list) -> None:
        import cv2

        scale = self.settings.depth_scale  # None: metres in .npy, millimetres in .png
        for output, record in zip(outputs[0], records):
            try:
                gt = read_ground_truth(Path(self.settings.dense_gt), Path(record["source_path"]).stem, scale)
            except BadGroundTruth as exc:
                self.bad.append({"file": str(exc).split(":", 1)[0], "reason": str(exc)})
                continue
            if gt is None:
                self.missing += 1
                continue
            w, h = record["original_size"]
            if gt.shape != (h, w):
                gt = cv2.resize(gt.astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
                self.resized += 1
            errors = depth_errors(prediction_map(output, self.spec), to_input_frame(gt, w, h, self.spec),
                                  self.settings.depth_median_scaling)
            if errors is None:
                self.empty += 1
            else:
                self.frames.append(errors)

    def result(self) -> Figures:
        counts = {"frames_n": len(self.frames), "missing_ground_truth_n": self.missing,
                  "resized_ground_truth_n": self.resized, "no_valid_pixels_n": self.empty,
                  "bad_ground_truth_n": len(self.bad), "bad_ground_truth": self.bad[:20],
                  "median_scaling": self.settings.depth_median_scaling, "ground_truth": self.settings.dense_gt,
                  "aggregation": "per-frame mean, averaged over frames"}
        if not self.frames:
            return Figures(details={"depth": counts}).missing(
                ACCURACY, f"no scored frame has ground truth in {self.settings.dense_gt} ({self.missing} missing, "
                          f"{len(self.bad)} unreadable or not H x W)")
        metrics = {name: float(np.mean([f[name] for f in self.frames])) for name in ACCURACY}
        return Figures(metrics=metrics, details={"depth": counts})
