"""What the user asked to read: ``--source`` / ``--split_dir`` parsed into a small spec. Pure Python."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from harness.errors import UserError

IMAGE_EXTENSIONS = {
    "avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp",
}
VIDEO_EXTENSIONS = {"asf", "avi", "gif", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ts", "wmv", "webm"}

SYNTHETIC = "synthetic"
SYNTHETIC_VOS = "synthetic_vos"   # the generated SA-V-layout split, the default when only video models are asked for


@dataclass(frozen=True)
class SourceSpec:
    kind: str                      # image_dir | video | camera | split_dir | synthetic
    path: Optional[str] = None     # folder or file; for camera the device index or path
    frames: Optional[int] = None   # camera only: frames to capture

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SourceSpec":
        return cls(kind=data["kind"], path=data.get("path"), frames=data.get("frames"))

    def describe(self) -> str:
        if self.kind == SYNTHETIC:
            return "synthetic dataset (generated offline)"
        if self.kind == SYNTHETIC_VOS:
            return "synthetic video split in SA-V layout (generated offline)"
        if self.kind == "camera":
            return f"camera {self.path} ({self.frames} frames)"
        return f"{self.kind}={self.path}"


def has_extension(path: Path, extensions: set) -> bool:
    return path.suffix.lower().lstrip(".") in extensions


def parse_source(source: Optional[str], split_dir: Optional[str], default_frames: int,
                 video_models_only: bool = False) -> SourceSpec:
    """Parse the flags; checks only the form and that paths exist (scanning comes later). With neither flag, the
    generated dataset: images and videos, or an annotated SA-V-layout split when only video models are asked for."""
    if split_dir:
        folder = Path(split_dir).expanduser()
        if not folder.is_dir():
            raise UserError(f"--split_dir {split_dir}: no such folder")
        return SourceSpec("split_dir", str(folder.resolve()))
    if not source:
        return SourceSpec(SYNTHETIC_VOS if video_models_only else SYNTHETIC)
    key, sep, value = source.partition("=")
    if not sep:  # a plain path: a folder of images or a video file
        value = source
        key = "image_dir" if Path(source).expanduser().is_dir() else "video"
    key, value = key.strip(), value.strip()
    if key == "camera":
        device, _, frames_text = value.partition(":")
        frames = default_frames
        if frames_text:
            try:
                frames = int(frames_text)
            except ValueError:
                raise UserError(f"--source {source}: use camera=INDEX or camera=INDEX:FRAMES")
        if not device or frames <= 0:
            raise UserError(f"--source {source}: use camera=INDEX or camera=INDEX:FRAMES with FRAMES >= 1")
        return SourceSpec("camera", device, frames)
    if key not in ("image_dir", "video"):
        raise UserError(f"--source {source}: use image_dir=PATH, video=PATH or camera=INDEX")
    if not value:
        raise UserError(f"--source {source}: the path is missing")
    path = Path(value).expanduser()
    if not path.exists():
        raise UserError(f"--source {source}: {value} does not exist")
    if key == "image_dir" and not path.is_dir():
        raise UserError(f"--source {source}: {value} is not a folder")
    if key == "video":
        if not path.is_file():
            raise UserError(f"--source {source}: {value} is not a file")
        if not has_extension(path, VIDEO_EXTENSIONS):
            raise UserError(f"--source {source}: {path.name} is not a video file ({', '.join(sorted(VIDEO_EXTENSIONS))})")
    return SourceSpec(key, str(path.resolve()))
