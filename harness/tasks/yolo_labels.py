"""YOLO-format label files, brought into the model input's pixel space.

One line per object, values normalized to the original image:
- detect: ``class cx cy w h``
- segment: ``class x1 y1 x2 y2 ...`` (a polygon; a 5-value line is a box)
- pose: ``class cx cy w h`` then ``x y [visibility]`` per keypoint
- obb: ``class x1 y1 x2 y2 x3 y3 x4 y4`` (the four corners)
The mapping to input pixels is the frame's resize geometry (letterbox, stretch or crop), the same one
Phase A applied to the pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.frame_resize import resize_geometry


def read_label_rows(path) -> list:
    """Every non-empty line as a float array; empty when the file is missing."""
    if not path or not Path(path).is_file():
        return []
    return [np.array([float(v) for v in line.split()], dtype=np.float64)
            for line in Path(path).read_text().splitlines() if line.strip()]


def to_input_pixels(xy: np.ndarray, orig_w: int, orig_h: int, size_hw: tuple, mode: str) -> np.ndarray:
    """Normalized (..., 2) points on the original image -> pixels of the model input."""
    geo = resize_geometry(orig_h, orig_w, size_hw, mode)
    out = np.array(xy, dtype=np.float64)
    out[..., 0] = out[..., 0] * orig_w * geo.scale_x + geo.offset_x
    out[..., 1] = out[..., 1] * orig_h * geo.scale_y + geo.offset_y
    return out


def _normalized_corners(row: np.ndarray, fmt: str) -> list:
    """[[x1, y1], [x2, y2]] normalized: from ``cx cy w h`` (fmt box / pose, or any 5-value line), else the
    bounding box of the polygon's points (segment, obb)."""
    if fmt in ("box", "pose") or len(row) == 5:
        cx, cy, w, h = row[1:5]
        return [[cx - w / 2, cy - h / 2], [cx + w / 2, cy + h / 2]]
    points = row[1:].reshape(-1, 2)
    return [list(points.min(0)), list(points.max(0))]


def boxes_xyxy(rows: list, fmt: str, orig_w: int, orig_h: int, size_hw: tuple, mode: str) -> np.ndarray:
    """Label rows -> N x 4 xyxy in input pixels. ``fmt``: box | polygon | pose | obb."""
    if not rows:
        return np.zeros((0, 4))
    corners = np.array([_normalized_corners(row, fmt) for row in rows])
    return to_input_pixels(corners, orig_w, orig_h, size_hw, mode).reshape(-1, 4)


def polygon_masks(rows: list, orig_w: int, orig_h: int, size_hw: tuple, mode: str, downsample: int = 4) -> np.ndarray:
    """N x (H/d) x (W/d) float masks of the polygons, at the mask resolution the segment validator compares at."""
    import cv2

    height, width = size_hw[0] // downsample, size_hw[1] // downsample
    masks = np.zeros((len(rows), height, width), dtype=np.float32)
    for index, row in enumerate(rows):
        if len(row) == 5:  # a box line: its rectangle
            cx, cy, w, h = row[1:5]
            row = np.array([row[0], cx - w / 2, cy - h / 2, cx + w / 2, cy - h / 2, cx + w / 2, cy + h / 2, cx - w / 2, cy + h / 2])
        points = to_input_pixels(row[1:].reshape(-1, 2), orig_w, orig_h, size_hw, mode) / downsample
        cv2.fillPoly(masks[index], [np.round(points).astype(np.int32)], 1.0)
    return masks


def keypoints(rows: list, kpt_shape: tuple, orig_w: int, orig_h: int, size_hw: tuple, mode: str) -> np.ndarray:
    """N x K x 3 keypoints (x, y in input pixels, visibility; 2-value keypoints count as visible)."""
    count, dims = kpt_shape
    out = np.zeros((len(rows), count, 3))
    for index, row in enumerate(rows):
        values = row[5:5 + count * dims].reshape(count, dims)
        out[index, :, :2] = to_input_pixels(values[:, :2], orig_w, orig_h, size_hw, mode)
        out[index, :, 2] = values[:, 2] if dims == 3 else 2.0
    return out


def rotated_boxes(rows: list, orig_w: int, orig_h: int, size_hw: tuple, mode: str) -> np.ndarray:
    """N x 5 (cx, cy, w, h, angle in radians) in input pixels, from the four corners (Ultralytics' xyxyxyxy2xywhr)."""
    from ultralytics.utils.ops import xyxyxyxy2xywhr

    if not rows:
        return np.zeros((0, 5))
    corners = np.array([to_input_pixels(row[1:9].reshape(4, 2), orig_w, orig_h, size_hw, mode).ravel() for row in rows])
    return np.asarray(xyxyxyxy2xywhr(corners.astype(np.float32)), dtype=np.float64)
