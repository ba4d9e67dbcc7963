"""The per-video measurement of a prompted video model: every frame of one video, from its first prompt frame on,
timed one by one, with the process's memory read after each frame.

One frame's latency (``frame_latency_ms``) is host wall time from the preprocessed uint8 frame on the host to
the model's output for that frame complete on the device: the copy and normalization, the prompts given on that
frame (a prompt frame), the model call (image encoder, memory attention, mask decoder, memory encoder of every
tracked object) and a device synchronization. The masks' upsampling to the frame's original size, scoring and
writing happen after the clock stops. Frames are streamed from the memory-mapped store one at a time (read
outside the clock, never the whole video). What the session keeps of past frames is its window
(harness.video.window). Nothing here knows the model: ``session`` is a harness.video.session.VideoSession.

``memory_slope_mb_per_frame`` is how fast memory grows within a video: the least-squares slope of the per-frame
memory figure over the second half of the video's frames (the first half holds the window filling up and the
allocator growing), in MiB per frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from harness.measure.latency_stats import summarize_latency


@dataclass
class VideoTiming:
    """One video's raw samples."""

    name: str
    first_frame: int                                          # the first prompt frame: frames before it are not run
    frame_indices: list = field(default_factory=list)
    frame_latency_ms: list = field(default_factory=list)      # every processed frame, prompt frames included
    prompt_frames: list = field(default_factory=list)         # indices (into frame_indices) of prompt frames
    memory_by_frame_mb: list = field(default_factory=list)    # the memory figure after each frame
    encoder_ms: list = field(default_factory=list)            # the image encoder's part of each frame (when timed)

    def propagation_ms(self) -> list:
        """Latencies of the frames without a prompt (the tracking steady state)."""
        prompted = set(self.prompt_frames)
        return [ms for i, ms in enumerate(self.frame_latency_ms) if i not in prompted]

    def prompt_ms(self) -> list:
        return [self.frame_latency_ms[i] for i in self.prompt_frames]


def run_video(session, frames: np.ndarray, prompts: list, sync: Callable[[], None],
              memory_now: Callable[[], Optional[float]], on_masks: Optional[Callable] = None,
              wants_masks: Callable[[int], bool] = lambda i: True, name: str = "video",
              frame_limit: Optional[int] = None) -> VideoTiming:
    """Run ``session`` over ``frames`` (N x 3 x S x S uint8, memory-mapped) from the first prompt frame.
    ``on_masks(frame_index, masks)`` gets each frame's masks (outside the timed region) where ``wants_masks``.
    An exception (an out-of-memory on frame k) leaves with the frames done before it as ``exc.video_timing``."""
    by_frame: dict = {}
    for prompt in prompts:
        by_frame.setdefault(prompt.frame_index, []).append(prompt)
    first = min(by_frame)
    end = len(frames) if frame_limit is None else min(len(frames), first + frame_limit)
    timing = VideoTiming(name, first)
    try:
        frames_from(session, frames, by_frame, range(first, end), sync, memory_now, on_masks, wants_masks, timing)
    except BaseException as exc:
        exc.video_timing = timing  # the frames done before it stopped: the caller records them with the reason
        raise
    return timing


def frames_from(session, frames, by_frame: dict, indices: range, sync, memory_now, on_masks, wants_masks,
                timing: VideoTiming) -> None:
    """The timed loop of :func:`run_video`, appending each frame's samples to ``timing``."""
    for index in indices:
        frame = np.array(frames[index])  # this frame only, copied from the memmap outside the clock
        begun = time.perf_counter()
        pixels = session.prepare(frame)
        if index in by_frame:
            session.add(by_frame[index])
        output = session.step(pixels, index)
        sync()
        elapsed_ms = (time.perf_counter() - begun) * 1000.0
        if index in by_frame:
            timing.prompt_frames.append(len(timing.frame_indices))
        timing.frame_indices.append(index)
        timing.frame_latency_ms.append(elapsed_ms)
        timing.encoder_ms.append(session.encoder_ms())
        timing.memory_by_frame_mb.append(memory_now())
        if on_masks is not None and wants_masks(index):
            on_masks(index, session.masks(output))
        del output, pixels, frame


def masks_of_video(session, frames: np.ndarray, prompts: list) -> tuple:
    """(frame index -> that frame's masks, timing) of one video on the host, no memory figure: for comparing two
    sessions' masks frame by frame."""
    seen: dict = {}
    timing = run_video(session, frames, prompts, lambda: None, lambda: None,
                       on_masks=lambda index, masks: seen.__setitem__(index, masks))
    return seen, timing


def memory_slope_mb_per_frame(memory_mb: list) -> Optional[float]:
    """Least-squares slope (MiB per frame) of the memory figure over the second half of a video's frames; None with
    fewer than 4 frames there or no figure."""
    half = [(i, m) for i, m in enumerate(memory_mb) if m is not None and i >= len(memory_mb) // 2]
    if len(half) < 4:
        return None
    x, y = np.array([i for i, _ in half], dtype=float), np.array([m for _, m in half], dtype=float)
    return float(np.polyfit(x, y, 1)[0])


def encoder_figures(timings: list) -> dict:
    """The image encoder's mean milliseconds per frame and its share of the frames' latency (None when not timed)."""
    pairs = [(e, ms) for t in timings for e, ms in zip(t.encoder_ms, t.frame_latency_ms) if e is not None]
    if not pairs:
        return {"encoder_ms_mean": None, "encoder_share_pct": None}
    encoder, total = sum(e for e, _ in pairs), sum(ms for _, ms in pairs)
    return {"encoder_ms_mean": encoder / len(pairs), "encoder_share_pct": 100.0 * encoder / total if total else None}


def frames_per_second(latencies_ms: list):
    """Frames over the sum of their own latencies (None without frames)."""
    busy_s = sum(latencies_ms) / 1000.0
    return len(latencies_ms) / busy_s if busy_s else None


def video_figures(timing: VideoTiming, objects_n: int) -> dict:
    """One video's figures from its samples."""
    propagation = timing.propagation_ms()
    memory = [m for m in timing.memory_by_frame_mb if m is not None]
    return {
        "frames_n": len(timing.frame_latency_ms), "objects_n": objects_n, "first_frame": timing.first_frame,
        "fps": frames_per_second(timing.frame_latency_ms),
        **summarize_latency(propagation, "latency_ms"),
        "prompt_latency_ms_mean": float(np.mean(timing.prompt_ms())) if timing.prompt_frames else None,
        "memory_first_frame_mb": memory[0] if memory else None,
        "memory_last_frame_mb": memory[-1] if memory else None,
        "memory_growth_mb": (memory[-1] - memory[0]) if len(memory) > 1 else None,
        "memory_slope_mb_per_frame": memory_slope_mb_per_frame(timing.memory_by_frame_mb),
        **encoder_figures([timing]),
    }


def overall_figures(timings: list) -> dict:
    """The run's figures over every measured video."""
    all_ms = [ms for t in timings for ms in t.frame_latency_ms]
    propagation = [ms for t in timings for ms in t.propagation_ms()]
    prompts = [ms for t in timings for ms in t.prompt_ms()]
    slopes = [s for s in (memory_slope_mb_per_frame(t.memory_by_frame_mb) for t in timings) if s is not None]
    return {**summarize_latency(propagation, "latency_ms"),
            "memory_slope_mb_per_frame": max(slopes) if slopes else None, **encoder_figures(timings),
            **summarize_latency(prompts, "prompt_latency_ms"),
            "fps": frames_per_second(all_ms),
            "frames_n": len(all_ms), "videos_n": len(timings)}
