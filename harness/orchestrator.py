"""The parent process: Phase A in a subprocess, then Phase B processes, resume, summary.

Never imports torch, ultralytics or tensorrt. Talks to the phases only through files (the setup config,
the measurement request, the result JSONs) and reads their event lines for progress.
"""

from __future__ import annotations

import collections
import shlex
import sys
import time
from pathlib import Path

from harness import __version__
from harness.atomic_io import atomic_write_json, remove_stale_temps
from harness.console_output import safe_print
from harness.data.source_scan import scan_source
from harness.disk_errors import with_path
from harness.data.source_spec import parse_source
from harness.errors import EXIT_INTERNAL, EXIT_OK, UserError
from harness.launcher import ChildOutcome, run_phase
from harness.matrix import group_runs
from harness.measure.latency_stats import headline_img_per_s
from harness.measurement_request import (REQUESTS_FOLDER, measurement_settings, request_path, validity_requirements,
                                         write_request)
from harness.child_ending import OOM_KILLED, TIMEOUT, classify_ending
from harness.options import Options, check_writable_dir
from harness.progress import Progress
from harness.memory_safety import memory_safety_markdown, memory_safety_summary
from harness.repeats import RepeatRecord
from harness.results import (FINISHED_STATUSES, STATUS_FAILED, STATUS_OK, STATUS_SKIPPED_OOM, load_results,
                             load_results_checked, new_result, problems_line, read_result, result_path, runs_dir,
                             write_result)
from harness.run_identity import key_of, run_identity, what_changed
from harness.setup_config import read_setup_config, setup_config_path
from harness.summary import markdown_table, write_summary

RUN_LOG = "run.log"


class Console:
    """User-facing lines: printed (through the progress bars when they are showing), and copied into run.log."""

    def __init__(self, log_file):
        self.log_file = log_file
        self.progress = None
        self.phase_a_s = None      # Phase A's process wall time when this command ran it
        self.phase_a_steps = None  # its steps' seconds (setup config's phase_a.timings_s)

    def say(self, text: str = "") -> None:
        safe_print(text, self.progress.write if self.progress is not None else None)
        try:
            self.log_file.write(f"[parent {time.strftime('%H:%M:%S')}] {text}\n")
            self.log_file.flush()
        except OSError as exc:  # a full disk: the line was shown; the error names run.log
            raise with_path(exc, self.log_file.name) from exc


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
    spec = parse_source(opts.source, opts.split_dir, opts.max_frames, opts.video_models_only())
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


def _parent_result(run: dict, status: str, reason: str, evidence: dict, outcome: ChildOutcome = None,
                   oom_evidence: str = None) -> dict:
    result = new_result(run, status, run["identity"], reason)
    result["evidence"] = evidence
    if oom_evidence:
        result["oom_evidence"] = oom_evidence  # rule | probe | observed
    result["process"] = {"phase": "parent" if outcome is None else "B (died)",
                         "pid": None if outcome is None else outcome.pid}
    return result


def record_dead_child(run: dict, outcome: ChildOutcome, out_dir: Path, budget_mb: float = None) -> dict:
    """The result of a Phase B process that ended without writing one. A SIGKILL is out of memory only with
    evidence of memory pressure (``budget_mb``: what the run may hold where its process memory counts against it,
    i.e. unified memory); otherwise it is a failure, which a rerun measures again."""
    evidence = {"returncode": outcome.returncode, "signal": outcome.signal_name, "timed_out": outcome.timed_out,
                "child_wall_s": round(outcome.wall_s, 3), "log_tail": outcome.tail[-15:]}
    ending = classify_ending(outcome, None, budget_mb=budget_mb)
    if ending.memory:
        evidence["memory_pressure"] = ending.memory
    oom_evidence = None
    if ending.kind == OOM_KILLED:
        status, reason, oom_evidence = STATUS_SKIPPED_OOM, f"Phase B process {ending.detail}", "observed"
    elif ending.kind == TIMEOUT:
        status, reason = STATUS_FAILED, f"Phase B process exceeded --run_timeout_s and was killed after {outcome.wall_s:.0f} s"
    elif ending.memory:
        status, reason = STATUS_FAILED, f"Phase B process {ending.detail} before writing a result"
    else:
        detail = outcome.signal_name or f"exit code {outcome.returncode}"
        status, reason = STATUS_FAILED, f"Phase B process died ({detail}) before writing a result"
    result = _parent_result(run, status, reason, evidence, outcome, oom_evidence)
    if ending.kind == OOM_KILLED:
        result["oom_evidence_detail"] = ending.memory.get("seen")
    write_result(out_dir, result)
    return result


def _number(value, fmt: str = ".2f") -> str:
    return "n/a" if value is None else format(value, fmt)


