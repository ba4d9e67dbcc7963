"""One model's task and input, from what its file says (detected) and what the user says (declared).

Precedence, field by field: the artifact wins where it is definite (an ONNX input's layout, dtype, fixed
size and names); then ``<stem>.model.json``; then the flags; then the model's metadata (Ultralytics' task,
imgsz, names, kpt_shape); then the task's defaults. Every field records where its value came from.
"""

from __future__ import annotations

from typing import Optional

from harness.data.image_size import parse_size
from harness.data.resize_mode import resize_label
from harness.model_input.class_names import names_dict
from harness.model_input.declared_settings import BadModelSettings
from harness.model_input.input_spec import InputSpec, extra_input_from_json, norm_from_text
from harness.model_input.model_size import model_sizes, plan_sizes  # noqa: F401 - the sizes' resolution
from harness.tasks.detection_formats import format_name
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


def class_names(detected: dict, declared: dict, sources: dict) -> tuple:
    """({"0": name, ...}, where they came from): the model file's, else the model's metadata; ({}, "") when neither
    has them (classify then scores in sorted folder order)."""
    if declared.get("names"):
        return names_dict(declared["names"]), sources.get("names", "declared")
    if detected.get("names"):
        return names_dict(detected["names"]), detected.get("names_source") or detected.get("source", "the model file")
    return {}, ""


def resolve_task(detected: dict, declared: dict, sources: dict, run_settings: dict) -> TaskSettings:
    task, task_source = _pick("task", declared, sources, detected, "generic")
    names, names_source = class_names(detected, declared, sources)
    kpt = declared.get("kpt_shape") or detected.get("kpt_shape")
    output_format, format_source = _pick("output_format", declared, sources, {}, "auto")
    return TaskSettings(task=task, names=names, names_source=names_source, output_format=format_name(output_format),
                        output_format_source=format_source,
                        kpt_shape=tuple(kpt) if kpt else None, task_source=task_source, **run_settings)


def resolve_color(detected: dict, declared: dict, sources: dict) -> tuple:
    """(colour, source): declared, else gray for a model with one input channel, else rgb. A declared colour that
    contradicts the model's channel count is refused (BadModelSettings, one line)."""
    channels = detected.get("channels")
    if "color" in declared:
        color, source = declared["color"], sources.get("color", "declared")
        if channels in (1, 3) and (color == "gray") != (channels == 1):
            raise BadModelSettings(f"{source} says color {color}, but the model's image input has {channels} "
                                   f"channel{'s' if channels != 1 else ''} ({'gray' if channels == 1 else 'rgb or bgr'} "
                                   f"fits)")
        return color, source
    if channels == 1:
        return "gray", f"{detected.get('source', 'the model file')}: one input channel"
    return "rgb", "default"


def resolve_input(detected: dict, declared: dict, sources: dict, task: str, size) -> InputSpec:
    height, width = parse_size(size)
    fields = {"layout": _pick("layout", {}, {}, detected, None),
              "color": resolve_color(detected, declared, sources),
              "resize": _pick("resize", declared, sources, {}, task_class(task).default_resize)}
    if fields["layout"][0] is None:  # not definite in the artifact: declared, else NCHW
        fields["layout"] = _pick("layout", declared, sources, {}, "nchw")
    norm_text, norm_source = _pick("input_norm", declared, sources, {}, "unit")
    norm = norm_from_text(norm_text)
    extras = declared.get("extra_inputs") or {}
    spec_sources = {k: v[1] for k, v in fields.items()}
    spec_sources.update(norm=norm_source, dtype=detected.get("source", "default") if detected.get("dtype") else "default")
    return InputSpec(height=height, width=width, name=detected.get("input_name") or "images",
                     layout=fields["layout"][0], dtype=detected.get("dtype") or "float32", color=fields["color"][0],
                     norm=norm.name, mean=norm.mean, std=norm.std, norm_read_as=norm.read_as,
                     resize=resize_label(fields["resize"][0]),
                     extra_inputs=tuple(extra_input_from_json(n, e) for n, e in extras.items()
                                        if n in (detected.get("extra_input_names") or [n])),
                     sources=spec_sources)


def overridden_flags(detected: dict, declared: dict, sources: dict) -> list:
    """One line per flag the model's file overrode (the file's layout wins over --layout)."""
    layout = detected.get("layout")
    if layout and declared.get("layout") not in (None, layout) and sources.get("layout") == "--layout":
        return [f"--layout {declared['layout']}: {detected.get('source', 'the model file')} says {layout}, which wins"]
    return []


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
