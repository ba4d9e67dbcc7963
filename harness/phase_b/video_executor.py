"""One ``vos`` run inside its Phase B process, the video counterpart of run_executor.py: the result record, the
memory tracker's baseline and the run's telemetry, the video model loaded once (timed, under the run's memory
budget), its videos measured one at a time (harness/video/run.py), the encoder check, the host's load and the
budget's figures. Whatever goes wrong with the run itself ends as a status, never as a crash.

It stays in Phase B because it writes what every run's result holds with Phase B's own helpers (run_summary,
run_task, run_telemetry), as the image runs do; the video package below it never imports a phase.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.measure.host_interference import HostLoadSampler
from harness.measure.process_timeline import NoTimeline
from harness.phase_b.run_summary import budget_figures, host_load_figures, memory_budget_record, record_exception
from harness.phase_b.run_task import run_task
from harness.phase_b.run_watchers import open_watchers
from harness.records.results import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, STATUS_SKIPPED_OOM, new_result
from harness.video.encoder_check import MaskKeeper
from harness.video.loader import load_vos_model
from harness.video.masks import MaskWriter
from harness.video.run import (VideoRunner, add_encoder_check, annotated_videos, fill_vos_figures,
                               preload_scoring_libraries)
from runners.base import unenforced
from harness.records.planned_run import PlannedRun


def execute_vos_run(planned: PlannedRun, setup: dict, config_path: Path, measurement: dict, torch_module, device: str,
                    identity: dict, telemetry_path: Path = None, masks_dir: str = None, timeline=None) -> dict:
    started = time.perf_counter()
    timeline = timeline or NoTimeline()
    result = new_result(planned, STATUS_OK, identity)
    memory = setup.get("memory", {})
    tracker, telemetry = open_watchers(planned, setup, measurement, torch_module, device, telemetry_path)
    result["task"] = run_task(planned).describe()
    result["vos"] = {"prompt": planned.spec.modes.prompt, "model": planned.vos_model}
    loaded, stage = None, "load"
    preload_scoring_libraries()
    tracker.baseline()
    telemetry.mark("load")
    try:
        begun = time.perf_counter()
        tracker.begin_load()
        loaded = load_vos_model(planned.artifact, planned.spec.precision, torch_module, device, memory.get("budget_mb"))
        tracker.end_load()
        model_load_s = time.perf_counter() - begun
        timeline.close("model_load")
        result["runner"] = loaded.describe()
        videos = annotated_videos(setup, config_path, (planned.input or {}).get("frames_key"))
        if not videos:
            result["status"], result["reason"] = STATUS_SKIPPED, "no annotated video with a prompted object in the data"
            return result
        runner = VideoRunner(loaded, torch_module, device, planned.spec.precision, planned.spec.modes.prompt or "points",
                             tracker, measurement, MaskWriter(masks_dir, planned.run_id))
        result["vos"]["window"] = runner.describe_window()
        stage = "warm-up"
        telemetry.mark("warmup")
        warmup_s = runner.warm_up(videos[0]) if int(measurement["warmup"]) > 0 else 0.0
        timeline.close("warmup")
        stage = "measure"
        telemetry.mark("measure")
        tracker.begin_measure()
        host_load = HostLoadSampler().start()  # other processes' CPU while the videos are measured, as image runs
        records, timings, scorers = [], [], []
        keeper = MaskKeeper() if loaded.encoder is not None else None
        try:
            for position, video in enumerate(videos):
                record, timing, scorer = runner.measured_video(video, keeper if position == 0 else None)
                records.append(record)
                timings += [timing] if timing else []
                scorers += [scorer] if scorer else []
        finally:
            host_load.stop()
        telemetry.mark("after")
        tracker.end_measure()
        timeline.close("measured")
        stage = "summary"
        fill_vos_figures(result, records, timings, scorers, tracker, telemetry, model_load_s, warmup_s, device)
        stage = "encoder check"
        add_encoder_check(result, runner, videos[0], keeper)
        timeline.close("check_encoder_fidelity")
        host, host_unavailable = host_load_figures(host_load.result())
        result["metrics"].update(host)
        result["unavailable"].update(host_unavailable)
        budget, budget_unmeasured = budget_figures(memory, tracker.budget_peak_mb())
        result["metrics"].update(budget)
        result["unavailable"].update(budget_unmeasured)
        if not timings:
            result["status"] = STATUS_SKIPPED_OOM if all(r["status"] == STATUS_SKIPPED_OOM for r in records) \
                else STATUS_FAILED
            result["reason"] = f"no video could be measured; first: {records[0]['reason']}"
        if masks_dir:
            result["masks_dir"] = runner.masks.root_text()
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a recorded status
        record_exception(result, exc, stage)
    finally:
        limit = loaded.memory_limit if loaded is not None else unenforced(memory.get("budget_mb"), "the model did not load")
        result["memory_budget"] = memory_budget_record(limit, memory, tracker)
        tracker.close()
        telemetry.stop()
        if loaded is not None:
            loaded.release()
        result["timings"] = {**result.get("timings", {}), "run_wall_s": time.perf_counter() - started}
    return result
