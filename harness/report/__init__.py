"""Reports derived from the per-run result files: report.json, report.md, report.html and plots/."""
