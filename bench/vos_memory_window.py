"""Memory per frame of a video model's session with the frame window auto against all: both slopes and one plot.

    python bench/vos_memory_window.py --workdir W [--frames 240] [--imgsz 128] [--model sam2.1_hiera_tiny]

Generates one SA-V-layout video of --frames frames, runs the real CLI twice (``--max_frames_in_mem auto`` and
``all``; random-init weights, CPU unless a GPU is there), prints each run's ``memory_slope_mb_per_frame`` (least
squares over the second half of the video) and its memory after the first and the last frame, and writes
W/memory_by_frame.png and W/latency_by_frame.png with both runs on one axis.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import results, run_cli


def one_run(work: Path, split: Path, setting: str, args) -> dict:
    out = work / f"out_{setting}"
    run_cli(["--split_dir", split, "--models", args.model, "--prompt", "points", "--imgsz", args.imgsz,
             "--warmup", 2, "--max_frames_in_mem", setting, "--preprocessed_dir", work / "pre", "--out_dir", out,
             "--max_frames", args.frames, *args.extra])
    (result,) = results(out).values()
    if result["status"] != "ok":
        raise SystemExit(f"{setting}: {result['status']}: {result.get('reason')}")
    return result


def main() -> None:
    from harness.data.synthetic_vos import generate_vos_split
    from harness.report.video_plots import by_frame_plot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--imgsz", type=int, default=128)
    parser.add_argument("--model", default="sam2.1_hiera_tiny")
    parser.add_argument("extra", nargs="*", help="more CLI flags, after --")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    split = generate_vos_split(args.workdir / "split", videos=1, frames=args.frames, size=(args.imgsz * 3 // 4,
                                                                                             args.imgsz))
    runs = {setting: one_run(args.workdir, split, setting, args) for setting in ("auto", "all")}
    print("| window | frames kept | frames | memory figure | first frame MiB | last frame MiB | slope MiB/frame |")
    print("|---|---|---|---|---|---|---|")
    for setting, result in runs.items():
        video = result["videos"][0]
        print(f"| {setting} | {result['vos']['window']['frames']} | {video['frames_n']} | "
              f"{result['memory_notes']['per_frame_figure']} | {video['memory_first_frame_mb']:.1f} | "
              f"{video['memory_last_frame_mb']:.1f} | {result['metrics']['memory_slope_mb_per_frame']:.4f} |")
    for key, ylabel, name in (("memory_by_frame_mb", "MiB", "memory_by_frame"),
                              ("frame_latency_ms", "ms", "latency_by_frame")):
        path = by_frame_plot(runs, key, ylabel, f"{args.model}, {args.imgsz} px: {name.replace('_', ' ')}",
                             args.workdir / f"{name}.png")
        print(f"written {path}")


if __name__ == "__main__":
    main()
