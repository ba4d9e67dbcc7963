"""Printing that survives a closed reader: ``jetson_benchmark.py ... | head`` must not stop the harness.

When the pipe's reader goes away, printing stops for the rest of the process (stdout is pointed at /dev/null so
the interpreter's final flush cannot fail either) and the work goes on: results, summary, report and plots are
still written. Everything printed is also in run.log.
"""

from __future__ import annotations

import os
import sys

_closed = {"stdout": False}


def stdout_closed() -> bool:
    return _closed["stdout"]


def _silence_stdout() -> None:
    _closed["stdout"] = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def safe_print(text: str = "", write=None) -> None:
    """``print(text)`` (or ``write(text)``), unless the reader of stdout has gone away."""
    if _closed["stdout"]:
        return
    try:
        if write is not None:
            write(text)
        else:
            print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()
