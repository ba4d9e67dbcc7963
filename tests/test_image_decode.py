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


def _asymmetric_rgb(h=48, w=80):
    """Smooth gradient (JPEG keeps it well) with a bright block in the top-left corner: no symmetry."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (h + w)], axis=-1).astype(np.uint8)
    rgb[:12, :20] = (250, 250, 40)
    return rgb


def _save_with_orientation(path, rgb, orientation, **options):
    from PIL import Image

    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[274] = orientation
    image.save(path, exif=exif.tobytes(), **options)
    return path


def _pil_upright(path):
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_png_equals_pil_exif_transpose(tmp_path, orientation):
    path = _save_with_orientation(tmp_path / "o.png", _asymmetric_rgb(), orientation)
    rgb, note = decode_image(path)
    np.testing.assert_array_equal(rgb, _pil_upright(path))
    assert rgb.shape == ((80, 48, 3) if orientation >= 5 else (48, 80, 3))
    assert note == (None if orientation == 1 else f"EXIF orientation {orientation} applied")


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_jpeg_matches_opencv_imread_color(tmp_path, orientation):
    import cv2

    path = _save_with_orientation(tmp_path / "o.jpg", _asymmetric_rgb(), orientation, quality=95)
    rgb, note = decode_image(path)
    reference = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert rgb.shape == reference.shape == ((48, 80, 3) if orientation == 3 else (80, 48, 3))
    assert np.abs(rgb.astype(int) - reference).mean() < 1.0
    assert np.abs(rgb.astype(int) - _pil_upright(path)).mean() < 2.0
    assert note == f"EXIF orientation {orientation} applied"
    corner = {3: rgb[-12:, -20:], 6: rgb[:20, -12:], 8: rgb[-20:, :12]}[orientation]
    assert np.abs(corner.astype(int) - (250, 250, 40)).mean() < 10  # the marked corner went where it should


def test_exif_orientation_webp_and_tiff(tmp_path):
    webp = _save_with_orientation(tmp_path / "o.webp", _asymmetric_rgb(), 6, lossless=True)
    rgb, note = decode_image(webp)
    np.testing.assert_array_equal(rgb, _pil_upright(webp))
    assert note == "EXIF orientation 6 applied"
    tiff = _save_with_orientation(tmp_path / "o.tif", _asymmetric_rgb(), 3)  # OpenCV turns TIFFs itself
    rgb, note = decode_image(tiff)
    np.testing.assert_array_equal(rgb, _pil_upright(tiff))
    assert note is None


def test_motion_photo_trailing_bytes_decode(tmp_path):
    plain = write_image(tmp_path / "plain.jpg", random_image(64, 80))
    trailer = np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    assert not trailer.endswith(b"\xff\xd9")
    motion = tmp_path / "motion.jpg"
    motion.write_bytes(plain.read_bytes() + trailer)
    rgb, note = decode_image(motion)
    np.testing.assert_array_equal(rgb, decode_image(plain)[0])
    assert note is None


@pytest.mark.parametrize("name", ["cut.jpg", "cut_named.png"])
def test_jpeg_cut_in_scan_data_is_rejected(tmp_path, name):
    data = write_image(tmp_path / "whole.jpg", random_image(64, 80)).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(UnreadableImage, match="truncated JPEG"):
        decode_image(cut)


def test_png_named_jpg_is_not_called_truncated(tmp_path):
    bgr = random_image(10, 12)
    png = write_image(tmp_path / "p.png", bgr)
    misnamed = tmp_path / "p.jpg"
    misnamed.write_bytes(png.read_bytes())
    np.testing.assert_array_equal(decode_image(misnamed)[0], bgr[:, :, ::-1])
