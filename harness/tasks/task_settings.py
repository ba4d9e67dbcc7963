"""The task-side settings of a run, as one typed record (written into the setup config and every result)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

TASKS = ("detect", "segment", "pose", "obb", "classify", "depth", "generic")  # what a model file can declare
VIDEO_TASK = "vos"  # the video models' own task (harness/video/), never declared for a file


def is_video(record) -> bool:
    """Whether a model record (its ``task``), a planned run (a PlannedRun, or its dict) or a result (its task record)
    is of the video workload: the one test the rest of the harness makes before it asks harness/video/workload.py."""
    task = (record or {}).get("task") if isinstance(record, dict) or record is None else record.task
    if isinstance(task, dict):  # a result's task record
        task = task.get("task")
    return task == VIDEO_TASK


@dataclass(frozen=True)
class TaskSettings:
    task: str = "generic"
    conf: float = 0.25                  # detection-family confidence threshold for NMS (--conf)
    iou: float = 0.45                   # NMS IoU threshold (--iou)
    names: dict = field(default_factory=dict)      # class index (str) -> name: .model.json, else the model's metadata
    names_source: str = ""              # where the names came from ("" : none; classify scores in folder order)
    kpt_shape: Optional[tuple] = None   # pose: (keypoints, 2 or 3)
    depth_scale: Optional[float] = None  # ground truth value x depth_scale = metres (--depth_scale); None: by file type
    depth_median_scaling: bool = False  # per-frame median scaling before scoring (--depth_median_scaling)
    dense_gt: Optional[str] = None      # folder of ground-truth depth maps (--dense_gt)
    task_source: str = "default"        # where the task came from: model metadata, --task, model.json, default
    output_format: str = "auto"         # detect: harness.tasks.detection_formats (auto: recognised from the shapes)
    output_format_source: str = "default"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kpt_shape"] = list(self.kpt_shape) if self.kpt_shape else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TaskSettings":
        data = dict(data or {})
        if data.get("kpt_shape"):
            data["kpt_shape"] = tuple(data["kpt_shape"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
