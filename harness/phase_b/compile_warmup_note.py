"""Phase B: why a run of a backend that compiles in its model load (its descriptor's ``compile_cache``,
runners/backends.py) did not find a warm cache, from Phase A's record of the compile warm-up of the same run
(``setup["compile_warmup"]``, harness/phase_a/compile_warmup.py)."""

from __future__ import annotations

from typing import Optional


def compile_warmup_warning(result: dict, setup: dict) -> Optional[str]:
    """A warning when the run's compile was not warm and Phase A's warm-up says why; None otherwise."""
    state = (result.get("runner") or {}).get("compile_cache")
    if state in (None, "warm", "cold"):  # warm as promised, or cold on purpose (--compile_cache cold)
        return None
    record = (setup.get("compile_warmup") or {}).get(result["run_id"])
    if not record:
        return (f"the compile was {state}: Phase A did not warm this run's cache (a setup made before the run "
                "was planned, or --skip_setup with other flags)")
    outcome = record.get("outcome")
    if outcome == "fits":
        return (f"the compile was {state} although Phase A's warm-up of this run compiled in {record.get('wall_s')} s: "
                "see the result's runner.cache_counters")
    return (f"the compile was {state}: Phase A's warm-up of this run ended {outcome} ({record.get('detail')}), so "
            "the cache holds only what it compiled before")
