"""How repeatable is a matrix? The same matrix measured twice (fresh Phase B processes each time, setup
reused), and the spread of each run's p50 between the two: |a - b| / mean(a, b).

    python bench/repeatability.py --preprocessed_dir P --workdir W [CLI matrix flags...]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench_common import results, run_cli


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preprocessed_dir", required=True)
    parser.add_argument("--workdir", required=True)
    args, extra = parser.parse_known_args()
    work = Path(args.workdir)
    for name in ("first", "second"):
        run_cli(["--skip_setup", "--force", "--preprocessed_dir", args.preprocessed_dir, "--out_dir", work / name, *extra])
    first, second = results(work / "first"), results(work / "second")
    print("| run | p50 ms, first | p50 ms, second | spread % | GPU p50 spread % |")
    print("|---|---|---|---|---|")
    spreads = []
    for run_id in sorted(set(first) & set(second)):
        a, b = first[run_id]["metrics"], second[run_id]["metrics"]
        if not a or not b or a.get("latency_ms_p50") is None:
            continue
        spread = abs(a["latency_ms_p50"] - b["latency_ms_p50"]) / ((a["latency_ms_p50"] + b["latency_ms_p50"]) / 2) * 100
        gpu = ""
        if a.get("gpu_compute_ms_p50") and b.get("gpu_compute_ms_p50"):
            ga, gb = a["gpu_compute_ms_p50"], b["gpu_compute_ms_p50"]
            gpu = f"{abs(ga - gb) / ((ga + gb) / 2) * 100:.2f}"
        spreads.append(spread)
        print(f"| {run_id} | {a['latency_ms_p50']:.3f} | {b['latency_ms_p50']:.3f} | {spread:.2f} | {gpu} |")
    print(f"median spread {statistics.median(spreads):.2f} %, largest {max(spreads):.2f} % over {len(spreads)} runs")


if __name__ == "__main__":
    main()
