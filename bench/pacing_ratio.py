"""Does an idle gap slow the next frame? Back-to-back p50 against the p50 at a camera's rate, same model.

    python bench/pacing_ratio.py [--models yolo11n] [--imgsz 320] [--fps 5] [--backend torch] [--iters 50]

One harness invocation measures both (``--arrival_fps 0,F``: 0 is back to back), each run in its own Phase B
process. Prints, per model: the back-to-back pass p50, the paced run's pass p50 and its p50 from arrival, and the
ratios. A paced pass p50 above the back-to-back one is the idle-gap cost (clocks dropping, caches going cold);
arrival minus pass is queueing (zero when the device keeps up with the camera).
"""

from __future__ import annotations

import argparse
import tempfile

from bench_common import results, run_cli


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="yolo11n")
    parser.add_argument("--imgsz", default="320")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iters", type=int, default=50)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="jb_pacing_")
    command = ["--models", args.models, "--imgsz", args.imgsz, "--backend", args.backend, "--device", args.device,
               "--arrival_fps", f"0,{args.fps:g}", "--iters", args.iters, "--warmup", "10", "--min_duration_s", "0",
               "--fidelity_frames", "0", "--accuracy_images", "0", "--out_dir", f"{root}/out",
               "--preprocessed_dir", f"{root}/pre"]
    wall, _, _ = run_cli(command)
    runs = results(f"{root}/out")
    print(f"jetson_benchmark.py {' '.join(map(str, command))}  ({wall:.0f} s)")
    print("| run | back-to-back p50 ms | paced pass p50 ms | paced p50 from arrival ms | deadline misses | "
          "paced pass / back-to-back | from arrival / back-to-back |")
    print("|---|---|---|---|---|---|---|")
    for run_id, paced in sorted(runs.items()):
        if "__fps" not in run_id or paced["status"] != "ok":
            continue
        base = runs.get(run_id.rsplit("__fps", 1)[0])
        if not base or base["status"] != "ok":
            continue
        b2b, m = base["metrics"]["latency_ms_p50"], paced["metrics"]
        print(f"| {run_id} | {b2b:.2f} | {m['latency_ms_p50']:.2f} | {m['arrival_latency_ms_p50']:.2f} | "
              f"{m['deadline_misses_n']} | {m['latency_ms_p50'] / b2b:.3f} | {m['arrival_latency_ms_p50'] / b2b:.3f} |")


if __name__ == "__main__":
    main()
