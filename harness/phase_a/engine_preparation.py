"""Phase A: the TensorRT engines a model's runs need — a user's engine checked against this platform, or
engines built from the model's fp32 ONNX (one per imgsz x precision x batch, or one dynamic engine per
imgsz x precision), each in child processes with the workspace search. Every outcome is recorded for the
planner: built, skipped (no TensorRT / another platform's engine), skipped_oom (the build ran out of
memory at every workspace), failed (parser or builder errors)."""

from __future__ import annotations

import itertools
import logging
import sys
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256, read_sidecar
from harness.hardware.dla_cores import dla_label
from harness.phase_a.run_planner import engine_key
from harness.files.unique_names import safe_name

log = logging.getLogger("jetson_benchmark.phase_a")
REBUILD_HINT = "`jetson_benchmark.py --backend tensorrt --force` on this machine"


def _user_engine(model: dict, path: str, platform: dict) -> None:
    from harness.engines.platform_fingerprint import engine_mismatch

    sidecar = read_sidecar(path) or {}
    mismatch = engine_mismatch(sidecar["built_on"], platform, REBUILD_HINT) if sidecar.get("built_on") else None
    if mismatch:
        log.warning("%s refused: %s", path, mismatch)
        status = {"status": "skipped", "reason": f"{Path(path).name}: {mismatch}"}
    else:
        status = {"status": "built", "reason": "the user's engine" + ("" if sidecar else
                  " (no sidecar: its platform is unknown; TensorRT checks compatibility when Phase B loads it)")}
    model["artifacts"]["tensorrt"] = {"any": path}
    model["tensorrt_status"] = {"any": status}


def int8_input_problem(model: dict, size) -> str:
    """The INT8 calibrator feeds float NCHW RGB batches of pixel / 255: a model that takes anything else would
    be calibrated on inputs it never sees, so it is not built (None when the input is that)."""
    spec = (model.get("inputs") or {}).get(str(size)) or {}
    plain = (spec.get("norm", "unit"), spec.get("color", "rgb"), spec.get("layout", "nchw")) == ("unit", "rgb", "nchw")
    if plain and spec.get("dtype", "float32") != "uint8":
        return None
    return (f"INT8 calibration feeds NCHW RGB pixel/255 batches; this model takes {spec.get('layout')} "
            f"{spec.get('dtype')} {spec.get('color')} {spec.get('norm')}: calibrating it is not implemented")


def _calibration(opts, sequences: list, root: Path, size: int, onnx_sha: str, fingerprint: str) -> dict:
    """What INT8 calibration feeds the builder: --calib_batch frames per batch, never the run's batch."""
    from harness.engines.calibration import calibration_cache_key, calibration_plan

    if opts.int8_random_calibration:
        return {"algorithm": opts.int8_calibration, "random": True, "random_count": opts.calib_images,
                "batch_size": opts.calib_batch}
    key = calibration_cache_key(onnx_sha, size, fingerprint, opts.int8_calibration)
    return {"algorithm": opts.int8_calibration, "random": False, "batch_size": opts.calib_batch, "key": key,
            "plan": [[str(p), int(i)] for p, i in calibration_plan(sequences, root, size, opts.calib_images)],
            "cache_path": str(root / "calibration" / f"{key}_{opts.int8_calibration}.cache")}


def _int8_input(model: dict, size, opts, platform: dict, fp32_onnx: str, fp32_sha: str, implicit) -> tuple:
    """(ONNX to build from, its hash, calibration record, why not): the symmetric Q/DQ ONNX on the explicit path,
    the fp32 ONNX with ``implicit()``'s calibration on TensorRT 8.x's implicit path."""
    from harness.engines.calibration import int8_build_path

    path = int8_build_path(platform.get("tensorrt"), opts.int8_calibration)
    if path == "implicit":
        return fp32_onnx, fp32_sha, {**implicit(), "int8_path": "implicit"}, None
    qdq = (model.get("int8") or {}).get(f"{size}/s8s8") or {"refused": "no symmetric Q/DQ model was quantized"}
    if qdq.get("refused"):
        return None, None, None, f"int8 (explicit quantization): {qdq['refused']}"
    return qdq["path"], file_sha256(qdq["path"]), {**qdq, "explicit": True, "int8_path": "explicit"}, None


def engine_path(root: Path, model: dict, size, precision: str, suffix: str, dla_core) -> Path:
    """``<root>/artifacts/<model>/<model>_img640_fp16_b1.engine`` (``..._b1_dla0.engine`` for DLA core 0)."""
    name = safe_name(model["name"])
    dla = f"_{dla_label(dla_core)}" if dla_core is not None else ""
    return root / "artifacts" / name / f"{name}_img{size}_{precision}_{suffix}{dla}.engine"


