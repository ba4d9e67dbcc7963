"""The command's exit code and the last console line that names why, from the runs this command covered.

    0  every planned run ok, or skipped for a reason of the matrix the user asked for (an fp16 row on a CPU)
    2  bad input (a model whose files or .model.json were refused: its runs are skipped) or nothing could be
       measured (every run skipped)
    3  a run failed, or a condition named by --fail_on holds
    4  compare: a regression (harness/report/compare.py)
Pure data over result rows; the parent prints the line last.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import EXIT_OK, EXIT_REGRESSION, EXIT_RUN_FAILURES, EXIT_USAGE
from harness.report.int8_deltas import over_limit
from harness.records.results import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, STATUS_SKIPPED_OOM

SKIPPED = (STATUS_SKIPPED, STATUS_SKIPPED_OOM)
EXIT_TABLE = (
    (EXIT_OK, "every planned run ok, or skipped for a reason of the asked matrix (e.g. an fp16 row on a CPU)"),
    (EXIT_USAGE, "bad input (a bad flag, a refused model file or .model.json: its runs are skipped), or nothing "
                 "could be measured (every run skipped)"),
    (EXIT_RUN_FAILURES, "a run failed, or a condition named by --fail_on holds (invalid, fidelity, accuracy_drop, "
                        "skipped)"),
    (EXIT_REGRESSION, "compare: a regression beyond the runs' noise"),
)


@dataclass(frozen=True)
class ExitStatus:
    code: int
    line: str


def _ids(rows: list) -> str:
    names = [str(r.get("run_id")) for r in rows]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def fail_on_findings(rows: list, fail_on: list) -> list:
    """``["--fail_on invalid: 2 run(s) not valid (a, b)", ...]`` for each named condition that holds."""
    tests = {
        "invalid": ("not valid", lambda r: r.get("valid") == "no"),
        "fidelity": ("below the fidelity gate", lambda r: r.get("fidelity_pass") is False or r.get("fidelity_pass") == 0.0),
        "accuracy_drop": ("over the int8 accuracy-drop limit", over_limit),
        "skipped": ("skipped", lambda r: r.get("status") in SKIPPED),
    }
    findings = []
    for name in fail_on:
        what, test = tests[name]
        hit = [r for r in rows if test(r)]
        if hit:
            findings.append(f"--fail_on {name}: {len(hit)} run(s) {what} ({_ids(hit)})")
    return findings


def exit_status(rows: list, refused_inputs: dict, fail_on: list) -> ExitStatus:
    """``rows``: the summary rows of this command's runs; ``refused_inputs``: run id -> why its model was refused."""
    failed = [r for r in rows if r.get("status") == STATUS_FAILED]
    measured = [r for r in rows if r.get("status") == STATUS_OK]
    if refused_inputs:
        reasons = sorted(set(refused_inputs.values()))
        return ExitStatus(EXIT_USAGE, f"exit {EXIT_USAGE}: bad input, {len(refused_inputs)} run(s) skipped: "
                                      + "; ".join(reasons))
    if failed:
        return ExitStatus(EXIT_RUN_FAILURES, f"exit {EXIT_RUN_FAILURES}: {len(failed)} run(s) failed ({_ids(failed)})")
    if rows and not measured:
        return ExitStatus(EXIT_USAGE, f"exit {EXIT_USAGE}: nothing could be measured: every run was skipped (reasons "
                                      "above)")
    findings = fail_on_findings(rows, fail_on)
    if findings:
        return ExitStatus(EXIT_RUN_FAILURES, f"exit {EXIT_RUN_FAILURES}: " + "; ".join(findings))
    skipped = len(rows) - len(measured)
    return ExitStatus(EXIT_OK, f"exit {EXIT_OK}: {len(measured)} run(s) ok" +
                      (f", {skipped} skipped for a reason of the asked matrix" if skipped else ""))


def epilog() -> str:
    """The exit-code table for ``--help`` (argparse wraps it into one paragraph)."""
    return "Exit codes: " + "; ".join(f"{code} = {meaning}" for code, meaning in EXIT_TABLE) + "."
