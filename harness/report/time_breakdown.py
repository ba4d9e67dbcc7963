"""Where a command's time went, from the result files and the parent's own record: one line per phase, its parts
summed over runs (harness.measure.process_timeline), and the Phase B process wall against its measured window."""

from __future__ import annotations

import statistics

from harness.measure.process_timeline import PROCESS_PARTS


def part_totals(results: list) -> dict:
    """{part: seconds summed over the results}, in PROCESS_PARTS order (other names after)."""
    totals: dict = {}
    for result in results:
        for name, seconds in ((result.get("process") or {}).get("parts_s") or {}).items():
            totals[name] = totals.get(name, 0.0) + float(seconds or 0.0)
    order = {name: i for i, name in enumerate(PROCESS_PARTS)}
    return dict(sorted(totals.items(), key=lambda item: order.get(item[0], len(order))))


def overhead_ratios(results: list) -> list:
    """Each measured Phase B process's wall time over its measured window (runs alone in their process)."""
    ratios = []
    for result in results:
        process = result.get("process") or {}
        measured = (process.get("parts_s") or {}).get("measured")
        if process.get("process_wall_s") and measured and process.get("run_index_in_process") == 0:
            ratios.append(process["process_wall_s"] / measured)
    return ratios


def _parts_text(parts: dict) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in parts.items() if seconds >= 0.05) or "none"


def time_lines(results: list, command: dict) -> list:
    """The console's and report.md's account of the command's time. ``command``: the parent's record
    (harness.orchestrator.CommandClock.record()); ``results``: the runs this command measured."""
    lines = [f"where the time went ({command['total_s']:.1f} s):"]
    if command.get("phase_a_s") is not None:
        steps = {k[:-2]: v for k, v in (command.get("phase_a_steps_s") or {}).items()}
        lines.append(f"  Phase A {command['phase_a_s']:.1f} s: {_parts_text(steps)}")
    walls = [(r.get("process") or {}).get("process_wall_s") for r in results]
    walls = [w for w in walls if w]
    if walls:
        lines.append(f"  Phase B, {len(walls)} process(es), {sum(walls):.1f} s: {_parts_text(part_totals(results))}")
    launcher = command.get("launcher")
    if launcher and launcher.get("starts"):
        lines.append(f"  fork launcher: torch imported once per launcher ({launcher['starts']} started, "
                     f"{launcher['import_s']:.1f} s), the parent waited {launcher['waited_s']:.1f} s for it")
    ratios = overhead_ratios(results)
    if ratios:
        lines.append(f"  a Phase B process lives {statistics.median(ratios):.2f}x its measured window (median of "
                     f"{len(ratios)}; {min(ratios):.2f}-{max(ratios):.2f}x)")
    lines.append(f"  parent: summary and reports {command['reports_s']:.1f} s, the rest {command['parent_other_s']:.1f} s "
                 "(planning, launching, reading results)")
    return lines
