"""Trains the default run's models (yolo11n and yolov8n) so that they detect the synthetic objects, and writes
them to weights/default/ with a manifest (recipe, versions, hashes, validation figures).

    python3 weights/make_default_weights.py [--models yolo11n,yolov8n] [--workdir DIR]

The recipe is the harness's own training phase (Ultralytics' trainer, one child process per model) on generated
detect data: 128 train and 16 val images of 416 x 416 (generate_training_data, seed 1), from scratch, 40 epochs at
imgsz 416, batch 16, on the CPU. About 13 minutes per model on a 2-core CPU. The same command with the same torch
and Ultralytics versions retrains the same recipe (Ultralytics' deterministic mode, seed 0); bit-identical weights
across versions or machines are not promised, the accuracy floor is (tests/test_default_weights.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "weights" / "default"
RECIPE = {"task": "detect", "train_images": 128, "val_images": 16, "size": 416, "seed": 1,
          "epochs": 40, "imgsz": 416, "batch": 16, "device": "cpu", "approach": "scratch"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(models: list, workdir: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from harness.data.synthetic_training import generate_training_data

    data = generate_training_data(workdir / "data", RECIPE["task"], train_images=RECIPE["train_images"],
                                  val_images=RECIPE["val_images"], size=RECIPE["size"], seed=RECIPE["seed"])
    command = [sys.executable, str(REPO / "jetson_benchmark.py"), "train", "--models", ",".join(models),
               "--train_data", str(data), "--epochs", str(RECIPE["epochs"]), "--train_imgsz", str(RECIPE["imgsz"]),
               "--train_batch", str(RECIPE["batch"]), "--train_device", RECIPE["device"],
               "--out_dir", str(workdir / "out")]
    subprocess.run(command, check=True, env={**os.environ, "YOLO_OFFLINE": "1"})
    return workdir / "out"


def versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "ultralytics", "numpy", "opencv-python")}


def manifest_entry(model: str, out: Path) -> dict:
    folder = next((out / "training").glob(f"{model}__scratch__*"))
    report = json.loads((folder / "report.json").read_text())
    return {"file": f"{model}.pt", "sha256": sha256(TARGET / f"{model}.pt"), "epochs_done": report.get("epochs_done"),
            "wall_s": report.get("wall_s"), "epoch_s_mean": report.get("epoch_s_mean"),
            "peak_rss_mb": report.get("peak_rss_mb"), "final_metrics": report.get("final_metrics"),
            "versions": versions()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="yolo11n,yolov8n")
    parser.add_argument("--workdir", default=None, help="where the data and training runs go (a temporary folder)")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="jb_default_weights_"))
    out = train(models, workdir)
    TARGET.mkdir(parents=True, exist_ok=True)
    manifest_path = TARGET / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest["recipe"] = RECIPE
    manifest["command"] = "python3 weights/make_default_weights.py"
    for model in models:
        shutil.copyfile(out / "weights" / f"{model}.pt", TARGET / f"{model}.pt")
        manifest.setdefault("models", {})[model] = manifest_entry(model, out)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(json.dumps(manifest, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
