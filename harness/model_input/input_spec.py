"""The model's input, resolved once in Phase A and carried as a typed record to every Phase B run.

Frames are stored by Phase A as uint8 N x 3 x H x W RGB, already resized (letterbox, stretch or crop) to
the size below. What remains is done by the runner on its device, inside the measured pass: channel order,
layout, dtype and normalization, ``x = (pixel - mean) / std`` with mean and std in 0-255 units (``unit``:
mean 0, std 255, i.e. /255; a uint8 model gets the raw pixels).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

from harness.data.image_size import frames_key, size_label

LAYOUTS = ("nchw", "nhwc")
COLORS = ("rgb", "bgr")
INPUT_DTYPES = ("float32", "float16", "uint8")
NORMS = {
    "unit": ((0.0, 0.0, 0.0), (255.0, 255.0, 255.0)),
    "imagenet": ((123.675, 116.28, 103.53), (58.395, 57.12, 57.375)),
    "none": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}


@dataclass(frozen=True)
class ExtraInput:
    """An input other than the image, fed the same constant on every pass."""

    name: str
    dtype: str
    shape: tuple
    value: float = 0.0


@dataclass(frozen=True)
class InputSpec:
    height: int
    width: int
    name: str = "images"
    layout: str = "nchw"
    dtype: str = "float32"            # the artifact's own input dtype; fp16 runs of a float32 artifact use float16
    color: str = "rgb"
    norm: str = "unit"                # a NORMS name, or "custom"
    mean: tuple = (0.0, 0.0, 0.0)     # 0-255 units, in the model's channel order
    std: tuple = (255.0, 255.0, 255.0)
    resize: str = "letterbox"
    extra_inputs: tuple = ()
    sources: dict = field(default_factory=dict, compare=False)  # field -> where its value came from

    @property
    def size(self):
        return size_label(self.height, self.width)

    @property
    def frames_key(self) -> str:
        return frames_key(self.size, self.resize)

    @property
    def raw_pixels(self) -> bool:
        """A uint8 model takes the pixels as they are: no normalization."""
        return self.dtype == "uint8"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["size"] = self.size
        data["frames_key"] = self.frames_key
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "InputSpec":
        extras = tuple(ExtraInput(e["name"], e["dtype"], tuple(e["shape"]), e.get("value", 0.0))
                       for e in data.get("extra_inputs") or ())
        return cls(height=int(data["height"]), width=int(data["width"]), name=data.get("name", "images"),
                   layout=data.get("layout", "nchw"), dtype=data.get("dtype", "float32"),
                   color=data.get("color", "rgb"), norm=data.get("norm", "unit"),
                   mean=tuple(data.get("mean", (0.0, 0.0, 0.0))), std=tuple(data.get("std", (255.0,) * 3)),
                   resize=data.get("resize", "letterbox"), extra_inputs=extras, sources=dict(data.get("sources") or {}))


def parse_norm(text: str) -> tuple:
    """``unit`` | ``imagenet`` | ``none`` | ``mean=R,G,B;std=R,G,B`` (0-255 units) -> (name, mean, std).
    Raises ValueError with a one-line message."""
    text = str(text).strip()
    if text in NORMS:
        return (text, *NORMS[text])
    parts = dict(p.split("=", 1) for p in text.replace(" ", "").split(";") if "=" in p)
    try:
        mean = tuple(float(v) for v in parts["mean"].split(","))
        std = tuple(float(v) for v in parts["std"].split(","))
    except (KeyError, ValueError):
        raise ValueError(f"{text!r}: use unit, imagenet, none or mean=R,G,B;std=R,G,B (0-255 units)") from None
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise ValueError(f"{text!r}: mean and std need three values each, std > 0")
    return "custom", mean, std


def extra_input_from_json(name: str, entry: dict) -> ExtraInput:
    """``"extra_inputs": {"name": {"value": 1.0, "dtype": "float32", "shape": [1]}}`` in a model file."""
    return ExtraInput(name=name, dtype=str(entry.get("dtype", "float32")), shape=tuple(entry.get("shape") or ()),
                      value=float(entry.get("value", 0.0)))


def optional_spec(data: Optional[dict]) -> Optional[InputSpec]:
    return InputSpec.from_dict(data) if data else None
