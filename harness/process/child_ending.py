"""How a child process ended, classified once for every caller (the orchestrator's Phase B runs, Phase A's
batch probes, the TensorRT builder children): each maps the kind to its own record."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Optional

from harness.process.oom_evidence import judge_kill

TIMEOUT, OOM_KILLED, VERDICT, DIED = "timeout", "oom_killed", "verdict", "died"


@dataclass(frozen=True)
class ChildEnding:
    kind: str                                   # timeout | oom_killed | verdict | died
    detail: str                                 # one line: what happened
    event: dict = field(default_factory=dict)   # the child's verdict event, when it gave one
    memory: dict = field(default_factory=dict)  # for a SIGKILL: what was seen of its memory (harness.process.oom_evidence)


def classify_ending(outcome, verdict_event: Optional[str], timeout_s: Optional[float] = None,
                    budget_mb: Optional[float] = None) -> ChildEnding:
    """In this order: stopped at its time limit; SIGKILLed without the harness asking, out of memory only with
    evidence of memory pressure (harness.process.oom_evidence; ``budget_mb``: the memory it may hold, where its process
    memory counts against it) and otherwise a death; gave its verdict event (``verdict_event``; exit status as the
    event says); died without one."""
    event = (outcome.last_event(verdict_event) if verdict_event else None) or {}
    if outcome.timed_out:
        limit = f"within {timeout_s:.0f} s" if timeout_s is not None else "within its time limit"
        return ChildEnding(TIMEOUT, f"no answer {limit}; the process was stopped after {outcome.wall_s:.0f} s", event)
    if getattr(outcome, "lost", None) and outcome.returncode is None:
        return ChildEnding(DIED, outcome.lost, event)
    if outcome.returncode == -signal.SIGKILL:
        judged = judge_kill(getattr(outcome, "memory", None), budget_mb)
        if judged.out_of_memory:
            return ChildEnding(OOM_KILLED, f"killed by SIGKILL, out of memory: {judged.seen}", event,
                               {"seen": judged.seen, **judged.facts})
        return ChildEnding(DIED, f"killed by SIGKILL (no sign of memory pressure: {judged.seen})", event,
                           {"seen": judged.seen, **judged.facts})
    if event:
        return ChildEnding(VERDICT, str(event.get("outcome") or event.get("event")), event)
    how = outcome.signal_name or f"exit code {outcome.returncode}"
    return ChildEnding(DIED, f"died ({how}) without a verdict", event)
