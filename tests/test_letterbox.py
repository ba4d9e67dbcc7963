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


@pytest.mark.parametrize("h,w,size,expect", [
    (480, 640, (480, 640), (1.0, 640, 480, 0, 0, 0, 0)),
    (720, 1280, (480, 640), (0.5, 640, 360, 0, 60, 0, 60)),
    (640, 480, (480, 640), (0.75, 360, 480, 140, 0, 140, 0)),
    (100, 100, (48, 320), (0.48, 48, 48, 136, 0, 136, 0)),
    (333, 517, (640, 480), (480 / 517, 480, 309, 0, 165, 0, 166)),  # odd padding split 165/166
])
def test_geometry_height_width(h, w, size, expect):
    g = letterbox_geometry(h, w, size)
    assert (round(g.scale, 6), g.resized_w, g.resized_h, g.pad_left, g.pad_top, g.pad_right, g.pad_bottom) == (
        round(expect[0], 6), *expect[1:])
    assert (g.pad_top + g.resized_h + g.pad_bottom, g.pad_left + g.resized_w + g.pad_right) == size


def test_square_int_equals_square_tuple():
    assert letterbox_geometry(333, 517, 320) == letterbox_geometry(333, 517, (320, 320))


def test_rejects_bad_size_tuple():
    with pytest.raises(ValueError):
        letterbox_geometry(10, 10, (64, 64, 3))


@pytest.mark.parametrize("h,w", [(333, 517), (1000, 37), (37, 1000), (481, 639)])
@pytest.mark.parametrize("size", [(480, 640), (48, 320), (640, 480), (97, 131)])
def test_pixels_equal_ultralytics_height_width(h, w, size):
    from ultralytics.data.augment import LetterBox

    image = np.random.default_rng(h * w).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    ours = letterbox(image, size)
    theirs = LetterBox(new_shape=size, auto=False, scaleup=True, center=True)(image=image.copy())
    assert ours.shape == (*size, 3)
    np.testing.assert_array_equal(ours, theirs)
