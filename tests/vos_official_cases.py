"""Recorded cases for J and F against the official evaluators: annotations and predictions drawn from formulas (no
random numbers), in the SA-V per-object layout and the DAVIS palette layout, with the cases where the evaluators'
conventions matter: objects touching the image edge, contours shifted by a few pixels at 96 x 128 (tolerance 2 px)
and 480 x 854 (8 px, where scikit-image's disk and OpenCV's ellipse differ), an object appearing late (with a
prediction before it appears), one that vanishes while its prediction lingers, a frame where the prediction loses
the object.

    python tests/vos_official_cases.py OUT_DIR

writes OUT_DIR/sav/{gt,pred}/<video>/<object>/<frame>.png and OUT_DIR/davis/{gt,pred,pred_first_frame_objects}/
<video>/<frame>.png (and
the DAVIS root layout OUT_DIR/davis_root/{JPEGImages,Annotations}/480p, ImageSets/2017/val.txt that the DAVIS 2017
evaluation code reads). tests/data/vos_official_expected.json holds what the official code printed on them and
how it was run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

FRAMES = [f"{5 * k:05d}" for k in range(7)]


def ellipse(shape, cy, cx, ry, rx) -> np.ndarray:
    y, x = np.mgrid[:shape[0], :shape[1]]
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def box(shape, top, left, bottom, right) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[max(0, top):max(0, bottom), max(0, left):max(0, right)] = True
    return mask


def _edge(k: int) -> tuple:
    """An object along the top-left edges, its prediction shifted k px and cut at the edge."""
    shape = (96, 128)
    gt = {"1": box(shape, 0, 0, 40, 50 + k), "2": box(shape, 60, 100, 96, 128)}
    pred = {"1": box(shape, 0, k, 42, 52 + k), "2": box(shape, 58 + k % 3, 98, 96, 126)}
    return gt, pred


def _big(k: int) -> tuple:
    """480 x 854 ellipses, the prediction shifted diagonally by 2 + k px (within and past the 8 px disk)."""
    shape = (480, 854)
    gt = {"1": ellipse(shape, 240, 400, 120, 200), "2": box(shape, 300, 600, 470, 850)}
    pred = {"1": ellipse(shape, 240 + 2 + k, 400 + 2 + k, 118, 203), "2": box(shape, 305 + k, 596, 476, 854)}
    return gt, pred


def _late(k: int) -> tuple:
    """Object 2 appears on frame 4; its prediction starts one frame early. Object 1 vanishes after frame 4, its
    prediction lingers on frame 5 and loses it on frame 2."""
    shape = (96, 128)
    gt = {"1": box(shape, 10, 10, 40, 40) if k <= 4 else np.zeros(shape, bool),
          "2": ellipse(shape, 60, 80, 15, 20) if k >= 4 else np.zeros(shape, bool)}
    pred = {"1": box(shape, 11, 12, 41, 43) if k <= 5 and k != 2 else np.zeros(shape, bool),
            "2": ellipse(shape, 61, 82, 15, 19) if k >= 3 else np.zeros(shape, bool)}
    return gt, pred


VIDEOS = {"edge": _edge, "big": _big, "late": _late}


def _save(path: Path, array: np.ndarray, palette: bool = False) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array.astype(np.uint8), mode="L")
    if palette:
        image = image.convert("P")
    image.save(path)


def _palette(masks: dict, shape) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    for object_id, mask in masks.items():
        out[mask] = int(object_id)
    return out


def write_cases(out: Path) -> Path:
    """Both layouts of every video; returns ``out``."""
    out = Path(out)
    for name, draw in VIDEOS.items():
        for k, frame in enumerate(FRAMES):
            gt, pred = draw(k)
            shape = gt["1"].shape
            for object_id in gt:
                if not (name == "late" and object_id == "2" and k < 1):  # SA-V: files from near its appearance on
                    _save(out / "sav" / "gt" / name / f"00{object_id}" / f"{frame}.png", gt[object_id] * 255)
                _save(out / "sav" / "pred" / name / f"00{object_id}" / f"{frame}.png", pred[object_id] * 255)
            _save(out / "davis" / "gt" / name / f"{frame}.png", _palette(gt, shape), palette=True)
            _save(out / "davis" / "pred" / name / f"{frame}.png", _palette(pred, shape), palette=True)
            # DAVIS 2017 scores the objects of the first frame and stops on a prediction with another id
            first = {o: m for o, m in pred.items() if draw(0)[0][o].any()}
            _save(out / "davis" / "pred_first_frame_objects" / name / f"{frame}.png", _palette(first, shape), palette=True)
            _save(out / "davis_root" / "Annotations" / "480p" / name / f"{frame}.png", _palette(gt, shape), palette=True)
            _save(out / "davis_root" / "JPEGImages" / "480p" / name / f"{frame}.jpg", np.zeros(shape))
    (out / "davis_root" / "ImageSets" / "2017").mkdir(parents=True, exist_ok=True)
    (out / "davis_root" / "ImageSets" / "2017" / "val.txt").write_text("\n".join(VIDEOS) + "\n")
    return out


if __name__ == "__main__":
    print(write_cases(Path(sys.argv[1])))
