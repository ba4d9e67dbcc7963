"""Video object segmentation annotations (and predictions laid out like them), in the two layouts of the field:

- ``per_object`` (SA-V): ``<root>/<video>/<object id>/<frame>.png``, one binary mask per object per annotated frame;
- ``palette`` (DAVIS 2017): ``<root>/<video>/<frame>.png``, one PNG per annotated frame whose pixel values are
  object ids (0 = background, 255 = void in DAVIS, ignored as an object).
A split root is accepted for the annotations: its ``Annotations_6fps/`` (SA-V), ``Annotations/480p/`` or
``Annotations/`` (DAVIS) is used. Frames are matched by file stem. Pure reading: no model knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from harness.errors import UserError

ANNOTATION_FOLDERS = ("Annotations_6fps", "Annotations/480p", "Annotations")
VOID_ID = 255


def annotation_root(folder: Path) -> Path:
    for name in ANNOTATION_FOLDERS:
        if (folder / name).is_dir():
            return folder / name
    return folder


def resized_mask(mask: np.ndarray, size_wh) -> np.ndarray:
    """A boolean mask at another size, nearest neighbour (how a mask of the wrong size is matched to its frame)."""
    import cv2

    return cv2.resize(mask.astype(np.uint8), tuple(int(v) for v in size_wh), interpolation=cv2.INTER_NEAREST) > 0


def read_png(path: Path) -> np.ndarray:
    """A PNG's values as stored (palette indices for a palette PNG, not colours)."""
    from PIL import Image

    with Image.open(path) as image:
        return np.array(image.convert("L") if image.mode not in ("P", "L", "I", "I;16", "1") else image)


@dataclass
class VideoMasks:
    """One video's masks in either layout: which objects exist, on which frames, and each object's mask."""

    name: str
    folder: Path
    layout: str
    frames: list = field(default_factory=list)           # annotated frame stems, sorted
    object_frames: dict = field(default_factory=dict)    # object id -> frame stems with a file for it

    def mask(self, object_id: str, frame: str) -> Optional[np.ndarray]:
        """The object's boolean mask on the frame, or None when there is no file for it."""
        if self.layout == "per_object":
            path = self.folder / object_id / f"{frame}.png"
            return read_png(path) > 0 if path.is_file() else None
        path = self.folder / f"{frame}.png"
        return read_png(path) == int(object_id) if path.is_file() else None

    def from_first_appearance(self, object_id: str, among: Optional[set] = None) -> list:
        """The object's annotated frames (only those in ``among``, when given) from the first where its mask is not
        empty (its prompt frame) on; [] when it is empty on all of them."""
        frames = [f for f in self.object_frames[object_id] if among is None or f in among]
        for index, frame in enumerate(frames):
            mask = self.mask(object_id, frame)
            if mask is not None and mask.any():
                return frames[index:]
        return []


def _per_object(folder: Path) -> VideoMasks:
    video = VideoMasks(folder.name, folder, "per_object")
    for obj in sorted(p for p in folder.iterdir() if p.is_dir()):
        video.object_frames[obj.name] = sorted(p.stem for p in obj.glob("*.png"))
    video.frames = sorted({f for frames in video.object_frames.values() for f in frames})
    return video


def _palette(folder: Path) -> VideoMasks:
    video = VideoMasks(folder.name, folder, "palette")
    video.frames = sorted(p.stem for p in folder.glob("*.png"))
    ids: set = set()
    for frame in video.frames:
        ids |= {int(v) for v in np.unique(read_png(folder / f"{frame}.png"))} - {0, VOID_ID}
    video.object_frames = {str(i): list(video.frames) for i in sorted(ids)}
    return video


def read_video(folder: Path) -> Optional[VideoMasks]:
    """A video folder's masks, or None when it holds none."""
    if any(p.is_dir() for p in folder.iterdir()):
        return _per_object(folder)
    if any(folder.glob("*.png")):
        return _palette(folder)
    return None


def read_split(folder: str | Path, what: str = "annotations") -> dict:
    """{video name: VideoMasks} of every video folder under the split (or its annotation folder)."""
    root = annotation_root(Path(folder))
    if not root.is_dir():
        raise UserError(f"{folder}: no such folder of {what}")
    videos = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        video = read_video(sub)
        if video is not None and video.object_frames:
            videos[sub.name] = video
    if not videos:
        raise UserError(f"{folder}: no {what} found (expected <video>/<object>/<frame>.png as SA-V, or "
                        "<video>/<frame>.png palette masks as DAVIS)")
    return videos
