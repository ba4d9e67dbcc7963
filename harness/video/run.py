"""A video run's videos, one at a time: the model loaded once, then for each video a fresh session, the prompts at
their frames, every frame from the first prompt on, the masks scored as they come, the session released with gc and
the CUDA cache emptied outside the timed region, before the next video.

Each video has its own memory window (peaks from every source the run has, memory after each frame, memory at
its start), so a user sees the memory bank grow within a video and the cleanup return to the baseline between
videos. A video that runs out of memory is ``skipped_oom`` and the run goes on with the next; one that fails is
``failed`` with the reason. The Phase B process around it (the result record, the model's load, telemetry, the
memory budget, a failure of the run itself) is harness/phase_b/video_executor.py.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

import numpy as np

from harness.files.atomic_io import read_json
from harness.process.check_failure import check_failure
from harness.measure.host_memory import release_free_heap
from harness.measure.memory_tracker import MemoryTracker
from harness.records.results import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED_OOM
from harness.records.setup_config import resolve_path
from harness.tasks.vos import VideoScorer, prompts_for, split_accuracy
from harness.video.encoder_check import MaskComparison, MaskKeeper, encoder_check_figures
from harness.video.frame_loop import overall_figures, run_video, video_figures
from harness.video.masks import MaskWriter

log = logging.getLogger("jetson_benchmark.phase_b")


def annotated_videos(setup: dict, config_path: Path, frames_key: str) -> list:
    """The metadata records of the videos with at least one prompted object, with their frames file."""
    meta = read_json(resolve_path(config_path, setup["dataset"]["metadata"]))
    videos = []
    for seq in meta.get("sequences", []):
        if (seq.get("vos") or {}).get("objects") and str(frames_key) in seq.get("frames", {}):
            videos.append({**seq, "frames_path": str(resolve_path(config_path, seq["frames"][str(frames_key)]))})
    return videos


def preload_scoring_libraries() -> tuple:
    """OpenCV (mask resizing and writing) and PIL (annotation PNGs) load tens of MiB of code: loaded before the
    baseline, so the first video's memory does not carry them."""
    import cv2
    from PIL import Image

    return cv2.__version__, Image.__name__


def cleanup(torch_module, device: str) -> None:
    """Aggressive cleanup between videos (outside every timed region): collect, empty the CUDA cache, and hand the
    C heap's free pages back to the kernel (glibc keeps them otherwise, and RSS would not show the cleanup)."""
    gc.collect()
    if device.startswith("cuda"):
        torch_module.cuda.synchronize(device)
        torch_module.cuda.empty_cache()
    release_free_heap()


