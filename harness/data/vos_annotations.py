"""Phase A's record of one split video's VOS annotations, for metadata.json: per object, its annotated frames, the
frame where it first appears (its prompt frame), its mask area there and its prompts (points, box, mask file);
and what was skipped or adjusted, named and counted: an object whose mask is empty on every annotated frame, a
mask of another size than its frame (resized nearest when used), an annotated frame with no frame file.
Pure data: reads the mask files, no model knowledge.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.vos_layouts import read_video, resized_mask
from harness.data.vos_prompts import object_prompts


def _mask_file(video, object_id: str, frame: str) -> str:
    folder = video.folder / object_id if video.layout == "per_object" else video.folder
    return str(folder / f"{frame}.png")


def _object_record(video, object_id: str, index_of: dict, size_wh: list, counts: dict, seed: int, points: int):
    annotated = [f for f in video.object_frames[object_id] if f in index_of]
    present = video.from_first_appearance(object_id, set(annotated))
    if not present:
        return None
    frame, mask = present[0], video.mask(object_id, present[0])
    if [mask.shape[1], mask.shape[0]] != list(size_wh):
        counts["mask_size_mismatches"] += 1
        mask = resized_mask(mask, size_wh)
    prompts = object_prompts(mask, video.name, object_id, points, seed)
    return {"object_id": object_id, "annotated_frames": [index_of[f] for f in annotated],
            "prompt_frame": index_of[frame], "mask_file": _mask_file(video, object_id, frame),
            "mask_area_px": prompts.pop("mask_area_px"), "prompts": prompts}


def describe_annotations(annotations: str, frame_files: list, size_wh: list, seed: int = 0, points: int = 1) -> dict:
    """The ``vos`` record of a video whose frames are ``frame_files`` (in order) of size ``size_wh`` [w, h]."""
    video = read_video(Path(annotations))
    if video is None:
        return {"annotations": annotations, "objects": [], "skipped_objects": [],
                "why_no_objects": "the annotation folder holds no masks"}
    index_of = {Path(f).stem: i for i, f in enumerate(frame_files)}
    counts = {"mask_size_mismatches": 0,
              "annotated_frames_without_frame": sum(1 for f in video.frames if f not in index_of)}
    objects, skipped = [], []
    for object_id in video.object_frames:
        record = _object_record(video, object_id, index_of, size_wh, counts, seed, points)
        if record is None:
            skipped.append({"object_id": object_id, "reason": "its mask is empty on every annotated frame"})
        else:
            objects.append(record)
    return {"annotations": annotations, "layout": video.layout, "annotated_frames_n": len(video.frames),
            "annotated_frames": [index_of[f] for f in video.frames if f in index_of],
            "objects": objects, "skipped_objects": skipped, **counts}
