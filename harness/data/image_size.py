"""Model input sizes: ``640`` (square) or ``480x640`` (height x width). Pure Python.

A size travels as its label: an int for a square size (as it always has: run ids, frame keys and results
made before non-square sizes keep their names) and the string ``"HxW"`` otherwise.
"""

from __future__ import annotations

from typing import Union

SizeLabel = Union[int, str]


def parse_size(label) -> tuple:
    """``640`` / ``"640"`` -> (640, 640); ``"480x640"`` -> (480, 640). Raises ValueError on anything else."""
    text = str(label).strip().lower()
    parts = text.split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.lstrip("-").isdigit() for p in parts):
        raise ValueError("not a size: use S (square) or HxW, e.g. 640 or 480x640")
    height, width = int(parts[0]), int(parts[1])
    if height <= 0 or width <= 0:
        raise ValueError("must be a positive number of pixels")
    return height, width


def size_label(height: int, width: int) -> SizeLabel:
    """The canonical label: an int when square, ``"HxW"`` otherwise."""
    return int(height) if int(height) == int(width) else f"{int(height)}x{int(width)}"


def canonical(label) -> SizeLabel:
    return size_label(*parse_size(label))


def frames_key(label, resize: str, color: str = "rgb") -> str:
    """The key of the frames Phase A stores for one size, resize mode and colour: ``640``, ``224-crop0.875``,
    ``48x320-pad-gray`` (letterbox keeps the bare size and RGB / BGR the bare key, so setups written before other
    modes existed read the same)."""
    from harness.data.resize_mode import parse_resize

    token = parse_resize(resize).token
    parts = [str(canonical(label))] + ([token] if token != "letterbox" else []) + (["gray"] if color == "gray" else [])
    return "-".join(parts)


def parse_frames_key(key) -> tuple:
    """``"48x320-pad-gray"`` -> ((48, 320), "pad", "gray"): the (height, width), resize label and colour of a key."""
    from harness.data.resize_mode import resize_label

    size, *rest = str(key).split("-")
    color = "gray" if "gray" in rest else "rgb"
    modes = [part for part in rest if part != "gray"]
    return parse_size(size), resize_label(modes[0] if modes else "letterbox"), color
