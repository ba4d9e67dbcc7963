"""FP32 reference outputs of each model on a few fixed frames, computed on the CPU in Phase A.

The CPU in float32 is the reference because it is exact and the same on every machine (a GPU's "fp32"
convolutions may use TF32). Phase B runs each backend and precision on the same frames and compares.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from harness.atomic_io import atomic_write_bytes
from harness.data.frame_store import open_frames
from harness.matrix import safe_name

log = logging.getLogger("jetson_benchmark.phase_a")


def fixed_frames(sequences: list, count: int) -> list:
    """``count`` (sequence name, frame index) pairs spread evenly over the whole dataset, deterministic."""
    flat = [(s["name"], i) for s in sequences for i in range(int(s["num_frames"]))]
    if not flat or count <= 0:
        return []
    step = len(flat) / min(count, len(flat))
    return [list(flat[int(k * step)]) for k in range(min(count, len(flat)))]


def load_frames(frames: list, sequences: list, root: Path, imgsz: int) -> np.ndarray:
    """The uint8 K x 3 x S x S frames named by (sequence, index), read from the memory-mapped store."""
    paths = {s["name"]: root / s["frames"][str(imgsz)] for s in sequences}
    return np.stack([np.array(open_frames(paths[name])[index]) for name, index in frames])


def _torch_reference(checkpoint: str, frames: np.ndarray) -> np.ndarray:
    import torch
    from ultralytics.nn.tasks import load_checkpoint

    model, _ = load_checkpoint(checkpoint, device="cpu", fuse=True)
    model = model.float().eval()
    with torch.inference_mode():
        out = model(torch.from_numpy(frames).float() / 255.0)
    out = out[0] if isinstance(out, (list, tuple)) else out
    return out.numpy().astype(np.float32)


def _onnx_reference(path: str, frames: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rows = [session.run(None, {name: frames[i:i + 1].astype(np.float32) / 255.0})[0] for i in range(len(frames))]
    return np.concatenate(rows).astype(np.float32)


def compute_references(model: dict, sequences: list, root: Path, sizes: list, count: int) -> dict:
    """imgsz -> reference record (npz path, frames, how it was computed), or {} when the model has no
    artifact that runs in fp32 on the CPU (an engine alone)."""
    artifacts = model.get("artifacts", {})
    onnx_any = (artifacts.get("onnxruntime") or {})
    records = {}
    for size in sizes:
        frames = fixed_frames(sequences, count)
        if not frames:
            return {}
        pixels = load_frames(frames, sequences, root, size)
        onnx_path = onnx_any.get(f"{size}/fp32") or onnx_any.get("any/fp32")
        if artifacts.get("torch"):
            output, how = _torch_reference(artifacts["torch"], pixels), "torch fp32 on the CPU"
        elif onnx_path:
            output, how = _onnx_reference(onnx_path, pixels), "onnxruntime fp32 on the CPU"
        else:
            return {}
        path = root / "references" / f"{safe_name(model['name'])}_img{size}.npz"
        buffer = io.BytesIO()
        np.savez(buffer, output=output)
        atomic_write_bytes(path, buffer.getvalue())
        records[str(size)] = {"path": str(path), "frames": frames, "computed_with": how,
                              "output_shape": list(output.shape), "task": model.get("task")}
        log.info("reference outputs for %s at %d: %s on %d frames", model["name"], size, how, len(frames))
    return records
