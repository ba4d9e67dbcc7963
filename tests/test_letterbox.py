import numpy as np
import pytest

from harness.data.letterbox import letterbox, letterbox_geometry


@pytest.mark.parametrize("h,w,size,expect", [
    (480, 640, 640, (1.0, 640, 480, 0, 80, 0, 80)),
    (640, 480, 640, (1.0, 480, 640, 80, 0, 80, 0)),
    (720, 1280, 640, (0.5, 640, 360, 0, 140, 0, 140)),
    (100, 100, 64, (0.64, 64, 64, 0, 0, 0, 0)),
    (3, 1000, 64, (0.064, 64, 1, 0, 31, 0, 32)),  # thin image keeps one pixel; odd padding split 31/32
])
def test_geometry(h, w, size, expect):
    g = letterbox_geometry(h, w, size)
    assert (round(g.scale, 6), g.resized_w, g.resized_h, g.pad_left, g.pad_top, g.pad_right, g.pad_bottom) == expect
    assert g.pad_left + g.resized_w + g.pad_right == size
    assert g.pad_top + g.resized_h + g.pad_bottom == size


def test_rejects_nonpositive():
    with pytest.raises(ValueError):
        letterbox_geometry(0, 10, 64)


@pytest.mark.parametrize("h,w,size", [(480, 640, 640), (333, 517, 320), (1000, 37, 96), (64, 64, 64)])
def test_pixels_equal_ultralytics(h, w, size):
    from ultralytics.data.augment import LetterBox

    image = np.random.default_rng(h * w).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    ours = letterbox(image, size)
    theirs = LetterBox(new_shape=(size, size), auto=False)(image=image.copy())
    assert ours.shape == (size, size, 3)
    np.testing.assert_array_equal(ours, theirs)
