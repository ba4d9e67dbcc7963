"""Letterbox: resize keeping the aspect ratio, pad with grey (114) to a square or a (height, width) target.

Same geometry and rounding as Ultralytics' ``LetterBox(new_shape, auto=False, scaleup=True, center=True)``, so our
preprocessed frames equal what an Ultralytics predictor would feed the model (tests check pixel equality).
``center=False`` anchors the image top-left and pads right and bottom only (LetterBox's ``center=False``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True)
class LetterboxGeometry:
    scale: float          # resized / original
    resized_w: int
    resized_h: int
    pad_left: int
    pad_top: int
    pad_right: int
    pad_bottom: int


def _hw(size) -> tuple:
    """An int -> (size, size); a (height, width) pair -> (height, width) as ints."""
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if len(size) != 2:
        raise ValueError(f"size must be an int or (height, width), got {size!r}")
    return int(size[0]), int(size[1])


def letterbox_geometry(orig_h: int, orig_w: int, size, center: bool = True) -> LetterboxGeometry:
    """``size``: an int (square) or (height, width), as Ultralytics' LetterBox(new_shape=..., center=...)."""
    height, width = _hw(size)
    if orig_h <= 0 or orig_w <= 0 or height <= 0 or width <= 0:
        raise ValueError("sizes must be positive")
    scale = min(height / orig_h, width / orig_w)
    resized_w = max(round(orig_w * scale), 1)
    resized_h = max(round(orig_h * scale), 1)
    dw = (width - resized_w) / (2 if center else 1)
    dh = (height - resized_h) / (2 if center else 1)
    return LetterboxGeometry(
        scale=scale,
        resized_w=resized_w,
        resized_h=resized_h,
        pad_left=round(dw - 0.1) if center else 0,
        pad_top=round(dh - 0.1) if center else 0,
        pad_right=round(dw + 0.1),
        pad_bottom=round(dh + 0.1),
    )


def letterbox(image_hwc: np.ndarray, size, center: bool = True, pad_value: int = PAD_VALUE) -> np.ndarray:
    """HxWx3 uint8 -> height x width x 3 uint8 (``size``: an int for a square, or (height, width))."""
    import cv2

    h, w = image_hwc.shape[:2]
    geo = letterbox_geometry(h, w, size, center)
    if (w, h) != (geo.resized_w, geo.resized_h):
        image_hwc = cv2.resize(image_hwc, (geo.resized_w, geo.resized_h), interpolation=cv2.INTER_LINEAR)
    out = cv2.copyMakeBorder(
        image_hwc, geo.pad_top, geo.pad_bottom, geo.pad_left, geo.pad_right,
        cv2.BORDER_CONSTANT, value=(pad_value, pad_value, pad_value),
    )
    assert out.shape[:2] == _hw(size), out.shape
    return out
