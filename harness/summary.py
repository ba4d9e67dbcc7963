"""Derived tables: ``jetson_benchmark_summary.csv`` and ``.md`` from the per-run JSON files (pandas)."""

from __future__ import annotations

from pathlib import Path

from harness.atomic_io import atomic_write_text
from harness.measure.metric_catalog import metric_names
from harness.memory_safety import memory_safety_markdown, memory_safety_summary
from harness.results import load_results

SUMMARY_CSV = "jetson_benchmark_summary.csv"
SUMMARY_MD = "jetson_benchmark_summary.md"
IDENTITY = ["run_id", "model", "task", "backend", "variant", "precision", "imgsz", "batch", "status", "reason"]
CONSOLE_COLUMNS = [
    ("model", "model"), ("task", "task"), ("backend", "backend"), ("variant", "mode"), ("precision", "prec"), ("imgsz", "imgsz"), ("batch", "batch"),
    ("status", "status"), ("latency_ms_p50", "p50 ms"), ("latency_ms_p99", "p99 ms"),
    ("gpu_compute_ms_p50", "GPU p50 ms"), ("throughput_img_per_s", "img/s"), ("peak_rss_mb", "peak RSS MiB"),
    ("peak_torch_reserved_mb", "torch reserved MiB"), ("fidelity_max_abs_err", "fidelity err"),
]


def result_row(result: dict) -> dict:
    run = result.get("run", {})
    row = {key: run.get(key) for key in IDENTITY if key in run}
    row["variant"] = run.get("variant") or (result["run_id"].split("__")[5] if result["run_id"].count("__") >= 5 else "")
    row.update({"run_id": result["run_id"], "status": result.get("status"), "reason": result.get("reason")})
    row["imgsz"] = str(run.get("imgsz")) if run.get("imgsz") is not None else None  # 640 or "480x640": one type
    row["task"] = (result.get("task") or {}).get("task")
    row["fidelity_compared_with"] = (result.get("fidelity") or {}).get("compared_with")
    spec = result.get("input") or {}
    row["input"] = (f"{spec['layout']} {spec['dtype']} {spec['color']} {spec['norm']} {spec['resize']}"
                    if spec else None)
    metrics = result.get("metrics", {})
    for name in metric_names():
        row[name] = metrics.get(name)
    runner = result.get("runner", {})
    env = result.get("environment", {})
    row["device_name"] = env.get("device_name")
    row["execution_device"] = runner.get("execution_device", runner.get("device"))
    row["providers"] = ",".join(runner.get("providers", [])) or None
    row["phase_b_pid"] = result.get("process", {}).get("pid")
    row["phase_a_pid"] = result.get("setup", {}).get("phase_a_pid")
    row["created_at"] = result.get("created_at")
    return row


def summary_frame(results: list):
    import pandas as pd

    rows = [result_row(r) for r in results]
    known = set(metric_names())
    extra = sorted({k for r in results for k in (r.get("metrics") or {}) if k not in known})  # e.g. --accuracy_hook figures
    for row, result in zip(rows, results):
        row.update({k: (result.get("metrics") or {}).get(k) for k in extra})
    columns = IDENTITY + metric_names() + extra + ["fidelity_compared_with", "input", "device_name",
                                                   "execution_device", "providers",
                                                   "phase_b_pid", "phase_a_pid", "created_at"]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame = frame.sort_values(["model", "backend", "variant", "precision", "imgsz", "batch"],
                                  kind="stable").reset_index(drop=True)
    return frame


def write_summary(out_dir: str | Path) -> tuple:
    """Rebuild the CSV and Markdown summaries from every result in ``out_dir/runs``."""
    out_dir = Path(out_dir)
    results = load_results(out_dir)
    frame = summary_frame(results)
    csv_path = out_dir / SUMMARY_CSV
    md_path = out_dir / SUMMARY_MD
    atomic_write_text(csv_path, frame.to_csv(index=False))
    safety = memory_safety_markdown(memory_safety_summary(results))
    atomic_write_text(md_path, "# jetson_benchmark summary\n\n" + markdown_table(frame) + "\n\n" + safety + "\n")
    return csv_path, md_path, frame


def markdown_table(frame, columns=CONSOLE_COLUMNS, floatfmt: str = ".4g") -> str:
    if frame.empty:
        return "(no results)"
    present = [(key, label) for key, label in columns if key in frame.columns]
    view = frame[[key for key, _ in present]].rename(columns=dict(present))
    if "variant" in frame.columns and not frame["variant"].fillna("").astype(bool).any():
        view = view.drop(columns=["mode"], errors="ignore")
    for key, label in present:  # columns empty in every row (GPU figures on a CPU) say nothing
        if key != "reason" and label in view.columns and frame[key].isna().all():
            view = view.drop(columns=[label])
    return view.to_markdown(index=False, floatfmt=floatfmt, missingval="")