class VideoRunner:
    """What one run needs to measure its videos: the model, the device, the memory tracker, the prompts."""

    def __init__(self, loaded, torch_module, device: str, precision: str, prompt: str, tracker: MemoryTracker,
                 measurement: dict, masks: MaskWriter):
        from harness.video.window import window_size

        self.loaded, self.torch, self.device, self.precision = loaded, torch_module, device, precision
        self.prompt, self.tracker, self.measurement, self.masks = prompt, tracker, measurement, masks
        self.window_setting = measurement.get("vos_window", "auto")
        self.window = window_size(self.window_setting, loaded.model.config)

    def describe_window(self) -> dict:
        """The run's frame window: the setting and the frames it keeps besides the prompted ones (None: all)."""
        return {"setting": self.window_setting, "frames": self.window}

    def sync(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize(self.device)

    def memory_now(self):
        """The per-frame memory figure: the torch allocator on CUDA; on the CPU the process's RSS once the C heap's
        free pages are handed back (else glibc's kept pages creep up frame after frame and hide what is held)."""
        if not self.device.startswith("cuda"):
            release_free_heap()
        now = self.tracker.current()
        return now.get("torch_alloc_mb", now.get("rss_mb"))

    def one_video(self, video: dict, frame_limit=None, sinks: tuple = (), torch_encoder: bool = False):
        """One video's timing; each of ``sinks`` (``wants(index)``, ``add(index, masks)``) gets the masks of the
        frames it wants. ``torch_encoder`` runs the model's own encoder even where the run has an exported one."""
        from harness.video.session import timed_session

        width, height = video["items"][0]["original_size"]
        prompts = prompts_for(video["vos"], self.prompt, [width, height])
        frames = np.load(video["frames_path"], mmap_mode="r")
        encoder = None if torch_encoder else self.loaded.encoder
        session, hooks = timed_session(self.loaded.model, self.loaded.processor, self.torch, self.device,
                                       self.precision, (height, width), self.window, encoder, self.sync)

        def on_masks(index, masks):
            for sink in sinks:
                if sink.wants(index):
                    sink.add(index, masks)

        try:
            with self.torch.inference_mode():
                return run_video(session, frames, prompts, self.sync, self.memory_now, on_masks=on_masks,
                                 wants_masks=lambda i: any(sink.wants(i) for sink in sinks),
                                 name=video["name"], frame_limit=frame_limit)
        finally:
            for hook in hooks:
                hook.remove()
            session.close()
            del session, frames

    def warm_up(self, video: dict) -> float:
        """The first frames of the first video in a throwaway session (kernels chosen, allocator grown)."""
        begun = time.perf_counter()
        self.one_video(video, frame_limit=max(1, int(self.measurement["warmup"])))
        cleanup(self.torch, self.device)
        return time.perf_counter() - begun

    def measured_video(self, video: dict, keeper: MaskKeeper = None) -> tuple:
        """(per-video record, its timing or None, its scorer or None); ``keeper`` keeps the first frames' masks
        for the encoder check."""
        name = video["name"]
        cleanup(self.torch, self.device)
        start = self.tracker.begin_video(name)
        scorer = VideoScorer(name, video["vos"], [Path(i["source_path"]).stem for i in video["items"]])
        record = {"name": name, "status": STATUS_OK, "reason": None, "objects_n": len(video["vos"]["objects"]),
                  "start_memory": start}
        sinks = [scorer] + ([SavedMasks(self.masks.for_video(name, video))] if self.masks.enabled else [])
        timing = None
        try:
            timing = self.one_video(video, sinks=tuple(sinks + ([keeper] if keeper is not None else [])))
        except Exception as exc:  # noqa: BLE001 - one video's failure is that video's status
            record["reason"], oom = check_failure("the video", exc)
            record["status"] = STATUS_SKIPPED_OOM if oom else STATUS_FAILED
            record.update(frames_before_stop(getattr(exc, "video_timing", None), record["objects_n"]))
            log.warning("video %s: %s", name, record["reason"])
            scorer = None
        record["peaks"] = self.tracker.end_video(name)
        cleanup(self.torch, self.device)
        record["end_memory"] = self.tracker.current()
        if timing is not None:
            record.update(video_figures(timing, record["objects_n"]))
            record["memory_by_frame_mb"] = timing.memory_by_frame_mb
            record["frame_indices"] = timing.frame_indices
            record["frame_latency_ms"] = timing.frame_latency_ms
        return record, timing, scorer

    def encoder_check(self, video: dict, kept: MaskKeeper) -> tuple:
        """(the check's record or None, why not): the kept frames of ``video`` again with the torch encoder."""
        if not kept.frames:
            return None, "the first video gave no masks to compare (it did not run)"
        comparison = MaskComparison(kept)
        cleanup(self.torch, self.device)
        try:
            self.one_video(video, frame_limit=len(kept.frames), sinks=(comparison,), torch_encoder=True)
        except Exception as exc:  # noqa: BLE001 - a failed check is said; the measurement stands
            return None, check_failure("the torch encoder's reference pass", exc)[0]
        finally:
            cleanup(self.torch, self.device)
        return comparison.record(video["name"]), None


def frames_before_stop(partial, objects_n: int) -> dict:
    """A video that stopped part-way (out of memory on frame k): the frame it stopped at and the figures of the
    frames done before it (fps, latency, memory by frame) under ``before_stop``; not part of the run's figures."""
    if partial is None:
        return {}
    stopped_at = partial.first_frame + len(partial.frame_indices)
    done = video_figures(partial, objects_n) if partial.frame_indices else {"frames_n": 0}
    return {"stopped_at_frame": stopped_at,
            "before_stop": {**done, "memory_by_frame_mb": partial.memory_by_frame_mb,
                            "frame_indices": partial.frame_indices, "frame_latency_ms": partial.frame_latency_ms}}


class SavedMasks:
    """--save_masks as a mask sink: every frame's masks written."""

    def __init__(self, writer):
        self.writer = writer

    def wants(self, frame_index: int) -> bool:
        return True

    def add(self, frame_index: int, masks: dict) -> None:
        self.writer.write(frame_index, masks)


def drift_mb(records: list, key: str) -> float | None:
    """Start-of-video memory of the last video minus that of the first (0 when the cleanup returns to baseline)."""
    starts = [r["start_memory"].get(key) for r in records if r["start_memory"].get(key) is not None]
    return (starts[-1] - starts[0]) if len(starts) > 1 else None


def memory_key(device: str) -> str:
    return "torch_alloc_mb" if device.startswith("cuda") else "rss_mb"


def fill_vos_figures(result: dict, records: list, timings: list, scorers: list, tracker: MemoryTracker,
                     telemetry, model_load_s: float, warmup_s: float, device: str) -> None:
    """The run's figures from its videos' records and timings, its scorers, the tracker's peaks and ``telemetry``
    (the run's harness.phase_b.run_telemetry.RunTelemetry)."""
    from harness.measure.metric_catalog import VOS_UNAVAILABLE

    overall = overall_figures(timings)
    accuracy = split_accuracy(scorers, (result.get("weights") or {}).get("kind"))
    key = memory_key(device)
    busy_s = sum(sum(t.frame_latency_ms) for t in timings) / 1000.0
    telemetry_metrics, telemetry_details, telemetry_unavailable = telemetry.figures(overall["frames_n"], busy_s)
    result["videos"] = records
    result["samples"] = {"latency_ms": [ms for t in timings for ms in t.propagation_ms()],
                         "prompt_latency_ms": [ms for t in timings for ms in t.prompt_ms()]}
    result["metrics"] = {**{k: v for k, v in overall.items() if k not in ("frames_n", "videos_n")},
                         "videos_n": len(records), "videos_measured_n": len(timings),
                         "videos_skipped_oom_n": sum(r["status"] == STATUS_SKIPPED_OOM for r in records),
                         "frames_n": overall["frames_n"],
                         "objects_per_video_mean": float(np.mean([r["objects_n"] for r in records])),
                         "start_memory_drift_mb": drift_mb(records, key), "model_load_s": model_load_s,
                         **tracker.figures, **accuracy.metrics, **telemetry_metrics}
    result["unavailable"] = {**tracker.unavailable, **telemetry_unavailable, **accuracy.unavailable,
                             **VOS_UNAVAILABLE}
    if result["metrics"]["start_memory_drift_mb"] is None:
        result["unavailable"]["start_memory_drift_mb"] = "fewer than two measured videos"
    result["accuracy"], result["telemetry"] = accuracy.details, telemetry_details
    result["memory_notes"] = {**tracker.notes, "per_frame_figure": key,
                              "per_frame_source": ("torch.cuda.memory_allocated after the frame's synchronization"
                                                   if key == "torch_alloc_mb" else
                                                   "the process's RSS after the frame and a malloc_trim(0)")}
    result["timings"] = {"model_load_s": model_load_s, "warmup_s": warmup_s, "measured_busy_s": busy_s}
    failed = [r for r in records if r["status"] != STATUS_OK]
    result["warnings"] = [f"video {r['name']}: {r['status']}: {r['reason']}" for r in failed]
    if accuracy.details.get("meaningless"):
        result["warnings"].append("random-init weights: timings and memory are real, J&F is meaningless")


def add_encoder_check(result: dict, runner: VideoRunner, video: dict, keeper) -> None:
    """The exported encoder's masks against the torch encoder's (harness/video/encoder_check.py); for a run
    on the torch encoder the figures are empty with the reason."""
    if keeper is None:
        check, why_not = None, "this run's image encoder is the torch encoder, the check's reference"
    else:
        check, why_not = runner.encoder_check(video, keeper)
    metrics, unavailable = encoder_check_figures(check, why_not)
    result["encoder_check"] = check
    result["metrics"].update(metrics)
    result["unavailable"].update(unavailable)
