import numpy as np
import pytest

from harness.data.frame_resize import RESIZE_MODES, ResizeGeometry, resize_frame, resize_geometry
from harness.data.letterbox import letterbox, letterbox_geometry


def _random(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_modes_exported():
    assert RESIZE_MODES == ("letterbox", "stretch", "crop", "pad")


@pytest.mark.parametrize("mode", [*RESIZE_MODES, "crop:0.875", "pad:114"])
@pytest.mark.parametrize("h,w", [(333, 517), (517, 333), (40, 40), (7, 900)])
@pytest.mark.parametrize("size_hw", [(64, 64), (48, 320), (320, 96)])
def test_shapes(mode, h, w, size_hw):
    out = resize_frame(_random(h, w), size_hw, mode)
    assert out.shape == (*size_hw, 3) and out.dtype == np.uint8 and out.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("h,w,size_hw", [(333, 517, (480, 640)), (1000, 37, (64, 64)), (480, 640, (48, 320))])
def test_letterbox_mode_equals_letterbox(h, w, size_hw):
    image = _random(h, w, seed=h)
    np.testing.assert_array_equal(resize_frame(image, size_hw, "letterbox"), letterbox(image, size_hw))


def test_stretch_ignores_aspect():
    import cv2

    image = _random(30, 90)
    out = resize_frame(image, (60, 45), "stretch")
    np.testing.assert_array_equal(out, cv2.resize(image, (45, 60), interpolation=cv2.INTER_LINEAR))


def test_crop_keeps_the_center_of_a_gradient():
    # column value == x // 2: halving with INTER_AREA gives column value == x exactly
    wide = np.repeat(np.repeat((np.arange(400) // 2).astype(np.uint8)[None, :, None], 200, axis=0), 3, axis=2)
    out = resize_frame(wide, (100, 100), "crop")           # resized to 100 x 200, 50 columns cut each side
    np.testing.assert_array_equal(out[0, :, 0], np.arange(50, 150))
    tall = np.ascontiguousarray(wide.transpose(1, 0, 2))  # row value == y // 2
    np.testing.assert_array_equal(resize_frame(tall, (100, 100), "crop")[:, 0, 0], np.arange(50, 150))
    same = resize_frame(wide, (200, 100), "crop")          # no resize needed: a plain center cut
    np.testing.assert_array_equal(same, wide[:, 150:250])


def test_crop_interpolation_area_when_shrinking_linear_when_enlarging():
    import cv2

    noise = _random(200, 400)
    shrunk = cv2.resize(noise, (100, 50), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(resize_frame(noise, (50, 50), "crop"), shrunk[:, 25:75])
    small = _random(20, 40)
    grown = cv2.resize(small, (80, 40), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(resize_frame(small, (40, 40), "crop"), grown[:, 20:60])


def test_crop_upscales_and_is_close_to_torchvision():
    from PIL import Image
    from torchvision import transforms

    y, x = np.mgrid[0:120, 0:200]
    smooth = np.stack([x * 255 // 200, y * 255 // 120, (x + y) * 255 // 320], axis=-1).astype(np.uint8)
    for size in (64, 160):  # shrink, then enlarge
        ours = resize_frame(smooth, (size, size), "crop")
        theirs = np.asarray(transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size)])(
            Image.fromarray(smooth)))
        assert ours.shape == theirs.shape == (size, size, 3)
        assert np.abs(ours.astype(int) - theirs).mean() < 3.0


def _map(geo: ResizeGeometry, x, y):
    return x * geo.scale_x + geo.offset_x, y * geo.scale_y + geo.offset_y


def test_geometry_letterbox_corners_and_center():
    geo = resize_geometry(480, 640, (320, 320), "letterbox")
    lb = letterbox_geometry(480, 640, 320)
    assert _map(geo, 0, 0) == (lb.pad_left, lb.pad_top) == (0, 40)
    assert _map(geo, 640, 480) == (320, 280)
    assert _map(geo, 320, 240) == (160, 160)


def test_geometry_stretch_corners_and_center():
    geo = resize_geometry(30, 90, (60, 45), "stretch")
    assert (_map(geo, 0, 0), _map(geo, 90, 30), _map(geo, 45, 15)) == ((0, 0), (45, 60), (22.5, 30))


def test_geometry_crop_corners_and_center():
    geo = resize_geometry(200, 400, (100, 100), "crop")
    assert geo == ResizeGeometry(0.5, 0.5, -50.0, 0.0)
    assert _map(geo, 200, 100) == (50, 50)                 # center stays the center
    assert _map(geo, 100, 0) == (0, 0) and _map(geo, 300, 200) == (100, 100)  # the kept window's corners
    assert _map(geo, 0, 0) == (-50, 0)                     # the cut-off corner falls outside


@pytest.mark.parametrize("mode", [*RESIZE_MODES, "crop:0.875", "pad:0"])
@pytest.mark.parametrize("h,w,size_hw", [(300, 500, (128, 128)), (500, 300, (96, 160)), (60, 80, (240, 200))])
def test_geometry_matches_where_pixels_go(mode, h, w, size_hw):
    image = np.zeros((h, w, 3), np.uint8)
    top, left, bottom, right = h * 2 // 5, w * 3 // 7, h * 3 // 5, w * 4 // 7  # a white box near the center
    image[top:bottom, left:right] = 255
    out = resize_frame(image, size_hw, mode)[:, :, 0].astype(float)
    weight = np.clip(out - 114 * (mode == "letterbox"), 0, None)  # ignore letterbox padding
    ys, xs = np.mgrid[0:size_hw[0], 0:size_hw[1]] + 0.5           # pixel centers
    found = ((weight * xs).sum() / weight.sum(), (weight * ys).sum() / weight.sum())
    expect = _map(resize_geometry(h, w, size_hw, mode), (left + right) / 2, (top + bottom) / 2)
    assert np.allclose(found, expect, atol=0.75), (found, expect)


def test_rejects_unknown_mode_and_bad_size():
    with pytest.raises(ValueError, match="unknown resize mode"):
        resize_frame(_random(8, 8), (4, 4), "squash")
    with pytest.raises(ValueError, match="unknown resize mode"):
        resize_geometry(8, 8, (4, 4), "squash")
    with pytest.raises(ValueError, match="must be positive"):
        resize_frame(_random(8, 8), (0, 4), "crop")
    with pytest.raises(ValueError, match="must be positive"):
        resize_geometry(8, 8, (4, 0), "stretch")
