"""What the user declares about a model: the flags (--task, --input_norm, --color, --layout, --resize,
--output_format) and,
winning over them for that model, ``<stem>.model.json`` in --weights_dir with the same keys plus
``output_format`` (a detector's: harness.tasks.detection_formats), ``imgsz`` (the model's own size, used when
--imgsz is not given), ``stride`` (sizes are rounded up to a multiple),
``extra_inputs``, ``kpt_shape`` and ``names``. Pure Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from harness.data.resize_mode import parse_resize
from harness.model_input.class_names import names_dict
from harness.model_input.input_spec import COLORS, LAYOUTS, parse_norm
from harness.tasks.task_settings import TASKS

KEYS = ("task", "input_norm", "color", "layout", "resize", "output_format", "imgsz", "stride", "extra_inputs",
        "kpt_shape", "names")
CHOICES = {"task": TASKS, "color": COLORS, "layout": LAYOUTS}


class BadModelSettings(ValueError):
    """A declaration that cannot be used; the message is one line."""


def _parses(value, parse, prefix: str) -> None:
    """Refuse a declared value its parser rejects, in one line: ``prefix`` and the parser's own reason."""
    if value is None:
        return
    try:
        parse(value)
    except ValueError as exc:
        raise BadModelSettings(f"{prefix}{exc}") from None


def _stride(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError("a positive whole number of pixels")
    return value


def check_declared(values: dict, where: str) -> dict:
    """Only known keys, valid choices, a parseable norm. Returns the values that are set."""
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise BadModelSettings(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    for key, choices in CHOICES.items():
        if values.get(key) is not None and values[key] not in choices:
            raise BadModelSettings(f"{where}: {key} {values[key]!r}: choose one of {', '.join(choices)}")
    from harness.data.image_size import parse_size
    from harness.tasks.detection_formats import format_name

    for key, parse, label in (("output_format", format_name, "output_format: "), ("resize", parse_resize, "resize "),
                              ("stride", _stride, f"stride {values.get('stride')!r}: "),
                              ("input_norm", parse_norm, "input_norm "),
                              ("imgsz", parse_size, f"imgsz {values.get('imgsz')!r}: ")):
        _parses(values.get(key), parse, f"{where}: {label}")
    if values.get("names") is not None and not names_dict(values["names"]):
        raise BadModelSettings(f"{where}: names: a list, an object {{\"0\": name, ...}} or newline / comma-separated text")
    if values.get("extra_inputs") is not None and not isinstance(values["extra_inputs"], dict):
        raise BadModelSettings(f"{where}: extra_inputs must be an object {{name: {{value, dtype, shape}}}}")
    return {k: v for k, v in values.items() if v is not None}


def read_model_file(path: Optional[str]) -> dict:
    """The declarations in a ``.model.json`` (empty when there is none)."""
    if not path:
        return {}
    try:
        values = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise BadModelSettings(f"{Path(path).name}: not readable JSON ({exc})") from None
    if not isinstance(values, dict):
        raise BadModelSettings(f"{Path(path).name}: expected a JSON object")
    return check_declared(values, Path(path).name)


def declared_for(flag_values: dict, model_file: Optional[str]) -> tuple:
    """(declarations, where each came from): the model file's keys win over the flags'."""
    flags = {k: v for k, v in flag_values.items() if v is not None}
    from_file = read_model_file(model_file)
    merged = {**flags, **from_file}
    sources = {k: (Path(model_file).name if k in from_file else f"--{k}") for k in merged}
    return merged, sources
