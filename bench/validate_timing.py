"""Is the harness's timing right? Compared on the same model, input and precision, in one command (CUDA):

  GPU compute p50:  harness (CUDA events in Phase B)  vs  a bare CUDA-event loop  vs  torch.utils.benchmark
  host end-to-end p50:  harness  vs  a bare host loop (copy in, convert, forward, synchronize)
  diagnosis:  the harness's own runner and pass step, driven from the bare process (e)

    python bench/validate_timing.py --workdir W [--models yolo11n,yolo11s] [--batch 1,16] [--precision fp16]

Targets: GPU compute ratios within 2 %, host end-to-end within 5 %. The harness runs also leave telemetry
(metrics.jsonl) and a report in W/harness.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import child_json, results, run_cli

MIN_DURATION_S = 3.0  # every loop, bare or harness, measures until --iters passes AND this many seconds


def measure(one_pass, iters: int, min_s: float = MIN_DURATION_S) -> list:
    """The harness's stop rule for a bare loop: ``one_pass(i)`` returns one sample; run until both are met."""
    samples, began, i = [], time.perf_counter(), 0
    while i < iters or time.perf_counter() - began < min_s:
        samples.append(one_pass(i))
        i += 1
    return samples


def batch_view(frames, batch: int, i: int):
    """The batch as Phase B's feed yields it: a slice of the resident frames (no copy), wrapping at the end."""
    first = (i * batch) % len(frames)
    if first + batch <= len(frames):
        return frames[first:first + batch]
    return np.ascontiguousarray(frames[np.arange(first, first + batch) % len(frames)])


def bare(args) -> None:
    """Child: the bare loops, in their own process (no harness code), each under the harness's stop rule."""
    import torch
    import torch.utils.benchmark as tub
    from ultralytics.nn.tasks import load_checkpoint

    model, _ = load_checkpoint(args.checkpoint, device="cpu", fuse=True)
    model = model.to("cuda").eval()
    dtype = torch.float16 if args.precision == "fp16" else torch.float32
    model = model.half() if dtype == torch.float16 else model
    # every sequence, resident and concatenated, as Phase B's feed holds them when they all fit in memory
    frames = np.concatenate([np.load(path, mmap_mode="r") for path in args.frames.split(",")])
    x = torch.from_numpy(frames[np.arange(args.batch) % len(frames)]).to("cuda").to(dtype).div_(255.0)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    to_input = lambda chunk: torch.from_numpy(chunk).to("cuda").to(dtype).div_(255.0)

    def events_pass(xi):
        start.record()
        model(xi)
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end)

    def host_pass(chunk):
        t0 = time.perf_counter_ns()
        y = model(to_input(chunk))
        torch.cuda.synchronize()
        del y
        return (time.perf_counter_ns() - t0) / 1e6

    with torch.inference_mode():
        for _ in range(args.warmup):
            model(x)
        torch.cuda.synchronize()
        events = measure(lambda i: events_pass(x), args.iters)  # (a) static input
        # (b) a fresh input copied and converted before each pass (outside the events), as Phase B does
        fresh = measure(lambda i: events_pass(to_input(batch_view(frames, args.batch, i))), args.iters)
        tub_median_ms = tub.Timer(stmt="model(x)", globals={"model": model, "x": x}).blocked_autorange(
            min_run_time=MIN_DURATION_S).median * 1000.0  # (c)
        # (d) host loop over the batch as Phase B gets it (a slice of the resident frames, read in the clock);
        # (d') the same with the batch gathered into a new array just before the clock (its pages are then
        # hot in the CPU cache, so the timed copy reads cache, not DRAM)
        host_view = measure(lambda i: host_pass(batch_view(frames, args.batch, i)), args.iters)
        host_gathered = measure(lambda i: host_pass(frames[(np.arange(args.batch) + i * args.batch) % len(frames)]),
                                len(host_view), min_s=0.0)  # as many passes as (d)
    print("RESULT " + json.dumps({"events_p50": statistics.median(events), "tub_median": tub_median_ms,
                                  "events_fresh_input_p50": statistics.median(fresh),
                                  "host_p50": statistics.median(host_view),
                                  "host_gathered_p50": statistics.median(host_gathered),
                                  "harness_step_gpu_p50": harness_step_gpu_p50(args, frames)}), flush=True)


