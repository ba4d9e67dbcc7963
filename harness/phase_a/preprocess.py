"""Decode the source once, resize to each frames target (size x resize mode the models need: letterbox for
YOLO tasks, stretch or center crop for others), store frames for Phase B, write metadata.json.

Reused without decoding when ``metadata.json`` carries the same source fingerprint and every frame file
is still there (``--force`` rebuilds).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from harness.files.atomic_io import atomic_write_json, read_json
from harness.data.frame_store import FrameWriter
from harness.data.image_decode import UnreadableImage, decode_image, to_rgb_uint8
from harness.data.image_size import parse_frames_key
from harness.data.model_frame import model_frame
from harness.data.source_scan import PREPROCESS_VERSION, SequencePlan, SourceScan
from harness.data.source_spec import SourceSpec
from harness.errors import UserError
from harness.records.setup_config import METADATA_FILENAME
from harness.files.unique_names import collision_lines, safe_name, unique_safe_names

log = logging.getLogger("jetson_benchmark.phase_a")
METADATA_SCHEMA_VERSION = 3  # 2: frames keyed by size and resize mode; class_name per image; 3: vos per split video


def frames_relpath(key: str, sequence_name: str) -> str:
    return f"frames/img{key}/{safe_name(sequence_name)}.npy"


def frame_targets(keys: list) -> list:
    """(frames key, (height, width), resize mode, colour) for each key ("640", "480x640", "224-crop0.875-gray")."""
    return [(str(key), *parse_frames_key(key)) for key in keys]


def existing_metadata(root: Path, fingerprint: str, keys: list) -> dict | None:
    """The stored metadata if it was made from exactly this source, holds every frames key asked for, and its
    frame files exist."""
    path = root / METADATA_FILENAME
    try:
        meta = read_json(path)
    except (OSError, ValueError):
        return None
    if meta.get("fingerprint") != fingerprint or meta.get("schema_version") != METADATA_SCHEMA_VERSION:
        return None
    if not set(map(str, keys)) <= set(map(str, meta.get("frames_keys", []))):
        return None
    for seq in meta.get("sequences", []):
        for rel in seq.get("frames", {}).values():
            if not (root / rel).is_file():
                return None
    return meta


class _Writers:
    """One frame writer per frames target for the sequence being decoded."""

    def __init__(self, root: Path, keys: list, name: str, capacity: int):
        self.targets = frame_targets(keys)
        self.writers = {key: FrameWriter(root / frames_relpath(key, name), capacity, hw) for key, hw, _, _ in self.targets}

    def append(self, rgb: np.ndarray) -> None:
        for key, hw, mode, color in self.targets:
            self.writers[key].append(model_frame(rgb, hw, mode, color))

    @property
    def full(self) -> bool:
        return next(iter(self.writers.values())).full

    def close(self) -> int:
        counts = {writer.close() for writer in self.writers.values()}
        assert len(counts) == 1
        return counts.pop()


def _image_sequence(seq: SequencePlan, root: Path, keys: list, skipped: list, prompt_points: int = 1,
                    file_id: str = None) -> dict:
    files = seq.files
    writers = _Writers(root, keys, file_id or seq.name, max(1, len(files)))
    items = []
    for path in files:
        try:
            rgb, conversion = decode_image(path)
        except UnreadableImage as exc:
            skipped.append({"source_path": path, "reason": str(exc)})
            log.warning("skipped %s: %s", path, exc)
            continue
        writers.append(rgb)
        items.append({
            "source_path": path, "frame_index": len(items), "frame_count": 1,
            "original_size": [int(rgb.shape[1]), int(rgb.shape[0])],
            "conversion": conversion, "label_path": seq.labels.get(path), "class_name": seq.classes.get(path),
        })
    count = writers.close()
    record = {"name": seq.name, "kind": seq.kind, "num_frames": count, "items": items}
    if seq.annotations and items:
        from harness.data.vos_annotations import describe_annotations

        frames = [item["source_path"] for item in items]
        record["vos"] = describe_annotations(seq.annotations, frames, items[0]["original_size"], points=prompt_points)
    return record


def _video_sequence(seq: SequencePlan, root: Path, keys: list, max_frames: int, skipped: list,
                    file_id: str = None) -> dict:
    import cv2

    path = seq.files[0]
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        skipped.append({"source_path": path, "reason": "cannot open video (corrupt or unsupported codec)"})
        return {"name": seq.name, "kind": "video", "num_frames": 0, "items": []}
    reported = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0) or None
    capacity = min(max_frames, reported) if reported > 0 else max_frames
    writers = _Writers(root, keys, file_id or seq.name, max(1, capacity))
    original = None
    try:
        while not writers.full:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            rgb, _ = to_rgb_uint8(frame, "BGR")
            original = original or [int(rgb.shape[1]), int(rgb.shape[0])]
            writers.append(rgb)
    finally:
        capture.release()
    count = writers.close()
    if count == 0:
        skipped.append({"source_path": path, "reason": "video has no decodable frames"})
    item = {"source_path": path, "frame_index": 0, "frame_count": count, "original_size": original,
            "fps": fps, "reported_frame_count": reported or None,
            "truncated_to_max_frames": bool(reported > count and count == max_frames)}
    return {"name": seq.name, "kind": "video", "num_frames": count, "items": [item]}


def preprocess(scan: SourceScan, spec: SourceSpec, keys: list, root: Path, fingerprint: str,
               max_frames: int, force: bool, prompt_points: int = 1) -> dict:
    """Returns the metadata dict (also written to ``root/metadata.json``); ``prompt_points``: clicks per object of an
    annotated video."""
    if not force:
        meta = existing_metadata(root, fingerprint, keys)
        if meta is not None:
            log.info("preprocessed data matches the source fingerprint: reused, nothing decoded")
            return {**meta, "reused": True}
    started = time.perf_counter()
    frames_root = root / "frames"
    if frames_root.exists():
        shutil.rmtree(frames_root)
    skipped: list = []
    sequences = []
    names = [seq.name for seq in scan.sequences]
    file_ids = unique_safe_names(names)  # "v 1" and "v-1" never share a frames file
    renamed = collision_lines(names, file_ids, "sequences")
    for line in renamed:
        log.warning("%s", line)
    for seq in scan.sequences:
        file_id = file_ids[seq.name]
        if seq.kind == "video":
            record = _video_sequence(seq, root, keys, max_frames, skipped, file_id)
        else:
            record = _image_sequence(seq, root, keys, skipped, prompt_points, file_id)
        if record["num_frames"] == 0:
            for key in keys:
                (root / frames_relpath(key, file_id)).unlink(missing_ok=True)
            continue
        record["frames"] = {str(s): frames_relpath(s, file_id) for s in keys}
        sequences.append(record)
        log.info("sequence %s: %d frames", seq.name, record["num_frames"])
    total = sum(s["num_frames"] for s in sequences)
    if total == 0:
        reasons = "; ".join(f"{Path(s['source_path']).name}: {s['reason']}" for s in skipped[:3])
        raise UserError(f"{spec.describe()}: no readable frames ({len(skipped)} file(s) skipped: {reasons})")
    meta = {
        "schema_version": METADATA_SCHEMA_VERSION,
        "preprocess_version": PREPROCESS_VERSION,
        "fingerprint": fingerprint,
        "source": spec.to_dict(),
        "frames_keys": keys,
        "layout": "uint8 N x 3 x H x W, RGB, resized per frames key (letterbox pads with 114), one .npy per sequence "
                  "and key",
        "sequences": sequences,
        "skipped": skipped,
        "renamed": renamed,
        "ignored_files": scan.ignored_files,
        "totals": {
            "frames": total,
            "images": sum(len(s["items"]) for s in sequences if s["kind"] != "video"),
            "videos": sum(1 for s in sequences if s["kind"] == "video"),
            "skipped": len(skipped),
            "ignored": len(scan.ignored_files),
        },
        "preprocess_s": round(time.perf_counter() - started, 3),
    }
    atomic_write_json(root / METADATA_FILENAME, meta)
    return {**meta, "reused": False}
