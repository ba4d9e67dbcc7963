"""Detection output formats: recognised from shapes and the input size, declared ones checked, misfits refused in
one line, and every format decoded by Ultralytics' NMS and validator to the same detections and mAP."""

import numpy as np
import pytest

from harness.model_input.input_spec import InputSpec
from harness.tasks.detection_formats import MisfitOutput, anchor_counts, recognise, resolve_format, to_nms_input
from harness.tasks.registry import make_task
from harness.tasks.task_settings import TaskSettings


def test_anchor_counts_of_common_heads():
    assert 8400 in anchor_counts((640, 640)) and 25200 in anchor_counts((640, 640))   # YOLOv8 / YOLOv5
    assert 3549 in anchor_counts((416, 416)) and 300 not in anchor_counts((640, 640))  # YOLOX-nano at 416


@pytest.mark.parametrize("shapes,hw,name", [
    ([(1, 84, 8400)], (640, 640), "ultralytics"),
    ([(1, 116, 8400), (1, 32, 160, 160)], (640, 640), "ultralytics"),
    ([(1, 3549, 6)], (416, 416), "yolov5"),            # YOLOX: xywh, objectness, one class
    ([(1, 25200, 85)], (640, 640), "yolov5"),
    ([(1, 300, 6)], (640, 640), "end2end"),            # YOLO26 / YOLOv10 / NMS in the graph
    ([(2, 100, 4), (2, 100), (2, 100)], (320, 320), "boxes_scores_labels"),
])
def test_recognised_from_shapes(shapes, hw, name):
    assert recognise(shapes, hw) == name


def test_misfits_are_refused_in_one_line_naming_shapes_and_formats():
    with pytest.raises(MisfitOutput) as caught:
        recognise([(1, 7, 9)], (64, 64))
    line = str(caught.value)
    assert "\n" not in line and "output(s) 1x7x9 at input 64x64 fit no detection format" in line
    assert "ultralytics (N x (4+classes) x anchors)" in line and "end2end (N x K x 6" in line
    with pytest.raises(MisfitOutput, match=r"^m.model.json declares output_format end2end \(N x K x 6 .*\), but the "
                                           r"model's output\(s\) are 1x84x8400$"):
        resolve_format("end2end", "m.model.json", [(1, 84, 8400)], (640, 640))
    assert resolve_format("yolov5", "--output_format", [(1, 1000, 7)], (64, 64)) == "yolov5"  # declared: trusted


def _head_and_labels(nc=3, hw=(64, 64), seed=0):
    """An Ultralytics head output (1 x (4 + nc) x anchors) with a few confident boxes and the YOLO label rows they
    should match, plus background anchors of low score."""
    rng = np.random.default_rng(seed)
    anchors = min(anchor_counts(hw))
    head = np.zeros((1, 4 + nc, anchors), np.float32)
    head[0, :4] = rng.uniform(5, 59, size=(4, anchors))
    head[0, 2:4] = rng.uniform(2, 6, size=(2, anchors))
    head[0, 4:] = rng.uniform(0, 0.05, size=(nc, anchors))
    rows = []
    for k, (cx, cy, w, h, cls) in enumerate([(16, 16, 12, 10, 0), (44, 20, 14, 18, 1), (30, 48, 20, 10, 2)]):
        head[0, :4, k] = (cx + 0.5, cy - 0.3, w, h)
        head[0, 4 + cls, k] = 0.9
        rows.append(f"{cls} {cx / 64} {cy / 64} {w / 64} {h / 64}")
    return head, rows


def _other_formats(head):
    """The same detections as YOLOv5 (objectness 1), end-to-end (Ultralytics' NMS of the head) and three outputs."""
    from harness.tasks.box_agreement import nms

    v5 = np.concatenate([head[:, :4], np.ones_like(head[:, :1]), head[:, 4:]], axis=1).transpose(0, 2, 1)
    final = nms(head, 0, conf=0.001, iou=0.7, max_det=300)[0]
    e2e = np.zeros((1, 300, 6), np.float32)
    e2e[0, :len(final)] = final
    return {"ultralytics": [head], "yolov5": [np.ascontiguousarray(v5)], "end2end": [e2e],
            "boxes_scores_labels": [e2e[..., :4], e2e[..., 4], e2e[..., 5]]}


def test_every_format_decodes_to_the_same_map_and_detections(tmp_path):
    head, rows = _head_and_labels()
    label = tmp_path / "f.txt"
    label.write_text("\n".join(rows) + "\n")
    record = {"label_path": str(label), "source_path": "/x/f.png", "original_size": [64, 64]}
    spec = InputSpec(64, 64, resize="stretch")
    found = {}
    for name, outputs in _other_formats(head).items():
        assert recognise([o.shape for o in outputs], (64, 64)) == name
        task = make_task(TaskSettings(task="detect", names={"0": "a", "1": "b", "2": "c"}), (64, 64))
        accumulator = task.accuracy(spec)
        accumulator.add(outputs, [record])
        figures = accumulator.result()
        found[name] = (figures.metrics["map50_95"], figures.metrics["detections_per_frame_mean"])
        assert task.output_problem(outputs) is None
    assert found["ultralytics"][0] > 0.5 and found["ultralytics"][1] == 3
    for name, values in found.items():
        assert values == pytest.approx(found["ultralytics"], abs=1e-6), (name, found)


def test_fidelity_in_each_format_and_a_misfit_is_never_decoded():
    head, _ = _head_and_labels()
    task = make_task(TaskSettings(task="detect"), (64, 64))
    for name, outputs in _other_formats(head).items():
        figures = task.fidelity(outputs, outputs)
        assert figures.metrics["fidelity_box_match_pct"] == 100.0, name
    misfit = [np.zeros((1, 7, 9), np.float32)]
    figures = task.fidelity(misfit, misfit)
    assert figures.metrics["fidelity_box_match_pct"] is None
    assert "fit no detection format" in figures.unavailable["fidelity_box_match_pct"]
    assert "fit no detection format" in task.output_problem(misfit)
    accumulator = task.accuracy(InputSpec(64, 64))
    accumulator.add(misfit, [{"source_path": "/x/f.png", "original_size": [64, 64]}])
    result = accumulator.result()
    assert result.metrics["detections_per_frame_mean"] is None and "fit no detection format" in result.unavailable["map50"]


def test_yolox_single_class_is_one_class_not_thousands():
    """1 x 3549 x 6 at 416: xywh, objectness, one class; objectness x class score is the score."""
    out = np.zeros((1, 3549, 6), np.float32)
    out[0, :, :4] = (100, 100, 20, 20)
    out[0, 0] = (200, 150, 40, 30, 0.8, 0.5)
    converted = to_nms_input([out], recognise([out.shape], (416, 416)))[0]
    assert converted.shape == (1, 5, 3549) and converted[0, 4, 0] == pytest.approx(0.4)
