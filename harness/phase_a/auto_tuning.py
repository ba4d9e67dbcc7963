"""Phase A auto-tuning under OOM probing: the largest batch that fits, and cuDNN benchmark on/off.

Every attempt runs in its own short-lived child process (``harness.phase_b.probe_attempt``), so a kernel OOM
kill or a poisoned CUDA context never takes Phase A down. Every tuned value is recorded with its
evidence: what was tried and what happened.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path

from harness.phase_a.run_planner import probe_key
from harness.probe.batch_search import FITS, find_largest_batch
from harness.probe.probe_launcher import run_attempt
from harness.records.planned_run import PlannedRun
from runners.backends import backend

log = logging.getLogger("jetson_benchmark.phase_a")


def batch_probe_wanted(probe_flag: str, memory: dict, device: dict, batches: list) -> tuple:
    if probe_flag == "on":
        return True, "--probe_batch on"
    if probe_flag == "off":
        return False, "--probe_batch off"
    if device.get("cuda") and memory.get("budget_constrained") and max(batches) > 1:
        return True, (f"automatic: a {memory['budget_mb'] / 1024:.1f} GiB budget is in force ({memory['budget_source']}) "
                      f"and batch {max(batches)} is not known to fit")
    return False, ("not requested" if not device.get("cuda") or not memory.get("budget_constrained")
                   else "only batch 1 requested")


def probe_context(device: dict, memory: dict, sequences: list, config_path: Path, measurement: dict,
                  work_dir: Path, timeout_s: float, engine_batch: str = "static") -> dict:
    """What every attempt needs to be a faithful Phase B run: device, budget, frames, measurement settings."""
    return {"device": device, "setup": {"dataset": {"sequences": sequences}, "memory": memory},
            "config_path": str(config_path), "measurement": measurement, "work_dir": work_dir, "timeout_s": timeout_s,
            "engine_batch": engine_batch}


def run_probe_attempt(run: PlannedRun, batch: int, context: dict, cudnn=None) -> dict:
    """One attempt of ``run`` at ``batch`` in its own process, under the id ``<run id>__probe_b<batch>``."""
    probe = replace(run, spec=replace(run.spec, batch=batch), name=f"{run.run_id}__probe_b{batch}", skip_status=None)
    spec = run.spec
    request = {"planned": probe.to_dict(), "device": context["device"]["resolved"], "setup": context["setup"],
               "config_path": context["config_path"], "measurement": context["measurement"], "cudnn_benchmark": cudnn,
               "label": f"{spec.model}_{spec.backend}_{spec.precision}_{spec.imgsz}"}
    return run_attempt(request, context["work_dir"], context["timeout_s"], sys.stderr)


STATIC_ENGINE_NOT_PROBED = (
    "static-batch TensorRT engines are not probed: each probed batch would need its own engine build (minutes "
    "each on a Jetson); each engine's build already checks its device memory against the budget, and "
    "--engine_batch dynamic gives one engine the probe can search")


def unprobeable(run: PlannedRun, context: dict):
    """Why a group's batches cannot be probed with its planned artifact, or None."""
    if backend(run.spec.backend, strict=False).artifact == "engine" and context.get("engine_batch", "static") == "static":
        return STATIC_ENGINE_NOT_PROBED
    return None


def probe_batches(runs: list[PlannedRun], context: dict, why: str) -> dict:
    """One search per model x backend x precision x imgsz among the runs that would run."""
    groups: dict = {}
    for run in runs:
        if run.skip_status or not run.artifact:
            continue
        groups.setdefault(probe_key(run.spec.model, run.spec.backend, run.spec.precision, run.spec.imgsz), []).append(run)
    budget = context["setup"]["memory"]["budget_mb"]
    results = {}
    for key, members in groups.items():
        cannot = unprobeable(members[0], context)
        if cannot:
            log.info("batch probe %s: not probed: %s", key, cannot)
            results[key] = {"largest_fit": None, "first_oom": None, "not_probed": cannot, "budget_mb": budget}
            continue
        max_batch = max(r.spec.batch for r in members)
        log.info("batch probe %s: searching up to batch %d under %s MiB", key, max_batch, budget)

        def attempt(batch: int, run=members[0]) -> dict:
            record = run_probe_attempt(run, batch, context)
            log.info("  batch %d: %s %s", batch, record["outcome"], record.get("detail") or "")
            return record

        search = find_largest_batch(max_batch, attempt)
        results[key] = {**search, "max_requested": max_batch, "budget_mb": budget, "why": why,
                        "passes_per_attempt": int(context["measurement"]["warmup"]) + int(context["measurement"]["iters"])}
    return results


def tune_cudnn(enabled: bool, runs: list[PlannedRun], context: dict, probes: dict) -> dict:
    """Per model x precision x imgsz of the runs whose backend tunes cuDNN (runners/backends.py: torch): try
    cudnn.benchmark=True at the largest batch that will run; keep True only if it fits under the budget."""
    if not enabled:
        return {"default": False, "evidence": "--enable_cudnn_tuning not given: cudnn.benchmark stays False", "per_run_group": {}}
    if not context["device"].get("cuda"):
        return {"default": False, "evidence": "no CUDA device: cuDNN is not used", "per_run_group": {}}
    groups: dict = {}
    for run in runs:
        if not backend(run.spec.backend, strict=False).tunes_cudnn or run.skip_status:
            continue
        key = probe_key(run.spec.model, run.spec.backend, run.spec.precision, run.spec.imgsz)
        fit = (probes.get(key) or {}).get("largest_fit")
        if fit is not None and run.spec.batch > fit:
            continue
        if key not in groups or run.spec.batch > groups[key].spec.batch:
            groups[key] = run
    decisions = {}
    for key, run in groups.items():
        record = run_probe_attempt(run, run.spec.batch, context, cudnn=True)
        value = record["outcome"] == FITS
        decisions[key] = {"value": value, "tried_batch": run.spec.batch, "attempt": record,
                          "evidence": ("cudnn.benchmark=True ran within the budget" if value else
                                       f"cudnn.benchmark=True gave {record['outcome']}: falling back to False")}
        log.info("cuDNN tuning %s: benchmark=%s (%s)", key, value, record["outcome"])
    return {"default": False, "evidence": "probed per model x precision x imgsz; see per_run_group", "per_run_group": decisions}
