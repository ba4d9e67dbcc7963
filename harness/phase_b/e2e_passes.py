"""--e2e: what an application sees per batch, stage by stage, after the standard measured passes.

Per pass, on original-resolution frames (decoded before the loop, so decoding is not in it):
- ``preprocess_ms``: letterbox each frame to imgsz (OpenCV, as Ultralytics' LetterBox) and stack them;
- ``inference_ms``: the runner's prepare + infer + synchronize (the standard pass);
- ``postprocess_ms``: Ultralytics' non_max_suppression with its predict defaults (conf 0.25, IoU 0.7, 300 boxes)
  on the raw output, and the boxes brought to the host;
- ``e2e_ms``: all three, on the host clock.
Post-processing needs a YOLO detect output; for other models it is empty with the reason.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from harness.measure.latency_stats import summarize_latency
from harness.setup_config import resolve_path

PREDICT_CONF, PREDICT_IOU, PREDICT_MAX_DET = 0.25, 0.7, 300
SERIES = ("e2e_ms", "preprocess_ms", "inference_ms", "postprocess_ms")


def original_frames(setup: dict, config_path: Path, limit: int) -> list:
    """Up to ``limit`` decoded RGB frames at their original size, from the source files in metadata.json."""
    import cv2

    from harness.atomic_io import read_json
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


def _nms(outputs, torch_module):
    try:
        from ultralytics.utils.nms import non_max_suppression
    except ImportError:
        from ultralytics.utils.ops import non_max_suppression
    tensor = outputs if hasattr(outputs, "shape") and not isinstance(outputs, np.ndarray) else torch_module.from_numpy(
        np.asarray(outputs, dtype=np.float32))
    boxes = non_max_suppression(tensor, conf_thres=PREDICT_CONF, iou_thres=PREDICT_IOU, max_det=PREDICT_MAX_DET)
    return [b.cpu() for b in boxes]


def run_e2e(runner, frames: list, batch: int, imgsz: int, passes: int, min_duration_s: float, detect: bool,
            torch_module, warmup: int = 0) -> tuple:
    """(samples by series, figures, unavailable). ``warmup`` passes run first and are discarded (the first
    NMS call, for one, pays one-time costs)."""
    from harness.data.letterbox import letterbox

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
        stacked = np.stack([letterbox(image, imgsz).transpose(2, 0, 1) for image in images])
        t1 = clock()
        outputs = runner.infer(runner.prepare(np.ascontiguousarray(stacked)))
        runner.synchronize()
        t2 = clock()
        if detect:
            _nms(outputs[0] if isinstance(outputs, list) else outputs, torch_module)
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
    if not detect:
        for suffix in ("p50", "p99", "mean"):
            figures[f"postprocess_ms_{suffix}"] = None
            unavailable[f"postprocess_ms_{suffix}"] = "NMS post-processing applies to YOLO detect outputs only"
    total = sum(samples["e2e_ms"]) / 1000.0
    figures["e2e_img_per_s"] = batch * runner.batches_per_pass() * len(samples["e2e_ms"]) / total if total else None
    return samples, figures, unavailable
