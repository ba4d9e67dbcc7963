"""Memory per frame of a video model's session with the frame window auto against all: both slopes and one plot.

    python bench/vos_memory_window.py --workdir W [--frames 240] [--imgsz 128] [--models sam2.1_hiera_tiny] [-- FLAGS]

Generates one SA-V-layout video of --frames frames (two or three objects), runs the real CLI twice
(``--max_frames_in_mem auto`` and ``all``; random-init weights, CPU unless a GPU is there; FLAGS after ``--`` go to
both, e.g. ``--precision fp16 --profile orin-nano-8gb``), prints per model and window: the status, the frames run
(a video out of memory part-way: the frame it stopped at), fps, the memory after the first and the last frame, the
``memory_slope_mb_per_frame`` (least squares over the second half) and the peak, and writes
W/<model>_memory_by_frame.png and W/<model>_latency_by_frame.png with both windows on one axis.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import results, run_cli

def one_run(work: Path, split: Path, setting: str, args) -> dict:
    out = work / f"out_{setting}"
    _, proc, _ = run_cli(["--split_dir", split, "--models", args.models, "--prompt", "points", "--imgsz", args.imgsz,
                          "--warmup", 2, "--max_frames_in_mem", setting, "--preprocessed_dir", work / "pre",
                          "--out_dir", out, "--max_frames", args.frames, *args.extra], check=False)
    found = {r["run"]["model"]: r for r in results(out).values()}
    if not found:  # exit 2 with results is expected: every run of `all` may end out of memory under a budget
        raise SystemExit(f"{setting}: no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return found


def row(model: str, setting: str, result: dict) -> str:
    video = result["videos"][0] if result.get("videos") else {}
    done = video if video.get("frame_indices") else (video.get("before_stop") or {})
    figure = (result.get("memory_notes") or {}).get("per_frame_figure")
    peak = (video.get("peaks") or {}).get("peak_torch_alloc_mb") or (video.get("peaks") or {}).get("peak_rss_mb")
    cells = [model, setting, (result.get("vos") or {}).get("window", {}).get("frames"),
             video.get("status", result["status"]), done.get("frames_n"), video.get("stopped_at_frame", ""),
             done.get("fps"), figure, done.get("memory_first_frame_mb"), done.get("memory_last_frame_mb"),
             done.get("memory_slope_mb_per_frame"), peak]
    return "| " + " | ".join(f"{c:.4g}" if isinstance(c, float) else ("" if c is None else str(c)) for c in cells) + " |"


def main() -> None:
    from harness.data.synthetic_vos import generate_vos_split
    from harness.report.video_plots import by_frame_plot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--imgsz", type=int, default=128)
    parser.add_argument("--models", default="sam2.1_hiera_tiny")
    parser.add_argument("--source_size", default=None, help="generated frames' HxW (default: 3/4 imgsz x imgsz)")
    parser.add_argument("extra", nargs="*", help="more CLI flags, after --")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    size = tuple(map(int, args.source_size.split("x"))) if args.source_size else (args.imgsz * 3 // 4, args.imgsz)
    split = generate_vos_split(args.workdir / "split", videos=1, frames=args.frames, size=size)
    runs = {setting: one_run(args.workdir, split, setting, args) for setting in ("auto", "all")}
    print("| model | window | frames kept | video status | frames run | stopped at frame | fps | memory figure | "
          "first frame MiB | last frame MiB | slope MiB/frame | video peak MiB |")
    print("|---" * 12 + "|")
    for model in args.models.split(","):
        for setting, by_model in runs.items():
            print(row(model, setting, by_model[model]))
    for model in args.models.split(","):
        both = {setting: by_model[model] for setting, by_model in runs.items()}
        for key, ylabel, name in (("memory_by_frame_mb", "MiB", "memory_by_frame"),
                                  ("frame_latency_ms", "ms", "latency_by_frame")):
            path = by_frame_plot(both, key, ylabel, f"{model}, {args.imgsz} px: {name.replace('_', ' ')}",
                                 args.workdir / f"{model}_{name}.png")
            print(f"written {path}")


if __name__ == "__main__":
    main()
