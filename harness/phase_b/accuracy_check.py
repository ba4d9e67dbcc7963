"""Accuracy from a backend's own outputs, after the measured passes (outside the timed region).

- Detection: mAP50 and mAP50-95 over the labeled frames (YOLO txt labels found by Phase A), with Ultralytics'
  metrics code (see harness.measure.detection_map).
- Dense outputs (e.g. depth): ``--dense_gt DIR`` holds ``<image stem>.npy`` ground truth with the output's
  shape; RMSE and MAE over every frame that has one.
- Anything else: ``--accuracy_hook package.module:function`` is called with the frames' outputs and their
  metadata records and returns {figure name: value} (names should carry their unit).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from harness.atomic_io import read_json
from harness.data.frame_store import open_frames
from harness.phase_b.fidelity_check import backend_outputs
from harness.setup_config import resolve_path

FIGURES = ("map50", "map50_95", "dense_rmse", "dense_mae")


def labeled_frames(setup: dict, config_path: Path, imgsz: int, limit: int) -> list:
    """(frame array path, index, metadata record) for up to ``limit`` image frames."""
    meta = read_json(resolve_path(config_path, setup["dataset"]["metadata"]))
    out = []
    for sequence in meta["sequences"]:
        if sequence["kind"] == "video":
            continue
        path = resolve_path(config_path, sequence["frames"][str(imgsz)])
        for item in sequence["items"]:
            if len(out) < limit:
                out.append((path, item["frame_index"], item))
    return out


def _outputs(runner, frames: list, batch: int) -> np.ndarray:
    pixels = np.stack([np.array(open_frames(path)[index]) for path, index, _ in frames])
    return backend_outputs(runner, pixels, batch)


def _detection_map(outputs: np.ndarray, frames: list, imgsz: int) -> tuple:
    from harness.measure.detection_map import MapAccumulator, labels_to_letterbox_xyxy, read_yolo_labels

    accumulator = MapAccumulator(outputs.shape[1] - 4)
    labels_n = 0
    for output, (_, _, record) in zip(outputs, frames):
        labels = read_yolo_labels(record.get("label_path"))
        labels_n += len(labels)
        w, h = record["original_size"]
        accumulator.add(output, labels_to_letterbox_xyxy(labels, w, h, imgsz), labels[:, 0], Path(record["source_path"]).name)
    result = accumulator.result()
    return ({"map50": result["map50"], "map50_95": result["map50_95"]},
            {"images_n": accumulator.images, "labels_n": labels_n, "precision": result["precision"],
             "recall": result["recall"], "computed_with": "Ultralytics DetectionValidator postprocess + match_predictions + DetMetrics"})


def _dense(outputs: np.ndarray, frames: list, gt_dir: Path) -> tuple:
    errors = []
    for output, (_, _, record) in zip(outputs, frames):
        gt_path = gt_dir / (Path(record["source_path"]).stem + ".npy")
        if gt_path.is_file():
            gt = np.load(gt_path).astype(np.float64)
            errors.append(output.astype(np.float64).reshape(gt.shape) - gt)
    if not errors:
        return None, f"no <image stem>.npy ground truth in {gt_dir} matches the frames"
    flat = np.concatenate([e.ravel() for e in errors])
    return {"dense_rmse": float(np.sqrt(np.mean(flat ** 2))), "dense_mae": float(np.mean(np.abs(flat))),
            "frames_n": len(errors)}, None


def check_accuracy(runner, planned: dict, setup: dict, config_path: Path, measurement: dict) -> tuple:
    """Returns (metrics, details, unavailable)."""
    metrics = {name: None for name in FIGURES}
    unavailable, details = {}, {}
    limit = int(measurement.get("accuracy_images", 500))
    frames = labeled_frames(setup, config_path, int(planned["imgsz"]), limit) if limit else []
    if not frames:
        reason = "--accuracy_images 0" if not limit else "the source has no still images to score"
        return metrics, details, {name: reason for name in FIGURES}
    outputs = _outputs(runner, frames, int(planned["batch"]))
    task = (planned.get("extra") or {}).get("task")
    shaped_like_yolo = outputs.ndim == 3 and outputs.shape[1] > 4
    detect = shaped_like_yolo and (task == "detect" if task else outputs.shape[2] > outputs.shape[1])
    if detect and any(record.get("label_path") for _, _, record in frames):
        found, details["detection"] = _detection_map(outputs, frames, int(planned["imgsz"]))
        metrics.update(found)
    else:
        reason = ("not a YOLO detect output" if not detect else "the source has no YOLO-format labels "
                  "(labels/<name>.txt beside images/, or <name>.txt beside each image)")
        unavailable.update({"map50": reason, "map50_95": reason})
    gt_dir = measurement.get("dense_gt")
    if gt_dir:
        dense, why = _dense(outputs, frames, Path(gt_dir))
        if dense:
            metrics.update({k: dense[k] for k in ("dense_rmse", "dense_mae")})
            details["dense"] = {"frames_n": dense["frames_n"], "ground_truth": str(gt_dir)}
        else:
            unavailable.update({"dense_rmse": why, "dense_mae": why})
    else:
        unavailable.update({"dense_rmse": "no --dense_gt given", "dense_mae": "no --dense_gt given"})
    hook = measurement.get("accuracy_hook")
    if hook:
        module_name, function_name = hook.split(":", 1)
        function = getattr(importlib.import_module(module_name), function_name)
        produced = function(list(outputs), [record for _, _, record in frames])
        metrics.update({str(k): float(v) for k, v in produced.items()})
        details["hook"] = hook
    details["frames_n"] = len(frames)
    return metrics, details, unavailable
