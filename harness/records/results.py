"""Per-run result files: ``<out_dir>/runs/<run_id>.json``, written atomically, one per run.

Everything else (CSV, Markdown, reports) is derived from these files.
"""

from __future__ import annotations

import os
import platform
import socket
import time
from pathlib import Path
from typing import Optional

from harness import __version__
from harness.files.atomic_io import atomic_write_json, read_json
from harness.files.identity_key import key_of
from harness.records.planned_run import PlannedRun

RESULT_SCHEMA_VERSION = 3  # 2: task, input, every-output fidelity; 3: identity, weights, oom_evidence, repeats
STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_SKIPPED_OOM = "skipped_oom"
STATUS_SKIPPED = "skipped"
STATUSES = (STATUS_OK, STATUS_FAILED, STATUS_SKIPPED_OOM, STATUS_SKIPPED)
# A rerun of the same command does not redo these; "failed" runs are retried.
FINISHED_STATUSES = (STATUS_OK, STATUS_SKIPPED, STATUS_SKIPPED_OOM)


def runs_dir(out_dir: str | os.PathLike) -> Path:
    return Path(out_dir) / "runs"


def result_path(out_dir: str | os.PathLike, run_id: str) -> Path:
    return runs_dir(out_dir) / f"{run_id}.json"


def new_result(planned: PlannedRun, status: str, identity: Optional[dict], reason: Optional[str] = None) -> dict:
    """A result skeleton. ``identity`` (harness.records.run_identity) is what the run was measured as; its hash is the
    run key that decides whether a later invocation may reuse the result (None: a probe, never reused)."""
    if status not in STATUSES:
        raise ValueError(status)
    spec_keys = ("run_id", "model", "backend", "variant", "precision", "imgsz", "batch", "artifact")
    record = planned.to_dict()
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "run_id": planned.run_id,
        "run_key": key_of(identity) if identity else None,
        "identity": identity,
        "run": {k: record.get(k) for k in spec_keys},
        "status": status,
        "reason": reason,
        "task": {"task": planned.task},
        "weights": planned.weights,  # Phase B replaces it with the task's account
        "evidence": {},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "harness_version": __version__,
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "process": {},
        "metrics": {},
        "unavailable": {},
        "samples": {},
    }


def write_result(out_dir: str | os.PathLike, result: dict) -> Path:
    return atomic_write_json(result_path(out_dir, result["run_id"]), result)


# The shape every reader relies on: key -> the types its value may have (None allowed where listed).
SHAPE = {"run_id": (str,), "status": (str,), "run": (dict,), "metrics": (dict,), "unavailable": (dict,),
         "samples": (dict,), "evidence": (dict,), "process": (dict,), "identity": (dict, type(None)),
         "validity": (dict, type(None)), "warnings": (list,), "task": (dict, type(None)),
         "weights": (dict, type(None)), "environment": (dict, type(None)), "repeats": (dict, type(None)),
         "fleet": (dict, type(None)), "setup": (dict, type(None))}
REQUIRED = ("run_id", "status", "run", "metrics")


def shape_problem(data) -> Optional[str]:
    """Why ``data`` is not a result every reader can use, or None."""
    if not isinstance(data, dict):
        return f"holds a JSON {type(data).__name__}, not a result object"
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        return f"has no {', '.join(missing)}"
    if data["status"] not in STATUSES:
        return f"has an unknown status {data['status']!r}"
    for key, types in SHAPE.items():
        if key in data and not isinstance(data[key], types):
            return f"its {key} is a JSON {type(data[key]).__name__}, not {' or '.join(_json_type(t) for t in types)}"
    return None


def _json_type(kind: type) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}[kind]


def read_checked(path: str | os.PathLike) -> tuple:
    """(result, None) or (None, why it cannot be used: unreadable, not JSON, or the wrong shape)."""
    try:
        data = read_json(path)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:
        return None, f"is not whole JSON ({exc})"
    problem = shape_problem(data)
    return (None, problem) if problem else (data, None)


def read_result(path: str | os.PathLike) -> Optional[dict]:
    return read_checked(path)[0]


def load_results_checked(out_dir: str | os.PathLike) -> tuple:
    """(results, problems): every usable result of ``out_dir``, and (file name, why) for each file that is not."""
    folder = runs_dir(out_dir)
    if not folder.is_dir():
        return [], []
    results, problems = [], []
    for path in sorted(folder.glob("*.json")):
        result, why = read_checked(path)
        if result is None:
            problems.append((path.name, why))
        else:
            results.append(result)
    return results, problems


def load_results(out_dir: str | os.PathLike) -> list:
    return load_results_checked(out_dir)[0]


def problems_line(problems: list) -> Optional[str]:
    """One line listing the result files left out, or None."""
    if not problems:
        return None
    listed = "; ".join(f"runs/{name} {why}" for name, why in problems)
    return f"{len(problems)} result file(s) left out of the summary and reports: {listed}"
