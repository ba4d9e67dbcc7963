"""fp32 against Q/DQ int8 on ONNX Runtime's CPU provider, for the shipped trained default models, with each of
the three calibration methods, in one command:

    python3 bench/int8_cpu_evidence.py --workdir /tmp/jb_int8

Runs the real CLI once per method (``--weights_dir weights/default --backend onnxruntime --precision fp32,int8
--batch 1,8 --int8_calibration M``) and prints one table: latency, throughput, mAP, the int8 accuracy drop and
speed-up against fp32 (the summary's int8 columns), fidelity against the FP32 reference, and the calibration's
frames and quantization time from each int8 result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import REPO, results, run_cli

METHODS = ("minmax", "entropy", "percentile")
COLUMNS = ["model", "precision", "batch", "latency_ms_p50", "throughput_img_per_s", "map50", "map50_95",
           "int8_accuracy_drop", "int8_speedup", "fidelity_box_match_pct", "fidelity_max_abs_err", "frames_used",
           "quantize_s"]


def method_rows(workdir: Path, method: str):
    import pandas as pd

    out = workdir / f"out_{method}"
    wall, _, _ = run_cli(["--weights_dir", REPO / "weights" / "default", "--backend", "onnxruntime", "--precision",
                          "fp32,int8", "--batch", "1,8", "--int8_calibration", method, "--out_dir", out,
                          "--preprocessed_dir", workdir / f"pre_{method}"])
    frame = pd.read_csv(out / "jetson_benchmark_summary.csv")
    by_id = results(out)
    calibration = [by_id[run_id].get("calibration") or {} for run_id in frame["run_id"]]
    frame = frame.assign(frames_used=[c.get("frames_used") for c in calibration],
                         quantize_s=[c.get("quantize_s") for c in calibration],
                         precision=[p if p == "fp32" else f"int8 {method}" for p in frame["precision"]])
    print(f"{method}: {wall:.0f} s")
    return frame if method == METHODS[0] else frame[frame["precision"] != "fp32"]


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/jb_int8")
    workdir = Path(parser.parse_args().workdir)
    frame = pd.concat([method_rows(workdir, m) for m in METHODS]).sort_values(["model", "batch", "precision"])
    print(frame[COLUMNS].to_markdown(index=False, floatfmt=".4g"))


if __name__ == "__main__":
    main()
