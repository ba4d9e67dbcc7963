"""--isolation fork against --isolation run on one matrix: the time a Phase B process lives over its measured
window, and every memory figure and the median latency of each run, side by side, in one command.

    python bench/isolation_fork_vs_run.py [--pairs 2] [-- MATRIX FLAGS ...]

Each pair measures the matrix once per isolation mode (the order alternates from pair to pair), each from the same
setup (--skip_setup after one Phase A) into its own results folder. With no matrix flags it measures the default
run (yolo11n and yolov8n, torch and onnxruntime). A memory figure should read the same under both modes: the forked
process maps in the launcher's library pages and counts the pages it shares with it (docs/isolation.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench_common import results, run_cli

from harness.report.time_breakdown import overhead_ratios

MODES = ("fork", "run")
MEMORY = ("baseline_rss_mb", "load_peak_rss_mb", "peak_rss_mb", "checks_peak_rss_mb", "end_uss_mb",
          "peak_process_gpu_mb", "peak_torch_reserved_mb")


def measure(work: Path, mode: str, pair: int, flags: list) -> dict:
    out = work / f"{mode}_{pair}"
    run_cli([*flags, "--skip_setup", "--preprocessed_dir", work / "pre", "--out_dir", out, "--isolation", mode])
    return {run_id: r for run_id, r in results(out).items() if r["status"] == "ok"}


def median_of(runs: list, name: str):
    values = [r["metrics"].get(name) for r in runs if r["metrics"].get(name) is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("matrix", nargs=argparse.REMAINDER, help="flags after --, passed to jetson_benchmark.py")
    args = parser.parse_args()
    flags = [a for a in args.matrix if a != "--"]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="jb_fork_"))
    run_cli([*flags, "--skip_inference", "--preprocessed_dir", work / "pre", "--out_dir", work / "setup"])
    by_mode: dict = {mode: {} for mode in MODES}
    for pair in range(args.pairs):
        for mode in (MODES if pair % 2 == 0 else MODES[::-1]):
            for run_id, result in measure(work, mode, pair, flags).items():
                by_mode[mode].setdefault(run_id, []).append(result)
    for mode in MODES:
        ratios = overhead_ratios([r for runs in by_mode[mode].values() for r in runs])
        print(f"--isolation {mode}: process wall / measured window median {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x, {len(ratios)} processes)")
    names = [n for n in ("latency_ms_p50", *MEMORY)
             if any(median_of(runs, n) is not None for runs in by_mode["run"].values())]
    print(f"\nmedians over {args.pairs} process(es) per mode: fork / run")
    print("| run | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for run_id in sorted(by_mode["run"]):
        cells = []
        for name in names:
            fork, run = median_of(by_mode["fork"].get(run_id, []), name), median_of(by_mode["run"][run_id], name)
            cells.append("n/a" if fork is None or run is None else f"{fork:.1f} / {run:.1f}")
        print(f"| {run_id} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
