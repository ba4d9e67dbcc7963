"""detect: axis-aligned boxes with class scores (Ultralytics Detect head: (4 + classes) x anchors)."""

from __future__ import annotations

import numpy as np

from harness.tasks.yolo_family import YoloHeadTask, frame_geometry
from harness.tasks.yolo_labels import boxes_xyxy


class DetectTask(YoloHeadTask):
    name = "detect"
    label_format = "class cx cy w h"

    def targets(self, record: dict, spec, rows: list) -> dict:
        import torch

        return {"cls": torch.tensor([r[0] for r in rows], dtype=torch.float32),
                "bboxes": torch.from_numpy(boxes_xyxy(rows, "box", *frame_geometry(record, spec)).astype(np.float32))}
