"""The host-interference figures and verdict of real runs beside 0, 1 and 2 busy processes (a Python loop each),
and the latency they measured: what the default limit of ``host_interference_pct`` rests on.

    python3 bench/host_interference_evidence.py --workdir /tmp/jb_host --repeats 2

Phase A runs once; each measurement is a fresh ``--skip_setup`` command (its own Phase B). Prints one Markdown
row per measurement: busy processes, host_interference_pct, other processes' and this run's CPU in % of a core,
run queue max, p50 / p99 ms, CV %, valid.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench_common import REPO, results, run_cli

HOG = "import time\nend = time.perf_counter() + {s}\nwhile time.perf_counter() < end: pass\n"
COLUMNS = ("host_interference_pct", "host_other_cpu_core_pct", "host_other_cpu_core_pct_max", "host_own_cpu_core_pct",
           "host_run_queue_max", "latency_ms_p50", "latency_ms_p99", "latency_cv_pct")


def measured(workdir: Path, common: list, busy: int, index: int) -> dict:
    hogs = [subprocess.Popen([sys.executable, "-c", HOG.format(s=120)]) for _ in range(busy)]
    try:
        out = workdir / f"busy{busy}_{index}"
        run_cli([*common, "--skip_setup", "--out_dir", out])
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    (result,) = results(out).values()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--args", default="--models yolo11n --backend onnxruntime --imgsz 320 --warmup 5 --iters 30 "
                                          "--min_duration_s 4 --fidelity_frames 0 --accuracy_images 0")
    opts = parser.parse_args()
    common = [*opts.args.split(), "--preprocessed_dir", opts.workdir / "pre"]
    run_cli([*common, "--skip_inference", "--out_dir", opts.workdir / "setup"])
    print("| busy processes | " + " | ".join(COLUMNS) + " | valid |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for index in range(opts.repeats):
        for busy in (0, 1, 2):
            result = measured(opts.workdir, common, busy, index)
            metrics, verdict = result["metrics"], result["validity"]
            cells = [f"{metrics.get(k):.4g}" if isinstance(metrics.get(k), float) else str(metrics.get(k))
                     for k in COLUMNS]
            print(f"| {busy} | " + " | ".join(cells) + f" | {'yes' if verdict['valid'] else 'no'} |", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
