"""One decoded RGB frame as Phase A stores it for a frames key: the colour the model needs, resized, CHW uint8.

Frames are always stored 3 x H x W. A grayscale model's frame is OpenCV's luminance of the original image
(``cv2.cvtColor(..., COLOR_RGB2GRAY)``, the same values as ``COLOR_BGR2GRAY`` of the BGR image: 0.299 R +
0.587 G + 0.114 B in OpenCV's fixed-point rounding), converted before the resize as an OpenCV pipeline does
(read, to gray, resize), in all three channels; the runner feeds the model one of them.
"""

from __future__ import annotations

import numpy as np

from harness.data.frame_resize import resize_frame


def to_gray(rgb_hwc: np.ndarray) -> np.ndarray:
    """H x W x 3 RGB uint8 -> H x W uint8 luminance (OpenCV's)."""
    import cv2

    return cv2.cvtColor(rgb_hwc, cv2.COLOR_RGB2GRAY)


def model_frame(rgb_hwc: np.ndarray, size_hw: tuple, resize, color: str) -> np.ndarray:
    """3 x H x W uint8: ``rgb_hwc`` in the model's colour (gray in every channel for "gray"), resized by ``resize``.
    RGB and BGR models share the RGB frame (the runner swaps the channels)."""
    if color != "gray":
        return np.ascontiguousarray(resize_frame(rgb_hwc, size_hw, resize).transpose(2, 0, 1))
    gray = resize_frame(to_gray(rgb_hwc), size_hw, resize)
    return np.ascontiguousarray(np.broadcast_to(gray, (3, *gray.shape)))
