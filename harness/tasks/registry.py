"""Task name -> task class."""

from __future__ import annotations

from harness.tasks.task_settings import TASKS, VIDEO_TASK, TaskSettings


def task_class(name: str):
    from harness.tasks.classify import ClassifyTask
    from harness.tasks.depth import DepthTask
    from harness.tasks.detect import DetectTask
    from harness.tasks.generic import GenericTask
    from harness.tasks.obb import ObbTask
    from harness.tasks.pose import PoseTask
    from harness.tasks.segment import SegmentTask
    from harness.tasks.vos import VosTask

    classes = {"detect": DetectTask, "segment": SegmentTask, "pose": PoseTask, "obb": ObbTask,
               "classify": ClassifyTask, "depth": DepthTask, VIDEO_TASK: VosTask,
               "generic": GenericTask}
    if name not in classes:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    return classes[name]


def make_task(settings: TaskSettings, input_hw=None):
    return task_class(settings.task)(settings, input_hw)