def _status_line(index: int, total: int, run_id: str, result: dict) -> str:
    status = result.get("status")
    metrics = result.get("metrics") or {}
    if status == "ok" and metrics.get("fps") is not None:  # a video model: per-frame figures
        detail = (f"frame p50 {_number(metrics.get('latency_ms_p50'))} ms, p99 {_number(metrics.get('latency_ms_p99'))} "
                  f"ms, prompt frame {_number(metrics.get('prompt_latency_ms_p50'))} ms, {_number(metrics['fps'], '.1f')} "
                  f"fps, J&F {_number(metrics.get('j_and_f'), '.3f')}")
    elif status == "ok":
        rate = headline_img_per_s(metrics)
        detail = (f"p50 {_number(metrics.get('latency_ms_p50'))} ms, p99 {_number(metrics.get('latency_ms_p99'))} ms, "
                  f"{_number(rate, '.1f')} img/s" + (" sustained" if metrics.get("throughput_img_per_s") is None else ""))
    else:
        detail = result.get("reason") or ""
    return f"[{index}/{total}] {run_id}: {status} {detail}".rstrip()


def reuse_decision(existing, identity: dict, force: bool) -> tuple:
    """(reuse the stored result?, the one-line reason it is redone, or None when there was nothing to redo)."""
    if existing is None:
        return False, None
    if force:
        return False, "redone: --force"
    if existing.get("run_key") != key_of(identity):
        return False, f"redone: {what_changed(existing.get('identity'), identity)}"
    if existing.get("status") not in FINISHED_STATUSES:
        return False, f"redone: the stored result is {existing.get('status')}"
    wanted = int((identity.get("measurement") or {}).get("repeats") or 1)
    have = len((existing.get("repeats") or {}).get("processes") or [])
    if wanted > 1 and existing.get("status") == STATUS_OK and have < wanted:  # stopped between its processes
        return False, f"redone: the stored result has {max(have, 1)} of its {wanted} processes"
    return True, None


def measure(opts: Options, config_path: Path, setup: dict, runs: list, out_dir: Path, log_file,
            console: Console) -> list:
    measurement = measurement_settings(opts)
    identities = {r["run_id"]: run_identity(r, measurement, setup, opts.isolation) for r in runs}
    by_id = {r["run_id"]: {**r, "identity": identities[r["run_id"]]} for r in runs}
    position = {r["run_id"]: i + 1 for i, r in enumerate(runs)}
    total = len(runs)
    pending = []
    for run in runs:
        run_id = run["run_id"]
        reuse, why = reuse_decision(read_result(result_path(out_dir, run_id)), identities[run_id], opts.force)
        if reuse:
            console.say(f"[{position[run_id]}/{total}] {run_id}: result exists, reused (--force redoes it)")
            rejudge_stored(out_dir, run_id, opts)
            continue
        if why:
            console.say(f"[{position[run_id]}/{total}] {run_id}: {why}")
        if run.get("skip_status"):
            result = planned_skip_result(by_id[run_id])
            write_result(out_dir, result)
            console.say(_status_line(position[run_id], total, run_id, result))
            continue
        pending.append(run_id)
    if not pending:
        return []
    say_if_threads_exceed_free_cores([by_id[i] for i in pending], console)
    progress = Progress(len(pending) * opts.repeats)
    request = write_request(out_dir, config_path, measurement, [by_id[i] for i in pending], opts.isolation,
                            opts.verbose, progress=progress.enabled, validity=validity_requirements(opts))
    console.progress = progress
    memory = setup.get("memory") or {}
    budget_mb = memory.get("budget_mb") if memory.get("unified_memory") else None  # process memory counts against it
    try:
        return _measure_pending(opts, pending, by_id, position, total, request, out_dir, log_file, console, progress,
                                budget_mb)
    finally:
        progress.close()
        console.progress = None


def say_if_threads_exceed_free_cores(runs: list, console: Console) -> None:
    from harness.thread_check import busy_cores_now, oversubscription_line

    line = oversubscription_line(runs, *busy_cores_now())
    if line:
        console.say(line)


def rejudge_stored(out_dir: Path, run_id: str, opts: Options) -> None:
    """A reused result is judged by this command's requirements (its recorded conditions are the same)."""
    from harness.measure.validity import Requirements, rejudged

    result = read_result(result_path(out_dir, run_id))
    verdict = rejudged(result or {}, Requirements.from_dict(validity_requirements(opts)))
    if verdict is not None:
        result["validity"] = verdict
        write_result(out_dir, result)


def planned_skip_result(run: dict) -> dict:
    """A run Phase A decided not to measure: recorded by the parent with Phase A's reason and evidence."""
    evidence = {"planned_by": "Phase A", **(run.get("extra") or {}).get("evidence", {})}
    return _parent_result(run, run["skip_status"], run["skip_reason"], evidence,
                          oom_evidence=(run.get("extra") or {}).get("oom_evidence"))


