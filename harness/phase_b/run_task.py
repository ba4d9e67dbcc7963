"""The task and input spec of a planned run, as Phase B needs them (typed records from the plan)."""

from __future__ import annotations

from harness.data.image_size import parse_size
from harness.model_input.input_spec import InputSpec
from harness.tasks.registry import make_task
from harness.tasks.task_settings import TaskSettings


def run_input(planned: dict) -> InputSpec:
    spec = (planned.get("extra") or {}).get("input")
    return InputSpec.from_dict(spec) if spec else InputSpec(*parse_size(planned["imgsz"]))


def run_task(planned: dict):
    extra = planned.get("extra") or {}
    settings = extra.get("task_settings") or {"task": extra.get("task") or "generic"}
    spec = run_input(planned)
    return make_task(TaskSettings.from_dict(settings), (spec.height, spec.width))
