"""FP32 reference outputs of each model on a few fixed frames, computed on the CPU in Phase A.

The CPU in float32 is the reference because it is exact and the same on every machine (a GPU's "fp32"
convolutions may use TF32). Phase B runs each backend and precision on the same frames and compares.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from harness.files.atomic_io import atomic_write_bytes
from harness.data.frame_store import open_frames
from harness.model_input.input_spec import InputSpec
from harness.files.unique_names import safe_name

log = logging.getLogger("jetson_benchmark.phase_a")


def fixed_frames(sequences: list, count: int) -> list:
    """``count`` (sequence name, frame index) pairs spread evenly over the whole dataset, deterministic."""
    flat = [(s["name"], i) for s in sequences for i in range(int(s["num_frames"]))]
    if not flat or count <= 0:
        return []
    step = len(flat) / min(count, len(flat))
    return [list(flat[int(k * step)]) for k in range(min(count, len(flat)))]


def load_frames(frames: list, sequences: list, root: Path, frames_key) -> np.ndarray:
    """The uint8 K x 3 x H x W frames named by (sequence, index), read from the memory-mapped store."""
    paths = {s["name"]: root / s["frames"][str(frames_key)] for s in sequences}
    return np.stack([np.array(open_frames(paths[name])[index]) for name, index in frames])


def reference_runner(model: dict, size: str, spec: InputSpec):
    """The runner that makes the reference: torch fp32 on the CPU when there is a PyTorch artifact, else ONNX
    Runtime's CPU provider on the fp32 ONNX; None when neither exists (an engine alone)."""
    from runners.registry import runner_class

    artifacts = model.get("artifacts", {})
    onnx = artifacts.get("onnxruntime") or {}
    if artifacts.get("torch"):
        backend, artifact = "torch", artifacts["torch"]
    elif onnx.get(f"{size}/fp32") or onnx.get("any/fp32"):
        backend, artifact = "onnxruntime", onnx.get(f"{size}/fp32") or onnx.get("any/fp32")
    else:
        return None
    return runner_class(backend)(artifact, "cpu", "fp32", spec.size, 1, options={
        "model_file_kind": model.get("model_file_kind", "ultralytics")}, input_spec=spec)


def run_reference(runner, pixels: np.ndarray) -> list:
    """Every output of the runner on each frame in turn, stacked: one array per model output."""
    runner.load()
    try:
        rows = [runner.to_numpy(runner.infer(runner.prepare(pixels[i:i + 1]))) for i in range(len(pixels))]
    finally:
        runner.release()
    return [np.concatenate([row[k] for row in rows]).astype(np.float32) for k in range(len(rows[0]))]


def save_outputs(path: Path, outputs: list) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **{f"output_{k}": o for k, o in enumerate(outputs)})
    atomic_write_bytes(path, buffer.getvalue())


def load_outputs(path) -> list:
    with np.load(path) as data:
        return [data[f"output_{k}"] for k in range(len(data.files))]


def output_problem(model: dict, spec: InputSpec, outputs: list):
    """Why the model's outputs cannot be decoded by its task (one line), or None."""
    from harness.tasks.registry import make_task
    from harness.tasks.task_settings import TaskSettings

    task = make_task(TaskSettings.from_dict(model.get("task_settings") or {}), (spec.height, spec.width))
    check = getattr(task, "output_problem", None)
    return check([o[:1] for o in outputs]) if check else None  # the shapes of one frame, as a batch of 1


def compute_references(model: dict, sequences: list, root: Path, count: int) -> dict:
    """size -> reference record (npz path, frames, how it was computed, the backend and device it ran on), or
    {} when the model has no artifact that runs in fp32 on the CPU."""
    records = {}
    frames = fixed_frames(sequences, count)
    for size, spec_dict in (model.get("inputs") or {}).items():
        spec = InputSpec.from_dict(spec_dict)
        runner = reference_runner(model, size, spec)
        if not frames or runner is None or size in (model.get("size_problems") or {}):
            continue
        outputs = run_reference(runner, load_frames(frames, sequences, root, spec.frames_key))
        problem = output_problem(model, spec, outputs)
        if problem:  # never decoded as something else: this size of the model is not run
            model.setdefault("size_problems", {})[str(size)] = problem
            log.warning("%s: %s", model["name"], problem)
        path = root / "references" / f"{safe_name(model['name'])}_img{size}.npz"
        save_outputs(path, outputs)
        records[str(size)] = {"path": str(path), "frames": frames, "backend": runner.backend, "precision": "fp32",
                              "device": "cpu", "computed_with": f"{runner.backend} fp32 on the CPU",
                              "output_shapes": [list(o.shape) for o in outputs], "task": model.get("task")}
        log.info("reference outputs for %s at %s: %s on %d frames", model["name"], size, runner.backend, len(frames))
    return records
