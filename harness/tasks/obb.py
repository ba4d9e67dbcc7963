"""obb: rotated boxes (Ultralytics OBB head: (4 + classes + 1 angle) x anchors). Agreement and mAP use
Ultralytics' probiou between rotated boxes."""

from __future__ import annotations

import numpy as np

from harness.tasks.yolo_family import YoloHeadTask, frame_geometry
from harness.tasks.yolo_labels import rotated_boxes


class ObbTask(YoloHeadTask):
    name = "obb"
    label_format = "class x1 y1 x2 y2 x3 y3 x4 y4 (normalized corners)"
    rotated = True
    agreement_figure = "fidelity_obb_match_pct"
    map_figures = ("obb_map50", "obb_map50_95")

    def label_fits(self, row) -> bool:
        return len(row) == 9

    def extra_channels(self, outputs: list) -> int:
        return 1

    def targets(self, record: dict, spec, rows: list) -> dict:
        import torch

        return {"cls": torch.tensor([r[0] for r in rows], dtype=torch.float32),
                "bboxes": torch.from_numpy(rotated_boxes(rows, *frame_geometry(record, spec)).astype(np.float32))}
