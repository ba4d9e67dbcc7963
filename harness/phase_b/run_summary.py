"""A measured run's figures, assembled into its result from the raw passes, the memory tracker, telemetry and
the checks after the passes. Pure bookkeeping: nothing here runs the model."""

from __future__ import annotations

import logging
import traceback

from harness.measure.latency_stats import throughput_img_per_s
from harness.process.oom import is_oom_exception
from harness.phase_b.run_warnings import run_warnings
from harness.phase_b.timing_figures import timing_metrics
from harness.records.results import STATUS_FAILED, STATUS_SKIPPED, STATUS_SKIPPED_OOM
from harness.records.planned_run import PlannedRun

log = logging.getLogger("jetson_benchmark.phase_b")


def fill_figures(result: dict, ctx, measured, post: dict, model_load_s: float) -> None:
    """Samples, metrics and the reason for every missing one."""
    passes = measured.passes
    busy_s = sum(passes.latency_ms) / 1000.0
    images = ctx.planned.spec.batch * ctx.runner.batches_per_pass() * len(passes.latency_ms)
    telemetry_metrics, telemetry_details, telemetry_unavailable = ctx.telemetry.figures(images, busy_s)
    timing_figures, timing_unavailable = timing_metrics(passes, measured.why_no_gpu)
    budget, budget_unmeasured = budget_figures(ctx.memory, measured.budget_peak_mb)
    loop_figures, loop_samples, loop_unavailable = loop_specific(passes, ctx.planned.spec.batch, images)
    placement, placement_unavailable = layer_placement_figures(ctx.runner)
    host, host_unavailable = host_load_figures(measured.host_load)
    result["samples"] = {"latency_ms": passes.latency_ms, "warmup_latency_ms": passes.warmup_ms, **passes.extra,
                         **loop_samples, **post.get("samples", {})}
    result["metrics"] = {
        **timing_figures, "throughput_img_per_s": throughput_img_per_s(images, busy_s), "model_load_s": model_load_s,
        **loop_figures, **ctx.tracker.figures, **post.get("metrics", {}), **telemetry_metrics,
        "compile_s": getattr(ctx.runner, "compile_s", None), **budget, **placement, **host}
    result["unavailable"] = {**ctx.tracker.unavailable, **telemetry_unavailable, **timing_unavailable, **loop_unavailable,
                             **post.get("unavailable", {}), **budget_unmeasured, **placement_unavailable,
                             **host_unavailable}
    if result["metrics"]["compile_s"] is None:
        result["unavailable"]["compile_s"] = "only torch_compile runs compile"
    result["accuracy"], result["fidelity"] = post.get("accuracy", {}), post.get("fidelity", {})
    result["telemetry"] = telemetry_details
    result["warnings"] = run_warnings(result["metrics"], result["unavailable"], telemetry_details) + post.get("warnings", [])
    result["timings"] = {"model_load_s": model_load_s, "warmup_s": sum(passes.warmup_ms) / 1000.0,
                         "measured_busy_s": busy_s, "measured_wall_s": passes.measured_wall_s,
                         "measure_started_at": measured.started_at}
    feed = measured.feed
    result["feed"] = {"chunks_loaded": feed.chunks_loaded, "max_resident_frames": feed.max_resident_frames,
                      "max_frames_in_mem": int(ctx.measurement["max_frames_in_mem"]),
                      "frames_served": feed.frames_served, "rewarm_passes": passes.rewarm_passes,
                      "dataset_frames": measured.dataset_frames}


def loop_specific(passes, batch: int, images: int) -> tuple:
    """(figures, samples, unavailable) that depend on the measured loop: sustained throughput for every run; the
    arrival figures of a paced run; for a pipelined run, throughput_img_per_s is undefined (its passes overlap)."""
    from harness.measure.paced_loop import PACED_FIGURES, PacedPasses, paced_figures
    from harness.measure.pipeline_loop import PipelinedPasses

    wall = passes.measured_wall_s
    figures = {"sustained_img_per_s": images / wall if wall else None}
    samples, unavailable = {}, {}
    if isinstance(passes, PacedPasses):
        figures.update(paced_figures(passes, batch))
        samples = {"arrival_latency_ms": passes.arrival_latency_ms, "queue_ms": passes.queue_ms}
    else:
        figures.update({name: None for name in PACED_FIGURES})
        unavailable.update({name: "back to back: no --arrival_fps schedule" for name in PACED_FIGURES})
    if isinstance(passes, PipelinedPasses):
        figures["throughput_img_per_s"] = None
        unavailable["throughput_img_per_s"] = (f"{passes.depth} batches in flight: passes overlap, so batch / latency "
                                               "is not a throughput; see sustained_img_per_s")
        for part in ("prepare_ms_p50", "prepare_ms_mean", "enqueue_ms_p50", "enqueue_ms_mean"):
            unavailable[part] = "a pipelined pass is submitted in one step; it has no prepare / enqueue breakdown"
    return figures, samples, unavailable


PLACEMENT_FIGURES = ("dla_layers_n", "gpu_layers_n")


