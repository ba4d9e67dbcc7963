"""One model's task and input, from what its file says (detected) and what the user says (declared).

Precedence, field by field: the artifact wins where it is definite (an ONNX input's layout, dtype, fixed
size and names); then ``<stem>.model.json``; then the flags; then the model's metadata (Ultralytics' task,
imgsz, names, kpt_shape); then the task's defaults. Every field records where its value came from.
"""

from __future__ import annotations

from typing import Optional

from harness.data.image_size import canonical, parse_size, size_label
from harness.model_input.input_spec import InputSpec, extra_input_from_json, parse_norm
from harness.tasks.registry import task_class
from harness.tasks.task_settings import TaskSettings


def _pick(name: str, declared: dict, declared_sources: dict, detected: dict, default, detected_key: str = None):
    """(value, source) for one field: declared > detected > default."""
    if name in declared:
        return declared[name], declared_sources.get(name, "declared")
    key = detected_key or name
    if detected.get(key) is not None:
        return detected[key], detected.get("source", "the model file")
    return default, "default"


def resolve_task(detected: dict, declared: dict, sources: dict, run_settings: dict) -> TaskSettings:
    task, task_source = _pick("task", declared, sources, detected, "generic")
    names = declared.get("names") or detected.get("names") or {}
    kpt = declared.get("kpt_shape") or detected.get("kpt_shape")
    return TaskSettings(task=task, names={str(k): str(v) for k, v in dict(names).items()},
                        kpt_shape=tuple(kpt) if kpt else None, task_source=task_source, **run_settings)


def model_sizes(detected: dict, requested: list, explicit: bool, declared: dict = None) -> tuple:
    """(size labels to run, why): when --imgsz was not given, a fixed input, the model file's declared imgsz,
    or the model's own (training) imgsz, in that order."""
    fixed = detected.get("fixed_hw") or (None, None)
    if not explicit and fixed[0] and fixed[1]:
        return [canonical(f"{fixed[0]}x{fixed[1]}")], "the model's fixed input size"
    if not explicit and (declared or {}).get("imgsz"):
        return [canonical(declared["imgsz"])], "imgsz in the model's .model.json"
    if not explicit and detected.get("imgsz"):
        return [size_label(*parse_size_any(detected["imgsz"]))], "the model's own imgsz"
    return [canonical(s) for s in requested], "--imgsz" if explicit else "the default --imgsz"


def parse_size_any(value) -> tuple:
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[-1]))
    return parse_size(value)


def resolve_input(detected: dict, declared: dict, sources: dict, task: str, size) -> InputSpec:
    height, width = parse_size(size)
    fields = {"layout": _pick("layout", {}, {}, detected, None),
              "color": _pick("color", declared, sources, detected, "rgb"),
              "resize": _pick("resize", declared, sources, {}, task_class(task).default_resize)}
    if fields["layout"][0] is None:  # not definite in the artifact: declared, else NCHW
        fields["layout"] = _pick("layout", declared, sources, {}, "nchw")
    norm_text, norm_source = _pick("input_norm", declared, sources, {}, "unit")
    norm, mean, std = parse_norm(norm_text)
    extras = declared.get("extra_inputs") or {}
    spec_sources = {k: v[1] for k, v in fields.items()}
    spec_sources.update(norm=norm_source, dtype=detected.get("source", "default") if detected.get("dtype") else "default")
    return InputSpec(height=height, width=width, name=detected.get("input_name") or "images",
                     layout=fields["layout"][0], dtype=detected.get("dtype") or "float32", color=fields["color"][0],
                     norm=norm, mean=mean, std=std, resize=fields["resize"][0],
                     extra_inputs=tuple(extra_input_from_json(n, e) for n, e in extras.items()
                                        if n in (detected.get("extra_input_names") or [n])),
                     sources=spec_sources)


def unfilled_inputs(detected: dict, declared: dict) -> list:
    """Inputs other than the image that nothing fills."""
    return [n for n in detected.get("extra_input_names") or [] if n not in (declared.get("extra_inputs") or {})]


def size_problem(spec: InputSpec, detected: dict) -> Optional[str]:
    """Why this size cannot run on this model, or None."""
    fixed = detected.get("fixed_hw") or (None, None)
    if (fixed[0] and fixed[0] != spec.height) or (fixed[1] and fixed[1] != spec.width):
        return (f"the model has a fixed input of {fixed[0]}x{fixed[1]}; this run asks for {spec.height}x{spec.width} "
                f"(leave out --imgsz to use the model's size)")
    stride = detected.get("stride")
    if stride and (spec.height % int(stride) or spec.width % int(stride)):
        return f"imgsz {spec.size} is not a multiple of the model's stride {stride}"
    return None
