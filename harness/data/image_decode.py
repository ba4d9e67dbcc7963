"""Decode an image file to RGB uint8, converting what is convertible and naming what is not."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

EXIF_ORIENTATION_TAG = 274


class UnreadableImage(Exception):
    """The file is corrupt, truncated or not an image; the message says which."""


def to_rgb_uint8(image: np.ndarray, source_order: str = "BGR") -> Tuple[np.ndarray, Optional[str]]:
    """Convert grayscale / RGBA / 16-bit / float images to HxWx3 uint8 RGB.

    Returns the image and a short note of the conversion done (None when none was needed).
    16-bit values keep their top 8 bits (v >> 8); float images in [0, 1] are scaled by 255.
    """
    import cv2

    notes = []
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
        notes.append("16-bit->8-bit")
    elif image.dtype.kind == "f":
        scale = 255.0 if float(np.nanmax(image)) <= 1.0 else 1.0
        image = np.clip(np.nan_to_num(image) * scale, 0, 255).astype(np.uint8)
        notes.append("float->8-bit")
    elif image.dtype != np.uint8:
        raise UnreadableImage(f"unsupported pixel type {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        notes.append("grayscale->RGB")
    elif image.ndim == 3 and image.shape[2] == 4:
        code = cv2.COLOR_BGRA2RGB if source_order == "BGR" else cv2.COLOR_RGBA2RGB
        image = cv2.cvtColor(image, code)
        notes.append("RGBA->RGB (alpha dropped)")
    elif image.ndim == 3 and image.shape[2] == 3:
        if source_order == "BGR":
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    else:
        raise UnreadableImage(f"unsupported image shape {image.shape}")
    return np.ascontiguousarray(image), (", ".join(notes) or None)


def exif_orientation(data: bytes) -> Optional[int]:
    """The EXIF Orientation (tag 274, read with PIL) of a JPEG, PNG or WebP file, else None.

    Only these formats: OpenCV's IMREAD_UNCHANGED ignores their orientation, while its TIFF reader applies the
    TIFF orientation itself. A PNG without an ``eXIf`` chunk is skipped unopened (PIL would decode it to look).
    """
    from PIL import Image

    is_webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG") or is_webp):
        return None
    if data.startswith(b"\x89PNG") and b"eXIf" not in data:
        return None
    try:
        with Image.open(BytesIO(data)) as image:
            value = image.getexif().get(EXIF_ORIENTATION_TAG)
    except Exception:  # unreadable metadata: decode as stored, as OpenCV does
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


# EXIF orientation -> the numpy equivalent of PIL's ImageOps.exif_transpose (PIL's ROTATE_* turn counter-clockwise).
_ORIENTATION_TRANSFORMS = {
    2: lambda a: a[:, ::-1],                      # FLIP_LEFT_RIGHT
    3: lambda a: a[::-1, ::-1],                   # ROTATE_180
    4: lambda a: a[::-1],                         # FLIP_TOP_BOTTOM
    5: lambda a: a.swapaxes(0, 1),                # TRANSPOSE
    6: lambda a: np.rot90(a, k=-1),               # ROTATE_270: 90 degrees clockwise
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],    # TRANSVERSE
    8: lambda a: np.rot90(a, k=1),                # ROTATE_90: 90 degrees counter-clockwise
}


def apply_orientation(image: np.ndarray, orientation: Optional[int]) -> np.ndarray:
    """Turn a stored HxW[xC] image upright for EXIF orientation 1-8; other values leave it as it is."""
    transform = _ORIENTATION_TRANSFORMS.get(orientation)
    return image if transform is None else np.ascontiguousarray(transform(image))


def check_complete_jpeg(data: bytes) -> None:
    """Raise :class:`UnreadableImage` ("truncated JPEG") unless the JPEG data is whole.

    Bytes ending with the end-of-image marker FFD9 (trailing NULs allowed) pass at once. Others, such as a
    motion photo (a JPEG followed by a video), are decoded fully by PIL, which raises OSError on truncated
    scan data while ImageFile.LOAD_TRUNCATED_IMAGES is False (that global is read, never changed).
    """
    from PIL import Image

    if data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return
    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
    except Exception as exc:  # OSError on truncation; PIL's other errors (e.g. DecompressionBombError) too
        raise UnreadableImage(f"truncated JPEG (no end-of-image marker; {exc})")


def decode_image(path: str | Path) -> Tuple[np.ndarray, Optional[str]]:
    """Read an image file as RGB uint8, upright per its EXIF orientation, with a note of the conversions done.

    A JPEG with bytes after its end-of-image marker (a motion photo) decodes; a truncated one raises.
    Raises :class:`UnreadableImage` with the reason.
    """
    import cv2

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"cannot read file: {exc.strerror or exc}")
    if not data:
        raise UnreadableImage("empty file")
    if data.startswith(b"\xff\xd8"):  # JPEG by content, whatever the file name says
        check_complete_jpeg(data)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise UnreadableImage("not a decodable image (corrupt or unsupported format)")
    orientation = exif_orientation(data)
    rgb, note = to_rgb_uint8(apply_orientation(image, orientation), "BGR")
    if orientation not in (None, 1):
        note = ", ".join(filter(None, [f"EXIF orientation {orientation} applied", note]))
    return rgb, note
