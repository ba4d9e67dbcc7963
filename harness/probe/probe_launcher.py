"""Run one probe attempt in a child process and say what happened (fits / oom / error), with evidence."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TextIO

from harness.files.atomic_io import atomic_write_json
from harness.process.launcher import run_phase
from harness.process.child_ending import DIED, OOM_KILLED, TIMEOUT, VERDICT, classify_ending
from harness.probe.batch_search import FITS, OOM


def run_attempt(request: dict, request_dir: Path, timeout_s: float, log_file: TextIO) -> dict:
    request_dir.mkdir(parents=True, exist_ok=True)
    name = f"probe_{request.get('label', 'attempt')}_b{request['planned']['batch']}_{os.getpid()}_{time.time_ns()}.json"
    path = atomic_write_json(request_dir / name, request)
    outcome = run_phase("harness.phase_b.probe_attempt", ["--request", str(path)], timeout_s, log_file)
    event = outcome.last_event("probe_result") or {}
    record = {"pid": outcome.pid, "returncode": outcome.returncode, "wall_s": round(outcome.wall_s, 3)}
    record.update({k: v for k, v in event.items() if k not in ("event",)})
    memory = (request.get("setup") or {}).get("memory") or {}
    ending = classify_ending(outcome, "probe_result", timeout_s,
                             memory.get("budget_mb") if memory.get("unified_memory") else None)
    if ending.kind == TIMEOUT:
        record.update(outcome="timeout", detail=f"no answer within {timeout_s:.0f} s")
    elif ending.kind == OOM_KILLED:
        record.update(outcome=OOM, detail=ending.detail)
    elif ending.kind == VERDICT and outcome.returncode == 0 and event.get("outcome") == FITS:
        record["outcome"] = FITS
    elif ending.kind == DIED:
        record.update(outcome="error", detail=f"probe {ending.detail}", log_tail=outcome.tail[-5:])
    return record
