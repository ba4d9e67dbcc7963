"""Does the background memory sampler move the latency figures? Same run with it (every 20 ms) and
without it (0 = edges only), alternated A/B/A/B to cancel drift. Needs the setup made by a prior run.

    python bench/sampler_overhead.py --preprocessed_dir P --models yolo11n --batch 1 --imgsz 640 --precision fp16
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preprocessed_dir", required=True)
    parser.add_argument("--models", default="yolo11n")
    parser.add_argument("--batch", default="1")
    parser.add_argument("--imgsz", default="640")
    parser.add_argument("--precision", default="fp16")
    parser.add_argument("--iters", default="500")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jb_sampler_"))
    p50 = {"20": [], "0": []}
    p99 = {"20": [], "0": []}
    for rep in range(args.repeats):
        for interval in ("20", "0"):
            out = work / f"ms{interval}_{rep}"
            subprocess.run([sys.executable, str(REPO / "jetson_benchmark.py"), "--skip_setup", "--preprocessed_dir",
                            args.preprocessed_dir, "--out_dir", str(out), "--models", args.models, "--backend", "torch",
                            "--batch", args.batch, "--imgsz", args.imgsz, "--precision", args.precision, "--iters",
                            args.iters, "--memory_sample_ms", interval], check=True, capture_output=True)
            (result,) = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
            p50[interval].append(result["metrics"]["latency_ms_p50"])
            p99[interval].append(result["metrics"]["latency_ms_p99"])
    print(f"{args.models} {args.precision} imgsz {args.imgsz} batch {args.batch}, {args.iters} passes, {args.repeats} runs each, alternated")
    print("| sampler | p50 ms (each run) | p99 ms (each run) |")
    print("|---|---|---|")
    for interval, label in (("20", "on, every 20 ms"), ("0", "off (edges only)")):
        print(f"| {label} | {', '.join(f'{v:.3f}' for v in p50[interval])} | {', '.join(f'{v:.3f}' for v in p99[interval])} |")
    ratio = statistics.median(p50["20"]) / statistics.median(p50["0"])
    print(f"median p50 with / without sampler: {ratio:.4f}")


if __name__ == "__main__":
    main()
