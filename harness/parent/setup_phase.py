"""The parent's side of Phase A: check the source fast, launch Phase A in its own process, read the setup it wrote,
say what it prepared, and keep one dataset per results folder."""

from __future__ import annotations

import time
from pathlib import Path

from harness.files.atomic_io import atomic_write_json
from harness.data.source_scan import scan_source
from harness.data.source_spec import parse_source
from harness.errors import EXIT_INTERNAL, UserError
from harness.process.launcher import ChildOutcome, run_phase
from harness.records.measurement_request import request_path
from harness.settings.options import Options, check_writable_dir
from harness.phase_a.model_discovery import video_models_only
from harness.parent.console import Console
from harness.records.results import read_result, runs_dir
from harness.records.setup_config import read_setup_config, setup_config_path

RUN_LOG = "run.log"


def _phase_failure_message(outcome: ChildOutcome, phase: str, log_path: Path) -> UserError:
    event = outcome.last_event("user_error", "internal_error")
    if outcome.timed_out:
        return UserError(f"{phase} did not finish within its time limit and was stopped (see {log_path})", EXIT_INTERNAL)
    if event and event["event"] == "user_error":
        return UserError(event["message"])
    detail = event["message"] if event else (outcome.signal_name or f"exit code {outcome.returncode}")
    return UserError(f"{phase} failed: {detail} (details in {log_path})", EXIT_INTERNAL)

def precheck_source(opts: Options) -> None:
    """Fail in a fraction of a second on a source that cannot work (Phase A checks again, decoding)."""
    spec = parse_source(opts.source, opts.split_dir, opts.max_frames, video_models_only(opts))
    if spec.kind in ("image_dir", "video", "split_dir"):
        scan_source(spec, opts.preprocessed_dir, opts.limit_videos)

def run_setup_phase(opts: Options, out_dir: Path, log_file, console: Console) -> tuple:
    precheck_source(opts)
    check_writable_dir(opts.preprocessed_dir, "preprocessed_dir")
    request = atomic_write_json(request_path(out_dir, "a"), {"options": opts.to_dict()})
    console.say("Phase A (setup): validating inputs, preparing models and data ...")

    def on_event(event: dict) -> None:
        if event.get("event") == "preprocessed":
            reused = "reused (fingerprint matches)" if event.get("reused") else "decoded"
            console.say(f"  frames: {event['frames']} in {event['sequences']} sequence(s), {reused}")
            for skipped in event.get("skipped") or []:
                console.say(f"  skipped {skipped['source_path']}: {skipped['reason']}")
            for line in event.get("renamed") or []:
                console.say(f"  {line}")
        elif event.get("event") == "model_files":
            for note in event.get("notes") or []:
                console.say(f"  {note}")

    outcome = run_phase("harness.phase_a", ["--request", str(request)], opts.setup_timeout_s, log_file,
                        echo=opts.verbose, on_event=on_event)
    if outcome.returncode != 0 or outcome.timed_out:
        raise _phase_failure_message(outcome, "Phase A", out_dir / RUN_LOG)
    config_path = setup_config_path(opts.preprocessed_dir)
    setup = read_setup_config(config_path)
    console.phase_a_s, console.phase_a_steps = outcome.wall_s, (setup.get("phase_a") or {}).get("timings_s")
    console.say(f"Phase A done in {outcome.wall_s:.1f} s (pid {outcome.pid}); setup saved to {config_path}")
    for model in setup["models"]:  # what each model takes, and every flag or size the model overrode
        for line in ([model["input_summary"]] if model.get("input_summary") else []) + model.get("input_notes", []):
            console.say(f"  {model['name']}: {line}")
    return config_path, setup

def describe_setup(setup: dict, console: Console) -> None:
    dataset = setup["dataset"]
    console.say(f"device: {setup['device']['resolved']} ({setup['device'].get('name')})")
    console.say(f"data: {dataset['frames']} frames in {len(dataset['sequences'])} sequence(s), "
                f"{len(dataset['skipped'])} file(s) skipped, fingerprint {dataset['fingerprint'][:12]}")
    for model in setup["models"]:
        artifacts = model.get("artifacts", {})
        parts = []
        if artifacts.get("torch"):
            parts.append(f"torch: {artifacts['torch']}")
        for key, path in sorted((artifacts.get("onnxruntime") or {}).items()):
            parts.append(f"onnx[{key}]: {path}")
        console.say(f"model {model['name']}: " + ("; ".join(parts) or "no artifacts"))
    planned = setup["runs"]
    skipped = [r for r in planned if r.get("skip_status")]
    console.say(f"runs planned: {len(planned)} ({len(skipped)} will be recorded as skipped)")

def stored_fingerprint(result: dict):
    return (result.get("identity") or {}).get("dataset") or (result.get("setup") or {}).get("dataset_fingerprint")

def check_one_dataset(out_dir: Path, fingerprint: str, force: bool, console: Console) -> None:
    """An --out_dir holds the results of one dataset. Another source stops here (exit 2) unless --force, which
    moves the other dataset's results aside (never deletes them)."""
    stored = [(path, read_result(path)) for path in sorted(runs_dir(out_dir).glob("*.json"))]
    other = [(path, r) for path, r in stored if r and stored_fingerprint(r) not in (None, fingerprint)]
    if not other:
        return
    theirs = sorted({stored_fingerprint(r)[:12] for _, r in other})
    if not force:
        raise UserError(f"{out_dir} holds {len(other)} result(s) of another dataset (fingerprint {', '.join(theirs)}); "
                        f"this source's is {fingerprint[:12]}: use a new --out_dir, or --force to move them aside")
    aside = out_dir / f"replaced_{time.strftime('%Y%m%d-%H%M%S')}" / "runs"
    aside.mkdir(parents=True, exist_ok=True)
    for path, _ in other:
        path.rename(aside / path.name)
    console.say(f"--force: {len(other)} result(s) of dataset {', '.join(theirs)} moved to {aside}")
