"""Phase A: the Q/DQ INT8 models a model's int8 runs need, one per imgsz and flavour (``u8s8`` for ONNX
Runtime, ``s8s8`` for TensorRT's explicit quantization), quantized from its fp32 ONNX on the preprocessed
frames. Each keeps a provenance record (frames, their fingerprint, method, nodes kept in float and why)
that travels into every int8 result; a model that cannot be quantized is refused for its int8 runs only,
with the reason."""

from __future__ import annotations

import logging
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256, read_sidecar, reusable, write_sidecar
from harness.files.unique_names import safe_name

log = logging.getLogger("jetson_benchmark.phase_a")


def wanted_flavours(backends: list) -> list:
    from harness.engines.qdq_quantize import FLAVOUR_FOR_BACKEND

    return sorted({FLAVOUR_FOR_BACKEND[b] for b in backends if b in FLAVOUR_FOR_BACKEND})


def calibration_loaders(opts, sequences: list, root: Path, frames_key: str, imgsz: int) -> tuple:
    """(frame loaders, what they are): the planned real frames, or seeded noise on explicit request."""
    import numpy as np

    from harness.engines.calibration import calibration_plan, random_calibration_batches
    from harness.engines.qdq_quantize import plan_fingerprint, plan_loaders

    if opts.int8_random_calibration:
        batches = list(random_calibration_batches(opts.calib_images, 1, imgsz))
        return [lambda b=b: np.asarray(b) for b in batches], {"random": True, "frames_fingerprint": f"random-seed0-"
                                                                                                 f"{opts.calib_images}"}
    plan = calibration_plan(sequences, root, frames_key, opts.calib_images)
    return plan_loaders(plan), {"random": False, "frames_fingerprint": plan_fingerprint(plan)}


def quantized_model(model: dict, source: str, size, flavour: str, opts, loaders: list, frames: dict,
                    folder: Path) -> dict:
    """The Q/DQ file of one size and flavour, reused when its sidecar matches; returns its provenance."""
    from harness.engines.calibration import calibration_warning
    from harness.engines.qdq_quantize import FrameFeed, graph_nodes, quantize_qdq, quantizer_version
    from harness.tasks.registry import make_task
    from harness.tasks.task_settings import TaskSettings

    task = make_task(TaskSettings.from_dict(model.get("task_settings") or {}))
    float_nodes, why = task.int8_float_nodes(graph_nodes(source))
    input_name = ((model.get("inputs") or {}).get(str(size)) or {}).get("name") or "images"
    target = folder / f"{safe_name(model['name'])}_img{size}_int8_{flavour}.onnx"
    wanted = {"kind": "qdq_onnx", "source_sha256": (read_sidecar(source) or {}).get("artifact_sha256")
              or file_sha256(source), "imgsz": size, "flavour": flavour, "method": opts.int8_calibration,
              **frames, "frames_requested": opts.calib_images, "float_nodes": float_nodes,
              "quantizer": quantizer_version()}
    if opts.force or not reusable(target, wanted):
        done = quantize_qdq(source, target, FrameFeed(input_name, loaders), opts.int8_calibration, flavour,
                            float_nodes)
        write_sidecar(target, {**wanted, "frames_used": done["frames_used"], "quantize_s": done["quantize_s"]})
        log.info("%s: Q/DQ %s at %s on %d frames in %.1f s", model["name"], flavour, size, done["frames_used"],
                 done["quantize_s"])
    stored = read_sidecar(target) or {}
    return {"path": str(target), "flavour": flavour, "method": opts.int8_calibration,
            "frames_used": stored.get("frames_used"), "frames_requested": opts.calib_images,
            "frames_fingerprint": frames["frames_fingerprint"], "random": frames["random"],
            "float_nodes_n": len(float_nodes), "float_nodes": float_nodes, "float_nodes_why": why,
            "source_onnx_sha256": wanted["source_sha256"], "quantizer": wanted["quantizer"],
            "quantize_s": stored.get("quantize_s"),
            "warning": None if frames["random"] else calibration_warning(int(stored.get("frames_used") or 0))}


def prepare_qdq(model: dict, backends: list, opts, sequences: list, root: Path) -> None:
    """Fills ``model["int8"]``: per "<imgsz>/<flavour>", the provenance of its Q/DQ model or {"refused": why}."""
    from harness.phase_a.engine_preparation import int8_input_problem

    flavours = wanted_flavours(backends)
    model["int8"] = {}
    if "int8" not in opts.precision or not flavours:
        return
    onnx = model["artifacts"].get("onnxruntime", {})
    for size in model.get("sizes") or opts.imgsz:
        source = onnx.get(f"{size}/fp32") or onnx.get("any/fp32")
        problem = int8_input_problem(model, size) or (None if source else "no fp32 ONNX to quantize")
        frames_key = ((model.get("inputs") or {}).get(str(size)) or {}).get("frames_key", str(size))
        if not problem and opts.int8_random_calibration and not isinstance(size, int):
            problem = f"random INT8 calibration makes square frames; {size} is not square"
        if not problem:
            loaders, frames = calibration_loaders(opts, sequences, root, frames_key, size if isinstance(size, int) else 0)
            problem = None if loaders else f"no preprocessed frames at {frames_key} to calibrate on"
        for flavour in flavours:
            key = f"{size}/{flavour}"
            if problem:
                model["int8"][key] = {"refused": problem}
                continue
            try:
                model["int8"][key] = quantized_model(model, source, size, flavour, opts, loaders, frames,
                                                     root / "artifacts" / safe_name(model["name"]))
            except Exception as exc:  # noqa: BLE001 - ONNX Runtime's quantizer failing refuses this model's int8 only
                first = (str(exc).strip().splitlines() or [""])[0]
                model["int8"][key] = {"refused": f"ONNX Runtime's static quantization failed: "
                                                 f"{type(exc).__name__}: {first}"[:300]}
                log.warning("%s %s: %s", model["name"], key, model["int8"][key]["refused"])
