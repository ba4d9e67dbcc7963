"""A phase process ends when its parent does (Linux ``PR_SET_PDEATHSIG``), so killing the harness never
leaves an orphan measuring on a busy device. Elsewhere this is a no-op."""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    expected = os.environ.get("JETSON_BENCHMARK_PARENT_PID")
    if expected and os.getppid() != int(expected):  # the parent died before we asked: go now
        os._exit(1)
    return True


PR_SET_NAME = 15


def name_process(name: str) -> bool:
    """The name ``top``, ``ps -o comm`` and jtop show for this process (Linux, 15 bytes at most): a process forked by
    the launcher keeps the launcher's command line, so it says what it is this way."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def end_process(code: int) -> None:
    """End this process now with ``code``: standard output and error flushed, then ``os._exit`` (no interpreter
    shutdown, no return to a caller's loop)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
