"""The inputs deployed models take, end to end in real processes: a 1-channel fixed-height OCR-style model runs
on gray frames at its fixed height, a stride-32 model declared in .model.json is rounded up from --imgsz, a
256/224 classifier-style crop with 0-1 normalization units, and a colour that contradicts the model is refused
for that model in one line."""

import json

import numpy as np
import pytest

from conftest import load_json, run_cli, write_image
from onnx_builders import write_image_model

pytestmark = pytest.mark.slow


def test_gray_stride_crop_norm_units_and_a_refused_colour(tmp_path):
    rng = np.random.default_rng(5)
    images = tmp_path / "images"
    for i in range(3):
        write_image(images / f"f{i}.png", rng.integers(0, 256, size=(45, 77, 3), dtype=np.uint8))
    weights = tmp_path / "weights"
    write_image_model(weights / "ocr.onnx", channels=1, height=64)               # 1 x 1 x 64 x W
    write_image_model(weights / "seg.onnx")                                      # dynamic H and W
    (weights / "seg.model.json").write_text(json.dumps({"stride": 32, "resize": "pad"}))
    write_image_model(weights / "cls.onnx", height=100, width=100)
    (weights / "cls.model.json").write_text(json.dumps({"resize": "crop:0.875", "input_norm": "mean=0.5;std=0.5"}))
    write_image_model(weights / "wrong.onnx", channels=1, height=32, width=32)
    (weights / "wrong.model.json").write_text(json.dumps({"color": "rgb"}))
    proc = run_cli("--weights_dir", weights, "--models", "ocr,seg,cls,wrong", "--source", images, "--imgsz", "100",
                   "--backend", "onnxruntime", "--warmup", "1", "--iters", "3", "--min_duration_s", "0", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # the refused colour is bad input; the others ran
    console = proc.stdout + proc.stderr
    results = {r["run"]["model"]: r for r in map(load_json, (tmp_path / "jetson_results" / "runs").glob("*.json"))}
    ocr = results["ocr"]
    assert ocr["status"] == "ok" and ocr["run"]["imgsz"] == "64x100", ocr.get("reason")
    assert ocr["input"]["color"] == "gray" and "one input channel" in ocr["input"]["sources"]["color"]
    assert ocr["input"]["frames_key"] == "64x100-stretch-gray"
    assert "--imgsz 100: the model fixes its height at 64, which wins; 64x100 is used" in console
    seg = results["seg"]
    assert seg["status"] == "ok" and seg["run"]["imgsz"] == 128 and seg["input"]["resize"] == "pad", seg.get("reason")
    assert "size 100 is not a multiple of the model's stride 32 (its .model.json): rounded up to 128" in console
    cls = results["cls"]
    assert cls["status"] == "ok" and cls["run"]["imgsz"] == 100 and cls["input"]["resize"] == "crop:0.875"
    assert cls["input"]["mean"] == [127.5] * 3 and cls["input"]["std_0_1"] == [0.5] * 3
    assert "norm custom: mean 127.5,127.5,127.5 std 127.5,127.5,127.5 (0-255) = mean 0.5,0.5,0.5" in console
    wrong = results["wrong"]
    assert wrong["status"] == "skipped" and "\n" not in wrong["reason"]
    assert "wrong.model.json says color rgb, but the model's image input has 1 channel" in wrong["reason"]
    frames = np.load(next((tmp_path / "preprocessed_data" / "frames" / "img64x100-stretch-gray").glob("*.npy")))
    assert frames.shape == (3, 3, 64, 100) and (frames[:, 0] == frames[:, 1]).all() and (frames[:, 0] == frames[:, 2]).all()


COLOURS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "white": (1, 1, 1)}


def test_class_names_from_metadata_labels_score_the_folders_right_and_are_printed(tmp_path):
    """The model's classes are red, green, blue, white (metadata "labels", newline-separated); the sorted folder
    order (blue, green, red, white) would score half the images wrong."""
    from onnx_builders import write_colour_classifier

    folder = tmp_path / "folder"
    rng = np.random.default_rng(2)
    for name, rgb in COLOURS.items():
        for i in range(2):
            pixel = np.clip(np.array(rgb[::-1]) * 200 + 30 + rng.integers(-20, 20, size=3), 0, 255)
            write_image(folder / name / f"{name}{i}.png", np.full((40, 52, 3), pixel, np.uint8))
    weights = tmp_path / "weights"
    write_colour_classifier(weights / "colours.onnx", list(COLOURS.values()), {"labels": "\n".join(COLOURS)})
    (weights / "colours.model.json").write_text(json.dumps({"task": "classify"}))
    write_colour_classifier(weights / "unnamed.onnx", list(COLOURS.values()))
    (weights / "unnamed.model.json").write_text(json.dumps({"task": "classify"}))
    proc = run_cli("--weights_dir", weights, "--models", "colours,unnamed", "--source", folder, "--imgsz", "32",
                   "--backend", "onnxruntime", "--warmup", "1", "--iters", "3", "--min_duration_s", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["run"]["model"]: r for r in map(load_json, (tmp_path / "jetson_results" / "runs").glob("*.json"))}
    named, unnamed = results["colours"], results["unnamed"]
    assert named["status"] == "ok" and named["metrics"]["top1_acc"] == 1.0
    assert named["accuracy"]["classify"]["class_order"] == "the model's class names (colours.onnx metadata 'labels')"
    assert named["accuracy"]["classify"]["class_index"] == {"red": 0, "green": 1, "blue": 2, "white": 3}
    assert unnamed["metrics"]["top1_acc"] == 0.5 and unnamed["accuracy"]["classify"]["class_order"].startswith("sorted")
    assert "colours: " in proc.stdout and "names: 4 from colours.onnx metadata 'labels' (0 red, 1 green, 2 blue, 3 white)" in proc.stdout
    report = (tmp_path / "jetson_results" / "report.md").read_text()
    assert "## Class names" in report and "red -> 0, green -> 1, blue -> 2, white -> 3" in report
