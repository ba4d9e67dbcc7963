"""How a Ray task of the fleet ended when it returned nothing: the node was lost, Ray's memory monitor killed
the worker, or the worker died. (How the Phase B child inside a task ended is classified on the node by
harness.process.child_ending, as on one host.)"""

from __future__ import annotations

from harness.records.results import STATUS_FAILED, STATUS_SKIPPED_OOM

NODE_LOST = "node lost"


def task_failure(exc: BaseException, lost: list) -> tuple:
    """(status, reason, evidence) for a task that raised ``exc``; ``lost``: nodes of its profile that vanished
    while it was in flight."""
    kind = type(exc).__name__
    message = (str(exc).strip().splitlines() or [""])[0][:300]
    evidence = {"ray_error": kind, "message": message, "lost_nodes": [n.describe() for n in lost]}
    if kind == "OutOfMemoryError":
        return STATUS_SKIPPED_OOM, "the Ray worker was killed by Ray's memory monitor (node memory full)", evidence
    if lost or kind in ("NodeDiedError", "LocalRayletDiedError"):
        return STATUS_FAILED, NODE_LOST, evidence
    return STATUS_FAILED, f"the Ray worker process died ({kind})", evidence


def retryable(reason: str) -> bool:
    return reason == NODE_LOST or reason.startswith("the Ray worker process died")
