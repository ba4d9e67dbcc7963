"""The training phase through the real CLI: Ultralytics' trainer in a child process per model, on generated data
(detect boxes, segment polygons, classify folders); weights and reports written; a trained model is reused; a
training killed halfway resumes from its last.pt; a finetune starts from the given checkpoint; a dataset YAML that
names a download is refused in one line. Tiny: 64-pixel images, a few epochs."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import CLI, cli_env, load_json, run_cli
from harness.data.synthetic_training import generate_training_data

pytestmark = pytest.mark.slow
TINY = ["--train_imgsz", "64", "--train_batch", "8"]


def test_each_task_trains_and_a_trained_model_is_reused(tmp_path):
    proc = run_cli("train", "--models", "yolo11n,yolo11n-seg,yolo11n-cls", "--epochs", "2", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    weights = tmp_path / "jetson_results" / "weights"
    assert sorted(p.name for p in weights.glob("*.pt")) == ["yolo11n-cls.pt", "yolo11n-seg.pt", "yolo11n.pt"]
    reports = {p.parent.name: load_json(p) for p in (tmp_path / "jetson_results" / "training").glob("*/report.json")}
    detect, segment, classify = (reports[f"{m}__scratch__e2__img64__b8"] for m in ("yolo11n", "yolo11n-seg", "yolo11n-cls"))
    assert detect["epochs_done"] == 2 and len(detect["epoch_s"]) == 2 and detect["wall_s"] > 0
    assert {"map50", "map50_95"} <= set(detect["final_metrics"]) and "mask_map50" in segment["final_metrics"]
    assert {"top1_acc", "top5_acc"} <= set(classify["final_metrics"]) and classify["peak_rss_mb"] > 0
    assert (tmp_path / "jetson_results" / "training" / "yolo11n__scratch__e2__img64__b8" / "report.md").is_file()
    again = run_cli("train", "--models", "yolo11n", "--epochs", "2", *TINY, cwd=tmp_path)
    assert again.returncode == 0 and "trained before, reused" in again.stdout
    finetune = run_cli("train", "--models", "yolo11n", "--epochs", "1", *TINY, "--train_approach", "finetune",
                       "--weights_dir", weights, cwd=tmp_path)
    assert finetune.returncode == 0, finetune.stdout + finetune.stderr
    assert (weights / "yolo11n-finetune.pt").is_file()


def test_a_training_killed_halfway_resumes_from_its_last_checkpoint(tmp_path):
    args = [sys.executable, str(CLI), "train", "--models", "yolo11n", "--epochs", "6", *TINY]
    folder = tmp_path / "jetson_results" / "training" / "yolo11n__scratch__e6__img64__b8"
    parent = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    last = folder / "ultralytics_run" / "weights" / "last.pt"
    while not last.is_file() and time.time() < deadline and parent.poll() is None:
        time.sleep(0.2)
    assert last.is_file() and parent.poll() is None, "the training ended before it could be interrupted"
    os.kill(parent.pid, signal.SIGKILL)  # the child dies with its parent (lifeline)
    parent.wait()
    time.sleep(1)
    assert not (folder / "report.json").is_file()
    proc = run_cli("train", "--models", "yolo11n", "--epochs", "6", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = load_json(folder / "report.json")
    assert report["resumed_from_last"] is True and report["epochs_done"] == 6


def test_train_then_measure_in_one_command(tmp_path):
    proc = run_cli("--train", "--models", "yolo11n", "--epochs", "1", *TINY, "--backend", "torch", "--imgsz", "64",
                   "--iters", "3", "--warmup", "1", "--min_duration_s", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[train 1/1] yolo11n__scratch__e1__img64__b8: ok" in proc.stdout
    result = load_json(tmp_path / "jetson_results" / "runs" / "yolo11n__torch__fp32__img64__b1.json")
    assert result["status"] == "ok" and result["weights"] == {"kind": "file", "file": "yolo11n.pt", "files": ["yolo11n.pt"]}


def test_a_dataset_that_would_download_is_one_line(tmp_path):
    data = tmp_path / "coco.yaml"
    data.write_text("path: ../datasets/coco\ntrain: images/train\nval: images/val\n"
                    "download: https://example.com/coco.zip\nnames: {0: person}\n")
    proc = run_cli("train", "--models", "yolo11n", "--train_data", data, cwd=tmp_path)
    assert proc.returncode == 2 and "names a download" in proc.stderr and "Traceback" not in proc.stderr


def test_generated_training_data_is_deterministic_with_polygons_and_folders(tmp_path):
    a = generate_training_data(tmp_path / "a", "segment", 4, 2, 64, seed=3)
    b = generate_training_data(tmp_path / "b", "segment", 4, 2, 64, seed=3)
    assert (tmp_path / "a/labels/train/0000.txt").read_text() == (tmp_path / "b/labels/train/0000.txt").read_text()
    assert a.name == "data.yaml" and b.is_file()
    line = (tmp_path / "a/labels/train/0000.txt").read_text().splitlines()[0].split()
    assert len(line) >= 7 and len(line) % 2 == 1  # class, then x y pairs of a polygon
    folders = generate_training_data(tmp_path / "c", "classify", 6, 3, 64)
    assert sorted(p.name for p in (folders / "train").iterdir()) == ["ellipse", "rectangle", "triangle"]
    assert len(list((folders / "val").rglob("*.jpg"))) == 3
