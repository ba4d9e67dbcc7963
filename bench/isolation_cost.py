"""What does a fresh process per run cost? Fixed seconds per run (spawn, imports, device init, model load)
of the harness's Phase B, against a bare `python -c` that imports torch and loads the same model.

    python bench/isolation_cost.py RESULTS_DIR [--repeats 3]

RESULTS_DIR holds finished runs (e.g. from bench/validate_timing.py). A run's fixed cost is the time from its
Phase B process's creation to the start of its measured passes, minus its warm-up passes. The bare process
measures, from its own creation, until the model sits on the device. Target: harness / bare <= 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_common import child_json, results


def bare(checkpoint: str, device: str, precision: str) -> None:
    """Child: import torch, load the model onto the device, report seconds since this process was created."""
    import psutil

    created = psutil.Process().create_time()
    import torch
    from ultralytics.nn.tasks import load_checkpoint

    model, _ = load_checkpoint(checkpoint, device="cpu", fuse=True)
    model = model.to(device).eval()
    if precision == "fp16":
        model = model.half()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    print("RESULT " + __import__("json").dumps({"fixed_s": time.time() - created}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results_dir", nargs="?")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bare", nargs=3, metavar=("CHECKPOINT", "DEVICE", "PRECISION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return bare(*args.bare)
    runs = [r for r in results(args.results_dir).values() if r["status"] == "ok" and r["run"]["backend"] == "torch"]
    by_model: dict = {}
    for r in runs:
        fixed = r["timings"]["measure_started_at"] - r["process"]["process_started_at"] - r["timings"]["warmup_s"]
        by_model.setdefault(r["run"]["model"], {"harness": [], "run": r})["harness"].append(fixed)
    print("| model | harness fixed s per run (median of runs) | bare python -c s (median of repeats) | ratio |")
    print("|---|---|---|---|")
    for model, entry in sorted(by_model.items()):
        run = entry["run"]
        bare_s = [child_json([__file__, "--bare", run["run"]["artifact"], run["environment"]["device"],
                              run["run"]["precision"]])["fixed_s"] for _ in range(args.repeats)]
        h, b = statistics.median(entry["harness"]), statistics.median(bare_s)
        print(f"| {model} | {h:.2f} ({len(entry['harness'])} runs: {', '.join(f'{x:.2f}' for x in entry['harness'])}) | "
              f"{b:.2f} ({', '.join(f'{x:.2f}' for x in bare_s)}) | {h / b:.2f} |")


if __name__ == "__main__":
    main()
