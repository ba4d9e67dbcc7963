"""List what a source holds (files only, no decoding) and fingerprint it. Pure Python.

The parent uses this to check, before any heavy import, whether the data Phase A preprocessed still
matches the files on disk (``--skip_setup``); Phase A uses it to know what to decode. Both must see the
same list, so the listing lives here, once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from harness.data.source_spec import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, SourceSpec, has_extension
from harness.errors import UserError

# Bump when decoding, letterboxing or the frame store layout changes: old preprocessed data is then stale.
PREPROCESS_VERSION = 2  # 2: frames per size and resize mode, EXIF orientation


@dataclass
class SequencePlan:
    """One unit of frames: a folder of images, a video file, or a folder of video frames."""

    name: str
    kind: str                                   # images | video | frames
    files: list = field(default_factory=list)   # absolute paths, in frame order
    labels: dict = field(default_factory=dict)  # image path -> YOLO label file, where one exists
    classes: dict = field(default_factory=dict)  # image path -> class folder, in an ImageFolder tree
    annotations: Optional[str] = None           # a split's video: its folder of VOS masks (SA-V / DAVIS layout)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SourceScan:
    sequences: list
    ignored_files: list = field(default_factory=list)  # files that are neither images nor videos

    def all_files(self) -> list[str]:
        files: list[str] = []
        for seq in self.sequences:
            files.extend(seq.files)
            files.extend(seq.labels.values())
            if seq.annotations:  # a video's masks are part of what the data is
                files.extend(str(p) for p in sorted(Path(seq.annotations).rglob("*.png")))
        return files


def _sorted_files(folder: Path, recursive: bool) -> list[Path]:
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    return sorted((p for p in pattern if p.is_file() and not p.name.startswith(".")), key=lambda p: str(p))


def label_for(image: Path) -> Optional[Path]:
    """Ultralytics' convention (``.../images/x.jpg`` -> ``.../labels/x.txt``), else ``x.txt`` beside it."""
    parts = list(image.parts)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "images":
            candidate = Path(*parts[:index], "labels", *parts[index + 1:]).with_suffix(".txt")
            if candidate.is_file():
                return candidate
            break
    beside = image.with_suffix(".txt")
    return beside if beside.is_file() else None


def _image_sequence(name: str, kind: str, images: list[Path]) -> SequencePlan:
    labels = {}
    for image in images:
        label = label_for(image)
        if label is not None:
            labels[str(image)] = str(label)
    return SequencePlan(name=name, kind=kind, files=[str(p) for p in images], labels=labels)


def image_folder_classes(folder: Path, images: list) -> dict:
    """image path -> class folder name, when ``folder`` is an ImageFolder tree (``folder/<class>/<image>``).

    That is: every image sits exactly one folder below ``folder``, and no folder on an image's absolute path
    is named ``images`` or ``labels`` (a YOLO layout, e.g. ``images/train/x.jpg``). Otherwise empty.
    """
    relative = [p.relative_to(folder).parts for p in images]
    if not relative or any(len(parts) != 2 for parts in relative):
        return {}
    if any({"images", "labels"} & set(p.parent.parts) for p in images):
        return {}
    return {str(path): parts[0] for path, parts in zip(images, relative)}


def scan_image_dir(folder: Path, name: str = "images") -> SourceScan:
    files = _sorted_files(folder, recursive=True)
    images = [p for p in files if has_extension(p, IMAGE_EXTENSIONS)]
    ignored = [str(p) for p in files if not has_extension(p, IMAGE_EXTENSIONS) and p.suffix.lower() != ".txt"]
    if not images:
        raise UserError(f"no images found in {folder} (looked for {', '.join(sorted(IMAGE_EXTENSIONS))})")
    sequence = _image_sequence(name, "images", images)
    sequence.classes = image_folder_classes(folder, images)
    return SourceScan([sequence], ignored)


# (frames folder, annotations folder, layout) of the split layouts of the field, and the children a split may be in
SPLIT_LAYOUTS = (("JPEGImages_24fps", "Annotations_6fps", "sa-v"), ("JPEGImages/480p", "Annotations/480p", "davis"),
                 ("JPEGImages", "Annotations", "davis"))
SPLIT_CHILDREN = ("", "valid", "val", "test")
JPEG_EXTENSIONS = {".jpg", ".jpeg"}


def split_layout(folder: Path) -> tuple:
    """(folder of video folders, folder of their annotations or None, layout name): an SA-V or DAVIS root (or
    its valid / val / test child) is recognised; anything else is a plain folder of video folders."""
    for child in SPLIT_CHILDREN:
        base = folder / child if child else folder
        for frames, masks, layout in SPLIT_LAYOUTS:
            if (base / frames).is_dir():
                return base / frames, (base / masks if (base / masks).is_dir() else None), layout
    return folder, None, "plain"


