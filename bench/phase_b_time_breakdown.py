"""Where a matrix's Phase B processes spend their lives: each part summed over runs, and each process's wall time
over its measured window (median, min, max).

    python bench/phase_b_time_breakdown.py [--workdir DIR] [-- MATRIX FLAGS ...]

With no matrix flags it measures the default run (yolo11n and yolov8n, torch and onnxruntime, from an empty
folder). The figures come from the run's own result files (process.parts_s), written by the harness itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.report.time_breakdown import overhead_ratios, part_totals  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", default=None)
    parser.add_argument("matrix", nargs=argparse.REMAINDER, help="flags after --, passed to jetson_benchmark.py")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="jb_time_"))
    workdir.mkdir(parents=True, exist_ok=True)
    flags = [a for a in args.matrix if a != "--"]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *flags], cwd=workdir,
                          capture_output=True, text=True, env={**os.environ, "YOLO_OFFLINE": "1"})
    wall_s = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"the command failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    results = [json.loads(p.read_text()) for p in sorted((workdir / "jetson_results" / "runs").glob("*.json"))]
    results = [r for r in results if r.get("status") == "ok"]
    totals = part_totals(results)
    ratios = overhead_ratios(results)
    print(f"machine: {os.cpu_count()} CPU cores; command: jetson_benchmark.py {' '.join(flags)}; wall {wall_s:.1f} s")
    print(f"| part | seconds over {len(results)} runs | share |")
    print("|---|---|---|")
    whole = sum(totals.values()) or 1.0
    for name, seconds in totals.items():
        print(f"| {name} | {seconds:.2f} | {100 * seconds / whole:.0f} % |")
    if ratios:
        print(f"process wall / measured window: median {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x, {len(ratios)} processes)")


if __name__ == "__main__":
    main()
