"""Accuracy from a backend's own outputs, after the measured passes (outside the timed region).

The task scores the frames in chunks of at most --max_frames_in_mem (and 32) frames; its accumulator keeps only
what its metric needs, never every output at once. ``--accuracy_hook package.module:function`` is called once
with every scored frame's first output and the frames' metadata records and returns {figure name: value}
(names should carry their unit); only then are the outputs kept until the end, and a hook that raises loses
only its own figures.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from harness.files.atomic_io import read_json
from harness.data.frame_store import open_frames
from harness.process.check_failure import check_failure
from harness.phase_b.fidelity_check import backend_outputs
from harness.records.setup_config import resolve_path
from harness.tasks.base import Figures
from harness.records.planned_run import PlannedRun

SCORE_BATCH_FRAMES = 32  # frames decoded from the store and scored together (at most --max_frames_in_mem)


def scored_frames(setup: dict, config_path: Path, frames_key: str, limit: int) -> list:
    """(frame array path, index, metadata record) for up to ``limit`` still images."""
    meta = read_json(resolve_path(config_path, setup["dataset"]["metadata"]))
    out = []
    for sequence in meta["sequences"]:
        if sequence["kind"] == "video":
            continue
        path = resolve_path(config_path, sequence["frames"][str(frames_key)])
        for item in sequence["items"]:
            if len(out) < limit:
                out.append((path, item["frame_index"], item))
    return out


def _hook(measurement: dict):
    hook = measurement.get("accuracy_hook")
    if not hook:
        return None
    module_name, function_name = hook.split(":", 1)
    return getattr(importlib.import_module(module_name), function_name)


def hook_figures(hook, outputs: list, records: list) -> Figures:
    """The --accuracy_hook's figures, guarded on their own: a hook that raises loses only its own figures (the
    reason in ``details.hook_error``), never the task's accuracy figures or the timings."""
    try:
        return Figures(metrics={str(k): float(v) for k, v in hook(outputs, records).items()})
    except Exception as exc:  # noqa: BLE001 - the user's code; its failure is recorded, not raised
        why, oom = check_failure("the accuracy hook", exc)
        return Figures(details={"hook_error": why, **({"hook_oom": True} if oom else {})})


def check_accuracy(runner, task, spec, planned: PlannedRun, setup: dict, config_path: Path, measurement: dict) -> Figures:
    limit = int(measurement.get("accuracy_images", 500))
    frames = scored_frames(setup, config_path, spec.frames_key, limit) if limit else []
    if not frames:
        return Figures().missing(task.accuracy_figures, "--accuracy_images 0" if not limit else
                                 "the source has no still images to score")
    accumulator, hook = task.accuracy(spec), _hook(measurement)
    if accumulator is None and hook is None:
        return Figures().missing(task.accuracy_figures, task.accuracy_unavailable())
    hook_outputs, hook_records = [], []
    chunk = max(1, min(SCORE_BATCH_FRAMES, int(measurement.get("max_frames_in_mem", SCORE_BATCH_FRAMES))))
    for start in range(0, len(frames), chunk):
        part = frames[start:start + chunk]
        pixels = np.stack([np.array(open_frames(path)[index]) for path, index, _ in part])
        outputs = backend_outputs(runner, pixels, planned.spec.batch)
        records = [record for _, _, record in part]
        if accumulator is not None:
            accumulator.add(outputs, records)
        if hook is not None:
            hook_outputs.extend(outputs[0])
            hook_records.extend(records)
    figures = accumulator.result() if accumulator is not None else Figures().missing(
        task.accuracy_figures, task.accuracy_unavailable())
    if hook is not None:
        figures.merge(hook_figures(hook, hook_outputs, hook_records))
    figures.details.update({"frames_n": len(frames), **({"hook": measurement["accuracy_hook"]} if hook else {})})
    return figures
