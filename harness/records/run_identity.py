"""What makes a stored result the one this invocation would measure: the run's identity and its key.

The identity is a small nested record of everything that changes a figure: the run (spec and artifact), the
artifact's hash, the model's resolved input and task settings, the measurement settings, the dataset, the
device, the profile and budget, the isolation mode, the tuned settings (cuDNN benchmark, math mode), and the
versions of the libraries and the harness. Its hash is the run key: a stored result with another key is redone,
and :func:`what_changed` names the difference in one line. Pure data (no torch): the parent builds it from the
setup Phase A wrote; ``compare`` uses :data:`COMPARABLE_PARTS` and :func:`differences` to refuse pairs of runs
that were not measured alike.
"""

from __future__ import annotations

from typing import Optional

from harness import __version__
from harness.precisions import STRICT_FP32
from harness.records.planned_run import PlannedRun
from harness.tasks.task_settings import is_video
from runners.backends import runs_on_gpu

RUN_FIELDS = ("model", "backend", "variant", "precision", "imgsz", "batch", "artifact", "modes")
VERSION_FIELDS = ("torch", "torch_cuda", "cudnn", "onnxruntime", "tensorrt", "ultralytics")
VOS_VERSION_FIELDS = ("transformers", "timm")  # the video models' libraries: part of their runs' identity only
# What must be equal for two runs to be compared at all (versions and artifacts are what a comparison is for).
COMPARABLE_PARTS = ("dataset", "device", "profile", "input", "task", "isolation", "math_mode", "measurement.warmup",
                    "measurement.max_frames_in_mem", "measurement.accuracy_images", "measurement.dense_gt")


# --isolation fork and --isolation run both give each run a fresh process and read the same figures
# (docs/isolation.md): compare takes a pair of them as measured alike. A stored result is still redone when the mode
# changes (the key covers it): its process parts differ.
ALIKE_ISOLATION = {"fork": "run"}


def for_comparison(identity: dict) -> dict:
    """The identity as compare checks it: the isolation modes that measure alike under one name."""
    isolation = identity.get("isolation")
    return {**identity, "isolation": ALIKE_ISOLATION.get(isolation, isolation)}


def math_mode(precision: str, on_gpu: bool) -> str:
    """The arithmetic a run's precision means where it executes: ``fp32`` on a GPU is strict fp32 (TF32 off),
    ``tf32`` lets fp32 matrix math use TF32 tensor cores; elsewhere the precision is what it says."""
    if on_gpu and precision == "fp32":
        return STRICT_FP32
    return precision


def threads_identity(planned: PlannedRun) -> dict:
    """What sets a run's threads: --threads (None: the libraries' default) and the user's OMP_NUM_THREADS, which
    every phase process gets (harness/process/child_environment.py); the threads Phase B used are in the result's ``threads``."""
    from harness.process.child_environment import user_omp_num_threads

    return {"requested": planned.spec.modes.threads, "omp_num_threads_env": user_omp_num_threads() or None}


def run_identity(planned: PlannedRun, measurement: dict, setup: dict, isolation: str) -> dict:
    """What a run is measured as: equal identities, equal measurements (the parent reuses a stored result only then)."""
    record = planned.to_dict()
    env = setup.get("environment") or {}
    memory = setup.get("memory") or {}
    device_record = setup.get("device") or {}
    device = device_record.get("resolved", "cpu")
    return {
        "run": {k: record.get(k) for k in RUN_FIELDS},
        "artifact_sha256": planned.artifact_sha256,
        "input": planned.input,
        "task": planned.task_settings,
        "measurement": dict(measurement),
        "dataset": (setup.get("dataset") or {}).get("fingerprint"),
        "device": {"resolved": device, "name": env.get("device_name")},
        "profile": {"name": memory.get("profile_name"), "budget_mb": memory.get("budget_mb"),
                    "emulated": memory.get("emulated")},
        "isolation": isolation,
        "cudnn_benchmark": bool(planned.cudnn_benchmark),
        "math_mode": math_mode(planned.spec.precision, runs_on_gpu(planned.spec.backend, device_record)),
        "threads": threads_identity(planned),
        "versions": {**{k: env.get(k) for k in VERSION_FIELDS + (VOS_VERSION_FIELDS if is_video(planned) else ())},
                     "harness": __version__},
    }


def _flatten(record, prefix: str = "") -> dict:
    if not isinstance(record, dict):
        return {prefix: record}
    flat = {}
    for key, value in record.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _label(path: str) -> str:
    """``device.resolved`` reads as ``device``; ``versions.torch`` as ``torch version``."""
    if path.endswith(".resolved"):
        return path[: -len(".resolved")]
    if path.startswith("versions."):
        return f"{path.split('.', 1)[1]} version"
    return path


def _short(value) -> str:
    text = "none" if value is None else str(value)
    return text if len(text) <= 24 else text[:12] + "…"


PROVENANCE = "sources"  # where each input setting came from: a flag, the model's .model.json, its graph, a default


def is_provenance(path: str) -> bool:
    return PROVENANCE in path.split(".")


def differences(old: Optional[dict], new: dict, parts: Optional[tuple] = None, provenance: bool = False) -> list:
    """``["device changed cpu → cuda:0", ...]``: what differs between two identities (restricted to ``parts``,
    dotted prefixes, when given). Where a setting came from is provenance, not a difference, unless ``provenance``
    (a stored result is still redone when it changed: its key covers it). A missing old identity is one difference
    of its own."""
    if not isinstance(old, dict):
        return ["the stored result has no identity record (made by an older harness)"]
    flat_old, flat_new = _flatten(old), _flatten(new)
    changed = []
    for path in list(flat_new) + [p for p in flat_old if p not in flat_new]:  # the identity's own order
        if parts is not None and not any(path == p or path.startswith(p + ".") for p in parts):
            continue
        if is_provenance(path) and not provenance:
            continue
        if flat_old.get(path) != flat_new.get(path):
            changed.append(f"{_label(path)} changed {_short(flat_old.get(path))} → {_short(flat_new.get(path))}")
    return changed


def what_changed(old: Optional[dict], new: dict) -> str:
    """One line for the console: the first few differences."""
    found = differences(old, new, provenance=True)
    if not found:
        return "its settings changed"
    return "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
