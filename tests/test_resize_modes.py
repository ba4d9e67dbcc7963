"""Every resize mode against the library it copies, on odd sizes: letterbox and pad against Ultralytics' LetterBox
(centred / center=False), crop[:F] against torchvision's Resize + CenterCrop, stretch against cv2; gray frames
against OpenCV's BGR->gray; depth ground truth and label boxes follow the same geometry."""

import numpy as np
import pytest

from harness.data.frame_resize import resize_frame, resize_geometry
from harness.data.image_size import frames_key, parse_frames_key
from harness.data.model_frame import model_frame
from harness.data.resize_mode import ResizeMode, parse_resize

ODD = [(333, 517, (97, 131)), (517, 333, (224, 224)), (41, 1003, (64, 255)), (250, 199, (33, 33))]


def _noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_spellings_labels_and_tokens():
    assert parse_resize("crop:0.875") == ResizeMode("crop", 0.875) and parse_resize("crop0.875").label == "crop:0.875"
    assert parse_resize("crop:1").label == "crop" and parse_resize("pad").label == "pad"
    assert parse_resize("pad:114").pad_value == 114 and parse_resize("letterbox").pad_value == 114
    for bad in ("crop:0", "crop:1.5", "pad:300", "squash", "stretch:2"):
        with pytest.raises(ValueError, match="choose from letterbox"):
            parse_resize(bad)
    assert frames_key(224, "crop:0.875") == "224-crop0.875" and frames_key(640, "letterbox") == "640"
    assert frames_key("48x320", "pad", "gray") == "48x320-pad-gray"
    assert parse_frames_key("48x320-pad-gray") == ((48, 320), "pad", "gray")
    assert parse_frames_key("224-crop0.875") == ((224, 224), "crop:0.875", "rgb")
    assert parse_frames_key("640") == ((640, 640), "letterbox", "rgb")


@pytest.mark.parametrize("h,w,size_hw", ODD)
def test_letterbox_equals_ultralytics(h, w, size_hw):
    from ultralytics.data.augment import LetterBox

    image = _noise(h, w, seed=h)
    theirs = LetterBox(new_shape=size_hw, auto=False, center=True)(image=image.copy())
    np.testing.assert_array_equal(resize_frame(image, size_hw, "letterbox"), theirs)


@pytest.mark.parametrize("value", [0, 114])
@pytest.mark.parametrize("h,w,size_hw", ODD)
def test_pad_equals_ultralytics_top_left_letterbox(h, w, size_hw, value):
    from ultralytics.data.augment import LetterBox

    image = _noise(h, w, seed=w)
    theirs = LetterBox(new_shape=size_hw, auto=False, center=False, padding_value=value)(image=image.copy())
    ours = resize_frame(image, size_hw, f"pad:{value}")
    np.testing.assert_array_equal(ours, theirs)
    geo = resize_geometry(h, w, size_hw, f"pad:{value}")
    assert geo.offset_x == geo.offset_y == 0.0


@pytest.mark.parametrize("h,w,size_hw", ODD)
def test_stretch_equals_cv2(h, w, size_hw):
    import cv2

    image = _noise(h, w)
    np.testing.assert_array_equal(resize_frame(image, size_hw, "stretch"),
                                  cv2.resize(image, size_hw[::-1], interpolation=cv2.INTER_LINEAR))


def _torchvision(image, size, fraction, interpolation=None):
    """torchvision's Resize(floor(size / F)) + CenterCrop(size) on a uint8 HWC array (as Ultralytics'
    classify_transforms and PaddleClas build it)."""
    import math

    import torch
    from torchvision.transforms import v2

    tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    resize = v2.Resize(math.floor(size / fraction), antialias=True,
                       **({"interpolation": interpolation} if interpolation is not None else {}))
    resized = resize(tensor)
    return resized, v2.CenterCrop(size)(resized).numpy().transpose(1, 2, 0)


