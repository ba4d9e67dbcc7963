"""The ``vos`` task: prompted video object segmentation (SAM 2 / SAM 2.1 / EdgeTAM).

What such a model takes and gives, and how its output is scored: each object's prompt (points, box or mask) on
its prompt frame, taken from the metadata Phase A wrote, so every model and backend gets the same; masks per
object per frame; J, F and J&F against the annotations (conventions in :mod:`harness.tasks.vos_metrics`).
No timing, no backend knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from harness.tasks.base import Figures, Task
from harness.tasks.task_settings import VIDEO_TASK
from harness.tasks.vos_metrics import ObjectScore, PredictionCounts, frames_to_score, scored_prediction, split_figures

VOS_FIGURES = ("j_and_f", "j_mean", "f_mean")


@dataclass(frozen=True)
class ObjectPrompt:
    """One object's prompt: its model id, the frame it is given on, and the prompt in original frame pixels."""

    object_id: int
    frame_index: int
    kind: str                                 # points | bbox | mask
    points: Optional[list] = None             # [[x, y], ...], all positive clicks
    box: Optional[list] = None                # [x0, y0, x1, y1]
    mask: Optional[np.ndarray] = None         # bool H x W at the original size


def model_ids(vos: dict) -> dict:
    """Annotation object id ("000", "3") -> the integer id the model tracks it under (1, 2, ... in order)."""
    return {obj["object_id"]: index + 1 for index, obj in enumerate(vos.get("objects", []))}


def _prompt_mask(video, obj: dict, size_wh: list) -> np.ndarray:
    """The object's mask on its prompt frame, at the frame's size (either layout, through VideoMasks)."""
    from harness.data.vos_layouts import resized_mask

    mask = video.mask(obj["object_id"], Path(obj["mask_file"]).stem)
    return mask if [mask.shape[1], mask.shape[0]] == list(size_wh) else resized_mask(mask, size_wh)


def prompts_for(vos: dict, kind: str, size_wh: list) -> list:
    """The run's prompts for one video: every object's ``kind`` prompt on its prompt frame."""
    from harness.data.vos_layouts import read_video

    ids, prompts = model_ids(vos), []
    video = read_video(Path(vos["annotations"])) if kind == "mask" else None
    for obj in vos.get("objects", []):
        record = obj["prompts"]
        frame = int(obj["prompt_frame"])
        if kind == "points":
            prompts.append(ObjectPrompt(ids[obj["object_id"]], frame, kind, points=record["points"]))
        elif kind == "bbox":
            prompts.append(ObjectPrompt(ids[obj["object_id"]], frame, kind, box=record["bbox"]))
        elif kind == "mask":
            prompts.append(ObjectPrompt(ids[obj["object_id"]], frame, kind, mask=_prompt_mask(video, obj, size_wh)))
        else:
            raise ValueError(f"unknown prompt {kind!r}; choose points, bbox or mask")
    return prompts


def video_annotated_frames(vos: dict) -> list:
    """The video's annotated frame indices: Phase A's record, else every object's annotated frames together."""
    if vos.get("annotated_frames") is not None:
        return sorted(vos["annotated_frames"])
    return sorted({i for obj in vos.get("objects", []) for i in obj["annotated_frames"]})


class VideoScorer:
    """J and F of one video's predicted masks, fed frame by frame (nothing is held but the running scores), on the
    frames and objects ``evaluate-vos`` scores on the run's saved masks (same protocol, same order): an evaluated
    frame before the run's first frame has no prediction, as it has no saved mask, and is scored as an empty one."""

    def __init__(self, video: str, vos: dict, frame_stems: list, protocol: str = "sav"):
        from harness.data.vos_layouts import read_video

        self.annotations = read_video(Path(vos["annotations"])) if vos.get("annotations") else None
        self.stems = frame_stems
        self.ids = model_ids(vos)
        objects = vos.get("objects", [])
        video_frames = video_annotated_frames(vos)
        first = min((int(obj["prompt_frame"]) for obj in objects), default=0)
        self.frames, self.scores = {}, {}
        for obj in objects:
            frames = frames_to_score(protocol, obj["annotated_frames"], video_frames,
                                     bool(video_frames) and int(obj["prompt_frame"]) == video_frames[0])
            if frames is not None:
                self.frames[obj["object_id"]] = frames
                self.scores[obj["object_id"]] = ObjectScore(video, obj["object_id"], protocol)
        self.counts = PredictionCounts()
        for index in sorted({i for frames in self.frames.values() for i in frames if i < first}):
            self.add(index, {})

    def wants(self, frame_index: int) -> bool:
        return any(frame_index in frames for frames in self.frames.values())

    def add(self, frame_index: int, masks: dict) -> None:
        """``masks``: model object id -> bool mask at the frame's original size (an object without one: missing)."""
        for object_id, frames in self.frames.items():
            if frame_index not in frames:
                continue
            truth = self.annotations.mask(object_id, self.stems[frame_index])
            if truth is None:
                truth = np.zeros(self._shape(), dtype=bool)
            pred = scored_prediction(masks.get(self.ids[object_id]), truth.shape, self.counts)
            self.scores[object_id].add(pred, truth)

    def _shape(self) -> tuple:
        object_id = next(iter(self.annotations.object_frames))
        return self.annotations.mask(object_id, self.annotations.object_frames[object_id][0]).shape

    def objects(self) -> list:
        return list(self.scores.values())


def split_accuracy(scorers: list, weights_kind: str) -> Figures:
    """J&F over the split (mean over objects, DAVIS 2017), with the per-object and per-video rows as details."""
    objects = [score for scorer in scorers for score in scorer.objects()]
    figures = split_figures(objects)
    details = {"objects": [o.row() for o in objects], **{k: figures[k] for k in ("j_and_f_video_mean", "objects_n")},
               "missing_predictions_n": sum(s.counts.missing_predictions for s in scorers),
               "resized_predictions_n": sum(s.counts.resized_predictions for s in scorers)}
    if weights_kind == "random-init":
        details["meaningless"] = "random-init weights: J&F measures nothing about the architecture"
    result = Figures(metrics={k: figures[k] for k in VOS_FIGURES}, details=details)
    if figures["j_and_f"] is None:
        result.missing(VOS_FIGURES, "no object has an evaluated frame (each needs an annotated frame after its "
                                    "prompt frame and before its last)")
    return result


class VosTask(Task):
    name = VIDEO_TASK
    default_resize = "stretch"
    fidelity_figures: tuple = ()
    fidelity_gate = None
    accuracy_figures: tuple = VOS_FIGURES

    def accuracy_unavailable(self) -> str:
        return "scored per video in the run itself (J&F on the annotated frames)"

    def describe(self) -> dict:
        return {**super().describe(), "accuracy_unavailable": None,
                "fidelity_unavailable": ("a video model's masks depend on its whole memory bank: compare the J&F of "
                                         "the fp32 and reduced-precision runs instead of per-frame outputs")}
