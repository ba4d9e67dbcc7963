"""``jetson_benchmark.py evaluate-vos PRED_DIR GT_DIR [--out FILE.csv]``: J, F and J&F of any predictions folder
laid out like the annotations (SA-V per-object or DAVIS palette; the two sides may differ), per object, per video
and over the split, with the conventions of :mod:`harness.tasks.vos_metrics` (``--protocol sav``, the default, or
``davis``).

A prediction missing for an evaluated frame is scored as an empty mask (so J = 0 where the object is annotated)
and counted; a prediction of another size than its annotation is resized (nearest) and counted. Objects are
matched by id (numeric ids compare as numbers: SA-V's ``003`` is DAVIS's ``3``). Writes one CSV (rows of level
``object``, ``video`` and ``split``) and prints the split's figures. Exit 2 on a folder with nothing to score.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.files.atomic_io import atomic_write_text
from harness.data.vos_layouts import read_split
from harness.tasks.vos_metrics import (PROTOCOLS, ObjectScore, PredictionCounts, frames_to_score, scored_prediction,
                                       split_figures, video_rows)


@dataclass
class Counts(PredictionCounts):
    missing_videos: int = 0


def _same_id(a: str, b: str) -> bool:
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


def _prediction(pred_video, object_id: str, frame: str, shape: tuple, counts: Counts) -> np.ndarray:
    ids = [o for o in (pred_video.object_frames if pred_video else {}) if _same_id(o, object_id)]
    return scored_prediction(pred_video.mask(ids[0], frame) if ids else None, shape, counts)


def _truth(video, object_id: str, frame: str, shape: tuple) -> np.ndarray:
    """The annotation of the object on the frame; empty where the layout has no file for it."""
    mask = video.mask(object_id, frame)
    return mask if mask is not None else np.zeros(shape, dtype=bool)


def score_video(name: str, video, pred_video, protocol: str, counts: Counts) -> list:
    """Every object of one annotated video the protocol scores, fed its frames in order."""
    first, some = video.frames[0], next(iter(video.object_frames))
    shape = video.mask(some, video.object_frames[some][0]).shape
    scores = []
    for object_id in video.object_frames:
        on_first = bool(_truth(video, object_id, first, shape).any())
        frames = frames_to_score(protocol, video.object_frames[object_id], video.frames, on_first)
        if frames is None:
            continue
        score = ObjectScore(name, object_id, protocol)
        for frame in frames:
            truth = _truth(video, object_id, frame, shape)
            score.add(_prediction(pred_video, object_id, frame, truth.shape, counts), truth)
        scores.append(score)
    return scores


def score_split(gt: dict, pred: dict, protocol: str = "sav") -> tuple:
    """(object scores, counts) of predictions against annotations, under ``protocol`` (sav or davis)."""
    counts, scores = Counts(), []
    for name, video in gt.items():
        pred_video = pred.get(name)
        counts.missing_videos += pred_video is None
        scores += score_video(name, video, pred_video, protocol, counts)
    return scores, counts


def scores_csv(scores: list) -> str:
    import pandas as pd

    rows = [{"level": "object", **s.row()} for s in scores]
    rows += [{"level": "video", **v} for v in video_rows(scores)]
    rows.append({"level": "split", "video": None, **split_figures(scores)})
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    return buffer.getvalue()


def evaluate_vos_command(argv: list) -> int:
    parser = argparse.ArgumentParser(prog="jetson-benchmark evaluate-vos",
                                     description="J, F and J&F of a predictions folder against VOS annotations.")
    parser.add_argument("pred_dir", help="predicted masks, laid out like the annotations (SA-V or DAVIS)")
    parser.add_argument("gt_dir", help="the annotations: a split root or its Annotations folder")
    parser.add_argument("--out", default="vos_scores.csv", help="the CSV to write (default vos_scores.csv)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="sav",
                        help="frames and objects scored: sav (SA-V's sav_benchmark.py, default) or davis (DAVIS 2017)")
    args = parser.parse_args(argv)
    gt = read_split(args.gt_dir)
    pred = read_split(args.pred_dir, "predictions")
    scores, counts = score_split(gt, pred, args.protocol)
    path = atomic_write_text(Path(args.out), scores_csv(scores))
    split = split_figures(scores)
    if split["j_and_f"] is None:
        print(f"nothing scored: no object has an evaluated frame (written {path})")
        return 0
    print(f"J&F {split['j_and_f']:.4f} (J {split['j_mean']:.4f}, F {split['f_mean']:.4f}) over {split['objects_n']} "
          f"object(s) in {split['videos_n']} video(s); mean over videos {split['j_and_f_video_mean']:.4f}")
    print(f"missing predictions scored as empty: {counts.missing_predictions} frame(s) "
          f"({counts.missing_videos} video(s) without any); resized: {counts.resized_predictions}; written {path}")
    return 0
