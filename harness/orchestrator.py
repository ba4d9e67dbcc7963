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
from harness.files.atomic_io import remove_stale_temps
from harness.errors import EXIT_OK, UserError
from harness.process.launcher import run_phase
from harness.settings.matrix import group_runs
from harness.records.measurement_request import (REQUESTS_FOLDER, measurement_settings, request_path, validity_requirements,
                                         write_request)
from harness.settings.options import Options, check_writable_dir
from harness.parent.console import Console, status_line
from harness.parent.reuse import rejudge_stored, reuse_decision
from harness.parent.run_records import finish_process_times, planned_skip_result, record_dead_child
from harness.parent.setup_phase import RUN_LOG, check_one_dataset, describe_setup, run_setup_phase
from harness.parent.progress import Progress
from harness.report.memory_safety import memory_safety_markdown, memory_safety_summary
from harness.parent.repeats import RepeatRecord
from harness.records.results import (load_results_checked, problems_line, read_result, result_path, runs_dir,
                             write_result)
from harness.records.run_identity import run_identity
from harness.report.summary import markdown_table, write_summary
from harness.records.planned_run import PlannedRun



def measure(opts: Options, config_path: Path, setup: dict, runs: list, out_dir: Path, log_file,
            console: Console) -> list:
    measurement = measurement_settings(opts)
    identities = {r["run_id"]: run_identity(PlannedRun.from_dict(r), measurement, setup, opts.isolation) for r in runs}
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
            console.say(status_line(position[run_id], total, run_id, result))
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
    from harness.process.fork_launcher import launcher_for

    try:
        with launcher_for(opts.isolation) as launcher:
            if launcher is not None and launcher.ready_or_not():
                progress.restart_clock()  # the launcher's one import is not a run's time
            done = _measure_pending(opts, pending, by_id, position, total, request, out_dir, log_file, console,
                                    progress, budget_mb, launcher)
            console.launcher = launcher.record() if launcher is not None else None
            return done
    finally:
        progress.close()
        console.progress = None


def say_if_threads_exceed_free_cores(runs: list, console: Console) -> None:
    from harness.parent.thread_check import busy_cores_now, oversubscription_line

    line = oversubscription_line(runs, *busy_cores_now())
    if line:
        console.say(line)


def _measure_pending(opts, pending, by_id, position, total, request, out_dir, log_file, console, progress,
                     budget_mb=None, launcher=None) -> list:
    repeats = RepeatRecord(opts.repeats)
    done: list = []
    for repeat in range(opts.repeats):
        wanted = [r for r in pending if repeats.wants_more(r)]
        label = f" (process {repeat + 1}/{opts.repeats})" if opts.repeats > 1 else ""
        if repeat > 0 and launcher is not None:
            launcher.start()  # each repeat's processes from a launcher of their own: they share no pages (docs/isolation.md)
        done.extend(_one_pass_over(opts, wanted, by_id, position, total, request, out_dir, log_file, console,
                                   progress, label, repeats, budget_mb, launcher))
    for run_id in pending:
        repeats.write_chosen(out_dir, run_id)
    return sorted(set(done), key=pending.index)


def _one_pass_over(opts, run_ids, by_id, position, total, request, out_dir, log_file, console, progress, label,
                   repeats, budget_mb=None, launcher=None) -> list:
    """Every run of ``run_ids`` measured once, each group of the isolation policy in a fresh Phase B process (forked
    by ``launcher`` under --isolation fork); a process that dies part-way gives the rest of its group a new one."""
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
                console.say(status_line(position[event["run_id"]], total, event["run_id"] + label, stored))

        args = ["--request", str(request)] + [arg for run_id in group for arg in ("--run_id", run_id)]
        outcome = run_phase("harness.phase_b", args, opts.run_timeout_s, log_file, echo=opts.verbose,
                            on_event=on_event, launcher=launcher)
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
        console.say(status_line(position[in_flight], total, in_flight + label, result))
        done.append(in_flight)
        rest = [r for r in missing if r != in_flight]
        if rest:  # the process died part-way through its group: the others get a fresh process
            queue.appendleft(rest)
    return done


