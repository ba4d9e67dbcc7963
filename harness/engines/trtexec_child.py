"""Run trtexec's passes on one engine in its own process: ``python -m harness.engines.trtexec_child --request FILE``.

The request (JSON, written by :mod:`harness.parent.trtexec_check`): ``passes`` {name: argv}, ``out_dir`` (logs and
exported files go there), ``pass_timeout_s``. Each pass's log is kept as ``<name>.log``; the parsed record
(``trtexec.json`` in ``out_dir``: per pass its exit code, performance summary, per-query times and, where
exported, per-layer times) is written atomically, then one ``trtexec_result`` event names it. Exit 0 when
every pass ran and said PASSED, 4 otherwise (the record says why).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.process import child_protocol
from harness.files.atomic_io import atomic_write_json
from harness.engines.trtexec_output import parse_export_profile, parse_export_times, parse_perf_summary

EXIT_OK, EXIT_FAILED = 0, 4
PROFILE_TOP = 15


def _exported(argv: list, flag: str):
    """The file a ``--flag=PATH`` argument names, when trtexec wrote it."""
    path = next((a.split("=", 1)[1] for a in argv if a.startswith(f"{flag}=")), None)
    return Path(path) if path and Path(path).is_file() else None


def run_pass(name: str, argv: list, out_dir: Path, timeout_s: float) -> dict:
    log_path = out_dir / f"{name}.log"
    try:
        with open(log_path, "w") as log:
            proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  timeout=timeout_s)
        returncode, problem = proc.returncode, None
    except subprocess.TimeoutExpired:
        returncode, problem = None, f"trtexec gave no answer within {timeout_s:.0f} s"
    except OSError as exc:
        returncode, problem = None, f"trtexec could not be started: {exc}"
    summary = parse_perf_summary(log_path.read_text(errors="replace")) if log_path.is_file() else None
    times, profile = _exported(argv, "--exportTimes"), _exported(argv, "--exportProfile")
    record = {"argv": argv, "returncode": returncode, "log": str(log_path), "problem": problem,
              "summary": summary.to_dict() if summary else None,
              "times": parse_export_times(times.read_text()) if times else None,
              "profile_top": parse_export_profile(profile.read_text())[:PROFILE_TOP] if profile else None}
    if problem is None and not (summary and summary.passed):
        record["problem"] = (f"trtexec exited {returncode} without a PASSED line" if returncode
                             else "trtexec printed no PASSED line")
    return record


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    return child_main("harness.engines.trtexec_child", "trtexec", run_passes, argv)


def run_passes(request: dict, _args) -> int:
    """trtexec's passes of one run, each in its own process, their record written and announced."""
    out_dir = Path(request["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    passes = {name: run_pass(name, list(argv_), out_dir, float(request["pass_timeout_s"]))
              for name, argv_ in request["passes"].items()}
    path = atomic_write_json(out_dir / "trtexec.json", {"passes": passes})
    failed = [f"{name}: {p['problem']}" for name, p in passes.items() if p["problem"]]
    child_protocol.emit("trtexec_result", outcome="failed" if failed else "ok", record=str(path),
                        problems=failed)
    return EXIT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
