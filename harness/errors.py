"""Errors that reach the user as one line and an exit code, never as a traceback."""

from __future__ import annotations

# Exit codes of the CLI and of the phase subprocesses.
EXIT_OK = 0
EXIT_RUN_FAILURES = 3      # the matrix completed but at least one run has status "failed"
EXIT_USAGE = 2             # bad flag, bad input, missing setup: the user must change something
EXIT_INTERNAL = 1          # a bug or an environment failure; details are in run.log
EXIT_REGRESSION = 4        # compare: a run got slower (or worse) beyond the runs' noise


class UserError(Exception):
    """A problem with what the user gave us (flags, files, folders). Printed as one line."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
