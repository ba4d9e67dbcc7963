"""Results the parent writes itself: a run Phase A planned not to measure, a Phase B process that ended without a
result (classified once, harness.process.child_ending), and the two parts of a process's life only the parent sees."""

from __future__ import annotations

from pathlib import Path

from harness.process.child_ending import OOM_KILLED, TIMEOUT, classify_ending
from harness.process.launcher import ChildOutcome
from harness.records.planned_run import PlannedRun
from harness.records.results import STATUS_FAILED, STATUS_SKIPPED_OOM, new_result, read_result, result_path, write_result


def _parent_result(planned: PlannedRun, identity: dict, status: str, reason: str, evidence: dict,
                   outcome: ChildOutcome = None, oom_evidence: str = None) -> dict:
    result = new_result(planned, status, identity, reason)
    result["evidence"] = evidence
    if oom_evidence:
        result["oom_evidence"] = oom_evidence  # rule | probe | observed
    result["process"] = {"phase": "parent" if outcome is None else "B (died)",
                         "pid": None if outcome is None else outcome.pid}
    return result

def record_dead_child(run: dict, outcome: ChildOutcome, out_dir: Path, budget_mb: float = None) -> dict:
    """The result of a Phase B process that ended without writing one. A SIGKILL is out of memory only with
    evidence of memory pressure (``budget_mb``: what the run may hold where its process memory counts against it,
    i.e. unified memory); otherwise it is a failure, which a rerun measures again."""
    evidence = {"returncode": outcome.returncode, "signal": outcome.signal_name, "timed_out": outcome.timed_out,
                "child_wall_s": round(outcome.wall_s, 3), "log_tail": outcome.tail[-15:]}
    ending = classify_ending(outcome, None, budget_mb=budget_mb)
    if ending.memory:
        evidence["memory_pressure"] = ending.memory
    oom_evidence = None
    if ending.kind == OOM_KILLED:
        status, reason, oom_evidence = STATUS_SKIPPED_OOM, f"Phase B process {ending.detail}", "observed"
    elif ending.kind == TIMEOUT:
        status, reason = STATUS_FAILED, f"Phase B process exceeded --run_timeout_s and was killed after {outcome.wall_s:.0f} s"
    elif ending.memory:
        status, reason = STATUS_FAILED, f"Phase B process {ending.detail} before writing a result"
    else:
        detail = outcome.signal_name or f"exit code {outcome.returncode}"
        status, reason = STATUS_FAILED, f"Phase B process died ({detail}) before writing a result"
    result = _parent_result(PlannedRun.from_dict(run), run["identity"], status, reason, evidence, outcome, oom_evidence)
    if ending.kind == OOM_KILLED:
        result["oom_evidence_detail"] = ending.memory.get("seen")
    write_result(out_dir, result)
    return result

def planned_skip_result(run: dict) -> dict:
    """A run Phase A decided not to measure: recorded by the parent with Phase A's reason and evidence. ``run``: the
    planned run as the setup config stores it, with the identity the parent gave it."""
    planned = PlannedRun.from_dict(run)
    return _parent_result(planned, run["identity"], planned.skip_status, planned.skip_reason,
                          {"planned_by": "Phase A", **planned.evidence}, oom_evidence=planned.oom_evidence)

def finish_process_times(out_dir: Path, run_ids: list, written: dict, outcome: ChildOutcome) -> None:
    """Each result of one Phase B process gets the two parts only the parent sees: its writing, and (the last run)
    the process's teardown to its exit (harness.measure.process_timeline)."""
    from harness.measure.process_timeline import finish_parts

    for run_id in run_ids:
        result = read_result(result_path(out_dir, run_id))
        if result is None or not (result.get("process") or {}).get("parts_s"):
            continue
        result["process"] = finish_parts(result["process"], written.get(run_id), outcome.ended_at,
                                         run_id == run_ids[-1] and outcome.returncode == 0)
        write_result(out_dir, result)
