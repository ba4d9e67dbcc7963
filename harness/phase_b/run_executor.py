"""One run inside a Phase B process: load, warm up, measure, summarize, release.

The figures are computed here from the raw samples; the runner only runs the model, the memory tracker
only reads memory. Whatever goes wrong ends as a result with a status, never as a crash of the process.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.measure.fidelity import FIDELITY_PASS
from harness.measure.memory_tracker import MemoryTracker
from harness.measure.process_timeline import NoTimeline
from harness.records.planned_run import PlannedRun
from harness.measure.paced_loop import run_paced_passes
from harness.measure.pipeline_loop import run_pipelined_passes
from harness.measure.host_interference import HostLoadSampler
from harness.measure.timing_loop import run_passes
from harness.process.check_failure import check_failure
from harness.phase_b.accuracy_check import check_accuracy
from harness.phase_b.e2e_passes import SERIES
from harness.phase_b.fidelity_check import check_fidelity
from harness.phase_b.run_task import run_input, run_task
from harness.tasks.base import Figures
from harness.phase_b.frame_feed import FrameFeed, SequenceFrames
from harness.phase_b.pass_step import make_step
from harness.phase_b.run_summary import attach_calibration, fill_figures, memory_budget_record, record_exception
from harness.phase_b.run_telemetry import RunTelemetry
from harness.phase_b.run_watchers import open_watchers
from harness.records.results import STATUS_OK, new_result
from harness.records.setup_config import resolve_path
from runners.registry import runner_class

log = logging.getLogger("jetson_benchmark.phase_b")


def sequences_for(setup: dict, config_path: Path, frames_key: str) -> list:
    return [
        SequenceFrames(s["name"], str(resolve_path(config_path, s["frames"][str(frames_key)])), int(s["num_frames"]))
        for s in setup["dataset"]["sequences"]
        if str(frames_key) in s["frames"] and int(s["num_frames"]) > 0
    ]


def guarded(name: str, figure_names, run_id: str, work) -> Figures:
    """Run one check after the measurement. An exception leaves its figures empty with the reason (one line) and
    never loses the measurement; running out of memory inside a check is reported as such
    (``details[name + "_oom"]``), and the run keeps its timings too."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - the timing figures stand; only this check's figures are missing
        why, oom = check_failure(f"the {name} check", exc)
        log.warning("run %s: %s", run_id, why)
        details = {f"{name}_error": why, **({f"{name}_oom": True} if oom else {})}
        return Figures(details=details).missing(figure_names, why)


def e2e_figures(runner, task, spec, planned: PlannedRun, setup: dict, config_path: Path, measurement: dict,
                torch_module) -> Figures:
    from harness.phase_b.e2e_passes import original_frames, run_e2e

    frames = original_frames(setup, config_path, min(int(measurement["max_frames_in_mem"]), 64))
    samples, figures, unavailable = run_e2e(
        runner, frames, planned.spec.batch, spec, int(measurement["iters"]),
        float(measurement.get("min_duration_s", 0.0)), task, torch_module, int(measurement["warmup"]))
    return Figures(metrics=figures, details={"samples": {f"e2e.{k}": v for k, v in samples.items()}},
                   unavailable=unavailable)


def post_measurement(runner, planned: PlannedRun, setup: dict, config_path: Path, measurement: dict, torch_module,
                     device: str, timeline=None) -> dict:
    """After the measured passes, outside the timed region: the --e2e loop, fidelity against the FP32 reference,
    accuracy, each asked of the run's task and each guarded on its own, each its own part of the process's life."""
    timeline = timeline or NoTimeline()
    task, spec = run_task(planned), run_input(planned)
    out = {"samples": {}, "metrics": {}, "unavailable": {}, "fidelity": {}, "accuracy": {}, "warnings": []}
    run_id = planned.run_id
    if planned.runner_options.get("e2e"):
        e2e = guarded("e2e", [f"{s}_{k}" for s in SERIES for k in ("p50", "p99", "mean")], run_id,
                      lambda: e2e_figures(runner, task, spec, planned, setup, config_path, measurement, torch_module))
        out["samples"].update(e2e.details.pop("samples", {}))
        out["warnings"] += [e2e.details["e2e_error"]] if "e2e_error" in e2e.details else []
        out["metrics"].update(e2e.metrics)
        out["unavailable"].update(e2e.unavailable)
        timeline.close("check_e2e")
    for name, figure_names, work in (
            ("fidelity", (*task.fidelity_figures, FIDELITY_PASS) if task.fidelity_gate else task.fidelity_figures,
             lambda: check_fidelity(runner, task, planned, setup, config_path, spec.frames_key, device)),
            ("accuracy", task.accuracy_figures,
             lambda: check_accuracy(runner, task, spec, planned, setup, config_path, measurement))):
        figures = guarded(name, figure_names, run_id, work)
        out["warnings"] += [figures.details[key] for key in (f"{name}_error", "hook_error") if key in figures.details]
        out["metrics"].update(figures.metrics)
        out["unavailable"].update(figures.unavailable)
        out[name] = figures.details
        timeline.close(f"check_{name}")
    if measurement.get("layer_profile"):
        out["layer_profile"] = profiled(runner, planned, setup, config_path, spec.frames_key)
        timeline.close("check_layer_profile")
    return out


