"""Each task's comparison and metric on hand-computed examples."""

import numpy as np
import pytest

from harness.tasks.base import compare_every_output
from harness.tasks.classify import class_index, top1_agreement_pct, top5_overlap_pct, topk
from harness.tasks.depth import depth_errors
from harness.tasks.registry import make_task
from harness.tasks.task_settings import TaskSettings


def test_topk_agreement_and_overlap_worked_example():
    ref = np.array([[0.9, 0.05, 0.03, 0.01, 0.005, 0.005, 0.0], [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0]])
    test = np.array([[0.8, 0.1, 0.03, 0.01, 0.005, 0.0, 0.05], [0.1, 0.2, 0.35, 0.3, 0.0, 0.0, 0.05]])
    assert topk(ref, 2).tolist() == [[0, 1], [3, 2]]
    assert top1_agreement_pct(ref, test) == 50.0  # frame 1's top-1 moves from class 3 to class 2
    # frame 0: ref top-5 {0,1,2,3,4} (4 and 5 tie: the lower index), test {0,1,6,2,3}: 4 of 5; frame 1: ref
    # {3,2,1,0,4}, test {2,3,1,0,6}: 4 of 5
    assert top5_overlap_pct(ref, test) == pytest.approx(80.0)


def test_class_order_follows_the_model_names_only_when_every_folder_is_one():
    assert class_index({"0": "cat", "1": "dog"}, ["dog", "cat"], "m.onnx metadata 'labels'") == (
        {"dog": 1, "cat": 0}, "the model's class names (m.onnx metadata 'labels')")
    mapping, order = class_index({"0": "cat"}, ["dog", "cat"], "m.model.json")
    assert mapping == {"cat": 0, "dog": 1}
    assert order == "sorted folder names (torchvision ImageFolder order; the 1 names from m.model.json do not name every folder)"


def test_depth_errors_worked_example():
    gt = np.array([[1.0, 2.0], [4.0, 0.0]])          # the 0 is invalid and masked
    pred = np.array([[1.1, 2.0], [2.0, 9.0]])
    found = depth_errors(pred, gt)
    assert found["depth_abs_rel"] == pytest.approx((0.1 / 1 + 0 + 2 / 4) / 3)
    assert found["depth_rmse"] == pytest.approx(np.sqrt((0.01 + 0 + 4) / 3))
    assert found["depth_delta1"] == pytest.approx(2 / 3)  # 1.1 and 2.0 within 1.25x, 2 vs 4 is not
    scaled = depth_errors(pred * 10, gt, median_scaling=True)  # median scaling removes a global factor
    assert scaled["depth_abs_rel"] == pytest.approx(depth_errors(pred * (2.0 / 2.0), gt, median_scaling=True)["depth_abs_rel"])
    assert depth_errors(pred, np.full((2, 2), np.nan)) is None


def test_oks_of_identical_and_shifted_keypoints():
    from harness.tasks.pose import oks

    kpts = np.zeros((1, 17, 3))
    kpts[0, :, 0], kpts[0, :, 1], kpts[0, :, 2] = np.arange(17) * 3.0, 10.0, 2.0
    box = np.array([[0.0, 0.0, 50.0, 40.0]])
    assert oks(kpts, kpts.copy(), box)[0] == pytest.approx(1.0)
    shifted = kpts.copy()
    shifted[0, :, 0] += 2.0
    # COCO OKS by hand: mean over keypoints of exp(-d^2 / (2 s^2 (2 sigma)^2)), s^2 = 0.53 x area
    from ultralytics.utils.metrics import OKS_SIGMA

    area = 50 * 40 * 0.53
    expected = np.mean(np.exp(-4.0 / ((2 * np.asarray(OKS_SIGMA)) ** 2 * (area + 1e-9) * 2)))
    assert oks(kpts, shifted, box)[0] == pytest.approx(expected, rel=1e-5)


def test_rotated_iou_of_a_box_with_itself_and_a_far_one():
    from harness.tasks.box_agreement import rotated_iou_matrix

    a = np.array([[50.0, 50.0, 20.0, 10.0, 0.3]])
    b = np.array([[50.0, 50.0, 20.0, 10.0, 0.3], [200.0, 200.0, 20.0, 10.0, 0.3], [50.0, 50.0, 20.0, 10.0, 0.3 + np.pi / 2]])
    ious = rotated_iou_matrix(a, b)[0]
    assert ious[0] == pytest.approx(1.0, abs=1e-3) and ious[1] < 1e-3 and 0.05 < ious[2] < 0.9


def test_mask_iou_and_every_output_comparison():
    from harness.tasks.segment import mask_iou

    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[1:3] = True
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    ref = [np.ones((2, 3)), np.ones((2, 5))]
    got = [np.ones((2, 3)), np.ones((2, 5)) * 1.5]
    figures = compare_every_output(ref, got)
    assert figures.metrics["fidelity_max_abs_err"] == pytest.approx(0.5)  # the second output, not only the first
    assert len(figures.details["outputs"]) == 2
    assert "returned 1 outputs" in compare_every_output(ref, got[:1]).unavailable["fidelity_max_abs_err"]