def _measure_pending(opts, pending, by_id, position, total, request, out_dir, log_file, console, progress,
                     budget_mb=None) -> list:
    repeats = RepeatRecord(opts.repeats)
    done: list = []
    for repeat in range(opts.repeats):
        wanted = [r for r in pending if repeats.wants_more(r)]
        label = f" (process {repeat + 1}/{opts.repeats})" if opts.repeats > 1 else ""
        done.extend(_one_pass_over(opts, wanted, by_id, position, total, request, out_dir, log_file, console,
                                   progress, label, repeats, budget_mb))
    for run_id in pending:
        repeats.write_chosen(out_dir, run_id)
    return sorted(set(done), key=pending.index)


def _one_pass_over(opts, run_ids, by_id, position, total, request, out_dir, log_file, console, progress, label,
                   repeats, budget_mb=None) -> list:
    """Every run of ``run_ids`` measured once, each group of the isolation policy in a fresh Phase B process; a
    process that dies part-way gives the rest of its group a new one."""
    queue = collections.deque(group_runs(run_ids, opts.isolation))
    done: list = []
    while queue:
        group = queue.popleft()
        ended: dict = {}

        def on_event(event: dict) -> None:
            progress.on_event(event)
            if event.get("event") == "run_end":
                ended[event["run_id"]] = event.get("written_at")
                stored = read_result(result_path(out_dir, event["run_id"])) or {}
                repeats.add(event["run_id"], stored)
                console.say(_status_line(position[event["run_id"]], total, event["run_id"] + label, stored))

        args = ["--request", str(request)] + [arg for run_id in group for arg in ("--run_id", run_id)]
        outcome = run_phase("harness.phase_b", args, opts.run_timeout_s, log_file, echo=opts.verbose,
                            on_event=on_event)
        done.extend(r for r in group if r in ended)
        finish_process_times(out_dir, [r for r in group if r in ended], ended, outcome)
        refused = outcome.last_event("disk_error")
        if refused:  # its result could not be written: nothing else can be either
            raise UserError(f"{refused['message']}; the results written before it are kept: free the space (or make "
                            "the folder writable), then rerun the same command to resume")
        missing = [r for r in group if r not in ended]
        if not missing:
            continue
        started = outcome.last_event("run_start")
        in_flight = started["run_id"] if started and started["run_id"] in missing else missing[0]
        result = record_dead_child(by_id[in_flight], outcome, out_dir, budget_mb)
        repeats.add(in_flight, result)
        console.say(_status_line(position[in_flight], total, in_flight + label, result))
        done.append(in_flight)
        rest = [r for r in missing if r != in_flight]
        if rest:  # the process died part-way through its group: the others get a fresh process
            queue.appendleft(rest)
    return done


def finish_process_times(out_dir: Path, run_ids: list, written: dict, outcome: ChildOutcome) -> None:
    """Each result of one Phase B process gets the two parts only the parent sees: its writing, and (the last run)
    the process's teardown to its exit (harness.measure.process_timeline)."""
    from harness.measure.process_timeline import finish_parts

    for run_id in run_ids:
        result = read_result(result_path(out_dir, run_id))
        if result is None or not (result.get("process") or {}).get("parts_s"):
            continue
        result["process"] = finish_parts(result["process"], written.get(run_id), outcome.ended_at,
                                         run_id == run_ids[-1] and outcome.returncode == 0)
        write_result(out_dir, result)


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


def measure_on_host(opts: Options, out_dir: Path, log_file, console: Console):
    """Phase A here, then the pending runs in fresh Phase B processes; the run ids this command covers (None after
    --skip_inference)."""
    if opts.skip_setup:
        from harness.setup_reuse import load_checked_setup, replan

        config_path, setup = load_checked_setup(opts)
        runs = replan(opts, setup)
        console.say(f"--skip_setup: reusing {config_path} (made by Phase A pid {setup['phase_a']['pid']})")
    else:
        if opts.train:
            from harness.train.train_phase import trained_options

            opts = trained_options(opts, out_dir, log_file, console.say)
        config_path, setup = run_setup_phase(opts, out_dir, log_file, console)
        runs = setup["runs"]
    check_one_dataset(out_dir, setup["dataset"]["fingerprint"], opts.force, console)
    if opts.skip_inference:
        describe_setup(setup, console)
        console.say(f"--skip_inference: setup only. Measure later with --skip_setup --preprocessed_dir {opts.preprocessed_dir}")
        return None
    measure(opts, config_path, setup, runs, out_dir, log_file, console)
    if opts.trtexec_check:
        from harness.trtexec_check import check_tensorrt_runs

        check_tensorrt_runs([r["run_id"] for r in runs], out_dir, opts.min_duration_s, opts.force, log_file,
                            console.say)
    return {r["run_id"] for r in runs}


