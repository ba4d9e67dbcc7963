"""Every task end to end, in real processes: real random-init YOLO models and small torch/torchvision models
exported in the test, YOLO-format labels, an ImageFolder tree, depth ground truth, and ONNX inputs written
the ways other exporters write them."""

import json

import numpy as np
import pytest

from conftest import load_json, run_cli, write_image
from onnx_builders import write_image_model

pytestmark = pytest.mark.slow
QUICK = ["--warmup", "1", "--iters", "3", "--min_duration_s", "0"]


def _results(out_dir):
    return {p.stem: load_json(p) for p in sorted((out_dir / "runs").glob("*.json"))}


def _mixed_label_dataset(root, count=6):
    """Images with two rectangles each; every object is labeled three times, once per YOLO format: a box
    (detect, segment), its four corners (obb, and a polygon for segment), and a box with 17 keypoints (pose).
    Each task reads the lines in its own format and leaves the others out."""
    rng = np.random.default_rng(1)
    for index in range(count):
        h, w = 72, 96
        image = np.full((h, w, 3), 40, np.uint8)
        lines = []
        for _ in range(2):
            x1, y1 = rng.integers(4, 40), rng.integers(4, 30)
            bw, bh = rng.integers(16, 40), rng.integers(16, 36)
            image[y1:y1 + bh, x1:x1 + bw] = rng.integers(120, 255, size=3)
            cx, cy, nw, nh = (x1 + bw / 2) / w, (y1 + bh / 2) / h, bw / w, bh / h
            corners = [x1 / w, y1 / h, (x1 + bw) / w, y1 / h, (x1 + bw) / w, (y1 + bh) / h, x1 / w, (y1 + bh) / h]
            kpts = [v for k in range(17) for v in (cx + (k % 5 - 2) * nw / 5, cy + (k // 5 - 2) * nh / 5, 2)]
            lines += [f"0 {cx} {cy} {nw} {nh}", "0 " + " ".join(map(str, corners)),
                      f"0 {cx} {cy} {nw} {nh} " + " ".join(map(str, kpts))]
        write_image(root / "images" / f"im{index}.png", image)
        (root / "labels").mkdir(parents=True, exist_ok=True)
        (root / "labels" / f"im{index}.txt").write_text("\n".join(lines) + "\n")
    return root / "images"


def test_yolo_tasks_segment_pose_obb_detect(tmp_path):
    source = _mixed_label_dataset(tmp_path / "data")
    proc = run_cli("--models", "yolo11n-seg,yolo11n-pose,yolo11n-obb,yolo11n", "--source", source, "--imgsz", "64",
                   "--backend", "torch,onnxruntime", "--conf", "0.3", "--iou", "0.5", *QUICK, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "jetson_results")
    assert len(results) == 8 and all(r["status"] == "ok" for r in results.values()), {
        k: r["reason"] for k, r in results.items()}
    expected = {"yolo11n-seg": ("segment", ("mask_map50", "mask_map50_95", "map50"), "fidelity_mask_iou_mean"),
                "yolo11n-pose": ("pose", ("pose_map50", "pose_map50_95", "map50"), "fidelity_oks_mean"),
                "yolo11n-obb": ("obb", ("obb_map50", "obb_map50_95"), "fidelity_obb_match_pct"),
                "yolo11n": ("detect", ("map50", "map50_95"), "fidelity_box_match_pct")}
    for model, (task, accuracy, fidelity) in expected.items():
        for backend in ("torch", "onnxruntime"):
            r = results[f"{model}__{backend}__fp32__img64__b1"]
            m = r["metrics"]
            assert r["task"]["task"] == task and r["task"]["settings"]["task_source"] == "Ultralytics checkpoint metadata"
            assert r["task"]["settings"]["conf"] == 0.3 and r["task"]["settings"]["iou"] == 0.5
            for name in accuracy:  # computed from the label lines in this task's format, never from another's
                assert 0.0 <= m[name] <= 1.0, (model, name, r["unavailable"].get(name))
            details = r["accuracy"][task]
            # 12 objects x 3 lines: segment reads the box and the corner-polygon line of each object (24), the
            # others read one line each (12); the rest are counted as another format's
            labels = 24 if task == "segment" else 12
            assert details["labels_n"] == labels and details["images_n"] == 6
            assert details["foreign_label_lines_n"] == 36 - labels
            assert m["detections_per_frame_min"] <= m["detections_per_frame_mean"] <= m["detections_per_frame_max"]
            assert fidelity in m and (m[fidelity] is not None or r["unavailable"][fidelity])
            assert m["fidelity_max_abs_err"] < 1e-3 and m["fidelity_cos_sim_min"] > 0.9999
        assert results[f"{model}__torch__fp32__img64__b1"]["fidelity"]["compared_with"] == "self"
        assert results[f"{model}__onnxruntime__fp32__img64__b1"]["fidelity"]["compared_with"] == "torch fp32 on the CPU"
    pose = results["yolo11n-pose__torch__fp32__img64__b1"]
    assert pose["task"]["settings"]["kpt_shape"] == [17, 3]
    assert pose["input"]["resize"] == "letterbox" and pose["input"]["norm"] == "unit"


def _image_folder(root, classes=("cat", "dog"), per_class=3):
    rng = np.random.default_rng(2)
    for c, name in enumerate(classes):
        for i in range(per_class):
            write_image(root / name / f"{name}{i}.jpg", rng.integers(0, 256, size=(50 + 10 * c, 70, 3), dtype=np.uint8))
    return root


def _export_classifier(weights):
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=2).eval()
    example = torch.zeros(1, 3, 64, 64)
    torch.onnx.export(model, (example,), str(weights / "resnet18.onnx"), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}}, dynamo=False)
    torch.jit.trace(model, example).save(str(weights / "resnet_ts.pt"))
    for stem in ("resnet18", "resnet_ts"):
        (weights / f"{stem}.model.json").write_text(json.dumps({"task": "classify", "input_norm": "imagenet"}))


