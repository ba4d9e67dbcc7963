"""How every child process of the harness starts: Phase A, Phase B, a batch-size probe attempt, a training run, an
engine build and a trtexec check are each ``python -m <module> --request FILE`` launched by the parent (or by
Phase A), and each begins the same way, here once:

1. its command line parsed (``--request`` and the child's own flags);
2. it asks the kernel to kill it when its parent dies (harness.process.lifeline), before any work, so a killed harness
   leaves no orphan measuring on a busy device;
3. its request read (a JSON file the parent wrote atomically);
4. its log set up on stderr under its phase name, and the libraries told to stay offline;
5. its body run, and whatever escapes the body turned into one protocol event and an exit code: a user error
   (bad input) its message and its code, a full disk or read-only folder one line naming the path (exit 2), any
   other exception ``internal_error`` with the traceback in the log (exit 1).

How a child *ended* is classified in one place on the parent's side (harness.process.child_ending); this is the other end.
"""

from __future__ import annotations

import argparse
import logging
from typing import Callable, Optional, Sequence

from harness.process import child_protocol
from harness.files.atomic_io import read_json
from harness.errors import EXIT_INTERNAL, EXIT_USAGE, UserError
from harness.process.lifeline import die_with_parent
from harness.process.logging_setup import configure_phase_logging, quiet_offline_environment


def child_main(module: str, phase: str, body: Callable[[dict, argparse.Namespace], int], argv=None,
               extra_flags: Sequence[tuple] = (), read_request: Callable[[str], dict] = read_json,
               verbose: Optional[Callable[[dict, argparse.Namespace], bool]] = None) -> int:
    """Start a child as the module docstring says and return its exit code. ``body(request, args)`` does the work;
    ``extra_flags`` are ``(flag, argparse keyword arguments)`` pairs; ``verbose(request, args)`` says whether to log
    at debug level (default: a ``verbose`` key of the request)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}")
    parser.add_argument("--request", required=True, help="the JSON request the parent wrote")
    for flag, kwargs in extra_flags:
        parser.add_argument(flag, **kwargs)
    args = parser.parse_args(argv)
    die_with_parent()
    request = read_request(args.request)
    log = configure_phase_logging(phase, verbose(request, args) if verbose else bool(request.get("verbose")))
    quiet_offline_environment()
    try:
        return body(request, args)
    except UserError as exc:
        log.error("%s", exc.message)
        child_protocol.emit("user_error", message=exc.message)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - every failure becomes one event and an exit code
        return ended_by(exc, phase, log)


def ended_by(exc: Exception, phase: str, log: logging.Logger) -> int:
    """The event and exit code of an exception that escaped a child's body."""
    from harness.files.disk_errors import disk_error_message

    disk = disk_error_message(exc) if isinstance(exc, OSError) else None
    if disk is not None:
        child_protocol.emit("user_error", message=f"{phase_title(phase)} {disk}")
        return EXIT_USAGE
    log.exception("%s failed", phase_title(phase))
    child_protocol.emit("internal_error", message=f"{type(exc).__name__}: {exc}")
    return EXIT_INTERNAL


def phase_title(phase: str) -> str:
    return f"Phase {phase}" if phase in ("A", "B") else phase
