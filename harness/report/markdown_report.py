"""report.md: the report as Markdown, plots linked from plots/."""

from __future__ import annotations

from pathlib import Path

from harness.report.memory_safety import memory_safety_markdown
from harness.report.tables import LAYER_COLUMNS, LAYER_NOTE, RUN_COLUMNS, SYSTEM_COLUMNS, cell_text, counts_text, fmt, present_columns
from harness.report.cross_device import CROSS_DEVICE_NOTE
from harness.report.video_tables import MEMORY_FIGURE_NOTE, VIDEO_COLUMNS
from harness.report.report_data import measured_ids, runs_text
from harness.report.summary import table_notes


def _cell(row: dict, key: str) -> str:
    return " ".join(cell_text(row, key).split()).replace("|", "/")


def _table(rows: list, columns: tuple) -> list:
    columns = present_columns(rows, columns)
    if not rows or not columns:
        return ["(none)"]
    lines = ["| " + " | ".join(label for _, label in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row, key) for key, _ in columns) + " |")
    return lines


def _key_values(mapping: dict) -> list:
    return [f"- {key}: {fmt(value)}" for key, value in mapping.items() if fmt(value)]


TIME_NOTE = ("Each Phase B process's life from its launch to its exit, in contiguous parts that add up to its wall time "
             "(docs/metrics.md, \"Where the time goes\"); measured is the window every latency figure comes from. "
             "Under isolation fork, torch was imported once by the launcher each process was forked from, not by "
             "the process (docs/isolation.md).")
TIME_COLUMNS = (("run_id", "run"), ("isolation", "isolation"), ("process_wall_s", "process s"), ("measured_s", "measured s"),
                ("wall_over_measured", "wall / measured"), ("parts", "parts (s)"))


def render_markdown(report: dict, plots: dict, out_dir: Path) -> str:
    rel = lambda p: Path(p).relative_to(out_dir).as_posix()
    counts = report["counts"]
    lines = ["# jetson_benchmark report", "",
             f"Generated {report['generated_at']} by {report['generated_by']} from the result files in "
             f"`{report['out_dir']}` (`jetson_benchmark.py report <out_dir>` regenerates it). Latency is host "
             "end-to-end per batch; every figure is defined in docs/metric_reference.md.", "",
             "## Platform", "", *_key_values(report["platform"]), "", "## Versions", "", *_key_values(report["versions"]), "",
             "## Profile and memory budget", "", *_key_values(report["profile"]), ""]
    if report["profile"].get("unified_memory"):
        lines += ["CPU and GPU share one memory pool on this device: host and GPU memory figures are shown "
                  "separately and never added.", ""]
    lines += ["## Input", ""]
    source = report.get("source")
    if source:
        lines += [f"- source: {source['description']}",
                  f"- frames: {source['frames']} in {len(source['sequences'])} sequence(s)",
                  f"- skipped files: {len(source['skipped_files'])}", f"- fingerprint: `{source['fingerprint'][:16]}`", ""]
        lines += [f"  - skipped {s['source_path']}: {s['reason']}" for s in source["skipped_files"]]
    else:
        lines += ["(the setup config these results were made from is not on this machine)", ""]
    if report.get("unreadable_results"):
        lines += ["## Result files left out", "", "These files in runs/ could not be used; every figure below comes "
                  "from the other files:", ""]
        lines += [f"- `{entry['file']}` {entry['why']}" for entry in report["unreadable_results"]] + [""]
    lines += ["## Runs", "", counts_text(counts, report["skipped_oom_evidence"]) + ".", "",
              *_table(report["runs"], RUN_COLUMNS), ""]
    lines += [line for note in table_notes(report["runs"]) for line in (note, "")]
    lines += [memory_safety_markdown(report["memory_safety"]), ""]
    if report.get("videos"):
        lines += ["## Video segmentation: per video", "", MEMORY_FIGURE_NOTE + ".", "",
                  *_table(report["videos"], VIDEO_COLUMNS), ""]
    cross = report.get("cross_device") or {}
    if cross.get("rows"):
        lines += ["## Across devices", "", CROSS_DEVICE_NOTE, "",
                  *_table(cross["rows"], tuple(map(tuple, cross["columns"]))), ""]
        if plots.get("devices"):
            lines += [f"![p50 per device]({rel(plots['devices'])})", ""]
    if report.get("class_names"):
        lines += ["## Class names", ""]
        for row in report["class_names"]:
            lines.append(f"- {row['model']}: {row['names']}")
            if row.get("class_order"):
                index = ", ".join(f"{folder} -> {i}" for folder, i in sorted(row["class_index"].items(), key=lambda kv: kv[1]))
                lines.append(f"  - classify scored by {row['class_order']}: {index}")
        lines.append("")
    if report.get("layer_profiles"):
        lines += ["## Where the time goes (--layer_profile)", "", LAYER_NOTE, "",
                  *_table(report["layer_profiles"], LAYER_COLUMNS), ""]
    if report.get("process_time"):
        lines += ["## Where each process's time went", "", TIME_NOTE, "",
                  *_table(report["process_time"], TIME_COLUMNS), ""]
        if plots.get("process_time"):
            lines += [f"![process time]({rel(plots['process_time'])})", ""]
    lines += ["## System metrics during the measured passes", "",
              "Telemetry sampled during each run's measured window (psutil; NVML on desktop GPUs; jtop or "
              "tegrastats on a Jetson). Energy is the trapezoid integral of the power samples over the window.", "",
              *_table(report["system"], SYSTEM_COLUMNS), ""]
    if report["warnings"]:
        lines += ["## Warnings", "", *[f"- {w['warning']} ({', '.join(w['runs'])})" for w in report["warnings"]], ""]
    lines += ["## Plots", ""]
    for key, title in (("scatter", "Latency vs throughput"), ("bars", "p50 and p99 per run")):
        if plots.get(key):
            lines += [f"### {title}", "", f"![{title}]({rel(plots[key])})", ""]
    if plots.get("histograms"):
        lines += ["### Latency histograms", ""] + [f"- [{rid}]({rel(p)})" for rid, p in plots["histograms"].items()] + [""]
    if plots.get("memory_by_frame"):
        lines += ["### Memory against frame index (video models)", ""]
        lines += [f"![{rid}]({rel(p)})" for rid, p in plots["memory_by_frame"].items()] + [""]
    if plots.get("latency_by_frame"):
        lines += ["### Latency against frame index (video models)", ""]
        lines += [f"![{rid}]({rel(p)})" for rid, p in plots["latency_by_frame"].items()] + [""]
    if plots.get("memory"):
        lines += ["### Memory over time", ""] + [f"- [{rid}]({rel(p)})" for rid, p in plots["memory"].items()] + [""]
    lines += ["## Notes: figures that could not be measured", ""]
    if report["notes"]:
        every = measured_ids(report)
        lines += ["| why | figures | runs |", "|---|---|---|"]
        for note in report["notes"]:
            figures = ", ".join(f"`{f}`" for f in note["figures"])
            lines.append(f"| {note['reason'].replace('|', '/')} | {figures} | {runs_text(note['runs'], every)} |")
    else:
        lines.append("Every figure was measured in every run.")
    return "\n".join(lines) + "\n"
