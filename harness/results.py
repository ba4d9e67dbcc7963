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
from harness.atomic_io import atomic_write_json, read_json
from harness.run_identity import key_of

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


def new_result(planned_run: dict, status: str, identity: Optional[dict], reason: Optional[str] = None) -> dict:
    """A result skeleton. ``identity`` (harness.run_identity) is what the run was measured as; its hash is the
    run key that decides whether a later invocation may reuse the result (None: a probe, never reused)."""
    if status not in STATUSES:
        raise ValueError(status)
    spec_keys = ("run_id", "model", "backend", "variant", "precision", "imgsz", "batch", "artifact")
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "run_id": planned_run["run_id"],
        "run_key": key_of(identity) if identity else None,
        "identity": identity,
        "run": {k: planned_run.get(k) for k in spec_keys},
        "status": status,
        "reason": reason,
        "task": {"task": (planned_run.get("extra") or {}).get("task")},
        "weights": (planned_run.get("extra") or {}).get("weights"),  # Phase B replaces it with the task's account
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


def read_result(path: str | os.PathLike) -> Optional[dict]:
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "run_id" in data else None


def load_results(out_dir: str | os.PathLike) -> list:
    folder = runs_dir(out_dir)
    if not folder.is_dir():
        return []
    results = [read_result(p) for p in sorted(folder.glob("*.json"))]
    return [r for r in results if r is not None]
