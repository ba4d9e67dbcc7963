"""A trained model's report (JSON, with a Markdown page beside it), from Ultralytics' results and results.csv:
epochs done, wall time, time per epoch, the training process's peak memory, final validation metrics."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

from harness.files.atomic_io import atomic_write_json, atomic_write_text

# Ultralytics' validator keys -> the harness's names (the same names as the benchmark's accuracy figures)
FINAL_METRICS = {"metrics/mAP50(B)": "map50", "metrics/mAP50-95(B)": "map50_95", "metrics/mAP50(M)": "mask_map50",
                 "metrics/mAP50-95(M)": "mask_map50_95", "metrics/mAP50(P)": "pose_map50",
                 "metrics/mAP50-95(P)": "pose_map50_95", "metrics/accuracy_top1": "top1_acc",
                 "metrics/accuracy_top5": "top5_acc"}


def epoch_times(results_csv: Path) -> list:
    """Seconds each epoch took, from results.csv's cumulative ``time`` column (empty when it is not there)."""
    try:
        with open(results_csv) as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        return []
    stamps = [float(r["time"]) for r in rows if (r.get("time") or "").strip()]
    return [b - a for a, b in zip([0.0] + stamps[:-1], stamps)]


def final_metrics(results: dict) -> dict:
    return {name: float(results[key]) for key, name in FINAL_METRICS.items() if key in (results or {})}


def training_report(spec: dict, results: dict, results_csv: Path, wall_s: float, resumed: bool,
                    peak_rss_mb: Optional[float], peak_torch_alloc_mb: Optional[float], weights: str) -> dict:
    times = epoch_times(results_csv)
    return {"spec": spec, "status": "ok", "epochs_done": len(times) or None, "wall_s": wall_s,
            "epoch_s": times, "epoch_s_mean": (sum(times) / len(times)) if times else None,
            "resumed_from_last": resumed, "peak_rss_mb": round(peak_rss_mb, 1) if peak_rss_mb else peak_rss_mb,
            "peak_torch_alloc_mb": round(peak_torch_alloc_mb, 1) if peak_torch_alloc_mb else peak_torch_alloc_mb,
            "final_metrics": final_metrics(results), "weights": weights, "curves": str(results_csv)}


def markdown(report: dict) -> str:
    spec = report["spec"]
    lines = [f"# Training report: {spec['model']} ({spec['approach']})", "",
             f"- task: {spec['task']}; data: {spec.get('data_resolved') or spec.get('data')}",
             f"- epochs: {report['epochs_done']} of {spec['epochs']}, imgsz {spec['imgsz']}, batch {spec['batch']}, "
             f"device {spec['device']}, seed {spec['seed']}",
             f"- wall time: {report['wall_s']:.1f} s; per epoch: "
             + (f"{report['epoch_s_mean']:.2f} s mean" if report["epoch_s_mean"] is not None else "not recorded"),
             f"- resumed from last.pt: {report['resumed_from_last']}",
             f"- peak memory of the training process: RSS {report['peak_rss_mb']} MiB, torch allocator "
             f"{report['peak_torch_alloc_mb']} MiB",
             f"- weights: {report['weights']}; curves: {report['curves']}", "", "## Final validation", ""]
    lines += [f"- {k}: {v:.4f}" for k, v in report["final_metrics"].items()] or ["(none reported)"]
    return "\n".join(lines) + "\n"


def write_report(folder: Path, report: dict) -> Path:
    atomic_write_text(folder / "report.md", markdown(report))
    return atomic_write_json(folder / "report.json", report)
