"""The Markdown tables of the pages written from the code (docs/flags.md, docs/metric_reference.md): one header
row, one row per entry, each cell on one line with its pipes escaped."""

from __future__ import annotations


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(headers: tuple, rows: list) -> list:
    """The table's lines: ``rows`` are tuples of cells already in Markdown (escape text with :func:`cell`)."""
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + \
        ["| " + " | ".join(row) + " |" for row in rows]
