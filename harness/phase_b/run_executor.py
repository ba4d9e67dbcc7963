"""One run inside a Phase B process: load, warm up, measure, summarize, release.

The figures are computed here from the raw samples; the runner only runs the model, the memory tracker
only reads memory. Whatever goes wrong ends as a result with a status, never as a crash of the process.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

from harness.measure.latency_stats import throughput_img_per_s
from harness.measure.memory_tracker import MemoryTracker
from harness.measure.timing_loop import run_passes
from harness.oom import is_oom_exception
from harness.phase_b.accuracy_check import check_accuracy
from harness.phase_b.e2e_passes import SERIES
from harness.phase_b.fidelity_check import check_fidelity
from harness.phase_b.run_task import run_input, run_task
from harness.tasks.base import Figures
from harness.measure.gpu_memory_sources import cuda_device_uuid
from harness.phase_b.frame_feed import FrameFeed, SequenceFrames
from harness.phase_b.pass_step import make_step
from harness.phase_b.run_warnings import run_warnings
from harness.phase_b.timing_figures import timing_metrics
from harness.phase_b.run_telemetry import RunTelemetry
from harness.results import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, STATUS_SKIPPED_OOM, new_result
from harness.setup_config import resolve_path
from runners.base import BackendUnavailable
from runners.registry import runner_class

log = logging.getLogger("jetson_benchmark.phase_b")


def sequences_for(setup: dict, config_path: Path, frames_key: str) -> list:
    return [
        SequenceFrames(s["name"], str(resolve_path(config_path, s["frames"][str(frames_key)])), int(s["num_frames"]))
        for s in setup["dataset"]["sequences"]
        if str(frames_key) in s["frames"] and int(s["num_frames"]) > 0
    ]


def guarded(name: str, figure_names, run_id: str, work) -> Figures:
    """Run one check after the measurement; an exception (other than running out of memory, which is the run's
    verdict) leaves its figures empty with the reason and never loses the measurement."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - the timing figures stand; only this check's figures are missing
        if is_oom_exception(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        why = f"the {name} check failed: {type(exc).__name__}: {first}"[:300]
        log.warning("run %s: %s", run_id, why)
        return Figures(details={f"{name}_error": why}).missing(figure_names, why)


def e2e_figures(runner, task, spec, planned: dict, setup: dict, config_path: Path, measurement: dict,
                torch_module) -> Figures:
    from harness.phase_b.e2e_passes import original_frames, run_e2e

    frames = original_frames(setup, config_path, min(int(measurement["max_frames_in_mem"]), 64))
    samples, figures, unavailable = run_e2e(
        runner, frames, int(planned["batch"]), spec, int(measurement["iters"]),
        float(measurement.get("min_duration_s", 0.0)), task, torch_module, int(measurement["warmup"]))
    return Figures(metrics=figures, details={"samples": {f"e2e.{k}": v for k, v in samples.items()}},
                   unavailable=unavailable)


def post_measurement(runner, planned: dict, setup: dict, config_path: Path, measurement: dict, torch_module,
                     device: str) -> dict:
    """After the measured passes, outside the timed region: the --e2e loop, fidelity against the FP32 reference,
    accuracy, each asked of the run's task and each guarded on its own."""
    task, spec = run_task(planned), run_input(planned)
    out = {"samples": {}, "metrics": {}, "unavailable": {}, "fidelity": {}, "accuracy": {}}
    run_id = planned["run_id"]
    if ((planned.get("extra") or {}).get("runner_options") or {}).get("e2e"):
        e2e = guarded("e2e", [f"{s}_{k}" for s in SERIES for k in ("p50", "p99", "mean")], run_id,
                      lambda: e2e_figures(runner, task, spec, planned, setup, config_path, measurement, torch_module))
        out["samples"].update(e2e.details.pop("samples", {}))
        out["metrics"].update(e2e.metrics)
        out["unavailable"].update(e2e.unavailable)
    for name, figure_names, work in (
            ("fidelity", task.fidelity_figures,
             lambda: check_fidelity(runner, task, planned, setup, config_path, spec.frames_key, device)),
            ("accuracy", task.accuracy_figures,
             lambda: check_accuracy(runner, task, spec, planned, setup, config_path, measurement))):
        figures = guarded(name, figure_names, run_id, work)
        out["metrics"].update(figures.metrics)
        out["unavailable"].update(figures.unavailable)
        out[name] = figures.details
    return out


def execute_run(planned: dict, setup: dict, config_path: Path, measurement: dict, torch_module, device: str,
                run_key: str, on_pass=None, runner_options: dict = None, telemetry_path: Path = None,
                post_checks: bool = True) -> dict:
    """Measure one planned run in this process. ``setup`` needs ``dataset.sequences`` and ``memory``.
    ``telemetry_path``: the metrics.jsonl to append to (None: no telemetry, as in Phase A's probes).
    ``post_checks``: run the e2e loop, fidelity and accuracy after the passes (Phase A's probes do not: they
    only need to know whether the run fits)."""
    run_started = time.perf_counter()
    result = new_result(planned, STATUS_OK, run_key)
    memory = setup.get("memory", {})
    budget_mb = memory.get("budget_mb")
    tracker = MemoryTracker(torch_module, device, float(measurement.get("memory_sample_ms", 20)) / 1000.0,
                            budget_mb, bool(memory.get("unified_memory")), bool(memory.get("jetson")))
    telemetry = RunTelemetry(telemetry_path, planned["run_id"], device, bool(memory.get("jetson")),
                             float(measurement.get("metrics_interval_s", 0.5)),
                             cuda_device_uuid(torch_module, device) if device.startswith("cuda") else None)
    tracker.baseline()
    telemetry.mark("load")
    spec = run_input(planned)
    runner = runner_class(planned["backend"])(planned["artifact"], device, planned["precision"],
                                              spec.size, int(planned["batch"]), memory_budget_mb=budget_mb,
                                              options={**((planned.get("extra") or {}).get("runner_options") or {}),
                                                       **(runner_options or {})}, input_spec=spec)
    result["task"] = run_task(planned).describe()
    result["input"] = spec.to_dict()
    stage = "load"
    try:
        begun = time.perf_counter()
        tracker.begin_load()
        runner.load()
        runner.synchronize()
        tracker.end_load()
        model_load_s = time.perf_counter() - begun
        result["runner"] = runner.describe()

        stage = "measure"
        sequences = sequences_for(setup, config_path, spec.frames_key)
        feed = FrameFeed(sequences, int(planned["batch"]),
                         int(measurement["max_frames_in_mem"]), on_chunk_change=runner.cleanup)

        step, why_no_gpu = make_step(runner, torch_module)

        measure_started = {}

        def begin_measure():
            telemetry.mark("measure")
            tracker.begin_measure()
            measure_started["at"] = time.time()

        telemetry.mark("warmup")
        passes = run_passes(step, feed.batches(), int(measurement["warmup"]), int(measurement["iters"]),
                            min_duration_s=float(measurement.get("min_duration_s", 0.0)),
                            on_pass=on_pass, on_measure_start=begin_measure, needs_rewarm=feed.take_cleanup_flag)
        telemetry.mark("after")
        tracker.end_measure()
        budget_peak = tracker.budget_peak_mb()
        stage = "the checks after the measured passes (e2e, fidelity, accuracy)"
        post = (post_measurement(runner, planned, setup, config_path, measurement, torch_module, device)
                if post_checks else {})
        stage = "summary"
        busy_s = sum(passes.latency_ms) / 1000.0
        images = int(planned["batch"]) * runner.batches_per_pass() * len(passes.latency_ms)
        telemetry_metrics, telemetry_details, telemetry_unavailable = telemetry.figures(images, busy_s)
        result["samples"] = {"latency_ms": passes.latency_ms, "warmup_latency_ms": passes.warmup_ms, **passes.extra,
                             **post.get("samples", {})}
        timing_figures, timing_unavailable = timing_metrics(passes, why_no_gpu)
        result["metrics"] = {
            **timing_figures,
            "throughput_img_per_s": throughput_img_per_s(images, busy_s),
            "model_load_s": model_load_s,
            **tracker.figures,
            **post.get("metrics", {}),
            **telemetry_metrics,
            "compile_s": getattr(runner, "compile_s", None),
            "gpu_mem_limit_mb": budget_mb,
            "budget_peak_pct": (budget_peak / budget_mb * 100.0) if (budget_peak is not None and budget_mb) else None,
        }
        result["unavailable"] = {**tracker.unavailable, **telemetry_unavailable, **timing_unavailable,
                                 **post.get("unavailable", {})}
        result["accuracy"] = post.get("accuracy", {})
        result["fidelity"] = post.get("fidelity", {})
        result["telemetry"] = telemetry_details
        result["warnings"] = run_warnings(result["metrics"], result["unavailable"], telemetry_details)
        calibration = (planned.get("extra") or {}).get("calibration")
        if calibration:  # an INT8 engine: how it was calibrated travels with every one of its results
            result["calibration"] = calibration
            if calibration.get("random"):
                result["warnings"].append("INT8 calibrated on random data (--int8_random_calibration): the speed is "
                                          "real, the accuracy is meaningless")
            elif calibration.get("warning"):
                result["warnings"].append(calibration["warning"])
        if result["metrics"]["compile_s"] is None:
            result["unavailable"]["compile_s"] = "only torch_compile runs compile"
        if budget_mb is None:
            for name in ("gpu_mem_limit_mb", "budget_peak_pct", "budget_violations_n"):
                result["unavailable"][name] = memory.get("budget_source") or "no GPU memory budget"
        elif budget_peak is None:
            result["unavailable"]["budget_peak_pct"] = "no sampled GPU memory figure to compare with the budget"
            result["unavailable"]["budget_violations_n"] = result["unavailable"]["budget_peak_pct"]
        result["memory_notes"] = dict(tracker.notes)
        result["timings"] = {"model_load_s": model_load_s, "warmup_s": sum(passes.warmup_ms) / 1000.0,
                             "measured_busy_s": busy_s, "measured_wall_s": passes.measured_wall_s,
                             "measure_started_at": measure_started.get("at")}
        result["feed"] = {"chunks_loaded": feed.chunks_loaded, "max_resident_frames": feed.max_resident_frames,
                          "max_frames_in_mem": int(measurement["max_frames_in_mem"]),
                          "frames_served": feed.frames_served, "rewarm_passes": passes.rewarm_passes,
                          "dataset_frames": sum(s.num_frames for s in sequences)}
    except BackendUnavailable as exc:
        result["status"], result["reason"] = STATUS_SKIPPED, str(exc)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a recorded status
        if isinstance(exc, KeyboardInterrupt):
            raise
        oom = is_oom_exception(exc)
        result["status"] = STATUS_SKIPPED_OOM if oom else STATUS_FAILED
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        result["reason"] = f"{'out of memory' if oom else 'error'} during {stage}: {type(exc).__name__}: {first_line}"[:500]
        result["evidence"] = {"exception": type(exc).__name__, "stage": stage,
                              "traceback_tail": traceback.format_exc().splitlines()[-12:]}
        log.warning("run %s: %s", planned["run_id"], result["reason"])
    finally:
        result["memory_budget"] = {
            **runner.memory_limit, "limit_mb": budget_mb, "budget_source": memory.get("budget_source"),
            "profile": memory.get("profile_name"), "emulated_profile": memory.get("emulated"),
            "unified_memory": bool(memory.get("unified_memory")), "budget_figure": tracker.notes.get("budget_figure"),
            "violations_n": tracker.figures.get("budget_violations_n")}
        tracker.close()
        telemetry.stop()
        try:
            runner.release()
        except Exception:  # noqa: BLE001 - release after a failure may fail too; the status stands
            log.debug("release failed", exc_info=True)
    result["timings"] = {**result.get("timings", {}), "run_wall_s": time.perf_counter() - run_started}
    return result