def host_load_figures(host_load: tuple) -> tuple:
    """(figures, unavailable) of the host's load during the measured window (harness/measure/host_interference.py)."""
    from harness.measure.host_interference import HOST_FIGURES

    figures, why = host_load
    if figures is None:
        return {name: None for name in HOST_FIGURES}, {name: why for name in HOST_FIGURES}
    return figures, {name: "the kernel reports no run queue here" for name, value in figures.items() if value is None}


def layer_placement_figures(runner) -> tuple:
    """(dla_layers_n and gpu_layers_n, why each missing one is missing): a TensorRT engine's layers by where they
    run, as its engine inspector reports them (the runner reads them at load)."""
    placement = getattr(runner, "layer_placement", None)
    if placement is None:
        why = "only TensorRT engines report where their layers run (the engine inspector)"
    else:
        why = placement.get("unavailable")
    if why:
        return {name: None for name in PLACEMENT_FIGURES}, {name: why for name in PLACEMENT_FIGURES}
    return {name: placement[name] for name in PLACEMENT_FIGURES}, {}


def budget_figures(memory: dict, budget_peak) -> tuple:
    """(gpu_mem_limit_mb and budget_peak_pct, why each missing one is missing)."""
    budget_mb = memory.get("budget_mb")
    figures = {"gpu_mem_limit_mb": budget_mb,
               "budget_peak_pct": (budget_peak / budget_mb * 100.0) if (budget_peak is not None and budget_mb) else None}
    return figures, budget_unavailable(memory, budget_peak)


def budget_unavailable(memory: dict, budget_peak) -> dict:
    if memory.get("budget_mb") is None:
        why = memory.get("budget_source") or "no GPU memory budget"
        return {name: why for name in ("gpu_mem_limit_mb", "budget_peak_pct", "budget_violations_n")}
    if budget_peak is None:
        why = "no sampled GPU memory figure to compare with the budget"
        return {"budget_peak_pct": why, "budget_violations_n": why}
    return {}


def attach_calibration(result: dict, planned: PlannedRun) -> None:
    """An INT8 engine: how it was calibrated travels with every one of its results, with its warning."""
    calibration = planned.calibration
    if not calibration:
        return
    result["calibration"] = calibration
    if calibration.get("random"):
        result.setdefault("warnings", []).append("INT8 calibrated on random data (--int8_random_calibration): the "
                                                 "speed is real, the accuracy is meaningless")
    elif calibration.get("warning"):
        result.setdefault("warnings", []).append(calibration["warning"])


def record_exception(result: dict, exc: BaseException, stage: str) -> None:
    """How a run's exception ends it: a backend that cannot run here is ``skipped`` with its reason, an
    interrupt propagates, anything else is :func:`record_failure`'s status (logged)."""
    from runners.base import BackendUnavailable

    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if isinstance(exc, BackendUnavailable):
        result["status"], result["reason"] = STATUS_SKIPPED, str(exc)
        return
    record_failure(result, exc, stage)
    log.warning("run %s: %s", result["run_id"], result["reason"])


def record_failure(result: dict, exc: BaseException, stage: str) -> None:
    """An exception becomes the run's status: skipped_oom when it is an out-of-memory error, failed otherwise."""
    oom = is_oom_exception(exc)
    result["status"] = STATUS_SKIPPED_OOM if oom else STATUS_FAILED
    if oom:
        result["oom_evidence"] = "observed"
    message = " ".join(str(exc).split())  # every line of the message: its last one is often the useful one
    result["reason"] = f"{'out of memory' if oom else 'error'} during {stage}: {type(exc).__name__}: {message}"[:1000]
    result["evidence"] = {"exception": type(exc).__name__, "stage": stage,
                          "traceback_tail": traceback.format_exc().splitlines()[-12:]}


UNIFIED_SOFT_NOTE = ("on a Jetson the CPU and the GPU share one memory pool: the cap bounds this backend's own GPU "
                     "allocator, not what the process's host side, other processes and the OS take from the same pool, "
                     "so the run can still run the board out of memory below it")


def on_unified_memory(memory_limit: dict, memory: dict) -> dict:
    """A real Jetson's hard cap is soft for the board: it caps one allocator, not the shared pool."""
    if not memory.get("unified_memory") or memory_limit.get("limit_type") != "hard":
        return memory_limit
    return {**memory_limit, "limit_type": "soft", "note": f"{memory_limit.get('note') or ''}; {UNIFIED_SOFT_NOTE}".lstrip("; ")}


def memory_budget_record(memory_limit: dict, memory: dict, tracker) -> dict:
    """How the GPU memory budget applied to a run: the backend's enforcement, the profile, the figure checked."""
    return {**on_unified_memory(memory_limit, memory), "limit_mb": memory.get("budget_mb"), "budget_source": memory.get("budget_source"),
            "profile": memory.get("profile_name"), "emulated_profile": memory.get("emulated"),
            "unified_memory": bool(memory.get("unified_memory")), "budget_figure": tracker.notes.get("budget_figure"),
            "violations_n": tracker.figures.get("budget_violations_n"),
            "budget_headroom_mb": tracker.figures.get("budget_headroom_mb"),
            "headroom": tracker.notes.get("budget_headroom")}
