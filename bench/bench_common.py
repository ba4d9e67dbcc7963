"""Helpers shared by the bench scripts: run the real CLI, read results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_cli(args: list, check: bool = True) -> tuple:
    """(wall seconds, CompletedProcess) of ``python jetson_benchmark.py ARGS``; started_at is time.time()."""
    started_at = time.time()
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, "YOLO_OFFLINE": "1", "JETSON_BENCHMARK_PROGRESS": "0"})
    if check and proc.returncode != 0:
        sys.exit(f"jetson_benchmark.py {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                 f"{proc.stderr[-3000:]}")
    return time.perf_counter() - began, proc, started_at


def results(out_dir) -> dict:
    from harness.records.results import load_results

    return {r["run_id"]: r for r in load_results(out_dir)}


def child_json(argv: list) -> dict:
    """Run a helper child (``python SCRIPT ...``) that prints one line ``RESULT {json}``."""
    proc = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env={**os.environ, "YOLO_OFFLINE": "1"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        sys.exit(f"{argv} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def ratio(a, b) -> str:
    return f"{a / b:.3f}" if a and b else "n/a"
