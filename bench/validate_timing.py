"""Is the harness's timing right? Compared on the same model, input and precision, in one command (CUDA):

  GPU compute p50:  harness (CUDA events in Phase B)  vs  a bare CUDA-event loop  vs  torch.utils.benchmark
  host end-to-end p50:  harness  vs  a bare host loop (copy in, convert, forward, synchronize)

    python bench/validate_timing.py --workdir W [--models yolo11n,yolo11s] [--batch 1,16] [--precision fp16]

Targets: GPU compute ratios within 2 %, host end-to-end within 5 %. The harness runs also leave telemetry
(metrics.jsonl) and a report in W/harness.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench_common import child_json, results, run_cli


def bare(args) -> None:
    """Child: the bare loops, in their own process (no harness code)."""
    import numpy as np
    import torch
    import torch.utils.benchmark as tub
    from ultralytics.nn.tasks import load_checkpoint

    model, _ = load_checkpoint(args.checkpoint, device="cpu", fuse=True)
    model = model.to("cuda").eval()
    dtype = torch.float16 if args.precision == "fp16" else torch.float32
    model = model.half() if dtype == torch.float16 else model
    frames = np.array(np.load(args.frames, mmap_mode="r"))
    batch = frames[np.arange(args.batch) % len(frames)]
    x = torch.from_numpy(batch).to("cuda").to(dtype).div_(255.0)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    with torch.inference_mode():
        for _ in range(args.warmup):
            model(x)
        torch.cuda.synchronize()
        events = []
        for _ in range(args.iters):
            start.record()
            model(x)
            end.record()
            torch.cuda.synchronize()
            events.append(start.elapsed_time(end))
        fresh = []  # the same, but with a fresh input copied and converted before each pass, as Phase B does
        for i in range(args.iters):
            chunk = frames[(np.arange(args.batch) + i * args.batch) % len(frames)]
            xi = torch.from_numpy(chunk).to("cuda").to(dtype).div_(255.0)
            start.record()
            model(xi)
            end.record()
            torch.cuda.synchronize()
            fresh.append(start.elapsed_time(end))
        timer = tub.Timer(stmt="model(x)", globals={"model": model, "x": x})
        tub_median_ms = timer.blocked_autorange(min_run_time=3.0).median * 1000.0
        import time

        host = []
        for i in range(args.iters):
            chunk = frames[(np.arange(args.batch) + i * args.batch) % len(frames)]
            t0 = time.perf_counter_ns()
            y = model(torch.from_numpy(chunk).to("cuda").to(dtype).div_(255.0))
            torch.cuda.synchronize()
            host.append((time.perf_counter_ns() - t0) / 1e6)
            del y
    print("RESULT " + __import__("json").dumps({"events_p50": statistics.median(events), "tub_median": tub_median_ms,
                                                "events_fresh_input_p50": statistics.median(fresh),
                                                "host_p50": statistics.median(host)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=False)
    parser.add_argument("--models", default="yolo11n,yolo11s")
    parser.add_argument("--batch", default="1,16")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--precision", default="fp16")
    parser.add_argument("--iters", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--harness_flags", default="", help="extra flags for the harness runs, e.g. "
                        "'--metrics_interval 0 --memory_sample_ms 0'")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--frames", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        args.batch = int(args.batch)
        return bare(args)
    import torch

    if not torch.cuda.is_available():
        sys.exit("needs a CUDA device")
    work = Path(args.workdir)
    run_cli(["--models", args.models, "--backend", "torch", "--precision", args.precision, "--batch", args.batch,
             "--imgsz", args.imgsz, "--profile", "desktop-gpu", "--probe_batch", "off", "--iters", args.iters,
             "--warmup", args.warmup, "--min_duration_s", 3, "--preprocessed_dir", work / "pre", "--out_dir",
             work / "harness", *args.harness_flags.split()])
    found = results(work / "harness")
    frames = work / "pre" / "frames" / f"img{args.imgsz}" / "images.npy"
    print(f"device {torch.cuda.get_device_name(0)}; {args.precision}, imgsz {args.imgsz}; {args.warmup} warm-up, "
          f"{args.iters} passes each")
    print(f"harness flags: {args.harness_flags or '(defaults)'}")
    print("| model | batch | harness GPU p50 ms | bare events p50 ms | ratio | bare events, fresh input each pass | "
          "ratio | torch.utils.benchmark ms | ratio | harness host p50 ms | bare host p50 ms | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    gpu_ok = host_ok = True
    for model in args.models.split(","):
        for batch in args.batch.split(","):
            result = found[f"{model}__torch__{args.precision}__img{args.imgsz}__b{batch}"]
            m = result["metrics"]
            b = child_json([__file__, "--bare", "--checkpoint", result["run"]["artifact"], "--batch", batch,
                            "--frames", frames, "--precision", args.precision, "--iters", args.iters,
                            "--warmup", args.warmup])
            r1, r2 = m["gpu_compute_ms_p50"] / b["events_p50"], m["gpu_compute_ms_p50"] / b["tub_median"]
            r3 = m["latency_ms_p50"] / b["host_p50"]
            gpu_ok &= abs(r1 - 1) <= 0.02 and abs(r2 - 1) <= 0.02
            host_ok &= abs(r3 - 1) <= 0.05
            r4 = m["gpu_compute_ms_p50"] / b["events_fresh_input_p50"]
            print(f"| {model} | {batch} | {m['gpu_compute_ms_p50']:.3f} | {b['events_p50']:.3f} | {r1:.3f} | "
                  f"{b['events_fresh_input_p50']:.3f} | {r4:.3f} | {b['tub_median']:.3f} | {r2:.3f} | "
                  f"{m['latency_ms_p50']:.3f} | {b['host_p50']:.3f} | {r3:.3f} |")
    print(f"GPU compute within 2 %: {'yes' if gpu_ok else 'NO'}; host end-to-end within 5 %: {'yes' if host_ok else 'NO'}")


if __name__ == "__main__":
    main()
