"""TensorRT builder workspace: start at min(requested, budget / 2), halve on allocation failure, stop at a
floor. Pure logic; the engines code passes a ``try_build(workspace_mb)`` that really builds."""

from __future__ import annotations

from typing import Callable, Optional

BUILT = "built"
ALLOCATION_FAILED = "allocation_failed"


def initial_workspace_mb(requested_mb: float, budget_mb: Optional[float]) -> float:
    return min(requested_mb, budget_mb / 2) if budget_mb else requested_mb


def search_workspace(requested_mb: float, budget_mb: Optional[float], floor_mb: float,
                     try_build: Callable[[float], dict]) -> dict:
    """``try_build`` returns a dict with ``outcome`` (built | allocation_failed | other = give up).

    Returns ``{"chosen_mb": float|None, "attempts": [...], "reason": str}``.
    """
    if floor_mb <= 0 or requested_mb <= 0:
        raise ValueError("workspace sizes must be positive")
    size = initial_workspace_mb(requested_mb, budget_mb)
    attempts = []
    while size >= floor_mb:
        record = dict(try_build(size))
        record["workspace_mb"] = size
        attempts.append(record)
        if record["outcome"] == BUILT:
            return {"chosen_mb": size, "attempts": attempts, "reason": f"built with {size:g} MiB of workspace"}
        if record["outcome"] != ALLOCATION_FAILED:
            return {"chosen_mb": None, "attempts": attempts,
                    "reason": f"build failed for a reason other than memory at {size:g} MiB: {record.get('detail')}"}
        size = size / 2
    return {"chosen_mb": None, "attempts": attempts,
            "reason": f"allocation failed down to the {floor_mb:g} MiB floor"}
