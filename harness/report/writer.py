"""Write every report file from the results in out_dir (atomic writes)."""

from __future__ import annotations

from pathlib import Path

from harness.files.atomic_io import atomic_write_json, atomic_write_text
from harness.report.html_report import render_html
from harness.report.markdown_report import render_markdown
from harness.report.plots import make_plots
from harness.report.report_data import build_report
from harness.records.results import load_results


def write_reports(out_dir: str | Path) -> dict:
    out_dir = Path(out_dir)
    report = build_report(out_dir)
    plots = make_plots(load_results(out_dir), out_dir)
    report["plots"] = {k: (str(v) if not isinstance(v, dict) else {rid: str(p) for rid, p in v.items()})
                       for k, v in plots.items()}
    paths = {"json": atomic_write_json(out_dir / "report.json", report),
             "md": atomic_write_text(out_dir / "report.md", render_markdown(report, plots, out_dir)),
             "html": atomic_write_text(out_dir / "report.html", render_html(report, plots))}
    return paths
