"""The task and input spec of a planned run, as Phase B needs them (typed records from the plan)."""

from __future__ import annotations

from harness.data.image_size import parse_size
from harness.model_input.input_spec import InputSpec
from harness.tasks.registry import make_task
from harness.records.planned_run import PlannedRun
from harness.tasks.task_settings import TaskSettings


def run_input(planned: PlannedRun) -> InputSpec:
    return InputSpec.from_dict(planned.input) if planned.input else InputSpec(*parse_size(planned.spec.imgsz))


def run_task(planned: PlannedRun):
    settings = planned.task_settings or {"task": planned.task or "generic"}
    spec = run_input(planned)
    return make_task(TaskSettings.from_dict(settings), (spec.height, spec.width))
