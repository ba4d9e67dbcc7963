import numpy as np
import pytest

from harness.tasks.box_agreement import box_agreement, iou_matrix, matched_boxes
from harness.measure.fidelity import compare_outputs
from harness.phase_a.reference_outputs import fixed_frames


def test_identical_outputs():
    ref = np.random.default_rng(0).standard_normal((3, 5, 7)).astype(np.float32)
    result = compare_outputs(ref, ref.copy())
    assert result["fidelity_max_abs_err"] == 0.0 and result["fidelity_cos_sim_min"] == 1.0


def test_worked_example():
    ref = np.array([[1.0, 0.0], [0.0, 2.0]])
    test = np.array([[1.0, 1.0], [0.0, 2.5]])
    result = compare_outputs(ref, test)
    assert result["fidelity_max_abs_err"] == pytest.approx(1.0)
    assert result["fidelity_cos_sim_min"] == pytest.approx(1 / np.sqrt(2))  # frame 0: (1,0)·(1,1)/(1*sqrt 2)
    assert result["per_frame"][1]["cos_sim"] == pytest.approx(1.0)


def test_shape_mismatch_and_nan():
    with pytest.raises(ValueError, match="differs"):
        compare_outputs(np.zeros((2, 3)), np.zeros((2, 4)))
    bad = compare_outputs(np.ones((1, 2)), np.array([[np.nan, 1.0]]))
    assert bad["fidelity_max_abs_err"] == float("inf") and "NaN" in bad["note"]


def test_iou_and_greedy_matching():
    a = np.array([[0, 0, 10, 10, 0.9, 1], [20, 20, 30, 30, 0.8, 2]], dtype=float)
    b = np.array([[0, 0, 10, 5, 0.5, 1], [21, 21, 31, 31, 0.7, 2], [0, 0, 10, 10, 0.4, 3]], dtype=float)
    ious = iou_matrix(a[:, :4], b[:, :4])
    assert ious[0, 0] == pytest.approx(0.5) and ious[1, 1] == pytest.approx(81 / 119)
    assert matched_boxes(a, b) == 2          # class 3 box does not count for class 1
    assert matched_boxes(a, b[1:]) == 1      # first ref box only overlaps a box of another class


def _yolo_output(boxes_per_frame, nc=3, anchors=50, seed=0):
    """A raw (K, 4+nc, anchors) YOLO output whose NMS gives the listed (cx, cy, w, h, cls, score) boxes."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(boxes_per_frame), 4 + nc, anchors), dtype=np.float32)
    out[:, :4, :] = rng.uniform(0, 5, size=(len(boxes_per_frame), 4, anchors))
    for k, boxes in enumerate(boxes_per_frame):
        for j, (cx, cy, w, h, cls, score) in enumerate(boxes):
            out[k, :4, j] = (cx, cy, w, h)
            out[k, 4 + cls, j] = score
    return out


def test_box_agreement_through_ultralytics_nms():
    ref = _yolo_output([[(50, 50, 20, 20, 0, 0.9), (150, 150, 30, 30, 1, 0.8)], [(60, 60, 10, 10, 2, 0.7)]])
    same = box_agreement(ref, ref.copy())
    assert same["fidelity_box_match_pct"] == 100.0 and same["reference_boxes_n"] == 3
    shifted = ref.copy()
    shifted[1, 0, 0] += 9  # frame 1's only box moves 9 px of a 10 px box: IoU < 0.5
    broken = box_agreement(ref, shifted)
    assert broken["fidelity_box_match_pct"] == pytest.approx(200 / 3)
    empty = box_agreement(np.zeros_like(ref), np.zeros_like(ref))
    assert empty["fidelity_box_match_pct"] is None and "no boxes" in empty["note"]


def test_fixed_frames_spread_and_deterministic():
    sequences = [{"name": "a", "num_frames": 6}, {"name": "b", "num_frames": 2}]
    assert fixed_frames(sequences, 4) == [["a", 0], ["a", 2], ["a", 4], ["b", 0]]
    assert fixed_frames(sequences, 100) == [["a", i] for i in range(6)] + [["b", 0], ["b", 1]]
    assert fixed_frames(sequences, 0) == []


def test_a_reference_that_ignores_its_input_makes_fidelity_uninformative():
    import pandas as pd

    from harness.report.summary import UNINFORMATIVE_MARK, display_frame, table_notes
    from harness.tasks.base import compare_every_output

    rng = np.random.default_rng(0)
    flat = np.full((4, 7, 84), 480.0) + rng.normal(0, 1e-5, (4, 7, 84))   # what random-init YOLO gives
    figures = compare_every_output([flat], [flat + 3e-5])
    assert figures.metrics["fidelity_informative"] is False
    assert figures.metrics["fidelity_reference_spread"] < 1e-3 and "barely depend on the input" in \
        figures.details["fidelity_uninformative"]
    varied = rng.normal(0, 50, (4, 7, 84))
    figures = compare_every_output([varied], [varied + 1e-3])
    assert figures.metrics["fidelity_informative"] is True and figures.metrics["fidelity_reference_spread"] > 10
    assert "fidelity_uninformative" not in figures.details
    one = compare_every_output([varied[:1]], [varied[:1]])
    assert one.metrics["fidelity_informative"] is None and one.metrics["fidelity_reference_spread"] is None
    rows = pd.DataFrame([{"fidelity_max_abs_err": 3.052e-05, "fidelity_informative": False, "status": "ok"},
                         {"fidelity_max_abs_err": 0.01, "fidelity_informative": True, "status": "ok"}])
    view = display_frame(rows)
    assert view["fidelity_max_abs_err"][0] == f"3.052e-05 {UNINFORMATIVE_MARK}" and view["fidelity_max_abs_err"][1] == "0.01"
    assert any("fidelity uninformative" in note for note in table_notes(rows.to_dict("records")))
