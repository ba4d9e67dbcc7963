"""J and F equal what the official evaluators printed on recorded cases (tests/vos_official_cases.py; the numbers
and how they were produced in tests/data/vos_official_expected.json): SA-V's sav_benchmark.py on both layouts,
DAVIS 2017's evaluation with --protocol davis. And the two pieces the conventions hinge on, against their
definitions: DAVIS's seg2bmap and scikit-image's disk."""

import json
from pathlib import Path

import numpy as np
import pytest

from harness.data.vos_layouts import read_split
from harness.tasks.vos_metrics import disk, seg2bmap, split_figures, tolerance_px
from harness.video.evaluate import score_split
from vos_official_cases import write_cases

EXPECTED = json.loads((Path(__file__).parent / "data" / "vos_official_expected.json").read_text())


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("vos_official"))


def _ours(cases, layout, pred, protocol):
    scores, _ = score_split(read_split(cases / layout / "gt"), read_split(cases / layout / pred, "predictions"), protocol)
    objects = {f"{s.video}/{s.object_id}": s.row() for s in scores if s.scored}
    return objects, split_figures(scores)


@pytest.mark.parametrize("key,layout,pred,protocol,separator", [
    ("sav_benchmark_sav_layout", "sav", "pred", "sav", "/"),
    ("sav_benchmark_davis_layout", "davis", "pred", "sav", "/"),
    ("davis2017_evaluation", "davis", "pred_first_frame_objects", "davis", "_"),
    ("davis2017_evaluation", "davis", "pred", "davis", "_"),  # objects after the first frame are not scored
])
def test_the_official_evaluators_numbers(cases, key, layout, pred, protocol, separator):
    expected = EXPECTED[key]
    objects, split = _ours(cases, layout, pred, protocol)
    assert sorted(k.replace("/", separator) for k in objects) == sorted(expected["objects"])
    for name, row in objects.items():
        want = expected["objects"][name.replace("/", separator)]
        assert row["j_mean"] * 100 == pytest.approx(want["j"], abs=1e-9), name
        assert row["f_mean"] * 100 == pytest.approx(want["f"], abs=1e-9), name
    assert split["j_and_f"] * 100 == pytest.approx(expected["global"]["j_and_f"], abs=1e-9)


def test_disk_is_scikit_images_definition():
    for radius in range(0, 10):
        grid = np.arange(-radius, radius + 1)
        assert np.array_equal(disk(radius), (grid[None, :] ** 2 + grid[:, None] ** 2 <= radius ** 2).astype(np.uint8))
    assert disk(2).sum() == 13 and disk(8).sum() == 197  # skimage.morphology.disk(2), disk(8)
    assert tolerance_px((480, 854)) == 8 and tolerance_px((100, 100)) == 2


def test_seg2bmap_marks_transitions_towards_the_origin_and_not_the_image_edge():
    assert not seg2bmap(np.ones((5, 6), bool)).any()
    mask = np.zeros((6, 6), bool)
    mask[2:4, 2:4] = True
    expected = np.zeros((6, 6), bool)
    expected[1, 1:4] = expected[1:4, 1] = True      # the pixels before the square (above, left, diagonal)
    expected[2:4, 3] = expected[3, 2:4] = True       # the square's own right column and bottom row
    assert np.array_equal(seg2bmap(mask), expected)
