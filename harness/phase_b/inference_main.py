"""Phase B entry point: ``python -m harness.phase_b --request FILE --run_id ID [--run_id ID ...]``.

A freshly launched process: imports, device initialization, then each requested run in turn, one
result file per run. By default the parent gives each run its own process (``--isolation run``).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from harness.process import child_protocol
from harness.errors import EXIT_OK, EXIT_USAGE
from harness.records.measurement_request import read_request
from harness.records.planned_run import PlannedRun
from harness.phase_b.run_conditions import conditions_after, conditions_before
from harness.phase_b.compile_warmup_note import compile_warmup_warning
from harness.phase_b.run_threads import apply_threads, threads_record
from harness.records.results import write_result
from harness.records.setup_config import read_setup_config
from harness.tasks.task_settings import is_video
from runners.backends import runs_on_gpu

log = logging.getLogger("jetson_benchmark.phase_b")


def _init_device(torch, device: str, setup: dict, needs_cuda: bool) -> dict:
    """Create the CUDA context now, when the runs need one, so it belongs to the baseline and not to the
    first run's load; a process whose runs stay on the CPU creates none (it would show up as GPU memory the
    run never used). cudnn.benchmark starts False; each run sets the value Phase A tuned for it."""
    torch.backends.cudnn.benchmark = False
    if needs_cuda:
        torch.cuda.set_device(torch.device(device))
        torch.zeros(1, device=device)
        torch.cuda.synchronize(device)
    return torch_math_settings(torch)


def torch_math_settings(torch) -> dict:
    """torch's TF32 switches as they are now (each torch run sets them for its precision at load)."""
    return {"cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
            "matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32)}


def jetson_power_state(setup: dict) -> tuple:
    """(state, reason it is unavailable, warning) of the power mode and clocks, read once per process on a
    Jetson (nvpmodel -q, jetson_clocks --show or sysfs). Nothing is changed: we only read."""
    if not setup.get("memory", {}).get("jetson"):
        return None, None, None
    from harness.telemetry.jetson_power_state import clocks_warning, read_power_state

    state, reason = read_power_state()
    return state, reason, (clocks_warning(state) if state else None)


def progress_reporter(run_id: str, measurement: dict, every_s: float = 1.0):
    """A pass callback that tells the parent how far the run is, at most every ``every_s`` seconds (it
    runs between passes, outside the timed region, and must stay cheap)."""
    last = [0.0]
    total = int(measurement["warmup"]) + int(measurement["iters"])

    def on_pass(index: int, warmup: bool) -> None:
        now = time.perf_counter()
        done = index + 1 + (0 if warmup else int(measurement["warmup"]))
        if now - last[0] >= every_s or done >= total:
            last[0] = now
            child_protocol.emit("pass", run_id=run_id, done=done, total=total, warmup=warmup)

    return on_pass


def carried_baseline_warning(result: dict, index: int) -> str:
    metrics = result.get("metrics") or {}
    held = ", ".join(f"{name} {metrics[name]:.0f} MiB" for name in ("baseline_rss_mb", "baseline_torch_reserved_mb")
                     if metrics.get(name) is not None)
    return (f"--isolation phase: this run shared its process with {index} earlier run(s), so its memory baseline "
            f"carries what they left ({held or 'not measured'}); --isolation run gives each run a clean baseline")


def read_conditions(read) -> dict:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - reading the conditions must never cost the measurement
        return {"conditions_error": f"{type(exc).__name__}: {exc}"}


def run_validity(before: dict, setup: dict, device: str, result: dict, requirements: dict) -> dict:
    """The run's verdict from its conditions (harness/measure/validity.py); a failure to read is said, not raised."""
    from harness.measure.validity import Requirements, judge

    conditions = read_conditions(lambda: conditions_after(before, setup, device, result))
    return {**judge(conditions, Requirements.from_dict(requirements)), "conditions": conditions}


def measure_and_write(request: dict, planned: PlannedRun, index: int, ctx: dict) -> None:
    """One run of this process: measured, annotated with the process facts, written atomically. Its part of the
    process's life (harness.measure.process_timeline) is in ``process.parts_s``; the parent adds the writing and the
    teardown from the ``run_end`` event's ``written_at`` and the process's exit."""
    from harness.phase_b.run_executor import execute_run

    torch, setup, measurement, timeline = ctx["torch"], ctx["setup"], request["measurement"], ctx["timeline"]
    first = 0 if index == 0 else len(timeline.parts)   # the first run carries the process's start-up
    parts_started_at = timeline.started_at if index == 0 else timeline.last
    run_id = planned.run_id
    identity = request["runs"][run_id]["identity"]
    child_protocol.emit("run_start", run_id=run_id, pid=os.getpid())
    cudnn_benchmark = planned.cudnn_benchmark
    torch.backends.cudnn.benchmark = cudnn_benchmark
    out_dir = Path(request["out_dir"])
    threads = planned.spec.modes.threads
    apply_threads(torch, threads, ctx["default_threads"])
    before = read_conditions(lambda: conditions_before(setup, ctx["device"], ctx["power"]))
    if is_video(planned):
        from harness.phase_b.video_executor import execute_vos_run

        result = execute_vos_run(planned, setup, ctx["config_path"], measurement, torch, ctx["device"],
                                 identity, telemetry_path=out_dir / "metrics.jsonl",
                                 masks_dir=str(out_dir / "masks") if measurement.get("save_masks") else None,
                                 timeline=timeline)
        timeline.close("summary")
    else:
        result = execute_run(planned, setup, ctx["config_path"], measurement, torch, ctx["device"], identity,
                             on_pass=progress_reporter(run_id, measurement) if request.get("progress") else None,
                             telemetry_path=out_dir / "metrics.jsonl", timeline=timeline,
                             runner_options={"intra_op_threads": threads} if threads else None)
    power_state, power_reason, clocks_note = ctx["power"]
    if power_state is not None or power_reason:
        result["power_state"] = power_state
        result["power_state_unavailable"] = power_reason
    if clocks_note:
        result.setdefault("warnings", []).append(clocks_note)
    started_at = ctx["process_started_at"]
    result["setup"] = {"config": str(ctx["config_path"]), "phase_a_pid": setup["phase_a"]["pid"],
                       "dataset_fingerprint": setup["dataset"]["fingerprint"], "dataset_frames": setup["dataset"]["frames"]}
    if request.get("isolation") == "phase" and index > 0:
        result.setdefault("warnings", []).append(carried_baseline_warning(result, index))
        result["baseline_carried_over"] = True
    result["environment"] = ctx["environment"]
    result["torch_settings"] = {**torch_math_settings(torch), "cudnn_benchmark": cudnn_benchmark,
                                "at_process_start": ctx["torch_settings"]}
    result["threads"] = threads_record(torch, threads, result.get("runner"))
    compile_note = compile_warmup_warning(result, setup)
    if compile_note:
        result.setdefault("warnings", []).append(compile_note)
    result["math_mode"] = identity["math_mode"]
    result["measurement"] = measurement
    result["validity"] = run_validity(before, setup, ctx["device"], result, request.get("validity"))
    timeline.close("validity")
    result["process"] = {"phase": "B", "pid": os.getpid(), "isolation": request.get("isolation"),
                         "process_started_at": started_at, "imports_and_device_init_s": ctx["imports_s"],
                         "run_index_in_process": index, "process_wall_s_at_write": time.time() - started_at,
                         "parts_s": timeline.since(first), "parts_started_at": parts_started_at,
                         "write_started_at": timeline.last, "launcher": forked_from()}
    write_result(out_dir, result)
    written_at = time.time()
    timeline.close("write_result")
    child_protocol.emit("run_end", run_id=run_id, status=result["status"], reason=result["reason"],
                        p50=result["metrics"].get("latency_ms_p50"), written_at=written_at)


def forked_from():
    """Under --isolation fork, the launcher this process was forked from: its pid and its torch import's seconds
    (paid once for the command, not by this process); None for a process that started as a new interpreter."""
    from harness.process.forked_start import launcher_record

    launcher = launcher_record()
    return None if launcher is None else {"pid": launcher.get("pid"), "import_s": launcher.get("import_s")}


def exit_now(code: int) -> None:
    """End the process as soon as its results are written: streams flushed, then os._exit. The interpreter's own
    shutdown (garbage-collecting torch's modules, joining library threads) took 1.5-2.5 s per process and did nothing
    a result needs: every file is written atomically and closed, telemetry and samplers are stopped in each run's
    close, and the driver frees a CUDA context when its process ends."""
    from harness.process.lifeline import end_process

    logging.shutdown()
    end_process(code)


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    return child_main("harness.phase_b", "B", measure_runs, argv, read_request=read_request,
                      extra_flags=[("--run_id", {"action": "append", "required": True})])


def measure_runs(request: dict, args) -> int:
    """This process's runs (``--run_id``, in order), after the imports and the device's start-up."""
    from harness.measure.process_timeline import ProcessTimeline

    timeline = ProcessTimeline()  # from the process's launch, whenever it is created
    config_path = Path(request["setup_config"])
    setup = read_setup_config(config_path)
    device = setup["device"]["resolved"]
    timeline.close("startup_imports")
    begun = time.perf_counter()
    import torch

    timeline.close("torch_import")
    from harness.hardware.environment import full_environment

    runs = [PlannedRun.from_dict(request["runs"][run_id]) for run_id in args.run_id]
    needs_cuda = any(runs_on_gpu(planned.spec.backend, setup["device"]) for planned in runs)
    torch_settings = _init_device(torch, device, setup, needs_cuda)
    imports_s = time.perf_counter() - begun
    environment = full_environment(device)
    timeline.close("device_init")

    context = {"config_path": config_path, "setup": setup, "device": device, "torch": torch,
               "power": jetson_power_state(setup), "process_started_at": timeline.started_at, "imports_s": imports_s,
               "environment": environment, "torch_settings": torch_settings, "timeline": timeline,
               "default_threads": torch.get_num_threads()}
    for index, planned in enumerate(runs):
        try:
            measure_and_write(request, planned, index, context)
        except OSError as exc:
            from harness.files.disk_errors import disk_error_message

            if disk_error_message(exc) is None:
                raise
            child_protocol.emit("disk_error", run_id=planned.run_id, message=f"Phase B {disk_error_message(exc)}")
            return EXIT_USAGE
    return EXIT_OK