def _yolo_head(nc, extra, boxes, anchors=40):
    """A raw (1, 4 + nc + extra, anchors) output holding the given (cx, cy, w, h, cls, score, extra...) boxes."""
    out = np.zeros((1, 4 + nc + extra, anchors), dtype=np.float32)
    for j, (cx, cy, w, h, cls, score, *rest) in enumerate(boxes):
        out[0, :4, j] = (cx, cy, w, h)
        out[0, 4 + cls, j] = score
        out[0, 4 + nc:, j] = rest
    return out


def test_pose_fidelity_reads_keypoints_after_the_classes():
    task = make_task(TaskSettings(task="pose", kpt_shape=(2, 3)))
    ref = _yolo_head(1, 6, [(30, 30, 20, 20, 0, 0.9, 25, 25, 1, 35, 35, 1)])
    same = task.fidelity([ref], [ref.copy()])
    assert same.metrics["fidelity_box_match_pct"] == 100.0 and same.metrics["fidelity_oks_mean"] == pytest.approx(1.0)
    moved = ref.copy()
    moved[0, 5, 0] += 6  # the first keypoint's x moves 6 px; the box stays
    result = task.fidelity([ref], [moved])
    assert result.metrics["fidelity_box_match_pct"] == 100.0 and result.metrics["fidelity_oks_mean"] < 0.99


def test_obb_fidelity_matches_rotated_boxes():
    task = make_task(TaskSettings(task="obb"))
    ref = _yolo_head(2, 1, [(30, 30, 20, 8, 1, 0.9, 0.2), (80, 80, 10, 10, 0, 0.8, 0.0)])
    assert task.fidelity([ref], [ref.copy()]).metrics["fidelity_obb_match_pct"] == 100.0
    turned = ref.copy()
    turned[0, -1, 0] += np.pi / 2  # the long thin box turns a quarter: probiou well below 0.5
    assert task.fidelity([ref], [turned]).metrics["fidelity_obb_match_pct"] == 50.0


def test_detect_accuracy_counts_detections_per_frame_without_labels():
    task = make_task(TaskSettings(task="detect", conf=0.5, iou=0.45))
    out = _yolo_head(2, 0, [(30, 30, 20, 20, 0, 0.9), (80, 80, 10, 10, 1, 0.6), (10, 10, 5, 5, 1, 0.3)])
    accumulator = task.accuracy(None)
    accumulator.add([np.concatenate([out, out[:, :, ::-1] * 0])], [{"source_path": "a.jpg"}, {"source_path": "b.jpg"}])
    figures = accumulator.result()
    assert figures.metrics["detections_per_frame_mean"] == 1.0  # 2 above conf 0.5 in frame a, none in b
    assert figures.metrics["detections_per_frame_max"] == 2.0 and figures.metrics["detections_per_frame_min"] == 0.0
    assert "no YOLO-format labels" in figures.unavailable["map50"]


def test_generic_task_has_no_accuracy_and_says_why():
    task = make_task(TaskSettings())
    assert task.accuracy(None) is None and "no task for this model" in task.accuracy_unavailable()
    with pytest.raises(ValueError, match="unknown task"):
        make_task(TaskSettings(task="tracking"))


def test_a_bad_ground_truth_file_is_skipped_counted_and_named(tmp_path):
    from harness.model_input.input_spec import InputSpec

    gt = tmp_path / "gt"
    gt.mkdir()
    np.save(gt / "good.npy", np.full((8, 8), 2.0))
    np.save(gt / "three_maps.npy", np.ones((3, 8, 8)))
    (gt / "broken.npy").write_bytes(b"not an array")
    task = make_task(TaskSettings(task="depth", dense_gt=str(gt)))
    accumulator = task.accuracy(InputSpec(8, 8, resize="stretch"))
    records = [{"source_path": f"/x/{stem}.jpg", "original_size": [8, 8]} for stem in
               ("good", "three_maps", "broken", "absent")]
    prediction = np.full((4, 1, 8, 8), 2.0, dtype=np.float32)
    accumulator.add([prediction], records)
    figures = accumulator.result()
    counts = figures.details["depth"]
    assert counts["frames_n"] == 1 and counts["missing_ground_truth_n"] == 1 and counts["bad_ground_truth_n"] == 2
    named = {entry["file"]: entry["reason"] for entry in counts["bad_ground_truth"]}
    assert "shape (3, 8, 8)" in named["three_maps.npy"] and "broken.npy" in named
    assert figures.metrics["depth_abs_rel"] == pytest.approx(0.0)


@pytest.mark.parametrize("scale,expect_abs_rel", [(None, 0.0), (1.0, 0.999)])
def test_depth_scale_1_is_honoured_for_png_ground_truth(tmp_path, scale, expect_abs_rel):
    """A 16-bit PNG holds 2000: millimetres by default (2 m, the prediction), metres with --depth_scale 1 (2000 m)."""
    import cv2

    from harness.model_input.input_spec import InputSpec

    gt = tmp_path / "gt"
    gt.mkdir()
    cv2.imwrite(str(gt / "f.png"), np.full((8, 8), 2000, np.uint16))
    task = make_task(TaskSettings(task="depth", dense_gt=str(gt), depth_scale=scale))
    accumulator = task.accuracy(InputSpec(8, 8, resize="stretch"))
    accumulator.add([np.full((1, 1, 8, 8), 2.0, dtype=np.float32)], [{"source_path": "/x/f.jpg", "original_size": [8, 8]}])
    assert accumulator.result().metrics["depth_abs_rel"] == pytest.approx(expect_abs_rel)
