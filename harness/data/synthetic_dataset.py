"""A small deterministic dataset made offline: images with drawn objects, YOLO labels, one short video.

Used when the user gives no source, and by the tests. Same seed and version -> same pixels and labels.
Layout (Ultralytics' convention, so its tools read it too)::

    synthetic_source/images/000.jpg ...   labels/000.txt ...   videos/clip0.mp4   data.yaml   GENERATED.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.files.atomic_io import atomic_write_json, atomic_write_text, read_json

GENERATOR_VERSION = 1
CLASS_NAMES = ("rectangle", "ellipse", "triangle")
IMAGE_SIZES_WH = ((640, 480), (800, 600), (480, 640), (1280, 720))
COLORS_RGB = ((220, 40, 40), (40, 180, 60), (40, 80, 220))


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    base = rng.uniform(40, 200, size=3).astype(np.float32)
    tilt = rng.uniform(-50, 50, size=3).astype(np.float32)
    img = base[None, None, :] + tilt[None, None, :] * (0.6 * ys + 0.4 * xs)[:, :, None]
    img += rng.normal(0, 6, size=(h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_object(img_bgr: np.ndarray, cls: int, cx: float, cy: float, bw: float, bh: float) -> None:
    import cv2

    r, g, b = COLORS_RGB[cls]
    color = (b, g, r)
    x1, y1, x2, y2 = int(cx - bw / 2), int(cy - bh / 2), int(cx + bw / 2), int(cy + bh / 2)
    if cls == 0:
        cv2.rectangle(img_bgr, (x1, y1), (x2, y2), color, thickness=-1)
    elif cls == 1:
        cv2.ellipse(img_bgr, (int(cx), int(cy)), (int(bw / 2), int(bh / 2)), 0, 0, 360, color, thickness=-1)
    else:
        pts = np.array([[int(cx), y1], [x1, y2], [x2, y2]], dtype=np.int32)
        cv2.fillPoly(img_bgr, [pts], color)


def _random_objects(rng: np.random.Generator, w: int, h: int, count: int) -> list[tuple]:
    objects = []
    for _ in range(count):
        cls = int(rng.integers(0, len(CLASS_NAMES)))
        bw = float(rng.uniform(0.08, 0.35) * w)
        bh = float(rng.uniform(0.08, 0.35) * h)
        cx = float(rng.uniform(bw / 2, w - bw / 2))
        cy = float(rng.uniform(bh / 2, h - bh / 2))
        objects.append((cls, cx, cy, bw, bh))
    return objects


def _clipped_box(w: int, h: int, cx: float, cy: float, bw: float, bh: float) -> tuple:
    """The drawn pixel extent, in YOLO's normalized cx, cy, w, h."""
    x1, y1 = max(int(cx - bw / 2), 0), max(int(cy - bh / 2), 0)
    x2, y2 = min(int(cx + bw / 2), w - 1), min(int(cy + bh / 2), h - 1)
    return ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)


def generate(root: str | Path, num_images: int = 16, video_frames: int = 48, seed: int = 0) -> Path:
    """Write the dataset under ``root`` unless an identical one is already there. Returns ``root``."""
    import cv2

    root = Path(root)
    marker = root / "GENERATED.json"
    wanted = {"generator_version": GENERATOR_VERSION, "num_images": num_images,
              "video_frames": video_frames, "seed": seed}
    if marker.is_file():
        try:
            if read_json(marker) == wanted:
                return root
        except (OSError, json.JSONDecodeError):
            pass
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "videos").mkdir(parents=True, exist_ok=True)
    for index in range(num_images):
        w, h = IMAGE_SIZES_WH[index % len(IMAGE_SIZES_WH)]
        img = cv2.cvtColor(_background(rng, w, h), cv2.COLOR_RGB2BGR)
        lines = []
        for cls, cx, cy, bw, bh in _random_objects(rng, w, h, int(rng.integers(1, 6))):
            _draw_object(img, cls, cx, cy, bw, bh)
            nx, ny, nw, nh = _clipped_box(w, h, cx, cy, bw, bh)
            lines.append(f"{cls} {nx:.6f} {ny:.6f} {nw:.6f} {nh:.6f}")
        ok, encoded = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        (root / "images" / f"{index:03d}.jpg").write_bytes(encoded.tobytes())
        atomic_write_text(root / "labels" / f"{index:03d}.txt", "\n".join(lines) + "\n")
    _write_video(root / "videos" / "clip0.mp4", rng, video_frames)
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    atomic_write_text(root / "data.yaml", f"path: {root}\ntrain: images\nval: images\nnames:\n{names}\n")
    atomic_write_json(marker, wanted)
    return root


def _write_video(path: Path, rng: np.random.Generator, frames: int, w: int = 640, h: int = 360, fps: int = 30) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v video here")
    background = cv2.cvtColor(_background(rng, w, h), cv2.COLOR_RGB2BGR)
    movers = _random_objects(rng, w, h, 3)
    velocity = rng.uniform(-6, 6, size=(len(movers), 2))
    try:
        for t in range(frames):
            frame = background.copy()
            for k, (cls, cx, cy, bw, bh) in enumerate(movers):
                x = (cx + velocity[k, 0] * t) % w
                y = (cy + velocity[k, 1] * t) % h
                _draw_object(frame, cls, x, y, bw * 0.6, bh * 0.6)
            writer.write(frame)
    finally:
        writer.release()
