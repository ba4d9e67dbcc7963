"""docs/metric_reference.md, written from the metric catalog: ``python3 -m harness.doc_pages.metric_docs > docs/metric_reference.md``.

One section per section of harness.measure.metric_catalog.SECTIONS, one row per figure with its unit, its source
and its definition, so the page cannot drift from the code (tests/test_docs_in_step.py compares it with this
output). docs/metrics.md keeps the prose: how each figure is measured, why, and what to beware of."""

from __future__ import annotations

import re
import sys

from harness.doc_pages.doc_tables import cell, table

COMMAND = "python3 -m harness.doc_pages.metric_docs > docs/metric_reference.md"


def anchor(heading: str) -> str:
    """The fragment a Markdown renderer (GitHub's rule) gives a heading: lower case, punctuation dropped, spaces
    to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def metric_reference_markdown() -> str:
    from harness.measure.metric_catalog import SECTIONS

    lines = ["# Metric reference", "",
             f"Written from the code by `{COMMAND}` (a test fails when this page and the catalog in "
             "`harness/measure/metric_catalog.py` differ): every figure a result or the summary CSV carries, with its "
             "unit, where it comes from and what exactly it measures. Names carry their unit; \"MB\" in a name means "
             "MiB (2^20 bytes). A figure a platform cannot give is empty (`null` in JSON, blank in CSV) and the "
             "result's `unavailable` maps its name to the reason. How each is measured, why, and what to beware of: "
             "[metrics.md](metrics.md).", ""]
    for section, figures in SECTIONS.items():
        rows = [(f"`{m.name}`", cell(m.unit), cell(m.source), cell(m.definition)) for m in figures]
        lines += [f"## {section}", "", *table(("metric", "unit", "source", "definition"), rows), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(metric_reference_markdown())
