"""Whether a stored result may be reused: only when it would be measured the same way again (its run key), finished,
and whole; a reused result is judged again by this command's validity requirements."""

from __future__ import annotations

from pathlib import Path

from harness.records.measurement_request import validity_requirements
from harness.settings.options import Options
from harness.records.results import FINISHED_STATUSES, STATUS_OK, read_result, result_path, write_result
from harness.files.identity_key import key_of
from harness.records.run_identity import what_changed


def reuse_decision(existing, identity: dict, force: bool) -> tuple:
    """(reuse the stored result?, the one-line reason it is redone, or None when there was nothing to redo)."""
    if existing is None:
        return False, None
    if force:
        return False, "redone: --force"
    if existing.get("run_key") != key_of(identity):
        return False, f"redone: {what_changed(existing.get('identity'), identity)}"
    if existing.get("status") not in FINISHED_STATUSES:
        return False, f"redone: the stored result is {existing.get('status')}"
    wanted = int((identity.get("measurement") or {}).get("repeats") or 1)
    have = len((existing.get("repeats") or {}).get("processes") or [])
    if wanted > 1 and existing.get("status") == STATUS_OK and have < wanted:  # stopped between its processes
        return False, f"redone: the stored result has {max(have, 1)} of its {wanted} processes"
    return True, None

def rejudge_stored(out_dir: Path, run_id: str, opts: Options) -> None:
    """A reused result is judged by this command's requirements (its recorded conditions are the same)."""
    from harness.measure.validity import Requirements, rejudged

    result = read_result(result_path(out_dir, run_id))
    verdict = rejudged(result or {}, Requirements.from_dict(validity_requirements(opts)))
    if verdict is not None:
        result["validity"] = verdict
        write_result(out_dir, result)
