"""--e2e: what an application sees per batch, stage by stage, after the standard measured passes.

Per pass, on original-resolution frames (decoded before the loop, so decoding is not in it):
- ``preprocess_ms``: resize each frame to the model's input as Phase A did (letterbox as Ultralytics'
  LetterBox, stretch or center crop) and stack them;
- ``inference_ms``: the runner's prepare + infer + synchronize (the standard pass);
- ``postprocess_ms``: the task's post-processing of the raw outputs (NMS at --conf / --iou for the YOLO tasks,
  top-5 for classify), with its result brought to the host;
- ``e2e_ms``: all three, on the host clock.
A task without post-processing (depth, generic) leaves it empty with the reason.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from harness.measure.latency_stats import summarize_latency
from harness.records.setup_config import resolve_path

SERIES = ("e2e_ms", "preprocess_ms", "inference_ms", "postprocess_ms")


def original_frames(setup: dict, config_path: Path, limit: int) -> list:
    """Up to ``limit`` decoded RGB frames at their original size, from the source files in metadata.json."""
    import cv2

    from harness.files.atomic_io import read_json
    from harness.data.image_decode import UnreadableImage, decode_image, to_rgb_uint8

    meta = read_json(resolve_path(config_path, setup["dataset"]["metadata"]))
    frames = []
    for sequence in meta["sequences"]:
        for item in sequence["items"]:
            if len(frames) >= limit:
                return frames
            if sequence["kind"] == "video":
                capture = cv2.VideoCapture(item["source_path"])
                while len(frames) < limit:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    frames.append(to_rgb_uint8(frame, "BGR")[0])
                capture.release()
            else:
                try:
                    frames.append(decode_image(item["source_path"])[0])
                except UnreadableImage:
                    continue
    return frames


def run_e2e(runner, frames: list, batch: int, spec, passes: int, min_duration_s: float, task,
            torch_module, warmup: int = 0) -> tuple:
    """(samples by series, figures, unavailable). ``warmup`` passes run first and are discarded (the first
    NMS call, for one, pays one-time costs)."""
    from harness.data.model_frame import model_frame

    size_hw = (spec.height, spec.width)
    post = task.postprocess_description() is not None
    samples = {name: [] for name in SERIES}
    clock = time.perf_counter_ns
    started = None
    index = 0
    while started is None or len(samples["e2e_ms"]) < passes or (clock() - started) < min_duration_s * 1e9:
        if started is None and index // batch >= warmup:
            started = clock()
            samples = {name: [] for name in SERIES}
        images = [frames[(index + i) % len(frames)] for i in range(batch)]
        index += batch
        t0 = clock()
        stacked = np.stack([model_frame(image, size_hw, spec.resize, spec.color) for image in images])
        t1 = clock()
        outputs = runner.infer(runner.prepare(np.ascontiguousarray(stacked)))
        runner.synchronize()
        t2 = clock()
        if post:
            task.postprocess(outputs, torch_module)
        t3 = clock()
        samples["preprocess_ms"].append((t1 - t0) / 1e6)
        samples["inference_ms"].append((t2 - t1) / 1e6)
        samples["postprocess_ms"].append((t3 - t2) / 1e6)
        samples["e2e_ms"].append((t3 - t0) / 1e6)
    figures, unavailable = {}, {}
    for name in SERIES:
        stats = summarize_latency(samples[name], name)
        figures.update({f"{name}_p50": stats[f"{name}_p50"], f"{name}_p99": stats[f"{name}_p99"],
                        f"{name}_mean": stats[f"{name}_mean"]})
    if not post:
        for suffix in ("p50", "p99", "mean"):
            figures[f"postprocess_ms_{suffix}"] = None
            unavailable[f"postprocess_ms_{suffix}"] = f"the {task.name} task has no post-processing step"
    total = sum(samples["e2e_ms"]) / 1000.0
    figures["e2e_img_per_s"] = batch * runner.batches_per_pass() * len(samples["e2e_ms"]) / total if total else None
    return samples, figures, unavailable
