"""mAP50 and mAP50-95 of a detection backend's own raw outputs, with Ultralytics' metrics code.

The same steps as Ultralytics' DetectionValidator.update_metrics, through its public pieces: its NMS
post-processing (conf 0.001, IoU 0.7, 300 boxes, multi-label), box_iou, match_predictions over IoU 0.50:0.95,
and DetMetrics. Boxes are compared in the letterboxed input's pixel space, as the validator does; labels are
YOLO txt files normalized to the original image and are mapped there with the letterbox geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.letterbox import letterbox_geometry

VAL_CONF, VAL_IOU, VAL_MAX_DET = 0.001, 0.7, 300


def read_yolo_labels(path) -> np.ndarray:
    """N x 5 (class, cx, cy, w, h normalized); empty when the file is missing or empty."""
    if not path or not Path(path).is_file():
        return np.zeros((0, 5), dtype=np.float32)
    rows = [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
    return np.array([[float(v) for v in row[:5]] for row in rows], dtype=np.float32).reshape(-1, 5)


def labels_to_letterbox_xyxy(labels: np.ndarray, orig_w: int, orig_h: int, imgsz: int) -> np.ndarray:
    """Normalized cx, cy, w, h on the original image -> x1, y1, x2, y2 in the letterboxed input's pixels."""
    geo = letterbox_geometry(orig_h, orig_w, imgsz)
    cx, cy, w, h = labels[:, 1] * orig_w, labels[:, 2] * orig_h, labels[:, 3] * orig_w, labels[:, 4] * orig_h
    sx, sy = geo.resized_w / orig_w, geo.resized_h / orig_h
    return np.stack([(cx - w / 2) * sx + geo.pad_left, (cy - h / 2) * sy + geo.pad_top,
                     (cx + w / 2) * sx + geo.pad_left, (cy + h / 2) * sy + geo.pad_top], axis=1)


class MapAccumulator:
    def __init__(self, num_classes: int):
        from ultralytics.models.yolo.detect import DetectionValidator

        self.validator = DetectionValidator(args={"conf": VAL_CONF, "iou": VAL_IOU, "max_det": VAL_MAX_DET,
                                                  "task": "detect", "plots": False, "save_json": False})
        self.validator.nc = num_classes
        self.validator.end2end = False
        self.validator.metrics.names = {i: str(i) for i in range(num_classes)}
        self.images = 0

    def add(self, raw_output: np.ndarray, labels_xyxy: np.ndarray, label_classes: np.ndarray, name: str) -> None:
        """One image: its raw (4 + nc) x anchors output and its boxes in letterbox pixels."""
        import torch
        from ultralytics.utils.metrics import box_iou

        predn = self.validator.postprocess(torch.from_numpy(np.ascontiguousarray(raw_output[None], dtype=np.float32)))[0]
        target_cls = torch.from_numpy(label_classes.astype(np.float32))
        target_boxes = torch.from_numpy(labels_xyxy.astype(np.float32))
        if len(target_cls) and len(predn["cls"]):
            tp = self.validator.match_predictions(predn["cls"], target_cls, box_iou(target_boxes, predn["bboxes"])).numpy()
        else:
            tp = np.zeros((len(predn["cls"]), self.validator.niou), dtype=bool)
        cls = target_cls.numpy()
        self.validator.metrics.update_stats({"tp": tp, "target_cls": cls, "target_img": np.unique(cls),
                                             "conf": predn["conf"].numpy(), "pred_cls": predn["cls"].numpy(),
                                             "im_name": name})
        self.images += 1

    def result(self) -> dict:
        metrics = self.validator.metrics
        metrics.process(save_dir=Path("."), plot=False)
        values = metrics.results_dict
        return {"map50": float(values["metrics/mAP50(B)"]), "map50_95": float(values["metrics/mAP50-95(B)"]),
                "precision": float(values["metrics/precision(B)"]), "recall": float(values["metrics/recall(B)"])}
