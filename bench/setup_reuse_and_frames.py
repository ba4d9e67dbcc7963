"""Two costs the two-phase design is meant to cut, each as a ratio, in one command (any device):

1. time to the first measurement: a full run (Phase A from scratch) against a --skip_setup rerun;
2. feeding frames: memory-mapped preprocessed frames against decoding and letterboxing the source, frames/s.

    python bench/setup_reuse_and_frames.py --workdir W [--models yolo11n] [--imgsz 640] [extra CLI flags...]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from bench_common import results, run_cli


def first_measurement_s(out_dir: Path, started_at: float) -> float:
    return min(r["timings"]["measure_started_at"] for r in results(out_dir).values() if r["status"] == "ok") - started_at


def frames_per_second(pre: Path, imgsz: int) -> tuple:
    import numpy as np

    from harness.files.atomic_io import read_json
    from harness.data.frame_store import open_frames
    from harness.data.image_decode import decode_image
    from harness.data.letterbox import letterbox

    meta = read_json(pre / "metadata.json")
    images = [s for s in meta["sequences"] if s["kind"] != "video"]
    began = time.perf_counter()
    count = 0
    for seq in images:
        frames = np.array(open_frames(pre / seq["frames"][str(imgsz)]))  # copied into RAM, as Phase B does
        count += len(frames)
    mmap_fps = count / (time.perf_counter() - began)
    began = time.perf_counter()
    decoded = 0
    for seq in images:
        for item in seq["items"]:
            np.ascontiguousarray(letterbox(decode_image(item["source_path"])[0], imgsz).transpose(2, 0, 1))
            decoded += 1
    return mmap_fps, decoded / (time.perf_counter() - began), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--models", default="yolo11n")
    parser.add_argument("--imgsz", type=int, default=640)
    args, extra = parser.parse_known_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    common = ["--models", args.models, "--imgsz", args.imgsz, "--backend", "torch", "--preprocessed_dir", work / "pre", *extra]
    full_wall, _, full_start = run_cli([*common, "--out_dir", work / "full"])
    rerun_wall, _, rerun_start = run_cli([*common, "--skip_setup", "--out_dir", work / "rerun"])
    full_first, rerun_first = first_measurement_s(work / "full", full_start), first_measurement_s(work / "rerun", rerun_start)
    mmap_fps, decode_fps, frames = frames_per_second(work / "pre", args.imgsz)
    print("| what | full run | --skip_setup rerun | ratio |")
    print("|---|---|---|---|")
    print(f"| seconds from the command to the first measured pass | {full_first:.1f} | {rerun_first:.1f} | "
          f"{full_first / rerun_first:.2f}x |")
    print(f"| whole command, s | {full_wall:.1f} | {rerun_wall:.1f} | {full_wall / rerun_wall:.2f}x |")
    print()
    print(f"| frames ({frames} images, imgsz {args.imgsz}) | frames/s |")
    print("|---|---|")
    print(f"| memory-mapped preprocessed frames, copied to RAM | {mmap_fps:.0f} |")
    print(f"| decode + letterbox from the source files | {decode_fps:.0f} |")
    print(f"| ratio | {mmap_fps / decode_fps:.1f}x |")


if __name__ == "__main__":
    main()
