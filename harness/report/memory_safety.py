"""The Memory Safety Summary: did every run stay within the budget, and which came closest."""

from __future__ import annotations

from typing import Optional

from harness.records.results import STATUS_OK, STATUS_SKIPPED_OOM


def _budget_peak(result: dict) -> tuple:
    """(peak MiB of the budgeted figure, what that figure is) for one result."""
    metrics, budget = result.get("metrics") or {}, result.get("memory_budget") or {}
    figure = budget.get("budget_figure")
    limit = budget.get("limit_mb")
    pct = metrics.get("budget_peak_pct")
    if figure and pct is not None and limit:
        return pct * limit / 100.0, figure
    if metrics.get("peak_torch_reserved_mb") is not None:
        return metrics["peak_torch_reserved_mb"], "peak_torch_reserved_mb (lower bound: misses the CUDA context)"
    return None, None


def memory_safety_summary(results: list, closest_n: int = 5) -> dict:
    measured = [r for r in results if r.get("status") == STATUS_OK]
    ooms = [r for r in results if r.get("status") == STATUS_SKIPPED_OOM]
    budgeted = measured + ooms  # a run that ran out of memory ran under the budget too
    limits = sorted({(r.get("memory_budget") or {}).get("limit_mb") for r in budgeted} - {None})
    type_counts: dict = {}
    for r in budgeted:
        budget = r.get("memory_budget") or {}
        if budget.get("limit_type"):
            type_counts[budget["limit_type"]] = type_counts.get(budget["limit_type"], 0) + 1
    limit_types = sorted(type_counts)
    violations = [((r.get("memory_budget") or {}).get("violations_n") or 0) for r in measured]
    rows = []
    for r in measured:
        peak, figure = _budget_peak(r)
        limit = (r.get("memory_budget") or {}).get("limit_mb")
        if peak is not None:
            rows.append({"run_id": r["run_id"], "peak_mb": peak, "figure": figure, "limit_mb": limit,
                         "pct_of_limit": (peak / limit * 100.0) if limit else None})
    rows.sort(key=lambda row: (row["pct_of_limit"] is None, -(row["pct_of_limit"] or 0), -row["peak_mb"]))
    if not limits:
        status = "no GPU memory budget applied (CPU runs or no budget known)"
    elif sum(violations):
        status = f"LIMIT EXCEEDED: {sum(violations)} sample(s) above the limit"
    elif not measured:
        status = f"no run completed under the limit: {len(ooms)} ran out of memory"
    else:
        status = "all measured runs stayed within the limit"
    unified = any((r.get("memory_budget") or {}).get("unified_memory") for r in results)
    emulated = sorted({(r.get("memory_budget") or {}).get("profile") for r in results
                       if (r.get("memory_budget") or {}).get("emulated_profile")} - {None})
    return {
        "status": status,
        "limit_mb": limits[0] if len(limits) == 1 else (limits or None),
        "limit_type": (limit_types[0] if len(limit_types) == 1 else
                       "; ".join(f"{t} for {n} run{'s' if n > 1 else ''}" for t, n in sorted(type_counts.items()))
                       if limit_types else None),
        "total_violations": sum(violations),
        "runs_measured": len(measured),
        "runs_skipped_oom": len(ooms),
        "skipped_oom": [{"run_id": r["run_id"], "reason": r.get("reason"), "oom_evidence": r.get("oom_evidence")}
                        for r in ooms],
        "skipped_oom_by_evidence": _by_evidence(ooms),
        "closest_to_limit": rows[:closest_n],
        "unified_memory": unified,
        "emulated_profiles": emulated,
    }


def _by_evidence(ooms: list) -> dict:
    """{"rule": n, "probe": n, "observed": n, "not recorded": n}: predicted skips apart from observed ones."""
    counts: dict = {}
    for result in ooms:
        key = result.get("oom_evidence") or "not recorded"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _gib(mb: Optional[float]) -> str:
    return "n/a" if mb is None else f"{mb / 1024:.2f} GiB"


def _evidence_text(counts: dict) -> str:
    if not counts:
        return ""
    order = ("observed", "probe", "rule", "not recorded")
    return " (" + ", ".join(f"{name} {counts[name]}" for name in order if name in counts) + ")"


def memory_safety_markdown(summary: dict, heading: str = "Memory Safety Summary") -> str:
    limit = summary["limit_mb"]
    limit_text = _gib(limit) if isinstance(limit, (int, float)) else ", ".join(_gib(x) for x in limit or []) or "none"
    lines = [f"## {heading}", "",
             f"- Overall status: {summary['status']}",
             f"- GPU memory limit: {limit_text}" + (f" (emulating {', '.join(summary['emulated_profiles'])})"
                                                  if summary["emulated_profiles"] else ""),
             f"- Limit type: {summary['limit_type'] or 'n/a'}",
             f"- Total violations: {summary['total_violations']}",
             f"- Runs measured: {summary['runs_measured']}; recorded as skipped_oom: {summary['runs_skipped_oom']}"
             + _evidence_text(summary.get("skipped_oom_by_evidence") or {})]
    if summary["unified_memory"]:
        lines.append("- Unified memory: CPU and GPU share one pool here; host and GPU figures are never added together")
    if summary["closest_to_limit"]:
        lines += ["", "Runs closest to the limit:"]
        for i, row in enumerate(summary["closest_to_limit"], 1):
            pct = f" ({row['pct_of_limit']:.1f}% of limit)" if row["pct_of_limit"] is not None else ""
            lines.append(f"{i}. {row['run_id']}: {_gib(row['peak_mb'])}{pct} [{row['figure']}]")
    return "\n".join(lines)
