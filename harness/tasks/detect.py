"""detect: axis-aligned boxes with class scores (Ultralytics Detect head: (4 + classes) x anchors)."""

from __future__ import annotations

from harness.tasks.yolo_family import YoloHeadTask, box_targets, frame_geometry


class DetectTask(YoloHeadTask):
    name = "detect"
    label_format = "class cx cy w h"

    def targets(self, record: dict, spec, rows: list) -> dict:
        return box_targets(rows, "box", frame_geometry(record, spec))
