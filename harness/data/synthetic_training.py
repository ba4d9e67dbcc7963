"""Generated training data for the training phase: the synthetic shapes (rectangle, ellipse, triangle) with train
and val splits, deterministically from a seed, in the layouts Ultralytics' trainers read:

- ``detect``:   ``images/{train,val}/*.jpg`` + ``labels/{train,val}/*.txt`` (class cx cy w h, normalized) + data.yaml
- ``segment``:  the same with polygon labels (class x1 y1 x2 y2 ..., normalized): each shape's outline
- ``classify``: an ImageFolder tree ``{train,val}/<class>/*.jpg``, one centred shape per image

Objects never overlap in detect / segment images, so a box or polygon is exactly what is visible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.files.atomic_io import atomic_write_json, atomic_write_text, read_json
from harness.data.synthetic_dataset import CLASS_NAMES, COLORS_RGB, _background

TRAINING_GENERATOR_VERSION = 1
TASKS = ("detect", "segment", "classify")


def _outline(cls: int, cx: float, cy: float, bw: float, bh: float) -> np.ndarray:
    """The shape's polygon in pixels (an ellipse as 32 points)."""
    x1, y1, x2, y2 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
    if cls == 0:
        return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
    if cls == 1:
        t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        return np.stack([cx + bw / 2 * np.cos(t), cy + bh / 2 * np.sin(t)], axis=1).astype(np.float32)
    return np.array([[cx, y1], [x2, y2], [x1, y2]], dtype=np.float32)


def _draw(image_bgr: np.ndarray, cls: int, polygon: np.ndarray) -> None:
    import cv2

    r, g, b = COLORS_RGB[cls]
    cv2.fillPoly(image_bgr, [np.round(polygon).astype(np.int32)], (b, g, r))


def _placed(rng: np.random.Generator, w: int, h: int, count: int) -> list:
    """Up to ``count`` non-overlapping (class, cx, cy, bw, bh)."""
    placed: list = []
    for _ in range(count * 20):
        if len(placed) == count:
            break
        bw, bh = float(rng.uniform(0.12, 0.35) * w), float(rng.uniform(0.12, 0.35) * h)
        cx, cy = float(rng.uniform(bw / 2, w - bw / 2)), float(rng.uniform(bh / 2, h - bh / 2))
        if all(abs(cx - x) * 2 > bw + pw + 4 or abs(cy - y) * 2 > bh + ph + 4 for _, x, y, pw, ph in placed):
            placed.append((int(rng.integers(0, len(CLASS_NAMES))), cx, cy, bw, bh))
    return placed


def _label_line(task: str, cls: int, cx: float, cy: float, bw: float, bh: float, w: int, h: int) -> str:
    if task == "detect":
        return f"{cls} {cx / w:.6f} {cy / h:.6f} {bw / w:.6f} {bh / h:.6f}"
    points = np.clip(_outline(cls, cx, cy, bw, bh) / np.array([w, h], dtype=np.float32), 0.0, 1.0)
    return f"{cls} " + " ".join(f"{v:.6f}" for v in points.reshape(-1))


def _detection_split(root: Path, task: str, split: str, count: int, size: int, rng: np.random.Generator) -> None:
    import cv2

    (root / "images" / split).mkdir(parents=True, exist_ok=True)
    (root / "labels" / split).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        image = cv2.cvtColor(_background(rng, size, size), cv2.COLOR_RGB2BGR)
        lines = []
        for cls, cx, cy, bw, bh in _placed(rng, size, size, int(rng.integers(1, 5))):
            _draw(image, cls, _outline(cls, cx, cy, bw, bh))
            lines.append(_label_line(task, cls, cx, cy, bw, bh, size, size))
        cv2.imwrite(str(root / "images" / split / f"{index:04d}.jpg"), image)
        atomic_write_text(root / "labels" / split / f"{index:04d}.txt", "\n".join(lines) + "\n")


def _classify_split(root: Path, split: str, count: int, size: int, rng: np.random.Generator) -> None:
    import cv2

    for index in range(count):
        cls = index % len(CLASS_NAMES)
        folder = root / split / CLASS_NAMES[cls]
        folder.mkdir(parents=True, exist_ok=True)
        image = cv2.cvtColor(_background(rng, size, size), cv2.COLOR_RGB2BGR)
        bw, bh = float(rng.uniform(0.4, 0.8) * size), float(rng.uniform(0.4, 0.8) * size)
        cx, cy = size / 2 + float(rng.uniform(-0.1, 0.1) * size), size / 2 + float(rng.uniform(-0.1, 0.1) * size)
        _draw(image, cls, _outline(cls, cx, cy, bw, bh))
        cv2.imwrite(str(folder / f"{index:04d}.jpg"), image)


def generate_training_data(root: str | Path, task: str, train_images: int = 64, val_images: int = 16,
                           size: int = 320, seed: int = 0) -> Path:
    """Writes the dataset under ``root`` unless an identical one is there; returns what the trainer takes as
    ``data``: the data.yaml (detect, segment) or the ImageFolder root (classify)."""
    if task not in TASKS:
        raise ValueError(f"no generated training data for task {task!r}; choose from {', '.join(TASKS)}")
    root = Path(root)
    wanted = {"generator_version": TRAINING_GENERATOR_VERSION, "task": task, "train_images": train_images,
              "val_images": val_images, "size": size, "seed": seed}
    target = root if task == "classify" else root / "data.yaml"
    try:
        if read_json(root / "GENERATED.json") == wanted and target.exists():
            return target
    except (OSError, ValueError):
        pass
    rng = np.random.default_rng(seed)
    for split, count in (("train", train_images), ("val", val_images)):
        if task == "classify":
            _classify_split(root, split, count, size, rng)
        else:
            _detection_split(root, task, split, count, size, rng)
    if task != "classify":
        names = "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASS_NAMES))
        atomic_write_text(target, f"path: {root.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    atomic_write_json(root / "GENERATED.json", wanted)
    return target