def command_locks(opts: Options, out_dir: Path) -> list:
    """This command's hold on its folders: --out_dir written, --preprocessed_dir written by Phase A or only read
    with --skip_setup (harness.folder_lock)."""
    from harness.folder_lock import lock_folders

    pre = check_writable_dir(opts.preprocessed_dir, "preprocessed_dir")
    return lock_folders((out_dir, "out_dir", False), (pre, "preprocessed_dir", bool(opts.skip_setup)))


def run_benchmark(opts: Options) -> int:
    out_dir = check_writable_dir(opts.out_dir, "out_dir")
    locks = command_locks(opts, out_dir)
    for stale in (out_dir / REQUESTS_FOLDER).glob("*.json"):  # a command killed here left them: no one reads them
        stale.unlink(missing_ok=True)
    try:
        return _run_locked(opts, out_dir)
    finally:
        for path in (request_path(out_dir, "a"), request_path(out_dir, "b")):
            path.unlink(missing_ok=True)
        for lock in locks:
            lock.release()


def command_time_lines(out_dir: Path, wanted: set, started: float, started_at: float, console: Console,
                       reports_s: float) -> list:
    """Where this command's time went (harness.report.time_breakdown), over the runs it measured itself."""
    from harness.report.time_breakdown import time_lines

    total_s = time.perf_counter() - started
    measured = [r for r in load_results(out_dir) if r["run_id"] in wanted
                and ((r.get("process") or {}).get("process_started_at") or 0) >= started_at - 1.0]
    walls = sum((r.get("process") or {}).get("process_wall_s") or 0.0 for r in measured)
    other = total_s - (console.phase_a_s or 0.0) - walls - reports_s
    return time_lines(measured, {"total_s": total_s, "phase_a_s": console.phase_a_s, "reports_s": reports_s,
                                 "parent_other_s": max(0.0, other), "phase_a_steps_s": console.phase_a_steps})


def _run_locked(opts: Options, out_dir: Path) -> int:
    runs_folder = runs_dir(out_dir)
    runs_folder.mkdir(parents=True, exist_ok=True)
    for folder in (out_dir, runs_folder):
        remove_stale_temps(folder)
    log_path = out_dir / RUN_LOG
    with open(log_path, "a", encoding="utf-8") as log_file:
        console = Console(log_file)
        log_file.write(f"\n==== jetson_benchmark {__version__} {time.strftime('%Y-%m-%d %H:%M:%S')}: "
                       f"{' '.join(shlex.quote(a) for a in sys.argv)}\n")
        started, command_started_at = time.perf_counter(), time.time()
        if opts.cluster:
            from harness.fleet.fleet_run import measure_on_fleet

            wanted = set(measure_on_fleet(opts, out_dir, log_file, console))
        else:
            wanted = measure_on_host(opts, out_dir, log_file, console)
            if wanted is None:
                return EXIT_OK
        reports_begun = time.perf_counter()
        csv_path, md_path, frame = write_summary(out_dir)
        left_out = problems_line(load_results_checked(out_dir)[1])
        if left_out:
            console.say(left_out)
        current = frame[frame["run_id"].isin(wanted)]
        console.say("")
        console.say(markdown_table(current))
        console.say("")
        console.say(memory_safety_markdown(memory_safety_summary([r for r in load_results(out_dir) if r["run_id"] in wanted]),
                                           heading="Memory safety"))
        from harness.report.writer import write_reports

        reports = write_reports(out_dir)
        reports_s = time.perf_counter() - reports_begun
        console.say("latency = host end-to-end per batch (copy in + forward + sync); definitions: docs/metrics.md")
        console.say(f"results: {runs_folder}/ (one JSON per run, raw samples included)")
        console.say(f"summary: {csv_path} and {md_path}; log: {log_path}")
        console.say(f"report: {reports['html']} (self-contained), {reports['md']}, {reports['json']}, plots in "
                    f"{out_dir / 'plots'}")
        console.say(f"total wall time {time.perf_counter() - started:.1f} s")
        for line in command_time_lines(out_dir, wanted, started, command_started_at, console, reports_s):
            console.say(line)
        ending = command_exit(current, [r for r in load_results(out_dir) if r["run_id"] in wanted], opts.fail_on)
        console.say(ending.line)
        return ending.code


def command_exit(frame, results: list, fail_on: list):
    """The exit code and its line (harness/exit_status.py) from this command's rows and results."""
    from harness.exit_status import exit_status

    refused = {r["run_id"]: (r.get("evidence") or {})["refused_input"] for r in results
               if (r.get("evidence") or {}).get("refused_input")}
    return exit_status(frame.to_dict("records"), refused, fail_on)
