"""The whole reason of every row that is not ok or not valid, under a run table: one entry per row, wrapped to the
console's width and never cut, with a failed child's own exception line (its traceback's last line) when the
reason does not already carry it."""

from __future__ import annotations

import textwrap

WIDTH = 110
INDENT = "    "


TRACEBACK_HEADERS = ("Traceback", "During handling", "The above exception")


def exception_line(result: dict):
    """A failed run's own exception, as its traceback ends (Phase B's ``traceback_tail``, or the log of a child that
    died): the last unindented line, with the message lines that follow it, on one line."""
    evidence = result.get("evidence") or {}
    lines = [str(line).rstrip() for line in (evidence.get("traceback_tail") or evidence.get("log_tail") or [])]
    lines = [line for line in lines if line.strip()]
    starts = [i for i, line in enumerate(lines) if not line[0].isspace() and not line.startswith(TRACEBACK_HEADERS)]
    return " ".join(" ".join(lines[starts[-1]:]).split()) if starts else None


def _wrapped(text: str, indent: str = "") -> str:
    return textwrap.fill(" ".join(str(text).split()), width=WIDTH, initial_indent=indent, subsequent_indent=INDENT,
                         break_long_words=False, break_on_hyphens=False)


def _said(exception: str, reason) -> bool:
    """Whether the reason already carries the exception's message."""
    return exception.split(": ", 1)[-1] in " ".join(str(reason).split())


def row_reason_lines(row: dict) -> list:
    """``["failed, <run id>: <reason>", "    exception: <line>"]`` / ``["valid no, <run id>: <reasons>"]``."""
    lines = []
    status = row.get("status")
    if status not in (None, "ok"):
        lines.append(_wrapped(f"{status}, {row['run_id']}: {row.get('reason') or 'no reason recorded'}"))
        exception = row.get("exception_last_line")
        if isinstance(exception, str) and exception and not _said(exception, row.get("reason")):
            lines.append(_wrapped(f"exception: {exception}", INDENT))
    if row.get("valid") == "no":
        lines.append(_wrapped(f"valid no, {row['run_id']}: {row.get('validity_reasons')}"))
    return lines


def reason_notes(rows: list) -> list:
    """One note (possibly several wrapped lines) per row that needs one, in the table's order."""
    return ["\n".join(lines) for lines in map(row_reason_lines, rows) if lines]
