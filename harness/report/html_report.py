"""report.html: one self-contained page (styles inline, plots embedded as data URIs), viewable offline."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from harness.report.tables import LAYER_COLUMNS, LAYER_NOTE, RUN_COLUMNS, SYSTEM_COLUMNS, cell_text, counts_text, fmt, present_columns
from harness.report.cross_device import CROSS_DEVICE_NOTE
from harness.report.report_data import measured_ids, runs_text
from harness.report.video_tables import MEMORY_FIGURE_NOTE, VIDEO_COLUMNS
from harness.report.summary import table_notes

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;
line-height:1.4;padding:0 16px}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:0.85em}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}tr:nth-child(even){background:#fafafa}
.status-ok{color:#1a7f37}.status-failed{color:#c62828;font-weight:bold}.status-skipped_oom{color:#b26a00}
.status-skipped{color:#777}.muted{color:#666;font-size:0.9em}img{max-width:100%;border:1px solid #eee;margin:6px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:10px}
.kv td:first-child{text-align:left;color:#555}.kv td{text-align:left}details{margin:6px 0}
"""
TEXT_COLUMNS = {"model", "backend", "variant", "precision", "weights", "status", "reason", "run_id", "power_source"}


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list, columns: tuple) -> str:
    columns = present_columns(rows, columns)
    if not rows or not columns:
        return "<p class=muted>(none)</p>"
    head = "".join(f'<th class="{"l" if k in TEXT_COLUMNS else ""}">{html.escape(label)}</th>' for k, label in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = html.escape(cell_text(row, key))
            css = "l" if key in TEXT_COLUMNS else ""
            if key == "status":
                css += f" status-{html.escape(str(row.get('status')))}"
            cells.append(f'<td class="{css.strip()}">{value}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _kv(mapping: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(fmt(v))}</td></tr>" for k, v in mapping.items() if fmt(v))
    return f'<table class="kv">{rows}</table>'


def render_html(report: dict, plots: dict) -> str:
    esc = html.escape
    safety = report["memory_safety"]
    counts = report["counts"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>jetson_benchmark report</title>"
             f"<style>{STYLE}</style></head><body>",
             "<h1>jetson_benchmark report</h1>",
             f"<p class=muted>Generated {esc(report['generated_at'])} by {esc(report['generated_by'])} from the result "
             f"files in <code>{esc(report['out_dir'])}</code>. Latency is host end-to-end per batch (copy in, forward, "
             "synchronize).</p>",
             "<h2>Platform</h2>", _kv(report["platform"]), "<h2>Versions</h2>", _kv(report["versions"]),
             "<h2>Profile and memory budget</h2>", _kv(report["profile"])]
    source = report.get("source")
    parts += ["<h2>Input</h2>", _kv({"source": source["description"], "frames": source["frames"],
                                     "sequences": len(source["sequences"]), "skipped files": len(source["skipped_files"]),
                                     "fingerprint": source["fingerprint"][:16]}) if source else
              "<p class=muted>(the setup config is not on this machine)</p>"]
    if report.get("unreadable_results"):
        parts += ["<h2>Result files left out</h2>", "<ul>" + "".join(
            f"<li><code>{esc(e['file'])}</code> {esc(e['why'])}</li>" for e in report["unreadable_results"]) + "</ul>"]
    parts += ["<h2>Runs</h2>", f"<p>{esc(counts_text(counts, report['skipped_oom_evidence']))}</p>",
              _table(report["runs"], RUN_COLUMNS)]
    parts += [f"<p class=muted>{esc(note)}</p>" for note in table_notes(report["runs"])]
    closest = [{"run_id": r["run_id"], "peak": f"{r['peak_mb'] / 1024:.2f} GiB",
                "pct": fmt(r["pct_of_limit"]), "figure": r["figure"]} for r in safety["closest_to_limit"]]
    limit = safety["limit_mb"]
    parts += ["<h2>Memory Safety Summary</h2>",
              _kv({"overall status": safety["status"],
                   "GPU memory limit": f"{limit / 1024:.2f} GiB" if isinstance(limit, (int, float)) else limit,
                   "limit type": safety["limit_type"], "total violations": safety["total_violations"],
                   "runs measured": safety["runs_measured"], "recorded as skipped_oom": safety["runs_skipped_oom"],
                   "emulating": ", ".join(safety["emulated_profiles"])}),
              _table(closest, (("run_id", "closest to the limit"), ("peak", "peak"), ("pct", "% of limit"),
                               ("figure", "figure")))]
    if report.get("videos"):
        parts += ["<h2>Video segmentation: per video</h2>", f"<p class=muted>{esc(MEMORY_FIGURE_NOTE)}</p>",
                  _table(report["videos"], VIDEO_COLUMNS)]
    cross = report.get("cross_device") or {}
    if cross.get("rows"):
        parts += ["<h2>Across devices</h2>", f"<p class=muted>{esc(CROSS_DEVICE_NOTE)}</p>",
                  _table(cross["rows"], tuple(map(tuple, cross["columns"])))]
        if plots.get("devices"):
            parts.append(_img(plots["devices"], "p50 per device"))
    if report.get("layer_profiles"):
        parts += ["<h2>Where the time goes (--layer_profile)</h2>", f"<p class=muted>{esc(LAYER_NOTE)}</p>",
                  _table(report["layer_profiles"], LAYER_COLUMNS)]
    if plots.get("process_time"):
        parts += ["<h2>Where each process's time went</h2>", _img(plots["process_time"], "process time"),
                  _table(report["process_time"], (("run_id", "run"), ("process_wall_s", "process s"),
                                                  ("measured_s", "measured s"), ("wall_over_measured", "wall / measured")))]
    parts += ["<h2>System metrics during the measured passes</h2>", _table(report["system"], SYSTEM_COLUMNS)]
    if report["warnings"]:
        parts += ["<h2>Warnings</h2><ul>" + "".join(f"<li>{esc(w['warning'])} <span class=muted>"
                                                    f"({esc(', '.join(w['runs']))})</span></li>"
                                                    for w in report["warnings"]) + "</ul>"]
    parts.append("<h2>Plots</h2>")
    for key, title in (("scatter", "Latency vs throughput"), ("bars", "p50 and p99 per run")):
        if plots.get(key):
            parts += [f"<h3>{title}</h3>", _img(plots[key], title)]
    for key, title in (("memory_by_frame", "Memory against frame index (video models)"),
                       ("latency_by_frame", "Latency against frame index (video models)"),
                       ("histograms", "Latency histograms"), ("memory", "Memory over time")):
        if plots.get(key):
            images = "".join(_img(p, rid) for rid, p in plots[key].items())
            parts.append(f"<details><summary>{title} ({len(plots[key])})</summary><div class=grid>{images}</div></details>")
    parts.append("<h2>Notes: figures that could not be measured</h2>")
    every = measured_ids(report)
    notes = [{"reason": n["reason"], "figures": ", ".join(n["figures"]), "runs": runs_text(n["runs"], every)}
             for n in report["notes"]]
    parts.append(_table(notes, (("reason", "why"), ("figures", "figures"), ("runs", "runs"))) if notes
                 else "<p>Every figure was measured in every run.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
