"""J and F against hand-computed cases, the evaluated-frame convention, and evaluate-vos on real folders in both
layouts (SA-V per-object and DAVIS palette), with a missing prediction scored 0 and counted."""

import csv

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli
from harness.tasks.vos_metrics import boundary_f_measure, evaluated_frames, region_similarity, tolerance_px


def _square(shape=(100, 100), top=20, left=20, size=40):
    mask = np.zeros(shape, dtype=bool)
    mask[top:top + size, left:left + size] = True
    return mask


def test_identical_masks_score_one_and_disjoint_masks_zero():
    mask = _square()
    assert region_similarity(mask, mask) == 1.0 and boundary_f_measure(mask, mask) == 1.0
    other = _square(left=65, size=30)
    assert region_similarity(mask, other) == 0.0 and boundary_f_measure(mask, other) == 0.0


def test_empty_masks():
    empty = np.zeros((50, 50), dtype=bool)
    assert region_similarity(empty, empty) == 1.0 and boundary_f_measure(empty, empty) == 1.0
    assert region_similarity(empty, _square((50, 50), 10, 10, 10)) == 0.0
    assert boundary_f_measure(empty, _square((50, 50), 10, 10, 10)) == 0.0  # precision 1, recall 0


def test_region_similarity_by_hand():
    a, b = _square(size=40), _square(left=40, size=40)  # overlap 40 x 20 = 800; union 1600 + 1600 - 800
    assert region_similarity(a, b) == pytest.approx(800 / 2400)


def test_a_one_pixel_shift_is_within_the_boundary_tolerance():
    shape = (100, 100)
    assert tolerance_px(shape) == 2  # ceil(0.008 x 141.4)
    gt, shifted = _square(shape), _square(shape, left=21)
    assert boundary_f_measure(shifted, gt) == 1.0
    assert region_similarity(shifted, gt) == pytest.approx(1560 / 1640)
    far = _square(shape, left=30)  # 10 px: the vertical edges miss, the horizontal ones overlap partly
    assert 0 < boundary_f_measure(far, gt) < 0.8


def test_the_prompt_frame_and_the_last_annotated_frame_are_not_scored():
    assert evaluated_frames(["00008", "00000", "00004", "00012"]) == ["00004", "00008"]
    assert evaluated_frames(["00000", "00004"]) == []


def _png(path, array, palette=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array.astype(np.uint8), mode="L")
    if palette:
        image = image.convert("P")
    image.save(path)


def _sav_split(root, frames=4):
    """SA-V annotations: video v1 with objects 000 and 001 on frames 0, 4, 8, 12."""
    for k in range(frames):
        _png(root / "Annotations_6fps" / "v1" / "000" / f"{4 * k:05d}.png", _square(left=10 + k) * 255)
        _png(root / "Annotations_6fps" / "v1" / "001" / f"{4 * k:05d}.png", _square(top=60, size=30) * 255)
    return root


def _rows(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_evaluate_vos_scores_sav_predictions_and_counts_a_missing_one(tmp_path):
    gt = _sav_split(tmp_path / "split")
    pred = tmp_path / "pred"
    for k in range(4):  # object 000 predicted exactly; object 001 predicted on frame 4 only, not on frame 8
        _png(pred / "v1" / "000" / f"{4 * k:05d}.png", _square(left=10 + k) * 255)
    _png(pred / "v1" / "001" / "00004.png", _square(top=60, size=30) * 255)
    proc = run_cli("evaluate-vos", pred, gt, "--out", tmp_path / "scores.csv", cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(tmp_path / "scores.csv")
    objects = {r["object"]: r for r in rows if r["level"] == "object"}
    assert float(objects["000"]["j_and_f"]) == 1.0 and float(objects["000"]["frames_n"]) == 2  # frames 4 and 8
    assert float(objects["001"]["j_mean"]) == pytest.approx(0.5)  # 1 on frame 4, 0 on the missing frame 8
    split = next(r for r in rows if r["level"] == "split")
    assert float(split["j_and_f"]) == pytest.approx((1.0 + 0.5) / 2)
    assert "missing predictions scored as empty: 1 frame(s)" in proc.stdout


def test_evaluate_vos_reads_davis_palette_masks_on_either_side(tmp_path):
    davis = tmp_path / "davis" / "Annotations" / "480p" / "bear"
    for k in range(3):
        ids = np.zeros((100, 100), dtype=np.uint8)
        ids[_square(left=10)] = 1
        ids[_square(top=62, left=62, size=30)] = 2
        _png(davis / f"{k:05d}.png", ids, palette=True)
    pred = tmp_path / "pred_sav"  # predictions in the SA-V layout, objects 001 and 002
    for k in range(3):
        _png(pred / "bear" / "001" / f"{k:05d}.png", _square(left=10) * 255)
        _png(pred / "bear" / "002" / f"{k:05d}.png", np.zeros((100, 100), dtype=np.uint8))
    proc = run_cli("evaluate-vos", pred, tmp_path / "davis", "--out", tmp_path / "s.csv", cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    objects = {r["object"]: r for r in _rows(tmp_path / "s.csv") if r["level"] == "object"}
    assert set(objects) == {"1", "2"} and float(objects["1"]["frames_n"]) == 1
    assert float(objects["1"]["j_and_f"]) == 1.0 and float(objects["2"]["j_and_f"]) == 0.0


def test_evaluate_vos_on_a_folder_without_annotations_is_one_line(tmp_path):
    (tmp_path / "empty" / "video").mkdir(parents=True)
    proc = run_cli("evaluate-vos", tmp_path / "empty", tmp_path / "empty", cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "no annotations found" in proc.stderr and "Traceback" not in proc.stderr
