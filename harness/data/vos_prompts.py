"""Prompts for video object segmentation, derived deterministically from an object's first annotated mask, so
every model, precision and backend gets the same ones:

- ``points``: N positive clicks. The first at the interior point farthest from the mask's border (the maximum of
  the distance transform; ties broken by the first in row-major order), the others sampled from the mask's
  pixels with a generator seeded by (seed, video, object) — never outside the mask.
- ``bbox``: the mask's tight box ``[x_min, y_min, x_max, y_max]`` in pixels (inclusive max + 1, the convention of
  SAM's box prompts: the box covers the mask's pixels).
- ``mask``: the mask itself (stored by reference: the annotation file and frame).
Coordinates are in the original frame's pixels, ``(x, y)``.
"""

from __future__ import annotations

import hashlib
from typing import Optional

import numpy as np

PROMPTS = ("points", "bbox", "mask")


def farthest_from_border(mask: np.ndarray) -> tuple:
    """(x, y) of the mask pixel farthest from any background pixel (or from the image edge)."""
    import cv2

    padded = np.pad(mask.astype(np.uint8), 1)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(x), int(y)


def _rng(seed: int, video: str, object_id: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}/{video}/{object_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def click_points(mask: np.ndarray, count: int, seed: int, video: str, object_id: str) -> list:
    """``count`` positive clicks [[x, y], ...] inside the mask; the first is the farthest from its border."""
    first = farthest_from_border(mask)
    if count <= 1:
        return [list(first)]
    ys, xs = np.nonzero(mask)
    picks = _rng(seed, video, object_id).choice(len(xs), size=min(count - 1, len(xs)), replace=False)
    return [list(first)] + [[int(xs[i]), int(ys[i])] for i in sorted(picks)]


def bounding_box(mask: np.ndarray) -> list:
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def object_prompts(mask: np.ndarray, video: str, object_id: str, points: int = 1, seed: int = 0) -> Optional[dict]:
    """Every prompt kind for one object's first annotated mask, or None when the mask is empty."""
    mask = mask.astype(bool)
    if not mask.any():
        return None
    return {"points": click_points(mask, points, seed, video, object_id), "point_labels": [1] * max(1, points),
            "bbox": bounding_box(mask), "mask_area_px": int(mask.sum())}
