"""Wall time of the default run (no arguments) from an empty folder, and of a --skip_setup rerun.

    python bench/default_run_walltime.py [--workdir DIR]

The goal is under 3 minutes for the default run on a 2-core CPU machine. Both runs are
real: the CLI in a subprocess, as a user would type it. The rerun uses --force so it measures again
instead of skipping the finished runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(args: list, cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *args], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "YOLO_OFFLINE": "1"})
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="jb_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    full = timed([], workdir)
    rerun = timed(["--skip_setup", "--force"], workdir)
    print(f"machine: {os.cpu_count()} CPU cores; workdir {workdir}")
    print("| run | wall time (s) |")
    print("|---|---|")
    print(f"| default (no arguments, empty folder) | {full:.1f} |")
    print(f"| --skip_setup --force rerun | {rerun:.1f} |")
    print(f"target: default run < 180 s -> {'met' if full < 180 else 'MISSED'}")


if __name__ == "__main__":
    main()
