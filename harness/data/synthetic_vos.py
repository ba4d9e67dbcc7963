"""A generated split in SA-V's layout: short videos of moving, occluding shapes with their masks.

``JPEGImages_24fps/<video>/<frame:05d>.jpg`` and ``Annotations_6fps/<video>/<object:03d>/<frame:05d>.png`` (binary
0/255, every ``annotate_every``-th frame, as SA-V annotates every 4th frame of 24 fps video). Each video has 2-3
objects (filled ellipses and rectangles of distinct colours on a textured background) moving on straight lines;
a later object is drawn over an earlier one, so masks are the visible parts and objects occlude each other.
Seeded: the same arguments give the same files. For timing and memory and for the scoring's plumbing; the
shapes are not a benchmark of segmentation quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FRAMES_FOLDER, MASKS_FOLDER = "JPEGImages_24fps", "Annotations_6fps"


def _objects(rng: np.random.Generator, height: int, width: int, count: int) -> list:
    objects = []
    for index in range(count):
        size = rng.uniform(0.15, 0.3) * min(height, width)
        start = rng.uniform([size, size], [width - size, height - size])
        velocity = rng.uniform(-0.04, 0.04, size=2) * [width, height]
        colour = tuple(int(c) for c in rng.integers(40, 256, size=3))
        objects.append({"kind": ("ellipse", "rect")[index % 2], "size": size, "start": start,
                        "velocity": velocity, "colour": colour})
    return objects


def _draw(canvas: np.ndarray, obj: dict, t: int) -> np.ndarray:
    """Draws the object at frame t onto the canvas; returns its full (unoccluded) mask."""
    import cv2

    h, w = canvas.shape[:2]
    cx, cy = obj["start"] + obj["velocity"] * t
    cx, cy = float(np.clip(cx, 0, w - 1)), float(np.clip(cy, 0, h - 1))
    mask = np.zeros((h, w), dtype=np.uint8)
    half = int(obj["size"] / 2)
    if obj["kind"] == "ellipse":
        cv2.ellipse(mask, (int(cx), int(cy)), (half, int(half * 0.7)), 0, 0, 360, 255, -1)
    else:
        cv2.rectangle(mask, (int(cx) - half, int(cy) - half // 2), (int(cx) + half, int(cy) + half // 2), 255, -1)
    canvas[mask > 0] = obj["colour"]
    return mask > 0


def write_video(root: Path, name: str, rng: np.random.Generator, frames: int, size: tuple, objects: int,
                annotate_every: int) -> None:
    import cv2

    height, width = size
    shapes = _objects(rng, height, width, objects)
    background = rng.integers(0, 60, size=(height, width, 3), dtype=np.uint8)
    (root / FRAMES_FOLDER / name).mkdir(parents=True, exist_ok=True)
    for t in range(frames):
        canvas = background.copy()
        full = [_draw(canvas, obj, t) for obj in shapes]
        cv2.imwrite(str(root / FRAMES_FOLDER / name / f"{t:05d}.jpg"), canvas[:, :, ::-1])
        if t % annotate_every:
            continue
        for index, mask in enumerate(full):
            visible = mask & ~np.any(full[index + 1:], axis=0) if index + 1 < len(full) else mask
            target = root / MASKS_FOLDER / name / f"{index:03d}"
            target.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(target / f"{t:05d}.png"), visible.astype(np.uint8) * 255)


def generate_vos_split(root: str | Path, videos: int = 3, frames: int = 16, size: tuple = (96, 128),
                       annotate_every: int = 4, seed: int = 0) -> Path:
    """Writes the split under ``root`` unless an identical one is already there (so its fingerprint is stable
    across runs), and returns it."""
    from harness.files.atomic_io import atomic_write_json, read_json

    root = Path(root)
    marker = root / "GENERATED.json"
    wanted = {"generator": "synthetic_vos", "videos": videos, "frames": frames, "size": list(size),
              "annotate_every": annotate_every, "seed": seed}
    try:
        if read_json(marker) == wanted:
            return root
    except (OSError, ValueError):
        pass
    rng = np.random.default_rng(seed)
    for index in range(videos):
        write_video(root, f"video_{index:03d}", rng, frames, size, 2 + index % 2, annotate_every)
    atomic_write_json(marker, wanted)
    return root
