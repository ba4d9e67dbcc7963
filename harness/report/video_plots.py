"""Plots of the video models' runs that put several runs (or videos) on one axis: memory and latency against the
frame index, one line per run and video (``--max_frames_in_mem auto`` beside ``all`` shows the window)."""

from __future__ import annotations

from pathlib import Path

from harness.report.figure_files import pyplot as _plt, save as _save


def _series(results: dict, key: str) -> list:
    """(label, frame indices, values) of every video of every run in ``results`` (label -> result)."""
    lines = []
    for label, result in results.items():
        for video in result.get("videos") or []:
            frames = video if video.get("frame_indices") else (video.get("before_stop") or {})  # a stopped video's
            points = [(i, v) for i, v in zip(frames.get("frame_indices") or [], frames.get(key) or []) if v is not None]
            if points:
                name = f"{label}: {video['name']}" if label else video["name"]
                if video.get("stopped_at_frame") is not None:
                    name += f" ({video['status']} at frame {video['stopped_at_frame']})"
                lines.append((name, [p[0] for p in points], [p[1] for p in points]))
    return lines


def by_frame_plot(results: dict, key: str, ylabel: str, title: str, path: Path) -> Path:
    """``key`` (a per-frame list of each video record: memory_by_frame_mb, frame_latency_ms) against the frame
    index, one line per run label and video."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    lines = _series(results, key)
    for label, x, y in lines:
        ax.plot(x, y, marker=".", markersize=2, linewidth=1, label=label)
    ax.set_xlabel("frame index")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(lines) <= 12:
        ax.legend(fontsize=7)
    return _save(plt, fig, path)


def latency_by_frame(result: dict, label: str, path: Path) -> Path:
    """A video model's run: each frame's host latency against its frame index, one line per video."""
    window = ((result.get("vos") or {}).get("window") or {}).get("setting", "auto")
    return by_frame_plot({"": result}, "frame_latency_ms", "frame latency (ms)",
                         f"latency against frame index: {label} (window {window})", path)