def video_frames(folder: Path) -> tuple:
    """(frame files, files that are not frames): JPEG frames when there are any (PNG masks beside them are never
    frames), else every image."""
    images = [p for p in _sorted_files(folder, recursive=False) if has_extension(p, IMAGE_EXTENSIONS)]
    jpegs = [p for p in images if p.suffix.lower() in JPEG_EXTENSIONS]
    frames = jpegs or images
    return frames, [str(p) for p in images if p not in frames]


def scan_split_dir(folder: Path, limit_videos: int, max_frames: int = 0) -> SourceScan:
    """Each video folder holds one video's frames (SA-V / DAVIS roots recognised, their masks recorded per video,
    never taken as frames; the first ``max_frames`` of them when not 0); video files may sit at the top level."""
    root, annotations, _ = split_layout(folder)
    sequences: list[SequencePlan] = []
    ignored: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            frames, not_frames = video_frames(entry)
            ignored.extend(not_frames)
            if frames:
                sequence = _image_sequence(entry.name, "frames", frames[:max_frames] if max_frames else frames)
                masks = annotations / entry.name if annotations is not None else None
                sequence.annotations = str(masks) if masks is not None and masks.is_dir() else None
                sequences.append(sequence)
            else:
                ignored.append(str(entry))
        elif has_extension(entry, VIDEO_EXTENSIONS):
            sequences.append(SequencePlan(name=entry.stem, kind="video", files=[str(entry)]))
        else:
            ignored.append(str(entry))
    if not sequences:
        raise UserError(f"--split_dir {folder}: no video folders of frames and no video files inside (an SA-V root "
                        "holds JPEGImages_24fps/, a DAVIS root JPEGImages/480p/)")
    if limit_videos:
        sequences = sequences[:limit_videos]
    _dedupe_names(sequences)
    return SourceScan(sequences, ignored)


def _dedupe_names(sequences: list) -> None:
    seen: dict[str, int] = {}
    for seq in sequences:
        count = seen.get(seq.name, 0)
        seen[seq.name] = count + 1
        if count:
            seq.name = f"{seq.name}_{count}"


def synthetic_root(preprocessed_dir: str | os.PathLike) -> Path:
    return Path(preprocessed_dir).resolve() / "synthetic_source"


def synthetic_vos_root(preprocessed_dir: str | os.PathLike) -> Path:
    return Path(preprocessed_dir).resolve() / "synthetic_vos_source"


def camera_capture_root(preprocessed_dir: str | os.PathLike) -> Path:
    return Path(preprocessed_dir).resolve() / "camera_capture"


def scan_source(spec: SourceSpec, preprocessed_dir: str, limit_videos: int = 0, max_frames: int = 0) -> SourceScan:
    """List the sequences of a source. Synthetic and camera sources must already be on disk."""
    if spec.kind == "image_dir":
        return scan_image_dir(Path(spec.path))
    if spec.kind == "video":
        return SourceScan([SequencePlan(name=Path(spec.path).stem, kind="video", files=[spec.path])])
    if spec.kind == "split_dir":
        return scan_split_dir(Path(spec.path), limit_videos, max_frames)
    if spec.kind == "synthetic":
        root = synthetic_root(preprocessed_dir)
        scan = scan_image_dir(root / "images")
        videos = sorted((root / "videos").glob("*"))
        if limit_videos:  # the images are not a video: keep them, limit the videos
            videos = videos[:limit_videos]
        scan.sequences.extend(SequencePlan(name=v.stem, kind="video", files=[str(v)]) for v in videos)
        return scan
    if spec.kind == "synthetic_vos":
        return scan_split_dir(synthetic_vos_root(preprocessed_dir), limit_videos, max_frames)
    if spec.kind == "camera":
        root = camera_capture_root(preprocessed_dir)
        frames = [p for p in _sorted_files(root, recursive=False) if has_extension(p, IMAGE_EXTENSIONS)] if root.is_dir() else []
        if not frames:
            raise UserError("no camera capture on disk: run setup (without --skip_setup) to capture frames")
        return SourceScan([_image_sequence(f"camera{spec.path}", "frames", frames)])
    raise AssertionError(spec.kind)


def source_fingerprint(scan: SourceScan, imgsz: list, max_frames: int, limit_videos: int, prompt_points: int = 1) -> str:
    """sha256 over every file's path, size and mtime, plus the preprocessing parameters and version.

    Changing, adding or removing a file, or changing imgsz / frame limits, changes the fingerprint, and
    preprocessed data made under another fingerprint is stale.
    """
    entries = []
    for path in scan.all_files():
        try:
            stat = os.stat(path)
            entries.append([path, stat.st_size, stat.st_mtime_ns])
        except OSError:
            entries.append([path, None, None])
    payload = {
        "files": entries,
        "imgsz": sorted(str(s) for s in imgsz),
        "max_frames": int(max_frames),
        "limit_videos": int(limit_videos),
        "preprocess_version": PREPROCESS_VERSION,
    }
    if prompt_points != 1:  # the clicks stored per object (1 stays out, so earlier fingerprints stand)
        payload["prompt_points"] = int(prompt_points)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
