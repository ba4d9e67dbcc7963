import numpy as np
import pytest

from conftest import random_image, write_image
from harness.data.image_decode import UnreadableImage, decode_image


def test_color_png_is_rgb(tmp_path):
    bgr = random_image(10, 12)
    rgb, note = decode_image(write_image(tmp_path / "c.png", bgr))
    np.testing.assert_array_equal(rgb, bgr[:, :, ::-1])
    assert note is None


def test_grayscale_rgba_and_16bit_are_converted(tmp_path):
    gray, note = decode_image(write_image(tmp_path / "g.png", random_image(9, 7, channels=1)))
    assert gray.shape == (9, 7, 3) and "grayscale" in note
    bgra = random_image(9, 7, channels=4)
    rgba, note = decode_image(write_image(tmp_path / "a.png", bgra))
    np.testing.assert_array_equal(rgba, bgra[:, :, [2, 1, 0]])
    assert "RGBA" in note
    deep = random_image(9, 7, dtype=np.uint16)
    rgb16, note = decode_image(write_image(tmp_path / "d.png", deep))
    np.testing.assert_array_equal(rgb16, (deep >> 8).astype(np.uint8)[:, :, ::-1])
    assert rgb16.dtype == np.uint8 and "16-bit" in note


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"this is not an image at all", "not a decodable image"),
])
def test_garbage_is_named(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage, match=reason):
        decode_image(path)


def test_truncated_jpeg(tmp_path):
    good = write_image(tmp_path / "t.jpg", random_image(40, 40))
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableImage, match="truncated JPEG"):
        decode_image(good)
