"""The largest batch that fits: powers of two up to the largest requested batch, then bisection.

Pure logic: ``attempt(batch)`` runs one probe (in the real harness, a child process) and returns an
outcome string: ``fits``, ``oom``, or anything else for "could not tell" (an error), which stops the
search without a verdict.
"""

from __future__ import annotations

from typing import Callable

FITS = "fits"
OOM = "oom"


def ascending_candidates(max_batch: int) -> list:
    """1, 2, 4, ... up to ``max_batch``, with ``max_batch`` itself last when it is not a power of two."""
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    out, size = [], 1
    while size <= max_batch:
        out.append(size)
        size *= 2
    if out[-1] != max_batch:
        out.append(max_batch)
    return out


def find_largest_batch(max_batch: int, attempt: Callable[[int], dict]) -> dict:
    """Returns ``{"largest_fit": int (0 if even 1 fails) or None (unknown), "first_oom": int|None,
    "attempts": [...], "conclusive": bool}``. ``attempt`` returns a dict with at least ``outcome``."""
    attempts = []

    def run(batch: int) -> str:
        record = dict(attempt(batch))
        record["batch"] = batch
        attempts.append(record)
        return record["outcome"]

    last_fit, first_oom = 0, None
    for batch in ascending_candidates(max_batch):
        outcome = run(batch)
        if outcome == FITS:
            last_fit = batch
        elif outcome == OOM:
            first_oom = batch
            break
        else:
            return {"largest_fit": None, "first_oom": None, "attempts": attempts, "conclusive": False}
    if first_oom is not None:
        low, high = last_fit, first_oom
        while high - low > 1:
            middle = (low + high) // 2
            outcome = run(middle)
            if outcome == FITS:
                low = middle
            elif outcome == OOM:
                high = middle
            else:
                return {"largest_fit": low, "first_oom": high, "attempts": attempts, "conclusive": False}
        last_fit, first_oom = low, high
    return {"largest_fit": last_fit, "first_oom": first_oom, "attempts": attempts, "conclusive": True}