@pytest.mark.parametrize("fraction", [1.0, 0.875, 0.9])
@pytest.mark.parametrize("h,w,size", [(333, 517, 97), (517, 333, 224), (251, 199, 33), (41, 1003, 63)])
def test_crop_geometry_and_cut_equal_torchvision(h, w, size, fraction):
    """The resized size and the centre cut are torchvision's exactly: on the image torchvision resized, our crop is
    its CenterCrop pixel for pixel (the odd differences round as its round() does)."""
    image = _noise(h, w, seed=size)
    resized, theirs = _torchvision(image, size, fraction)
    geo = resize_geometry(h, w, (size, size), f"crop:{fraction}")
    assert (round(geo.scale_x * w), round(geo.scale_y * h)) == (resized.shape[2], resized.shape[1])
    already = np.ascontiguousarray(resized.numpy().transpose(1, 2, 0))  # the resize done: only the cut remains
    if fraction == 1.0:
        np.testing.assert_array_equal(resize_frame(already, (size, size), "crop"), theirs)
    left, top = -geo.offset_x, -geo.offset_y
    np.testing.assert_array_equal(already[int(top):int(top) + size, int(left):int(left) + size], theirs)


@pytest.mark.parametrize("size,fraction", [(224, 0.875), (97, 0.875), (160, 1.0)])
def test_crop_pixels_close_to_torchvision_on_a_smooth_image(size, fraction):
    y, x = np.mgrid[0:301, 0:457]
    smooth = np.stack([x * 255 // 457, y * 255 // 301, (x + y) * 255 // 758], axis=-1).astype(np.uint8)
    ours = resize_frame(smooth, (size, size), f"crop:{fraction}")
    theirs = _torchvision(smooth, size, fraction)[1]
    assert ours.shape == theirs.shape == (size, size, 3)
    assert np.abs(ours.astype(int) - theirs).mean() < 1.5


def test_crop_0875_keeps_the_central_224_of_256():
    # a 256 x 384 image needs no resize for crop:0.875 at 224: the cut is the central 224 x 224
    image = _noise(256, 384)
    np.testing.assert_array_equal(resize_frame(image, (224, 224), "crop:0.875"), image[16:240, 80:304])


def test_gray_frame_is_opencv_luminance_then_resize(tmp_path):
    import cv2

    from harness.data.image_decode import decode_image

    path = tmp_path / "x.png"
    cv2.imwrite(str(path), _noise(77, 131, seed=3))
    rgb, _ = decode_image(path)
    want = resize_frame(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY), (48, 99), "pad")
    frame = model_frame(rgb, (48, 99), "pad", "gray")
    assert frame.shape == (3, 48, 99) and frame.flags["C_CONTIGUOUS"]
    for channel in frame:
        np.testing.assert_array_equal(channel, want)
    np.testing.assert_array_equal(model_frame(rgb, (48, 99), "pad", "bgr"), resize_frame(rgb, (48, 99), "pad").transpose(2, 0, 1))


@pytest.mark.parametrize("mode", ["pad", "crop:0.875", "letterbox", "stretch"])
def test_depth_ground_truth_and_boxes_follow_the_pixels(mode):
    """A bright square in the image, its depth in the ground truth and its label box land on the same input pixels."""
    from harness.model_input.input_spec import InputSpec
    from harness.tasks.depth import to_input_frame
    from harness.tasks.yolo_labels import boxes_xyxy

    h, w, size_hw = 301, 457, (160, 160)
    image = np.zeros((h, w, 3), np.uint8)
    top, left, bottom, right = 120, 200, 180, 290
    image[top:bottom, left:right] = 255
    gt = np.zeros((h, w), np.float32)
    gt[top:bottom, left:right] = 5.0
    spec = InputSpec(*size_hw, resize=mode)
    pixels = resize_frame(image, size_hw, mode)[:, :, 0] > 127
    depth = to_input_frame(gt, w, h, spec) > 0
    assert (pixels != depth).sum() <= 2 * (pixels.sum() ** 0.5) + 4   # at most the square's rim differs
    ys, xs = np.nonzero(pixels)
    row = np.array([0, (left + right) / 2 / w, (top + bottom) / 2 / h, (right - left) / w, (bottom - top) / h])
    box = boxes_xyxy([row], "box", w, h, size_hw, mode)[0]
    assert np.allclose(box, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1.0), (box, mode)
