"""Where each Phase B process's life went: one stacked bar per run, its parts in order (harness.measure.process_timeline)."""

from __future__ import annotations

from pathlib import Path

from harness.measure.process_timeline import PROCESS_PARTS

COLORS = {"measured": "#2b8a3e", "warmup": "#8ce99a", "model_load": "#74c0fc", "torch_import": "#ffa94d",
          "startup_imports": "#ffd8a8", "device_init": "#fcc2d7", "teardown": "#adb5bd", "write_result": "#ced4da",
          "summary": "#e9ecef", "validity": "#dee2e6", "video_run": "#2b8a3e"}
CHECK_COLORS = ("#b197fc", "#d0bfff", "#9775fa", "#e5dbff")


def process_time_bars(results: list, labels: dict, path: Path) -> Path:
    """``results``: runs with ``process.parts_s``; ``labels``: run id -> short label."""
    from harness.report.figure_files import pyplot, save

    plt = pyplot()
    rows = [r for r in results if (r.get("process") or {}).get("parts_s")]
    names = [n for n in PROCESS_PARTS if any(n in r["process"]["parts_s"] for r in rows)]
    names += sorted({n for r in rows for n in r["process"]["parts_s"]} - set(names))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.6))
    lefts = [0.0] * len(rows)
    checks = iter(CHECK_COLORS * 2)
    for name in names:
        widths = [float(r["process"]["parts_s"].get(name) or 0.0) for r in rows]
        color = COLORS.get(name) or next(checks)
        ax.barh(range(len(rows)), widths, left=lefts, color=color, edgecolor="white", linewidth=0.5, label=name)
        lefts = [left + width for left, width in zip(lefts, widths)]
    ax.set_yticks(range(len(rows)), [labels.get(r["run_id"], r["run_id"]) for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the process was launched")
    ax.set_title("Where each Phase B process's life went")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    return save(plt, fig, path)
