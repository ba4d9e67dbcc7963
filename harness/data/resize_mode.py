"""A resize mode as the user writes it (``letterbox``, ``stretch``, ``crop``, ``crop:0.875``, ``pad``, ``pad:0``) and
as one typed record. Pure Python.

- ``letterbox``: keep the ratio, pad both sides evenly with grey 114 (Ultralytics' LetterBox, centred);
- ``stretch``: exactly the target size, the ratio not kept;
- ``crop[:F]``: scale so the image covers size / F (the shorter side to size / F for a square size), cut the centre
  (F = 1: the image just covers the size; F = 0.875: torchvision's / PaddleClas' resize 256, centre crop 224);
- ``pad[:V]``: keep the ratio, anchor top-left, pad right and bottom with V (default 0), as PP-OCR and many
  detectors do (Ultralytics' LetterBox with ``center=False``).
The label is the canonical spelling (``crop`` for F = 1, ``pad`` for V = 0); the token is the label made safe for
a file name (``crop0.875``).
"""

from __future__ import annotations

from dataclasses import dataclass

RESIZE_KINDS = ("letterbox", "stretch", "crop", "pad")
RESIZE_HELP = "letterbox | stretch | crop[:F] (centre crop fraction, 0 < F <= 1) | pad[:V] (pad value 0-255)"
LETTERBOX_PAD = 114
DEFAULT_PAD = 0


@dataclass(frozen=True)
class ResizeMode:
    kind: str
    crop_fraction: float = 1.0   # crop: the kept share of the resized image's shorter side
    pad_value: int = 0           # letterbox / pad: the value of the padding pixels

    @property
    def label(self) -> str:
        if self.kind == "crop" and self.crop_fraction != 1.0:
            return f"crop:{self.crop_fraction:g}"
        if self.kind == "pad" and self.pad_value != DEFAULT_PAD:
            return f"pad:{self.pad_value}"
        return self.kind

    @property
    def token(self) -> str:
        """The label without ':' (a frames key and a file name carry it)."""
        return self.label.replace(":", "")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError
    return value


def _pad_value(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 255:
        raise ValueError
    return value


def parse_resize(text) -> ResizeMode:
    """``crop:0.875`` -> ResizeMode("crop", 0.875); also the token spelling (``crop0.875``). Raises ValueError in
    one line naming the accepted spellings."""
    spelled = str(text).strip().lower()
    kind = next((k for k in RESIZE_KINDS if spelled.startswith(k)), None)
    rest = spelled[len(kind):].lstrip(":") if kind else ""
    try:
        if kind == "crop":
            return ResizeMode("crop", _fraction(rest) if rest else 1.0)
        if kind == "pad":
            return ResizeMode("pad", pad_value=_pad_value(rest) if rest else DEFAULT_PAD)
        if kind and not rest:
            return ResizeMode(kind, pad_value=LETTERBOX_PAD if kind == "letterbox" else 0)
    except ValueError:
        pass
    raise ValueError(f"unknown resize mode {text!r}; choose from {RESIZE_HELP}")


def resize_label(text) -> str:
    """The canonical spelling of a resize mode."""
    return parse_resize(text).label
