"""The training phase in the parent: for each model x approach, skip it when its report exists (resume; --force
retrains from nothing), otherwise train it in its own child process, and record how that ended: ``ok``,
``skipped_oom`` (out of memory, or killed by the kernel's OOM killer with evidence of memory pressure) or ``failed`` with the reason. A crash of one
training never stops the others. Writes ``<out_dir>/training/<train id>/`` (Ultralytics' run, report.json,
report.md, status.json) and ``<out_dir>/weights/<model>.pt``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.files.atomic_io import atomic_write_json, read_json
from harness.process.child_ending import OOM_KILLED, VERDICT, classify_ending
from harness.train.train_data import resolve_training_data
from harness.train.train_spec import TrainSpec, train_specs


@dataclass
class TrainOutcome:
    spec: TrainSpec
    status: str                     # ok | reused | skipped_oom | failed
    reason: Optional[str] = None
    weights: Optional[str] = None


def training_folder(out_dir: Path, spec: TrainSpec) -> Path:
    return Path(out_dir) / "training" / spec.train_id


def finetune_source(spec: TrainSpec, weights_dir: Optional[str]) -> Optional[str]:
    """The checkpoint a finetune starts from: ``<weights_dir>/<model>.pt`` (None for a run from scratch)."""
    if spec.approach != "finetune":
        return None
    path = Path(weights_dir or ".") / f"{spec.model}.pt"
    if not weights_dir or not path.is_file():
        raise FileNotFoundError(f"finetune starts from {spec.model}.pt in --weights_dir, and there is none "
                                f"({path})")
    return str(path.resolve())


def ending_status(outcome, timeout_s: float) -> tuple:
    """(status, reason) from how the child ended."""
    ending = classify_ending(outcome, "train_end", timeout_s)
    if ending.kind == VERDICT:
        return ending.event.get("status", "failed"), ending.event.get("reason")
    if ending.kind == OOM_KILLED:
        return "skipped_oom", ending.detail
    return "failed", ending.detail


def train_one(spec: TrainSpec, out_dir: Path, weights_dir: Optional[str], force: bool, timeout_s: float,
              log_file, trust_pickle: bool = False) -> TrainOutcome:
    from harness.process.launcher import run_phase

    folder = training_folder(out_dir, spec)
    if (folder / "report.json").is_file() and not force:
        return TrainOutcome(spec, "reused", weights=read_json(folder / "report.json").get("weights"))
    if force and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        source = finetune_source(spec, weights_dir)
    except FileNotFoundError as exc:
        return record(folder, TrainOutcome(spec, "failed", str(exc)))
    data = resolve_training_data(spec.data, spec.task, Path(out_dir).resolve() / "train_data", spec.seed)
    weights = Path(out_dir) / "weights" / spec.weights_name
    request = atomic_write_json(folder / "request.json", {"spec": spec.to_dict(), "folder": str(folder.resolve()),
                                                          "data": data, "finetune_from": source,
                                                          "weights_path": str(weights.resolve()),
                                                          "trust_pickle": bool(trust_pickle)})
    outcome = run_phase("harness.train", ["--request", str(request)], timeout_s, log_file)
    status, reason = ending_status(outcome, timeout_s)
    return record(folder, TrainOutcome(spec, status, reason, str(weights) if status == "ok" else None))


def record(folder: Path, outcome: TrainOutcome) -> TrainOutcome:
    atomic_write_json(folder / "status.json", {"spec": outcome.spec.to_dict(), "status": outcome.status,
                                               "reason": outcome.reason, "weights": outcome.weights})
    return outcome


def status_line(index: int, total: int, outcome: TrainOutcome) -> str:
    head = f"[train {index}/{total}] {outcome.spec.train_id}: "
    if outcome.status == "reused":
        return head + f"trained before, reused ({outcome.weights}; --force retrains)"
    if outcome.status == "ok":
        return head + f"ok -> {outcome.weights}"
    return head + f"{outcome.status}: {outcome.reason}"


def run_training(opts, out_dir: Path, log_file, say) -> list:
    """Train every model x approach of ``opts`` (models default to DEFAULT_MODELS), one line each through ``say``."""
    from harness.settings.options import DEFAULT_MODELS

    specs = train_specs(list(opts.models) or list(DEFAULT_MODELS), list(opts.train_approach), opts.train_data,
                        opts.epochs, opts.train_imgsz, opts.train_batch, opts.train_device)
    outcomes = []
    for index, spec in enumerate(specs, start=1):
        outcome = train_one(spec, out_dir, opts.weights_dir, opts.force, opts.train_timeout_s, log_file,
                            opts.trust_pickle)
        say(status_line(index, len(specs), outcome))
        outcomes.append(outcome)
    return outcomes


def trained_options(opts, out_dir: Path, log_file, say):
    """``--train``: train first, then the options that set up and measure what was trained."""
    import dataclasses

    from harness.errors import UserError

    outcomes = run_training(opts, out_dir, log_file, say)
    trained = [Path(o.weights).stem for o in outcomes if o.status in ("ok", "reused") and o.weights]
    if not trained:
        raise UserError(f"--train: no model trained (see {Path(out_dir) / 'run.log'}); nothing to measure")
    return dataclasses.replace(opts, weights_dir=str(Path(out_dir) / "weights"), models=trained,
                               explicit=sorted(set(opts.explicit) | {"weights_dir", "models"}))

