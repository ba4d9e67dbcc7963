"""mAP of a YOLO-family backend's own raw outputs, with Ultralytics' own validators and metrics.

For each scored frame: the task's validator post-processes the raw outputs (NMS at the validator's
thresholds: conf 0.001, IoU 0.7, 300 boxes, multi-label), its ``_process_batch`` matches predictions with the
targets (box IoU for detect, plus mask IoU for segment, OKS for pose, probiou for rotated boxes) over IoU
0.50:0.95, and its metrics object (DetMetrics, SegmentMetrics, PoseMetrics, OBBMetrics) accumulates and
computes the figures. This is the validator's own update_metrics, minus its dataloader. Targets are in the
model input's pixel space, as the validator has them (see harness.tasks.yolo_labels).
"""

from __future__ import annotations

import contextlib
import sys
import types
from pathlib import Path

import numpy as np


VAL_CONF, VAL_IOU, VAL_MAX_DET = 0.001, 0.7, 300
# Ultralytics' results_dict keys -> our figure names, per task
FIGURE_KEYS = {
    "detect": {"map50": "metrics/mAP50(B)", "map50_95": "metrics/mAP50-95(B)"},
    "segment": {"map50": "metrics/mAP50(B)", "map50_95": "metrics/mAP50-95(B)",
                "mask_map50": "metrics/mAP50(M)", "mask_map50_95": "metrics/mAP50-95(M)"},
    "pose": {"map50": "metrics/mAP50(B)", "map50_95": "metrics/mAP50-95(B)",
             "pose_map50": "metrics/mAP50(P)", "pose_map50_95": "metrics/mAP50-95(P)"},
    "obb": {"obb_map50": "metrics/mAP50(B)", "obb_map50_95": "metrics/mAP50-95(B)"},
}


@contextlib.contextmanager
def torchvision_import_skipped():
    """Ultralytics' BaseValidator.__init__ imports torchvision only to keep that import's time out of its own
    postprocess timing (its comment says so); with torch 2.x that import pulls in torch._dynamo and costs 1.8-2.4 s,
    more than the scoring itself, in every Phase B process that scores accuracy. Nothing here uses torchvision, and
    Ultralytics' NMS uses its own TorchNMS ("matches torchvision behavior exactly") when torchvision is not imported:
    so while the validator is built, ``import torchvision`` finds a placeholder, removed right after. Where torchvision
    is already imported, nothing changes. tests/test_detection_map.py checks the figures against Ultralytics' own val."""
    if "torchvision" in sys.modules:
        yield
        return
    sys.modules["torchvision"] = types.ModuleType("torchvision")
    try:
        yield
    finally:
        sys.modules.pop("torchvision", None)


def _validator(task: str, nc: int, kpt_shape=None, end2end: bool = False):
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.models.yolo.obb import OBBValidator
    from ultralytics.models.yolo.pose import PoseValidator
    from ultralytics.models.yolo.segment import SegmentationValidator
    from ultralytics.utils import ops
    from ultralytics.utils.metrics import OKS_SIGMA

    cls = {"detect": DetectionValidator, "segment": SegmentationValidator, "pose": PoseValidator,
           "obb": OBBValidator}[task]
    with torchvision_import_skipped():
        validator = cls(args={"conf": VAL_CONF, "iou": VAL_IOU, "max_det": VAL_MAX_DET, "task": task, "plots": False,
                              "save_json": False, "save_txt": False})
    validator.nc, validator.end2end = nc, end2end  # end2end: N x K x 6 final boxes, only the score threshold
    validator.metrics.names = {i: str(i) for i in range(nc)}
    if task == "segment":
        validator.process = ops.process_mask  # init_metrics' choice without save_json / save_txt
    if task == "pose":
        validator.kpt_shape = list(kpt_shape)
        validator.sigma = OKS_SIGMA if list(kpt_shape) == [17, 3] else np.ones(kpt_shape[0]) / kpt_shape[0]
    return validator


class YoloMapAccumulator:
    def __init__(self, task: str, nc: int, kpt_shape=None, end2end: bool = False):
        self.task = task
        self.validator = _validator(task, nc, kpt_shape, end2end)
        self.images = 0
        self.labels_n = 0

    def add_frame(self, outputs: list, target: dict, name: str) -> None:
        """One frame: its raw outputs (each without the batch dim) and its targets as tensors in input pixels
        (``cls``, ``bboxes``; ``masks`` for segment, ``keypoints`` for pose)."""
        import torch

        batch = [torch.from_numpy(np.ascontiguousarray(o[None], dtype=np.float32)) for o in outputs]
        preds = self.validator.postprocess(batch if self.task == "segment" else batch[0])[0]
        no_pred = preds["cls"].shape[0] == 0
        target_cls = target["cls"].numpy()
        self.validator.metrics.update_stats({
            **self.validator._process_batch(preds, target),
            "target_cls": target_cls, "target_img": np.unique(target_cls),
            "conf": np.zeros(0) if no_pred else preds["conf"].numpy(),
            "pred_cls": np.zeros(0) if no_pred else preds["cls"].numpy(), "im_name": name})
        self.images += 1
        self.labels_n += len(target_cls)

    def add(self, raw_output: np.ndarray, labels_xyxy: np.ndarray, label_classes: np.ndarray, name: str) -> None:
        """Detection shorthand: one frame's raw (4 + nc) x anchors output and its boxes in input pixels."""
        import torch

        self.add_frame([raw_output], {"cls": torch.from_numpy(label_classes.astype(np.float32)),
                                      "bboxes": torch.from_numpy(labels_xyxy.astype(np.float32))}, name)

    def result(self) -> dict:
        metrics = self.validator.metrics
        metrics.process(save_dir=Path("."), plot=False)
        values = metrics.results_dict
        out = {name: float(values[key]) for name, key in FIGURE_KEYS[self.task].items()}
        out.update({"precision": float(values["metrics/precision(B)"]), "recall": float(values["metrics/recall(B)"])})
        return out


def MapAccumulator(num_classes: int) -> YoloMapAccumulator:  # noqa: N802 - the detection accumulator's old name
    return YoloMapAccumulator("detect", num_classes)
