"""Which input sizes a model runs at: its fixed sides, --imgsz, its declared or own imgsz, and its stride.

- Both sides fixed in the file: that size when --imgsz is not given (given, the run is skipped as asked).
- One side fixed (a 64 x W text recogniser): that side always, the other from --imgsz, else the model file's
  ``imgsz``, else the model's own imgsz, else the default --imgsz; a flag that asked for another fixed side is told.
- Neither: --imgsz, else the model file's ``imgsz``, else the model's own, else the default --imgsz.
- A stride (``stride`` in ``.model.json``, else the model's metadata): a dynamic side that is not a multiple is
  rounded up to one, with one line; the size used is the size recorded and run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from harness.data.image_size import canonical, parse_size, size_label


@dataclass(frozen=True)
class SizePlan:
    sizes: list
    why: str
    notes: list = field(default_factory=list)   # one line each: a rounding, a flag the model overrode
    rounded: dict = field(default_factory=dict)  # asked size label -> size used


def parse_size_any(value) -> tuple:
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[-1]))
    return parse_size(value)


def _wanted(detected: dict, requested: list, explicit: bool, declared: dict) -> tuple:
    """(sizes as (h, w), why) before the model's fixed sides and stride apply."""
    if not explicit and declared.get("imgsz"):
        return [parse_size(declared["imgsz"])], "imgsz in the model's .model.json"
    if not explicit and detected.get("imgsz"):
        return [parse_size_any(detected["imgsz"])], "the model's own imgsz"
    return [parse_size(s) for s in requested], "--imgsz" if explicit else "the default --imgsz"


def _one_side_fixed(fixed: tuple, wanted: list, why: str, explicit: bool) -> tuple:
    """(sizes, why, notes) for a model with exactly one fixed side."""
    side, value = ("height", fixed[0]) if fixed[0] else ("width", fixed[1])
    sizes = [(fixed[0] or h, fixed[1] or w) for h, w in wanted]
    notes = [f"--imgsz {size_label(h, w)}: the model fixes its {side} at {value}, which wins; "
             f"{size_label(*used)} is used" for (h, w), used in zip(wanted, sizes) if explicit and (h, w) != used]
    other = "width" if side == "height" else "height"
    return sizes, f"the model's fixed {side} {value}, its {other} from {why}", notes


def _on_stride(hw: tuple, fixed: tuple, stride: int) -> tuple:
    """Each dynamic side rounded up to a multiple of the stride."""
    return tuple(v if f else int(math.ceil(v / stride) * stride) for v, f in zip(hw, fixed))


def plan_sizes(detected: dict, requested: list, explicit: bool, declared: Optional[dict] = None) -> SizePlan:
    declared = declared or {}
    fixed = tuple(detected.get("fixed_hw") or (None, None))
    if fixed[0] and fixed[1]:
        if not explicit:
            return SizePlan([canonical(f"{fixed[0]}x{fixed[1]}")], "the model's fixed input size")
        return SizePlan([canonical(s) for s in requested], "--imgsz")
    wanted, why = _wanted(detected, requested, explicit, declared)
    notes = []
    if fixed[0] or fixed[1]:
        wanted, why, notes = _one_side_fixed(fixed, wanted, why, explicit)
    stride = declared.get("stride") or detected.get("stride")
    stride_from = "its .model.json" if declared.get("stride") else "its metadata"
    sizes, rounded = [], {}
    for hw in wanted:
        used = _on_stride(hw, fixed, int(stride)) if stride else hw
        if used != hw:
            rounded[str(size_label(*hw))] = size_label(*used)
            notes.append(f"size {size_label(*hw)} is not a multiple of the model's stride {stride} ({stride_from}): "
                         f"rounded up to {size_label(*used)}")
        if size_label(*used) not in sizes:
            sizes.append(size_label(*used))
    return SizePlan(sizes, why, notes, rounded)


def model_sizes(detected: dict, requested: list, explicit: bool, declared: Optional[dict] = None) -> tuple:
    """(size labels to run, why): see :func:`plan_sizes`."""
    plan = plan_sizes(detected, requested, explicit, declared)
    return plan.sizes, plan.why
