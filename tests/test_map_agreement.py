"""The harness's mAP50-95 agrees with Ultralytics' own model.val() within 0.01, on the torch and ONNX Runtime rows
of a YOLO26n trained briefly here with the train command and of the shipped (trained) YOLO11n, and on a YOLO26n
exported NMS-free (an end-to-end 1 x 300 x 6 ONNX) against Ultralytics' validation of that ONNX file. Small sizes:
the full-size measurement is bench/map_agreement.py (docs/evidence/map_agreement.md)."""

import shutil
import sys

import pytest

from conftest import REPO, run_cli
from harness.data.default_weights import SHIPPED_WEIGHTS_DIR

sys.path.insert(0, str(REPO / "bench"))
pytestmark = pytest.mark.slow
SIZE = 160


def test_harness_map_agrees_with_ultralytics_val(tmp_path):
    from map_agreement import agreement, export_end2end

    from harness.data.synthetic_training import generate_training_data

    data = generate_training_data(tmp_path / "data", "detect", train_images=16, val_images=6, size=SIZE, seed=3)
    proc = run_cli("train", "--models", "yolo26n", "--train_data", data, "--epochs", 2, "--train_imgsz", SIZE,
                   "--train_batch", 8, "--train_device", "cpu", "--out_dir", tmp_path / "train", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    weights = tmp_path / "weights"
    weights.mkdir()
    shutil.copy(tmp_path / "train" / "weights" / "yolo26n.pt", weights / "yolo26n.pt")
    shutil.copy(SHIPPED_WEIGHTS_DIR / "yolo11n.pt", weights / "yolo11n.pt")
    export_end2end(weights / "yolo26n.pt", weights / "yolo26n_e2e.onnx", SIZE)
    rows = agreement(weights, data, SIZE, tmp_path / "bench", {"yolo26n_e2e": "yolo26n"}, "cpu")
    found = {(model, row): (theirs, ours) for model, row, _, theirs, ours, _ in rows}
    assert set(found) == {("yolo26n", "torch fp32"), ("yolo26n", "onnxruntime fp32"), ("yolo11n", "torch fp32"),
                          ("yolo11n", "onnxruntime fp32"), ("yolo26n_e2e", "onnxruntime fp32")}
    formats = {model: fmt for model, _, fmt, _, _, _ in rows}
    assert formats == {"yolo26n": "ultralytics", "yolo11n": "ultralytics", "yolo26n_e2e": "end2end"}
    assert found[("yolo11n", "torch fp32")][0] > 0.2  # a trained detector: the agreement is about real boxes
    for key, (theirs, ours) in found.items():
        assert ours == pytest.approx(theirs, abs=0.01), (key, found)
