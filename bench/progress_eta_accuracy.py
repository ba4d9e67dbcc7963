"""How close the progress bar's ETA comes to the time a matrix really took: at each run's end, the matrix bar's
remaining-time estimate against the time the matrix's runs actually still took (until the bar reached its end; the
summary and reports written after the last run are not part of the bar). tqdm shows whole seconds, so the last runs'
relative errors are mostly rounding: the absolute error is printed beside them.

    python bench/progress_eta_accuracy.py [--workdir DIR] [-- MATRIX FLAGS ...]

Default matrix: 16 runs (yolo11n and yolov8n, torch and onnxruntime, batch 1, 2, 4 and 8 at 64 px). The bars are
forced on (JETSON_BENCHMARK_PROGRESS=1) and read from stderr as tqdm draws them.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = ["--models", "yolo11n,yolov8n", "--backend", "torch,onnxruntime", "--batch", "1,2,4,8", "--imgsz", "64"]
BAR = re.compile(r"matrix:.*?\|\s*(\d+)/(\d+) \[(\d+):(\d+)<(?:(\d+):(\d+)|\?)")


def seconds(minutes: str, secs: str) -> int:
    return int(minutes) * 60 + int(secs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", default=None)
    parser.add_argument("matrix", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="jb_eta_"))
    workdir.mkdir(parents=True, exist_ok=True)
    flags = [a for a in args.matrix if a != "--"] or DEFAULT
    setup = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *flags, "--skip_inference"], cwd=workdir,
                           capture_output=True, text=True, env={**os.environ, "YOLO_OFFLINE": "1"})
    if setup.returncode != 0:
        sys.exit(f"setup failed:\n{setup.stderr[-2000:]}")
    env = {**os.environ, "YOLO_OFFLINE": "1", "JETSON_BENCHMARK_PROGRESS": "1"}
    begun = time.perf_counter()
    done = subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), *flags, "--skip_setup"], cwd=workdir,
                          capture_output=True, text=True, env=env)
    total_s = time.perf_counter() - begun
    estimates = {}
    for chunk in re.split(r"[\r\n]", done.stderr):
        match = BAR.search(chunk)
        if match and match.group(5) is not None:
            finished = int(match.group(1))
            estimates.setdefault(finished, (seconds(match.group(3), match.group(4)),
                                            seconds(match.group(5), match.group(6)), int(match.group(2))))
    if not estimates:
        sys.exit("no progress bar was read from the command's stderr")
    runs = next(iter(estimates.values()))[2]
    matrix_end = max(e[0] for n, e in estimates.items() if n == runs) if runs in estimates else total_s
    print(f"machine: {os.cpu_count()} CPU cores; matrix: {' '.join(flags)}; command {total_s:.1f} s, "
          f"its {runs} runs {matrix_end} s")
    print("| runs done | elapsed s | ETA s | the runs actually took s more | error |")
    print("|---|---|---|---|---|")
    errors = []
    for finished, (elapsed, eta, _) in sorted(estimates.items()):
        if finished >= runs:
            continue
        remained = matrix_end - elapsed
        error = (eta - remained) / remained if remained > 0 else 0.0
        errors.append((finished, abs(error), eta - remained))
        print(f"| {finished}/{runs} | {elapsed} | {eta} | {remained} | {100 * error:+.0f} % ({eta - remained:+d} s) |")
    half = [e for n, e, _ in errors if n <= runs // 2 + runs // 4]
    print(f"largest |error| over the first three quarters of the matrix: {100 * max(half):.0f} %; largest absolute "
          f"error anywhere: {max(abs(d) for _, _, d in errors)} s")


if __name__ == "__main__":
    main()
