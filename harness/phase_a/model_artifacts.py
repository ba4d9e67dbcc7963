"""Build and export what each requested backend needs, through Ultralytics, reusing what matches.

- An architecture (YAML) is built with a fixed seed and saved as a ``.pt`` in the artifacts folder, so
  every backend of that model runs the same weights.
- A ``.pt`` the user gave is checked to load as a model (a file that does not is a one-line error).
- ONNX for onnxruntime comes from the Ultralytics exporter (dynamic batch), one per imgsz and precision,
  unless the user gave an ``.onnx``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from harness.artifact_sidecar import file_sha256, reusable, write_sidecar
from harness.errors import UserError
from harness.matrix import safe_name
from harness.phase_a.model_discovery import ModelSource

log = logging.getLogger("jetson_benchmark.phase_a")
BUILD_SEED = 0


def _versions() -> dict:
    import torch
    import ultralytics

    try:
        import onnx

        onnx_version = onnx.__version__
    except ImportError:
        onnx_version = None
    return {"ultralytics": ultralytics.__version__, "torch": torch.__version__.split("+")[0], "onnx": onnx_version}


def build_from_yaml(source: ModelSource, folder: Path, force: bool) -> Path:
    """Random-init weights from the architecture, seeded, saved as an Ultralytics checkpoint."""
    import torch
    from ultralytics import YOLO

    target = folder / f"{safe_name(source.name)}.pt"
    yaml_ref = source.files["yaml"]
    wanted = {"kind": "random_init_checkpoint", "architecture": Path(yaml_ref).name, "seed": BUILD_SEED,
              "yaml_sha256": None if source.builtin else file_sha256(yaml_ref), **_versions()}
    if not force and reusable(target, wanted):
        log.info("reusing %s (sidecar matches)", target)
        return target
    torch.manual_seed(BUILD_SEED)
    try:
        model = YOLO(yaml_ref)
    except (FileNotFoundError, OSError) as exc:
        if source.builtin:
            raise UserError(f"unknown model {source.name!r}: not in --weights_dir and not an Ultralytics "
                            "architecture (e.g. yolo11n, yolo11s, yolov8n)") from exc
        raise UserError(f"{yaml_ref}: not a model architecture ({exc})") from exc
    except Exception as exc:
        raise UserError(f"{yaml_ref}: cannot build a model from it ({type(exc).__name__}: {exc})") from exc
    folder.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    write_sidecar(target, wanted)
    log.info("built %s from %s with random weights (seed %d)", target, yaml_ref, BUILD_SEED)
    return target


def check_checkpoint(path: str) -> str:
    """A user's .pt must load as an Ultralytics model; returns its task."""
    from ultralytics.nn.tasks import load_checkpoint

    try:
        model, _ = load_checkpoint(path, device="cpu", fuse=False)
    except Exception as exc:
        raise UserError(f"{path} is not a model: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "))
    return getattr(model, "task", "detect")


def check_onnx(path: str) -> tuple:
    """A user's .onnx must parse. Returns its first input's shape (ints for static dims, None for dynamic)
    and its precision (fp16 when the input is float16, else fp32)."""
    import onnx

    try:
        model = onnx.load(path, load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:
        raise UserError(f"{path} is not an ONNX model: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "))
    tensor_type = model.graph.input[0].type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
    precision = "fp16" if tensor_type.elem_type == onnx.TensorProto.FLOAT16 else "fp32"
    return shape, precision


def export_onnx(checkpoint: Path, folder: Path, model_name: str, imgsz: int, half: bool, device: str, force: bool) -> Path:
    """Ultralytics' exporter, dynamic batch. One file per imgsz and precision."""
    from ultralytics import YOLO

    suffix = "_fp16" if half else ""
    target = folder / f"{safe_name(model_name)}_img{imgsz}{suffix}.onnx"
    wanted = {"kind": "onnx", "source_sha256": file_sha256(checkpoint), "imgsz": imgsz, "batch": "dynamic",
              "precision": "fp16" if half else "fp32", "exporter": "ultralytics", **_versions()}
    if not force and reusable(target, wanted):
        log.info("reusing %s (sidecar matches)", target)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # Export from a link inside our folder: the exporter writes beside its input, never in --weights_dir.
    staging = folder / f".export_{os.getpid()}_{checkpoint.stem}.pt"
    if staging.exists() or staging.is_symlink():
        staging.unlink()
    os.symlink(checkpoint.resolve(), staging)
    started = time.perf_counter()
    try:
        exported = YOLO(str(staging)).export(
            format="onnx", imgsz=imgsz, dynamic=True, simplify=True, half=half,
            device=device if half else "cpu", batch=1, verbose=False,
        )
        shutil.move(str(exported), target)
    finally:
        staging.unlink(missing_ok=True)
    write_sidecar(target, {**wanted, "export_s": round(time.perf_counter() - started, 3)})
    log.info("exported %s in %.1f s", target, time.perf_counter() - started)
    return target


def prepare_model(source: ModelSource, root: Path, sizes: list, backends: list, precisions: list,
                  device: dict, force: bool) -> dict:
    """Everything this model needs for the requested backends. Returns its record for the setup config."""
    folder = root / "artifacts" / safe_name(source.name)
    record: dict = {"name": source.name, "source_files": dict(source.files), "builtin": source.builtin,
                    "artifacts": {}, "prepare_s": {}}
    started = time.perf_counter()
    checkpoint = None
    if "pt" in source.files:
        record["task"] = check_checkpoint(source.files["pt"])
        checkpoint = Path(source.files["pt"])
    elif "yaml" in source.files:
        checkpoint = build_from_yaml(source, folder, force)
        record["task"] = "detect"
    record["prepare_s"]["checkpoint"] = round(time.perf_counter() - started, 3)
    if checkpoint is not None:
        record["artifacts"]["torch"] = str(checkpoint)
    if "onnxruntime" in backends or "tensorrt" in backends:  # TensorRT engines are built from the fp32 ONNX
        onnx_artifacts = {}
        if "onnx" in source.files:
            shape, precision = check_onnx(source.files["onnx"])
            record["onnx_input_shape"] = shape
            onnx_artifacts[f"any/{precision}"] = source.files["onnx"]
        elif checkpoint is not None:
            for size in sizes:
                begun = time.perf_counter()
                onnx_artifacts[f"{size}/fp32"] = str(export_onnx(checkpoint, folder, source.name, size, False, "cpu", force))
                record["prepare_s"][f"onnx_{size}_fp32"] = round(time.perf_counter() - begun, 3)
                if "fp16" in precisions and "onnxruntime" in backends and device.get("onnxruntime_cuda"):
                    begun = time.perf_counter()
                    onnx_artifacts[f"{size}/fp16"] = str(export_onnx(checkpoint, folder, source.name, size, True,
                                                                      device["resolved"], force))
                    record["prepare_s"][f"onnx_{size}_fp16"] = round(time.perf_counter() - begun, 3)
        record["artifacts"]["onnxruntime"] = onnx_artifacts
    return record
