"""Resize a frame to the model's input size: letterbox (YOLO tasks), stretch, or center crop.

- letterbox: Ultralytics' LetterBox geometry and pixels (harness.data.letterbox), grey (114) padding;
- stretch: cv2.resize to exactly (width, height), aspect ratio not kept (INTER_LINEAR);
- crop: scale by max(height / orig_h, width / orig_w) so the image covers the target (for a square target,
  the shorter side matches), then cut the center, as torchvision's Resize(shorter side) + CenterCrop and
  Ultralytics' classify_transforms (crop_fraction 1) do. cv2 INTER_AREA when shrinking, INTER_LINEAR when
  enlarging, so pixels differ slightly from torchvision's antialiased PIL resize; an odd cut leaves the
  extra pixel on the right / bottom.
``resize_geometry`` maps original pixel coordinates into the input's: x_in = x * scale_x + offset_x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.data.letterbox import letterbox, letterbox_geometry

RESIZE_MODES = ("letterbox", "stretch", "crop")


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


def _check(mode: str, size_hw: tuple) -> tuple:
    """(height, width) as ints; ValueError for an unknown mode or a size that is not positive."""
    if mode not in RESIZE_MODES:
        raise ValueError(f"unknown resize mode {mode!r}; choose from {', '.join(RESIZE_MODES)}")
    height, width = int(size_hw[0]), int(size_hw[1])
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be positive, got {size_hw!r}")
    return height, width


def _crop_layout(orig_h: int, orig_w: int, height: int, width: int) -> tuple:
    """(resized_w, resized_h, cut_left, cut_top): scale to just cover height x width, cut the center."""
    scale = max(height / orig_h, width / orig_w)
    resized_w, resized_h = max(round(orig_w * scale), width), max(round(orig_h * scale), height)
    return resized_w, resized_h, (resized_w - width) // 2, (resized_h - height) // 2


def resize_geometry(orig_h: int, orig_w: int, size_hw: tuple, mode: str) -> ResizeGeometry:
    """How :func:`resize_frame` maps an ``orig_h`` x ``orig_w`` image into ``size_hw`` (height, width)."""
    height, width = _check(mode, size_hw)
    if mode == "letterbox":
        geo = letterbox_geometry(orig_h, orig_w, (height, width))
        return ResizeGeometry(geo.resized_w / orig_w, geo.resized_h / orig_h, float(geo.pad_left), float(geo.pad_top))
    if mode == "stretch":
        return ResizeGeometry(width / orig_w, height / orig_h, 0.0, 0.0)
    resized_w, resized_h, left, top = _crop_layout(orig_h, orig_w, height, width)
    return ResizeGeometry(resized_w / orig_w, resized_h / orig_h, -float(left), -float(top))


def resize_frame(image_hwc: np.ndarray, size_hw: tuple, mode: str) -> np.ndarray:
    """H x W x 3 uint8 -> ``size_hw`` (height, width) x 3 uint8, by ``mode``: letterbox, stretch or crop."""
    import cv2

    height, width = _check(mode, size_hw)
    if mode == "letterbox":
        return letterbox(image_hwc, (height, width))
    if mode == "stretch":
        return cv2.resize(image_hwc, (width, height), interpolation=cv2.INTER_LINEAR)
    orig_h, orig_w = image_hwc.shape[:2]
    resized_w, resized_h, left, top = _crop_layout(orig_h, orig_w, height, width)
    if (resized_w, resized_h) != (orig_w, orig_h):
        shrink = resized_w * resized_h < orig_w * orig_h
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        image_hwc = cv2.resize(image_hwc, (resized_w, resized_h), interpolation=interpolation)
    return np.ascontiguousarray(image_hwc[top:top + height, left:left + width])
