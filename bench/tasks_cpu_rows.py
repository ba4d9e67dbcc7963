"""Every task's rows on one CPU machine, in three commands of the real CLI (the data and models those
commands need are made here, as the end-to-end tests make them):

    python3 bench/tasks_cpu_rows.py --workdir /tmp/jb_task_rows

1. yolo11n / -seg / -pose / -obb (random init, imgsz 64) on images whose labels carry every YOLO format;
2. a torchvision ResNet-18 (random init) as ONNX and TorchScript, and yolo11n-cls, on an ImageFolder tree;
3. a tiny depth network (ONNX) with .npy ground truth, and generic ONNX models written as other exporters
   write them (batch dim -1, NHWC, uint8 input, a fixed 48x320 input).
Prints one table of the task figures from the summary CSVs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

QUICK = ["--warmup", "2", "--iters", "20", "--min_duration_s", "1"]
COLUMNS = ["model", "task", "backend", "imgsz", "status", "latency_ms_p50", "fidelity_max_abs_err",
           "fidelity_compared_with", "map50", "mask_map50", "pose_map50", "obb_map50", "detections_per_frame_mean",
           "top1_acc", "top5_acc", "fidelity_top1_agree_pct", "depth_abs_rel", "depth_rmse", "depth_delta1"]


def cli(workdir: Path, name: str, *args) -> Path:
    out = workdir / name
    command = [sys.executable, str(REPO / "jetson_benchmark.py"), "--out_dir", str(out), "--preprocessed_dir",
               str(workdir / f"pre_{name}"), *map(str, args), *QUICK]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, cwd=workdir, stdout=subprocess.DEVNULL)
    return out / "jetson_benchmark_summary.csv"


def main() -> None:
    import numpy as np
    import pandas as pd

    from conftest import write_image
    from onnx_builders import write_image_model
    from test_e2e_tasks import _export_classifier, _image_folder, _mixed_label_dataset

    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    work = Path(parser.parse_args().workdir)
    work.mkdir(parents=True, exist_ok=True)
    csvs = [cli(work, "yolo", "--models", "yolo11n,yolo11n-seg,yolo11n-pose,yolo11n-obb", "--imgsz", "64",
                "--backend", "torch,onnxruntime", "--source", _mixed_label_dataset(work / "labeled"))]
    weights = work / "cls_weights"
    weights.mkdir(exist_ok=True)
    _export_classifier(weights)
    csvs.append(cli(work, "classify", "--weights_dir", weights, "--models", "resnet18,resnet_ts,yolo11n-cls",
                    "--imgsz", "64", "--backend", "torch,onnxruntime", "--source", _image_folder(work / "folder")))
    rng = np.random.default_rng(0)
    images, gt, dense = work / "images", work / "gt", work / "dense_weights"
    gt.mkdir(exist_ok=True)
    for i in range(4):
        write_image(images / f"f{i}.png", rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8))
        np.save(gt / f"f{i}.npy", rng.uniform(0.5, 2.0, size=(48, 64)).astype(np.float32))
    write_image_model(dense / "depth.onnx", out_channels=1)
    (dense / "depth.model.json").write_text(json.dumps({"task": "depth"}))
    for name, kwargs in (("neg_batch", {"batch_dim": -1}), ("nhwc", {"layout": "nhwc"}), ("u8", {"dtype": "uint8"})):
        write_image_model(dense / f"{name}.onnx", height=32, width=32, **kwargs)
    write_image_model(dense / "ocr.onnx", height=48, width=320)
    csvs.append(cli(work, "dense", "--weights_dir", dense, "--source", images, "--dense_gt", gt,
                    "--depth_median_scaling", "--models", "depth,neg_batch,nhwc,u8,ocr"))
    frame = pd.concat([pd.read_csv(c) for c in csvs], ignore_index=True)
    print(frame[[c for c in COLUMNS if c in frame.columns]].to_markdown(index=False, floatfmt=".4g", missingval=""))


if __name__ == "__main__":
    main()
