"""The video segmentation part of the report: one row per run and video (frames, objects, fps, per-frame latency,
prompt-frame latency, memory at the video's start, its peaks, its growth and its slope over the video, the frame
window, J&F, marked meaningless for random-init weights), from the ``videos`` and ``accuracy`` records of the vos
results."""

from __future__ import annotations

from harness.records.results import STATUS_OK

VIDEO_COLUMNS = (
    ("run_id", "run"), ("video", "video"), ("status", "status"), ("frames_n", "frames"), ("objects_n", "objects"),
    ("fps", "fps"), ("latency_ms_p50", "frame p50 ms"), ("latency_ms_p99", "frame p99 ms"),
    ("prompt_latency_ms_mean", "prompt frame ms"), ("start_mb", "start MiB"), ("peak_torch_alloc_mb", "peak torch MiB"),
    ("peak_process_gpu_mb", "peak process GPU MiB"), ("peak_rss_mb", "peak RSS MiB"),
    ("memory_growth_mb", "growth over video MiB"), ("memory_slope_mb_per_frame", "memory slope MiB/frame"),
    ("window", "frame window"), ("j_and_f", "J&F"), ("j_and_f_note", "J&F note"), ("reason", "reason"),
)
MEMORY_FIGURE_NOTE = ("start MiB and growth: the torch allocator on a GPU, the process's RSS on the CPU, read after "
                      "the cleanup before the video and after each frame")


def _video_scores(result: dict) -> dict:
    """video -> mean J&F of its objects."""
    by_video: dict = {}
    for row in (result.get("accuracy") or {}).get("objects") or []:
        if row.get("j_and_f") is not None:
            by_video.setdefault(row["video"], []).append(row["j_and_f"])
    return {video: sum(values) / len(values) for video, values in by_video.items()}


def video_rows(results: list) -> list:
    rows = []
    for result in results:
        if result.get("status") != STATUS_OK or not result.get("videos"):
            continue
        key = (result.get("memory_notes") or {}).get("per_frame_figure", "rss_mb")
        scores = _video_scores(result)
        note = (result.get("accuracy") or {}).get("meaningless")
        window = ((result.get("vos") or {}).get("window") or {}).get("setting")
        for video in result["videos"]:
            peaks = video.get("peaks") or {}
            rows.append({"run_id": result["run_id"], "video": video["name"], "status": video["status"],
                         "reason": video.get("reason"), "start_mb": (video.get("start_memory") or {}).get(key),
                         **{k: video.get(k) for k in ("frames_n", "objects_n", "fps", "latency_ms_p50", "latency_ms_p99",
                                                      "prompt_latency_ms_mean", "memory_growth_mb",
                                                      "memory_slope_mb_per_frame")},
                         **{k: peaks.get(k) for k in ("peak_torch_alloc_mb", "peak_process_gpu_mb", "peak_rss_mb")},
                         "window": window, "j_and_f": scores.get(video["name"]),
                         "j_and_f_note": note if scores.get(video["name"]) is not None else None})
    return rows