def prepare_engines(model: dict, files: dict, backends: list, opts, device: dict, memory: dict, sequences: list,
                    root: Path, fingerprint: str) -> dict:
    """Fills model["artifacts"]["tensorrt"], ["tensorrt_status"], ["tensorrt_calibration"]; returns the
    build records (the evidence) by engine key. One engine per imgsz x precision x batch (or dynamic batch) x
    --dla_core; a DLA core this board lacks, or a precision the DLA does not run, is skipped without a build."""
    if "tensorrt" not in backends:
        return {}
    import torch

    from harness.hardware.dla_cores import dla_capacity, dla_problem
    from harness.engines.engine_builds import TENSORRT_MISSING, WORKSPACE_FLOOR_MB, build_engine
    from harness.engines.platform_fingerprint import current_platform

    index = torch.device(device["resolved"]).index or 0 if device.get("cuda") else 0
    platform = current_platform(torch, device_index=index)
    if "engine" in files:  # checked on any machine: another platform's engine is refused by name
        _user_engine(model, files["engine"], platform)
        return {}
    if not device.get("cuda"):
        return {}  # the planner says "TensorRT needs a CUDA device" for every tensorrt run
    onnx = model["artifacts"].get("onnxruntime", {})
    engines, statuses, calibrations, builds = {}, {}, {}, {}
    batches = sorted(set(opts.batch))
    specs = ([(b, {"min": b, "opt": b, "max": b}) for b in batches] if opts.engine_batch == "static"
             else [(max(batches), {"min": 1, "opt": max(batches), "max": max(batches)})])
    missing = None
    for size in model.get("sizes") or opts.imgsz:
        source = onnx.get(f"{size}/fp32") or onnx.get("any/fp32")
        if not source or not isinstance(size, int):  # engines are built for square sizes; others say so in the plan
            continue
        frames_key = ((model.get("inputs") or {}).get(str(size)) or {}).get("frames_key", str(size))
        onnx_sha = (read_sidecar(source) or {}).get("artifact_sha256") or file_sha256(source)
        for precision, (batch, spec), dla_core in itertools.product(opts.precision, specs, opts.dla_core):
            key = engine_key(size, precision, batch, opts.engine_batch, dla_core)
            if missing:
                statuses[key] = {"status": "skipped", "reason": missing}
                continue
            unsupported = dla_problem(precision, dla_core, dla_capacity(memory, device))
            if unsupported:
                statuses[key] = {"status": "skipped", "reason": unsupported}
                continue
            unsupported = int8_input_problem(model, size) if precision == "int8" else None
            if unsupported:
                statuses[key] = {"status": "skipped", "reason": unsupported}
                continue
            built_from, built_sha, calibration = source, onnx_sha, None
            if precision == "int8":
                built_from, built_sha, calibration, unsupported = _int8_input(
                    model, size, opts, platform, source, onnx_sha,
                    lambda: _calibration(opts, sequences, root, frames_key, onnx_sha, fingerprint))
                if unsupported:
                    statuses[key] = {"status": "skipped", "reason": unsupported}
                    continue
            suffix = "dynamic" if opts.engine_batch == "dynamic" else f"b{batch}"
            engine = engine_path(root, model, size, precision, suffix, dla_core)
            record = build_engine(built_from, engine, precision, size, spec, opts.workspace_mb, memory.get("budget_mb"),
                                  WORKSPACE_FLOOR_MB, calibration,
                                  root / "artifacts" / "tensorrt.timing_cache" if opts.timing_cache == "on" else None,
                                  opts.build_timeout_s, sys.stderr, root / "engine_builds", built_sha, platform,
                                  force=opts.force, builder_options={"builder_opt_level": opts.builder_opt_level,
                                                                     "sparsity": opts.sparsity},
                                  dla_core=dla_core)
            builds[key] = record
            statuses[key] = {"status": record["status"], "reason": record["reason"]}
            if record["status"] == "built":
                engines[key] = record["engine_path"]
                model["prepare_s"][f"engine_{key}"] = record.get("build_s")
            if calibration:
                provenance = calibration if calibration.get("explicit") else {"int8_path": "implicit"}
                calibrations[key] = {**provenance, **(record.get("calibration") or {}),
                                     "warning": record.get("calibration_warning")}
            if record["status"] == "skipped" and record["reason"] == TENSORRT_MISSING:
                missing = TENSORRT_MISSING  # no point starting a child per engine to learn the same thing
            log.info("engine %s %s: %s (%s)", model["name"], key, record["status"], record["reason"])
    model["artifacts"]["tensorrt"] = engines
    model["tensorrt_status"] = statuses
    model["tensorrt_calibration"] = calibrations
    return builds