def test_classify_imagefolder_torchvision_onnx_torchscript_and_ultralytics(tmp_path):
    source = _image_folder(tmp_path / "folder")
    weights = tmp_path / "weights"
    weights.mkdir()
    _export_classifier(weights)
    proc = run_cli("--weights_dir", weights, "--models", "resnet18,resnet_ts,yolo11n-cls", "--source", source,
                   "--imgsz", "64", "--backend", "torch,onnxruntime", *QUICK, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(tmp_path / "jetson_results")
    onnx_run = results["resnet18__onnxruntime__fp32__img64__b1"]
    assert onnx_run["status"] == "ok" and onnx_run["task"]["task"] == "classify"
    assert onnx_run["input"]["norm"] == "imagenet" and onnx_run["input"]["resize"] == "crop"
    assert onnx_run["input"]["sources"]["norm"] == "resnet18.model.json" and onnx_run["input"]["name"] == "input"
    assert "no PyTorch artifact" in results["resnet18__torch__fp32__img64__b1"]["reason"]
    script = results["resnet_ts__torch__fp32__img64__b1"]
    assert script["status"] == "ok" and script["runner"]["model_file_kind"] == "torchscript"
    assert "TorchScript" in results["resnet_ts__onnxruntime__fp32__img64__b1"]["reason"]
    for run_id in ("resnet18__onnxruntime__fp32__img64__b1", "resnet_ts__torch__fp32__img64__b1",
                   "yolo11n-cls__torch__fp32__img64__b1", "yolo11n-cls__onnxruntime__fp32__img64__b1"):
        r = results[run_id]
        m = r["metrics"]
        assert r["status"] == "ok", r["reason"]
        assert 0.0 <= m["top1_acc"] <= m["top5_acc"] <= 1.0
        assert r["accuracy"]["classify"]["images_n"] == 6 and r["accuracy"]["classify"]["classes_n"] == 2
        assert m["fidelity_top1_agree_pct"] == 100.0 and m["fidelity_top5_overlap_pct"] == 100.0
        assert m["fidelity_max_abs_err"] < 1e-3
    # the Ultralytics classifier's names (ImageNet's 1000) do not hold these folders: sorted folder order, said so
    assert results["yolo11n-cls__torch__fp32__img64__b1"]["accuracy"]["classify"]["class_order"].startswith("sorted")


def test_depth_generic_onnx_inputs_and_refused_files(tmp_path):
    rng = np.random.default_rng(3)
    images = tmp_path / "images"
    for i in range(4):
        write_image(images / f"f{i}.png", rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8))
    gt = tmp_path / "gt"
    gt.mkdir()
    np.save(gt / "f0.npy", rng.uniform(1, 5, size=(48, 64)).astype(np.float32))
    np.save(gt / "f1.npy", rng.uniform(1, 5, size=(24, 32)).astype(np.float32))  # wrong size: resized, counted
    np.save(gt / "f2.npy", np.zeros((48, 64), np.float32))                          # no valid pixel
    weights = tmp_path / "weights"
    write_image_model(weights / "depth.onnx", out_channels=1)
    (weights / "depth.model.json").write_text(json.dumps({"task": "depth"}))
    write_image_model(weights / "neg_batch.onnx", batch_dim=-1, height=32, width=32)
    write_image_model(weights / "zero_batch.onnx", batch_dim=0, height=32, width=32)
    write_image_model(weights / "nhwc.onnx", layout="nhwc", height=32, width=32)
    write_image_model(weights / "u8.onnx", dtype="uint8", height=32, width=32)
    write_image_model(weights / "ocr.onnx", height=48, width=320)
    write_image_model(weights / "two.onnx", height=32, width=32, extra_inputs=[("scale", "float32", [1])])
    (weights / "two.model.json").write_text(json.dumps({"extra_inputs": {"scale": {"value": 2.0, "shape": [1]}}}))
    write_image_model(weights / "unfilled.onnx", height=32, width=32, extra_inputs=[("scale", "float32", [1])])
    import torch

    torch.save(torch.nn.Conv2d(3, 4, 3).state_dict(), weights / "weights_only.pt")
    models = "depth,neg_batch,zero_batch,nhwc,u8,ocr,two,unfilled,weights_only"
    proc = run_cli("--weights_dir", weights, "--models", models, "--source", images, "--dense_gt", gt,
                   "--depth_median_scaling", *QUICK, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # two refused files are bad input; the rest ran
    results = {r["run"]["model"]: r for r in _results(tmp_path / "jetson_results").values()}
    depth = results["depth"]
    assert depth["status"] == "ok" and depth["task"]["task"] == "depth" and depth["input"]["resize"] == "stretch"
    assert depth["run"]["imgsz"] == 640  # dynamic spatial dims: the default --imgsz
    for name in ("depth_abs_rel", "depth_rmse", "depth_delta1"):
        assert np.isfinite(depth["metrics"][name]) and depth["metrics"][name] >= 0
    counts = depth["accuracy"]["depth"]
    assert (counts["frames_n"], counts["missing_ground_truth_n"], counts["resized_ground_truth_n"],
            counts["no_valid_pixels_n"], counts["median_scaling"]) == (2, 1, 1, 1, True)
    for model in ("neg_batch", "zero_batch", "nhwc", "u8", "two"):
        r = results[model]
        assert r["status"] == "ok", (model, r["reason"])
        assert r["run"]["imgsz"] == 32 and r["task"]["task"] == "generic"  # the fixed size, with no --imgsz
        assert r["fidelity"]["compared_with"] == "self" and r["metrics"]["fidelity_max_abs_err"] == 0.0
        assert "no task for this model" in r["task"]["accuracy_unavailable"]
    assert results["nhwc"]["input"]["layout"] == "nhwc" and results["u8"]["input"]["dtype"] == "uint8"
    zero = results["zero_batch"]["run"]["artifact"]  # runs load Phase A's copy with the 0 / -1 dims made symbolic
    assert zero.endswith("zero_batch_dynamic_dims.onnx") and results["neg_batch"]["run"]["artifact"].endswith(
        "neg_batch_dynamic_dims.onnx")
    ocr = results["ocr"]
    assert ocr["status"] == "ok" and ocr["run"]["imgsz"] == "48x320" and ocr["run_id"].endswith("img48x320__b1")
    assert "scale cannot be filled" in results["unfilled"]["reason"] and results["unfilled"]["status"] == "skipped"
    refused = results["weights_only"]
    assert refused["status"] == "skipped" and "state_dict" in refused["reason"] and "weights_only.pt" in refused["reason"]
    assert "\n" not in refused["reason"]