LAYER_PROFILE_PASSES = 10


def profiled(runner, planned: PlannedRun, setup: dict, config_path: Path, frames_key: str) -> dict:
    """--layer_profile: the top layers or operators of 10 untimed passes on one batch; a failure says why."""
    from harness.data.frame_store import open_frames
    from harness.measure.layer_profile import top_entries
    from runners.layer_profiles import layer_profile

    try:
        first = setup["dataset"]["sequences"][0]
        frames = open_frames(Path(config_path).parent / first["frames"][str(frames_key)])
        batch = np.ascontiguousarray(frames[np.arange(planned.spec.batch) % len(frames)])
        profile = layer_profile(runner, batch, LAYER_PROFILE_PASSES)
        entries = profile.pop("entries")
        return {**profile, **top_entries(entries), "passes": LAYER_PROFILE_PASSES, "batch": planned.spec.batch}
    except Exception as exc:  # noqa: BLE001 - the profile is extra; the run's figures stand
        return {"unavailable": f"{type(exc).__name__}: {exc}"[:300]}


def checked(ctx, planned, setup, config_path, measurement, torch_module, device) -> dict:
    """The checks after the measured passes, inside their own memory window."""
    ctx.tracker.begin_checks()
    try:
        return post_measurement(ctx.runner, planned, setup, config_path, measurement, torch_module, device,
                                ctx.timeline)
    finally:
        ctx.tracker.end_checks()


@dataclass
class RunContext:
    """What one run's steps share."""

    planned: PlannedRun
    setup: dict
    config_path: Path
    measurement: dict
    torch: object
    device: str
    tracker: MemoryTracker
    telemetry: RunTelemetry
    runner: object = None
    spec: object = None
    timeline: object = field(default_factory=NoTimeline)   # harness.measure.process_timeline

    @property
    def memory(self) -> dict:
        return self.setup.get("memory", {})

    @property
    def budget_mb(self):
        return self.memory.get("budget_mb")


@dataclass
class Measured:
    passes: object
    feed: FrameFeed
    why_no_gpu: str
    started_at: float
    budget_peak_mb: float
    dataset_frames: int
    host_load: tuple = (None, "the measured window was not sampled")  # (figures, why None)


def open_run(planned: PlannedRun, setup: dict, config_path: Path, measurement: dict, torch_module, device: str,
             telemetry_path, runner_options) -> RunContext:
    """The tracker's baseline (before anything of the run exists), telemetry, and the runner (not loaded)."""
    memory = setup.get("memory", {})
    tracker, telemetry = open_watchers(planned, setup, measurement, torch_module, device, telemetry_path)
    ctx = RunContext(planned, setup, config_path, measurement, torch_module, device, tracker, telemetry)
    tracker.baseline()
    telemetry.mark("load")
    ctx.spec = run_input(planned)
    options = {**planned.runner_options, **(runner_options or {})}
    ctx.runner = runner_class(planned.spec.backend)(planned.artifact, device, planned.spec.precision, ctx.spec.size,
                                                  planned.spec.batch, memory_budget_mb=memory.get("budget_mb"),
                                                  options=options, input_spec=ctx.spec)
    return ctx


def load_model(ctx: RunContext) -> float:
    """Load onto the device, timed (model_load_s), with the tracker's load window around it."""
    begun = time.perf_counter()
    ctx.tracker.begin_load()
    ctx.runner.load()
    ctx.runner.synchronize()
    ctx.tracker.end_load()
    return time.perf_counter() - begun


