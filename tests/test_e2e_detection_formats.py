"""Detection output formats end to end, in real processes, on one trained detector exported four ways: its
Ultralytics head (the harness's own export), Ultralytics' export with NMS in the graph (N x 300 x 6), that graph
split into boxes / scores / labels outputs, and a YOLOv5-layout wrapper (objectness column); a YOLO26 exported
NMS-free (its one-to-one head, N x 300 x 6); and a model whose output fits no format, refused in one line. The
same detector decoded through each format scores the same mAP."""

import json
import shutil

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from conftest import load_json, run_cli
from harness.data.default_weights import SHIPPED_WEIGHTS_DIR
from onnx_builders import write_image_model

pytestmark = pytest.mark.slow
SIZE = 320


def _split_outputs(e2e_path, target):
    """The N x K x 6 graph with three outputs instead: boxes N x K x 4, scores N x K, labels N x K."""
    model = onnx.load(str(e2e_path))
    graph, source = model.graph, model.graph.output[0].name
    for name, value in (("s0", 0), ("s4", 4), ("s5", 5), ("s6", 6), ("ax2", 2)):
        graph.initializer.append(numpy_helper.from_array(np.array([value], np.int64), name))
    graph.node.extend([helper.make_node("Slice", [source, "s0", "s4", "ax2"], ["boxes"]),
                       helper.make_node("Slice", [source, "s4", "s5", "ax2"], ["score1"]),
                       helper.make_node("Squeeze", ["score1", "ax2"], ["scores"]),
                       helper.make_node("Slice", [source, "s5", "s6", "ax2"], ["label1"]),
                       helper.make_node("Squeeze", ["label1", "ax2"], ["labels"])])
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info("boxes", onnx.TensorProto.FLOAT, [1, 300, 4]),
                         helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, [1, 300]),
                         helper.make_tensor_value_info("labels", onnx.TensorProto.FLOAT, [1, 300])])
    onnx.save(model, str(target))


def _yolov5_layout(checkpoint, target):
    """The detector's head as YOLOv5 / YOLOX lay it out: N x anchors x (4 + objectness + classes), objectness 1."""
    import torch

    from runners.torch_model_files import load_torch_model

    class Layout(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, images):
            head = self.model(images)
            ones = torch.ones_like(head[:, :1])
            return torch.cat([head[:, :4], ones, head[:, 4:]], dim=1).permute(0, 2, 1)

    torch.onnx.export(Layout(load_torch_model(str(checkpoint), "ultralytics")), torch.zeros(1, 3, SIZE, SIZE),
                      str(target), input_names=["images"], output_names=["output"], opset_version=17, dynamo=False)


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory):
    from ultralytics import YOLO

    from harness.data.synthetic_dataset import generate

    root = tmp_path_factory.mktemp("formats")
    data = generate(root / "data", num_images=8, video_frames=2)
    weights = root / "weights"
    weights.mkdir()
    shutil.copy(SHIPPED_WEIGHTS_DIR / "yolo11n.pt", weights / "y11.pt")
    exported = YOLO(str(weights / "y11.pt")).export(format="onnx", imgsz=SIZE, nms=True, conf=0.001, iou=0.7,
                                                   verbose=False)
    shutil.move(exported, weights / "y11_nms.onnx")
    _split_outputs(weights / "y11_nms.onnx", weights / "y11_bsl.onnx")
    _yolov5_layout(weights / "y11.pt", weights / "y11_v5.onnx")
    YOLO("yolo26n.yaml").save(str(root / "y26.pt"))
    shutil.move(YOLO(str(root / "y26.pt")).export(format="onnx", imgsz=SIZE, nms=False, verbose=False),
                weights / "y26_e2e.onnx")
    write_image_model(weights / "misfit.onnx", height=SIZE, width=SIZE)
    for name in ("y11_bsl", "y11_v5", "misfit"):
        (weights / f"{name}.model.json").write_text(json.dumps({"task": "detect"}))
    (weights / "y11_v5.model.json").write_text(json.dumps({"task": "detect", "output_format": "yolox"}))
    proc = run_cli("--weights_dir", weights, "--models", "y11,y11_nms,y11_bsl,y11_v5,y26_e2e,misfit",
                   "--source", data / "images", "--imgsz", SIZE, "--backend", "onnxruntime",
                   "--warmup", "1", "--iters", "2", "--min_duration_s", "0", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["run"]["model"]: r for r in map(load_json, (root / "jetson_results" / "runs").glob("*.json"))}
    return results, proc.stdout


def test_every_format_of_one_detector_scores_the_same(formats_run):
    results, _ = formats_run
    head = results["y11"]
    assert head["status"] == "ok" and head["metrics"]["map50_95"] > 0.3, head.get("reason")
    for name in ("y11_nms", "y11_bsl", "y11_v5"):
        r = results[name]
        assert r["status"] == "ok", (name, r.get("reason"))
        assert r["metrics"]["map50_95"] == pytest.approx(head["metrics"]["map50_95"], abs=0.01), name
        assert r["metrics"]["fidelity_box_match_pct"] == 100.0 and r["task"]["task"] == "detect"
    formats = {name: results[name]["accuracy"]["detections"]["output_format"] for name in results if name != "misfit"}
    assert formats == {"y11": "ultralytics", "y11_nms": "end2end", "y11_bsl": "boxes_scores_labels",
                       "y11_v5": "yolov5", "y26_e2e": "end2end"}
    assert results["y11_v5"]["task"]["settings"]["output_format"] == "yolov5"  # declared "yolox": its alias
    y26 = results["y26_e2e"]  # random weights: few boxes, but decoded as final boxes, not as a head
    assert y26["status"] == "ok" and y26["metrics"]["detections_per_frame_mean"] is not None, y26.get("reason")


def test_an_output_that_fits_no_format_is_refused_in_one_line(formats_run):
    results, stdout = formats_run
    misfit = results["misfit"]
    assert misfit["status"] == "skipped" and "\n" not in misfit["reason"]
    assert f"output(s) 1x4x{SIZE}x{SIZE} at input {SIZE}x{SIZE} fit no detection format" in misfit["reason"]
