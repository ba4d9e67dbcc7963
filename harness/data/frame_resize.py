"""Resize a frame to the model input's size by a resize mode (harness.data.resize_mode): letterbox, stretch,
crop[:F] or pad[:V].

- letterbox: Ultralytics' LetterBox geometry and pixels (harness.data.letterbox), grey (114) padding, centred;
- pad: the same resize, anchored top-left, padded right and bottom with V (LetterBox with ``center=False``);
- stretch: cv2.resize to exactly (width, height), aspect ratio not kept (INTER_LINEAR);
- crop: scale so the image covers size / F and cut the centre, as torchvision's Resize(size / F) + CenterCrop(size)
  (Ultralytics' classify_transforms, PaddleClas): the covering side becomes floor(side / F), the other
  int(that x its ratio), the cut is round((resized - size) / 2) from the left / top. cv2 INTER_AREA when
  shrinking, INTER_LINEAR when enlarging, so pixels differ slightly from torchvision's antialiased PIL resize.
``resize_geometry`` maps original pixel coordinates into the input's: x_in = x * scale_x + offset_x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.data.letterbox import letterbox, letterbox_geometry
from harness.data.resize_mode import RESIZE_KINDS, ResizeMode, parse_resize

RESIZE_MODES = RESIZE_KINDS


@dataclass(frozen=True)
class ResizeGeometry:
    """Maps an original pixel coordinate to the model input's: x_in = x * scale_x + offset_x (y likewise).

    Coordinates are continuous (0 = the left/top edge of the image); offsets are the letterbox padding
    (>= 0) or minus the center crop's cut (<= 0).
    """

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float


def _check(mode, size_hw: tuple) -> tuple:
    """(ResizeMode, height, width); ValueError for an unknown mode or a size that is not positive."""
    parsed = mode if isinstance(mode, ResizeMode) else parse_resize(mode)
    height, width = int(size_hw[0]), int(size_hw[1])
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be positive, got {size_hw!r}")
    return parsed, height, width


def _crop_layout(orig_h: int, orig_w: int, height: int, width: int, fraction: float) -> tuple:
    """(resized_w, resized_h, cut_left, cut_top): torchvision's Resize(side / F) on the covering side, then
    CenterCrop(height, width)."""
    if height / orig_h >= width / orig_w:   # the height binds: it becomes floor(height / F)
        resized_h = math.floor(height / fraction)
        resized_w = max(int(resized_h * orig_w / orig_h), width)
    else:
        resized_w = math.floor(width / fraction)
        resized_h = max(int(resized_w * orig_h / orig_w), height)
    return resized_w, resized_h, int(round((resized_w - width) / 2.0)), int(round((resized_h - height) / 2.0))


def resize_geometry(orig_h: int, orig_w: int, size_hw: tuple, mode) -> ResizeGeometry:
    """How :func:`resize_frame` maps an ``orig_h`` x ``orig_w`` image into ``size_hw`` (height, width)."""
    parsed, height, width = _check(mode, size_hw)
    if parsed.kind in ("letterbox", "pad"):
        geo = letterbox_geometry(orig_h, orig_w, (height, width), center=parsed.kind == "letterbox")
        return ResizeGeometry(geo.resized_w / orig_w, geo.resized_h / orig_h, float(geo.pad_left), float(geo.pad_top))
    if parsed.kind == "stretch":
        return ResizeGeometry(width / orig_w, height / orig_h, 0.0, 0.0)
    resized_w, resized_h, left, top = _crop_layout(orig_h, orig_w, height, width, parsed.crop_fraction)
    return ResizeGeometry(resized_w / orig_w, resized_h / orig_h, -float(left), -float(top))


def resize_frame(image: np.ndarray, size_hw: tuple, mode) -> np.ndarray:
    """H x W [x C] uint8 -> ``size_hw`` (height, width) [x C] uint8, by ``mode`` (a ResizeMode or its spelling)."""
    import cv2

    parsed, height, width = _check(mode, size_hw)
    if parsed.kind in ("letterbox", "pad"):
        return letterbox(image, (height, width), center=parsed.kind == "letterbox", pad_value=parsed.pad_value)
    if parsed.kind == "stretch":
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    orig_h, orig_w = image.shape[:2]
    resized_w, resized_h, left, top = _crop_layout(orig_h, orig_w, height, width, parsed.crop_fraction)
    if (resized_w, resized_h) != (orig_w, orig_h):
        shrink = resized_w * resized_h < orig_w * orig_h
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        image = cv2.resize(image, (resized_w, resized_h), interpolation=interpolation)
    return np.ascontiguousarray(image[top:top + height, left:left + width])