def harness_step_gpu_p50(args, frames) -> float:
    """(e) The harness's own runner and pass step (runners/torch_runner.py, harness/phase_b/pass_step.py),
    driven by a plain loop in this bare process. Agreeing with the bare loops puts a gap on the Phase B
    process around the code (its imports, threads, state); agreeing with Phase B puts it on the code path."""
    import torch

    from harness.phase_b.pass_step import make_step
    from runners.torch_runner import TorchRunner

    runner = TorchRunner(args.checkpoint, "cuda:0", args.precision, int(frames.shape[-1]), args.batch)
    runner.load()
    step, _ = make_step(runner, torch)
    for i in range(args.warmup):
        step(batch_view(frames, args.batch, i))

    samples = measure(lambda i: step(batch_view(frames, args.batch, i)).samples["gpu_compute_ms"], args.iters)
    runner.release()
    return statistics.median(samples)


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
             "--warmup", args.warmup, "--min_duration_s", MIN_DURATION_S, "--preprocessed_dir", work / "pre", "--out_dir",
             work / "harness", *args.harness_flags.split()])
    found = results(work / "harness")
    setup = json.loads((work / "pre" / "setup_config.json").read_text())
    frames = ",".join(str(work / "pre" / seq["frames"][str(args.imgsz)]) for seq in setup["dataset"]["sequences"])
    print(f"device {torch.cuda.get_device_name(0)}; {args.precision}, imgsz {args.imgsz}; {args.warmup} warm-up, "
          f"{args.iters} passes each")
    print(f"harness flags: {args.harness_flags or '(defaults)'}")
    print("| model | batch | harness GPU p50 ms | (a) bare events ms | ratio | (b) bare events, fresh input | ratio | "
          "(c) torch.utils.benchmark ms | ratio | (e) harness step in a bare process ms | ratio | harness host p50 ms | "
          "(d) bare host, batch as Phase B gets it | ratio | (d') bare host, batch gathered before the clock | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    gpu_ok = host_ok = True
    for model in args.models.split(","):
        for batch in args.batch.split(","):
            result = found[f"{model}__torch__{args.precision}__img{args.imgsz}__b{batch}"]
            m = result["metrics"]
            b = child_json([__file__, "--bare", "--checkpoint", result["run"]["artifact"], "--batch", batch,
                            "--frames", frames, "--precision", args.precision, "--iters", args.iters,
                            "--warmup", args.warmup])
            gpu, host = m["gpu_compute_ms_p50"], m["latency_ms_p50"]
            cells = [f"{gpu:.3f}"]
            for key in ("events_p50", "events_fresh_input_p50", "tub_median", "harness_step_gpu_p50"):
                cells += [f"{b[key]:.3f}", f"{gpu / b[key]:.3f}"]
            cells.append(f"{host:.3f}")
            for key in ("host_p50", "host_gathered_p50"):
                cells += [f"{b[key]:.3f}", f"{host / b[key]:.3f}"]
            gpu_ok &= abs(gpu / b["events_p50"] - 1) <= 0.02 and abs(gpu / b["tub_median"] - 1) <= 0.02
            host_ok &= abs(host / b["host_p50"] - 1) <= 0.05
            print(f"| {model} | {batch} | " + " | ".join(cells) + " |")
    print(f"GPU compute within 2 %: {'yes' if gpu_ok else 'NO'}; host end-to-end within 5 %: {'yes' if host_ok else 'NO'}")


if __name__ == "__main__":
    main()