def measure(ctx: RunContext, on_pass, sample_host: bool = True) -> Measured:
    """Warm-up and measured passes over the frame feed, the tracker's measure window around the measured ones:
    back to back (the default), paced at --arrival_fps, or --pipeline N batches in flight. ``sample_host``: read the
    host's load in the window (a run's verdict needs it; Phase A's probes, which only ask whether a batch fits, start
    no sampler thread)."""
    sequences = sequences_for(ctx.setup, ctx.config_path, ctx.spec.frames_key)
    feed = FrameFeed(sequences, ctx.planned.spec.batch, int(ctx.measurement["max_frames_in_mem"]),
                     on_chunk_change=ctx.runner.cleanup)
    started = {}
    host_load = HostLoadSampler() if sample_host else None

    def begin_measure():
        ctx.timeline.close("warmup")
        ctx.telemetry.mark("measure")
        ctx.tracker.begin_measure()
        started["at"] = time.time()
        if host_load is not None:
            host_load.start()

    ctx.telemetry.mark("warmup")
    try:
        passes, why_no_gpu = measured_loop(ctx, feed, on_pass, begin_measure)
    finally:
        if host_load is not None:
            host_load.stop()
    ctx.telemetry.mark("after")
    ctx.tracker.end_measure()
    ctx.timeline.close("measured")
    return Measured(passes, feed, why_no_gpu, started.get("at"), ctx.tracker.budget_peak_mb(),
                    sum(s.num_frames for s in sequences),
                    host_load.result() if host_load is not None else (None, "a probe: the host's load is not judged"))


def measured_loop(ctx: RunContext, feed: FrameFeed, on_pass, begin_measure) -> tuple:
    """(passes, why GPU compute is not measured) from the loop the run's modes ask for."""
    modes = ctx.planned.spec.modes
    warmup, iters = int(ctx.measurement["warmup"]), int(ctx.measurement["iters"])
    min_duration_s = float(ctx.measurement.get("min_duration_s", 0.0))
    if modes.pipeline > 1:
        passes = run_pipelined_passes(ctx.runner.pipeline(modes.pipeline), feed.batches(), modes.pipeline, warmup,
                                      iters, min_duration_s, on_measure_start=begin_measure)
        return passes, (f"{modes.pipeline} batches in flight overlap on the GPU: per-batch GPU compute is not "
                        "defined; see sustained_img_per_s and the end-to-end latency")
    step, why_no_gpu = make_step(ctx.runner, ctx.torch)
    if modes.arrival_fps is not None:
        interval_s = ctx.planned.spec.batch / modes.arrival_fps
        return run_paced_passes(step, feed.batches(), warmup, iters, interval_s, modes.arrival, min_duration_s,
                                on_pass=on_pass, on_measure_start=begin_measure), why_no_gpu
    return run_passes(step, feed.batches(), warmup, iters, min_duration_s=min_duration_s, on_pass=on_pass,
                      on_measure_start=begin_measure, needs_rewarm=feed.take_cleanup_flag), why_no_gpu


def close_run(ctx: RunContext, result: dict) -> None:
    result["memory_budget"] = memory_budget_record(ctx.runner.memory_limit, ctx.memory, ctx.tracker)
    ctx.tracker.close()
    ctx.telemetry.stop()
    try:
        ctx.runner.release()
    except Exception:  # noqa: BLE001 - release after a failure may fail too; the status stands
        log.debug("release failed", exc_info=True)


def execute_run(planned: PlannedRun, setup: dict, config_path: Path, measurement: dict, torch_module, device: str,
                identity: dict, on_pass=None, runner_options: dict = None, telemetry_path: Path = None,
                post_checks: bool = True, timeline=None) -> dict:
    """Measure one planned run in this process: open, load, measure, check, summarize, close. ``setup`` needs
    ``dataset.sequences`` and ``memory``. ``telemetry_path``: the metrics.jsonl to append to (None: no
    telemetry, as in Phase A's probes). ``post_checks``: run the e2e loop, fidelity and accuracy after the
    passes (Phase A's probes do not: they only need to know whether the run fits)."""
    run_started = time.perf_counter()
    result = new_result(planned, STATUS_OK, identity)
    ctx = open_run(planned, setup, config_path, measurement, torch_module, device, telemetry_path, runner_options)
    ctx.timeline = timeline or NoTimeline()
    result["task"], result["input"] = run_task(planned).describe(), ctx.spec.to_dict()
    stage = "load"
    try:
        model_load_s = load_model(ctx)
        ctx.timeline.close("model_load")
        result["runner"] = ctx.runner.describe()
        stage = "measure"
        measured = measure(ctx, on_pass, sample_host=post_checks)
        stage = "the checks after the measured passes (e2e, fidelity, accuracy)"
        post = checked(ctx, planned, setup, config_path, measurement, torch_module, device) if post_checks else {}
        stage = "summary"
        fill_figures(result, ctx, measured, post, model_load_s)
        attach_calibration(result, planned)
        if post.get("layer_profile"):
            result["layer_profile"] = post["layer_profile"]
        result["memory_notes"] = dict(ctx.tracker.notes)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a recorded status
        record_exception(result, exc, stage)
    finally:
        close_run(ctx, result)
    result["timings"] = {**result.get("timings", {}), "run_wall_s": time.perf_counter() - run_started}
    ctx.timeline.close("summary")
    return result
