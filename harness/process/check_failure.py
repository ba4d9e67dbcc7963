"""How a check after the measured passes failed, in one line: the reason its figures are missing (Phase B's checks,
one video of a video run, a training run)."""

from __future__ import annotations

from harness.process.oom import is_oom_exception


def check_failure(name: str, exc: BaseException) -> tuple:
    """(one-line reason, ran out of memory?) for the check ``name`` ("accuracy", "the accuracy hook", ...)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    oom = is_oom_exception(exc)
    what = "ran out of memory" if oom else "failed"
    return f"{name} {what}: {type(exc).__name__}: {first}"[:300], oom