def measure_on_host(opts: Options, out_dir: Path, log_file, console: Console):
    """Phase A here, then the pending runs in fresh Phase B processes; the run ids this command covers (None after
    --skip_inference)."""
    if opts.skip_setup:
        from harness.parent.setup_reuse import load_checked_setup, replan

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
        from harness.parent.trtexec_check import check_tensorrt_runs

        check_tensorrt_runs([r["run_id"] for r in runs], out_dir, opts.min_duration_s, opts.force, log_file,
                            console.say)
    return {r["run_id"] for r in runs}


def command_locks(opts: Options, out_dir: Path) -> list:
    """This command's hold on its folders: --out_dir written, --preprocessed_dir written by Phase A or only read
    with --skip_setup (harness.files.folder_lock)."""
    from harness.files.folder_lock import lock_folders

    pre = check_writable_dir(opts.preprocessed_dir, "preprocessed_dir")
    return lock_folders((out_dir, "out_dir", False), (pre, "preprocessed_dir", bool(opts.skip_setup)))


def run_benchmark(opts: Options) -> int:
    out_dir = check_writable_dir(opts.out_dir, "out_dir")
    locks = command_locks(opts, out_dir)
    for stale in (out_dir / REQUESTS_FOLDER).glob("*.json"):  # a command killed here left them: no one reads them
        stale.unlink(missing_ok=True)
    from harness.settings.config_file import write_resolved_config

    write_resolved_config(out_dir, opts)
    try:
        return _run_locked(opts, out_dir)
    finally:
        for path in (request_path(out_dir, "a"), request_path(out_dir, "b")):
            path.unlink(missing_ok=True)
        for lock in locks:
            lock.release()


def command_time_lines(results: list, started: float, started_at: float, console: Console, reports_s: float) -> list:
    """Where this command's time went (harness.report.time_breakdown), over the runs of ``results`` (this command's)
    that it measured itself rather than reused."""
    from harness.report.time_breakdown import time_lines

    total_s = time.perf_counter() - started
    measured = [r for r in results if ((r.get("process") or {}).get("process_started_at") or 0) >= started_at - 1.0]
    walls = sum((r.get("process") or {}).get("process_wall_s") or 0.0 for r in measured)
    launcher = console.launcher or {}
    other = total_s - (console.phase_a_s or 0.0) - walls - reports_s - launcher.get("waited_s", 0.0)
    return time_lines(measured, {"total_s": total_s, "phase_a_s": console.phase_a_s, "reports_s": reports_s,
                                 "parent_other_s": max(0.0, other), "phase_a_steps_s": console.phase_a_steps,
                                 "launcher": console.launcher})


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
        results, problems = load_results_checked(out_dir)
        mine = [r for r in results if r["run_id"] in wanted]  # this command's runs, read once for what follows
        left_out = problems_line(problems)
        if left_out:
            console.say(left_out)
        current = frame[frame["run_id"].isin(wanted)]
        console.say("")
        console.say(markdown_table(current))
        console.say("")
        console.say(memory_safety_markdown(memory_safety_summary(mine), heading="Memory safety"))
        from harness.report.writer import write_reports

        reports = write_reports(out_dir)
        reports_s = time.perf_counter() - reports_begun
        console.say("latency = host end-to-end per batch (copy in + forward + sync); definitions: docs/metric_reference.md")
        console.say(f"results: {runs_folder}/ (one JSON per run, raw samples included)")
        console.say(f"summary: {csv_path} and {md_path}; log: {log_path}")
        console.say(f"report: {reports['html']} (self-contained), {reports['md']}, {reports['json']}, plots in "
                    f"{out_dir / 'plots'}")
        console.say(f"total wall time {time.perf_counter() - started:.1f} s")
        for line in command_time_lines(mine, started, command_started_at, console, reports_s):
            console.say(line)
        ending = command_exit(current, mine, opts.fail_on)
        console.say(ending.line)
        return ending.code


def command_exit(frame, results: list, fail_on: list):
    """The exit code and its line (harness/parent/exit_status.py) from this command's rows and results."""
    from harness.parent.exit_status import exit_status

    refused = {r["run_id"]: (r.get("evidence") or {})["refused_input"] for r in results
               if (r.get("evidence") or {}).get("refused_input")}
    return exit_status(frame.to_dict("records"), refused, fail_on)
