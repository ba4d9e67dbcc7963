"""The model's input, resolved once in Phase A and carried as a typed record to every Phase B run.

Frames are stored by Phase A as uint8 N x 3 x H x W RGB (a gray model's: its luminance in all three channels),
already resized (harness.data.resize_mode) to the size below. What remains is done by the runner on its device,
inside the measured pass: channel order (or the one gray channel), layout, dtype and normalization,
``x = (pixel - mean) / std`` with mean and std in 0-255 units (``unit``: mean 0, std 255, i.e. /255; a uint8
model gets the raw pixels).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

from harness.data.image_size import frames_key, size_label

LAYOUTS = ("nchw", "nhwc")
COLORS = ("rgb", "bgr", "gray")
NORM_UNITS = ("0-1", "0-255")
NORM_HELP = ("unit (/255, default), imagenet, none, or mean=V[,V,V];std=V[,V,V] in 0-255 or 0-1 units: say which with "
             ";unit=0-1 / ;unit=0-255 (or a trailing ;0-1 / ;0-255), else all values <= 1 are read as 0-1 units")
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
    resize: str = "letterbox"         # a resize mode's label: letterbox, stretch, crop[:F], pad[:V]
    norm_read_as: str = ""            # a custom norm: the units its values were read in and why
    extra_inputs: tuple = ()
    sources: dict = field(default_factory=dict, compare=False)  # field -> where its value came from

    @property
    def size(self):
        return size_label(self.height, self.width)

    @property
    def frames_key(self) -> str:
        return frames_key(self.size, self.resize, self.color)

    def norm_summary(self) -> str:
        """The normalization in both units, e.g. "mean 127.5 std 127.5 (0-255) = mean 0.5 std 0.5 (0-1)"."""
        if self.raw_pixels:
            return "raw uint8 pixels"
        mean, std = self.mean[:self.channels], self.std[:self.channels]
        both = (f"mean {_values(mean)} std {_values(std)} (0-255) = mean {_values(v / 255 for v in mean)} "
                f"std {_values(v / 255 for v in std)} (0-1)")
        return f"{self.norm}: {both}" + (f", {self.norm_read_as}" if self.norm_read_as else "")

    @property
    def channels(self) -> int:
        """The model's image channels: 1 for a gray model, else 3."""
        return 1 if self.color == "gray" else 3

    @property
    def raw_pixels(self) -> bool:
        """A uint8 model takes the pixels as they are: no normalization."""
        return self.dtype == "uint8"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["size"] = self.size
        data["frames_key"] = self.frames_key
        data["mean_0_1"] = [v / 255 for v in self.mean]
        data["std_0_1"] = [v / 255 for v in self.std]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "InputSpec":
        extras = tuple(ExtraInput(e["name"], e["dtype"], tuple(e["shape"]), e.get("value", 0.0))
                       for e in data.get("extra_inputs") or ())
        return cls(height=int(data["height"]), width=int(data["width"]), name=data.get("name", "images"),
                   layout=data.get("layout", "nchw"), dtype=data.get("dtype", "float32"),
                   color=data.get("color", "rgb"), norm=data.get("norm", "unit"),
                   mean=tuple(data.get("mean", (0.0, 0.0, 0.0))), std=tuple(data.get("std", (255.0,) * 3)),
                   resize=data.get("resize", "letterbox"), norm_read_as=data.get("norm_read_as", ""),
                   extra_inputs=extras, sources=dict(data.get("sources") or {}))


def _values(values) -> str:
    return ",".join(f"{v:.6g}" for v in values)


@dataclass(frozen=True)
class Norm:
    """A normalization as understood: its name, mean and std in 0-255 units (three values), how it was read."""

    name: str
    mean: tuple
    std: tuple
    read_as: str = ""


def _three(text: str) -> tuple:
    values = tuple(float(v) for v in text.split(","))
    return values * 3 if len(values) == 1 else values


def _units(parts: dict, bare: list, values: tuple) -> tuple:
    """(units, why): declared with unit=... or a bare trailing part, else by the rule all <= 1 -> 0-1."""
    declared = parts.get("unit") or next(iter(bare), None)
    if declared is not None:
        if declared not in NORM_UNITS:
            raise ValueError
        return declared, f"read as {declared} units (declared)"
    units = "0-1" if max(abs(v) for v in values) <= 1 else "0-255"
    return units, f"read as {units} units ({'all values <= 1' if units == '0-1' else 'a value above 1'})"


def norm_from_text(text: str) -> Norm:
    """``unit`` | ``imagenet`` | ``none`` | ``mean=V[,V,V];std=V[,V,V][;unit=0-1|0-255]`` -> a Norm in 0-255 units.
    One value stands for all three channels. Raises ValueError with a one-line message."""
    text = str(text).strip()
    if text in NORMS:
        return Norm(text, *NORMS[text])
    pieces = [p for p in text.replace(" ", "").split(";") if p]
    parts = dict(p.split("=", 1) for p in pieces if "=" in p)
    try:
        mean, std = _three(parts["mean"]), _three(parts["std"])
        units, why = _units(parts, [p for p in pieces if "=" not in p], mean + std)
    except (KeyError, ValueError):
        raise ValueError(f"{text!r}: use {NORM_HELP}") from None
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise ValueError(f"{text!r}: mean and std need one or three values each, std > 0")
    factor = 255.0 if units == "0-1" else 1.0
    return Norm("custom", tuple(v * factor for v in mean), tuple(v * factor for v in std), why)


def parse_norm(text: str) -> tuple:
    """(name, mean, std) in 0-255 units; see :func:`norm_from_text`."""
    norm = norm_from_text(text)
    return norm.name, norm.mean, norm.std


def extra_input_from_json(name: str, entry: dict) -> ExtraInput:
    """``"extra_inputs": {"name": {"value": 1.0, "dtype": "float32", "shape": [1]}}`` in a model file."""
    return ExtraInput(name=name, dtype=str(entry.get("dtype", "float32")), shape=tuple(entry.get("shape") or ()),
                      value=float(entry.get("value", 0.0)))


def optional_spec(data: Optional[dict]) -> Optional[InputSpec]:
    return InputSpec.from_dict(data) if data else None
