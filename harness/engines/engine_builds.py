"""Phase A's TensorRT engine builds: reuse a matching engine, else build it in child processes with the
workspace halved on every allocation failure.

Each build attempt is a fresh process (``python -m harness.engines.trt_build``), so a builder that the
kernel OOM-kills (exit -9, the usual end of an out-of-memory build on a Jetson) takes nothing else down; a SIGKILL
counts as out of memory only with evidence of memory pressure (harness.process.oom_evidence).
Nothing here imports TensorRT.

The record returned by :func:`build_engine`:

- ``status``: ``built`` (also when an existing engine was reused: ``reused`` is then True),
  ``skipped_oom`` (every attempt down to the workspace floor ran out of memory; the attempts are the
  evidence), ``failed`` (the ONNX parser or the builder refused; their errors are in ``reason``) or
  ``skipped`` (TensorRT is not installed here, or cannot build it: a DLA core the device lacks, a builder flag
  this TensorRT does not have);
- ``reason``: one line; ``engine_path``; ``workspace_mb``: the builder workspace limit the engine was
  built with (MiB); ``build_s``: seconds the successful attempt took from parsing the ONNX to the plan on
  disk; ``attempts``: one entry per child process (workspace_mb, pid, returncode, wall_s, outcome,
  detail, parser_errors, builder_errors); ``calibration``: what INT8 calibration used, with its warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Optional, TextIO

from harness.files.artifact_sidecar import file_sha256, read_sidecar, reusable, write_sidecar
from harness.files.atomic_io import atomic_write_json
from harness.engines.calibration import calibration_warning
from harness.engines.layer_info import LayerInfoError, compare_layers, layer_summary, parse_layer_info
from harness.engines.trt_build import layer_info_path
from harness.process.launcher import run_phase
from harness.process.child_ending import OOM_KILLED, TIMEOUT, classify_ending
from harness.probe.workspace_search import ALLOCATION_FAILED, BUILT, initial_workspace_mb, search_workspace
from runners.backends import BACKENDS

TENSORRT_MISSING = BACKENDS["tensorrt"].missing
UNSUPPORTED = "unsupported"  # the builder's outcome for what this TensorRT or device cannot build: skipped, not failed
PRECISIONS = BACKENDS["tensorrt"].precisions
PLATFORM_KEYS = ("gpu_name", "compute_capability", "tensorrt")
WORKSPACE_FLOOR_MB = 64  # the smallest workspace the halving tries before a build is out of memory
RANDOM_WARNING = "random INT8 calibration: the scales come from noise; fine for speed, meaningless for accuracy"
NO_CALIBRATION_WARNING = ("INT8 without calibration data: only layers the ONNX quantizes itself (Q/DQ nodes) run in "
                          "INT8; the rest run in FP16/FP32")


def calibration_identity(calibration: Optional[dict]) -> Optional[dict]:
    """What of the calibration decides the engine's INT8 scales: key (given, or a hash of the frame plan),
    algorithm, images (planned frames, or random images), random."""
    if not calibration:
        return None
    if calibration.get("explicit"):  # the scales are in the Q/DQ ONNX, whose hash is the engine's source hash
        return {"key": calibration.get("frames_fingerprint"), "algorithm": calibration.get("method"),
                "images": int(calibration.get("frames_used") or 0), "random": bool(calibration.get("random")),
                "explicit": True}
    random = bool(calibration.get("random"))
    plan = [[str(path), int(index)] for path, index in (calibration.get("plan") or [])]
    images = int(calibration.get("random_count") or 0) if random else len(plan)
    key = calibration.get("key")
    if not key:
        payload = json.dumps([calibration.get("algorithm"), plan, random, images, calibration.get("seed", 0)])
        key = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    return {"key": key, "algorithm": calibration.get("algorithm"), "images": images, "random": random}


def calibration_note(precision: str, calibration: Optional[dict]) -> Optional[str]:
    """The warning stored with an INT8 engine (None when there is nothing to warn about)."""
    if precision != "int8":
        return None
    identity = calibration_identity(calibration)
    if identity is None:
        return NO_CALIBRATION_WARNING
    if identity["random"]:
        return RANDOM_WARNING
    return calibration_warning(identity["images"])


def wanted_fields(source_sha256: str, precision: str, imgsz: int, batch_spec: dict, calibration: Optional[dict],
                  platform: dict, builder_options: Optional[dict] = None, dla_core: Optional[int] = None) -> dict:
    """The sidecar fields an engine must match to be reused (``dla_core`` None: the GPU alone)."""
    return {
        "artifact_kind": "tensorrt_engine",
        "source_sha256": source_sha256,
        "precision": precision,
        "imgsz": int(imgsz),
        "batch": {k: int(batch_spec[k]) for k in ("min", "opt", "max")},
        "calibration": calibration_identity(calibration) if precision == "int8" else None,
        "platform": {k: platform.get(k) for k in PLATFORM_KEYS},
        "builder_options": dict(builder_options or {}),
        "dla_core": None if dla_core is None else int(dla_core),
    }


def rebuild_record(engine_path: Path, previous: Optional[dict], wanted: dict,
                   layer_info: Optional[dict] = None) -> Optional[dict]:
    """A rebuild of the same engine (same source, settings and platform: --force): whether the new plan is the same
    bytes as the one it replaces, and whether it has the same layers (count, names, types, tactics: the engine
    inspector's, ``layer_info`` being :func:`harness.engines.layer_info.layer_summary` of the new engine), so a
    nondeterministic build shows. None when nothing comparable was there."""
    if not previous or not engine_path.is_file() or {k: previous.get(k) for k in wanted} != wanted:
        return None
    layers = compare_layers(previous.get("layer_info"), layer_info)
    return {"previous_sha256": previous.get("artifact_sha256"), "previous_plan_bytes": previous.get("artifact_bytes"),
            "plan_bytes": engine_path.stat().st_size, "sha256": file_sha256(engine_path),
            "same_bytes": previous.get("artifact_sha256") == file_sha256(engine_path),
            "same_layers": layers.pop("same_layers"), "layers": layers}


def built_layer_info(engine_path: Path, attempt: dict) -> tuple:
    """(the new engine's layer summary or None, why there is none): from the layer information the builder wrote
    beside it; a file a failed inspection left from an earlier build is removed, never read as this engine's."""
    path = attempt.get("layer_info_path")
    if not path:
        layer_info_path(engine_path).unlink(missing_ok=True)
        return None, attempt.get("layer_info_unavailable") or "the builder wrote no layer information"
    try:
        return layer_summary(parse_layer_info(Path(path).read_text())), None
    except (OSError, LayerInfoError) as exc:
        return None, f"the builder's layer information is unreadable: {exc}"


def attempt_record(outcome, workspace_mb: float, timeout_s: float) -> dict:
    """One attempt's record from the child's exit and its build_result event; ``outcome`` is what
    :func:`harness.probe.workspace_search.search_workspace` reads (built / allocation_failed / other)."""
    event = outcome.last_event("build_result") or {}
    record = {"workspace_mb": workspace_mb, "pid": outcome.pid, "returncode": outcome.returncode,
              "wall_s": round(outcome.wall_s, 3)}
    record.update({k: v for k, v in event.items() if k not in ("event", "workspace_mb")})
    ending = classify_ending(outcome, "build_result", timeout_s)
    if ending.kind == TIMEOUT:
        record.update(outcome="timeout", detail=f"no answer within {timeout_s:.0f} s")
    elif ending.kind == OOM_KILLED:
        record.update(outcome=ALLOCATION_FAILED, detail=ending.detail)
    elif event.get("outcome") == BUILT and outcome.returncode == 0:
        record["outcome"] = BUILT
    elif event.get("outcome") not in (ALLOCATION_FAILED, "failed", "unavailable", UNSUPPORTED):
        record.update(outcome="error", detail=f"the builder {ending.detail}", log_tail=outcome.tail[-5:])
    if record.get("outcome") == "failed" and not record.get("detail"):
        errors = (record.get("parser_errors") or []) + (record.get("builder_errors") or [])
        record["detail"] = errors[-1] if errors else "the builder failed without saying why"
    return record


def _failure_reason(attempt: dict) -> str:
    parts = [f"engine build failed at {attempt['workspace_mb']:g} MiB of workspace: {attempt.get('detail')}"]
    if attempt.get("parser_errors"):
        parts.append("ONNX parser errors: " + " | ".join(attempt["parser_errors"][:5]))
    if attempt.get("builder_errors"):
        parts.append("builder errors: " + " | ".join(attempt["builder_errors"][:5]))
    return "; ".join(parts)


def _oom_reason(attempts: list, requested_mb: float, budget_mb: Optional[float], floor_mb: float) -> str:
    if not attempts:
        start = initial_workspace_mb(requested_mb, budget_mb)
        why = f"half of the {budget_mb:g} MiB budget" if budget_mb and budget_mb / 2 < requested_mb else "as requested"
        return (f"no engine build attempted: the builder workspace would be {start:g} MiB ({why}), below the "
                f"{floor_mb:g} MiB floor")
    tried = ", ".join(f"{a['workspace_mb']:g}" for a in attempts)
    return (f"TensorRT ran out of memory building the engine at every workspace tried ({tried} MiB) down to the "
            f"{floor_mb:g} MiB floor; last: {attempts[-1].get('detail')}")


def build_engine(onnx_path, engine_path, precision: str, imgsz: int, batch_spec: dict, workspace_request_mb: float,
                 budget_mb: Optional[float], floor_mb: float, calibration: Optional[dict], timing_cache_path,
                 timeout_s: float, log_file: TextIO, work_dir, source_sha256: str, platform: dict, force: bool = False,
                 builder_module: str = "harness.engines.trt_build", input_name: Optional[str] = None,
                 builder_options: Optional[dict] = None, dla_core: Optional[int] = None) -> dict:
    """Reuse or build one engine (see the module docstring for the record returned).

    ``calibration`` (INT8 only): ``{"algorithm", "plan": [[npy, index], ...], "batch_size", "random",
    "random_count", "seed", "cache_path", "key"}``; a missing cache_path defaults to a file named by the
    calibration key beside the engine; pass ``key`` from :func:`harness.engines.calibration.calibration_cache_key`
    (without it the key hashes the frame plan, paths included). ``platform`` is
    :func:`harness.engines.platform_fingerprint.current_platform`. ``input_name``: the ONNX input to profile
    (None = the first). ``builder_module`` is the child's module (tests pass a stand-in). ``dla_core``: build for
    that DLA core with GPU fallback (None: the GPU alone).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    engine_path, work_dir = Path(engine_path), Path(work_dir)
    wanted = wanted_fields(source_sha256, precision, imgsz, batch_spec, calibration, platform, builder_options, dla_core)
    previous = read_sidecar(engine_path)
    note = calibration_note(precision, calibration)
    record = {"status": None, "reason": None, "engine_path": str(engine_path), "workspace_mb": None, "attempts": [],
              "build_s": None, "reused": False, "calibration": wanted["calibration"], "calibration_warning": note}
    if not force and reusable(engine_path, wanted):
        stored = read_sidecar(engine_path) or {}
        record.update(status=BUILT, reused=True, workspace_mb=stored.get("workspace_mb"), build_s=stored.get("build_s"),
                      reason="reused: the engine's sidecar matches its source, precision, imgsz, batch, calibration "
                             "and this platform")
        return record

    calibration_request = None
    if precision == "int8" and calibration and not calibration.get("explicit"):
        identity = wanted["calibration"]
        if identity["images"] <= 0:
            record.update(status="failed", reason="INT8 calibration has no images: no preprocessed frames at this imgsz "
                                                  "(or a random calibration of 0 images)")
            return record
        calibration_request = {
            "algorithm": calibration.get("algorithm", "minmax"),
            "plan": [[str(p), int(i)] for p, i in (calibration.get("plan") or [])],
            "batch_size": int(calibration.get("batch_size") or batch_spec["opt"]),
            "random": identity["random"], "random_count": int(calibration.get("random_count") or 0),
            "seed": int(calibration.get("seed", 0)),
            "cache_path": str(calibration.get("cache_path")
                              or engine_path.with_name(f"calibration_{identity['key']}_{identity['algorithm']}.cache")),
        }
    base_request = {
        "onnx_path": str(onnx_path), "engine_path": str(engine_path), "precision": precision, "imgsz": int(imgsz),
        "input_name": input_name, "batch": wanted["batch"],
        "timing_cache": str(timing_cache_path) if timing_cache_path else None, "calibration": calibration_request,
        "builder_options": dict(builder_options or {}), "dla_core": wanted["dla_core"],
    }
    work_dir.mkdir(parents=True, exist_ok=True)

    def try_build(workspace_mb: float) -> dict:
        request = {**base_request, "workspace_mb": workspace_mb}
        name = f"trt_build_{engine_path.stem}_ws{workspace_mb:g}_{os.getpid()}_{time.time_ns()}.json"
        path = atomic_write_json(work_dir / name, request)
        outcome = run_phase(builder_module, ["--request", str(path)], timeout_s, log_file)
        return attempt_record(outcome, workspace_mb, timeout_s)

    search = search_workspace(workspace_request_mb, budget_mb, floor_mb, try_build)
    attempts = search["attempts"]
    record["attempts"] = attempts
    last = attempts[-1] if attempts else None
    if search["chosen_mb"] is not None:
        if not engine_path.is_file():
            record.update(status="failed", reason=f"the builder reported success but wrote no engine at {engine_path}")
            return record
        layer_info, no_layer_info = built_layer_info(engine_path, last)
        rebuilt = rebuild_record(engine_path, previous, wanted, layer_info)
        sidecar = {**wanted, "workspace_mb": search["chosen_mb"], "build_s": last.get("build_s"),
                   "calibration_warning": note, "calibration_fed": last.get("calibration"),
                   "built_on": platform, "onnx_path": str(onnx_path), "builder_pid": last.get("pid"),
                   "builder_options_applied": last.get("builder_options"),
                   "layer_info": layer_info, "layer_info_unavailable": no_layer_info, "rebuild": rebuilt}
        write_sidecar(engine_path, sidecar)
        record["rebuild"] = rebuilt
        record.update(status=BUILT, workspace_mb=search["chosen_mb"], build_s=last.get("build_s"),
                      reason=search["reason"])
        return record
    if last is not None and last.get("outcome") == "unavailable":
        record.update(status="skipped", reason=TENSORRT_MISSING)
    elif last is not None and last.get("outcome") == UNSUPPORTED:
        record.update(status="skipped", reason=last.get("detail") or "this TensorRT or device cannot build it")
    elif all(a.get("outcome") == ALLOCATION_FAILED for a in attempts):
        record.update(status="skipped_oom", reason=_oom_reason(attempts, workspace_request_mb, budget_mb, floor_mb))
    else:
        record.update(status="failed", reason=_failure_reason(last))
    return record
