"""Decode an image file to RGB uint8, converting what is convertible and naming what is not."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np


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


def decode_image(path: str | Path) -> Tuple[np.ndarray, Optional[str]]:
    """Read an image file as RGB uint8. Raises :class:`UnreadableImage` with the reason."""
    import cv2

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"cannot read file: {exc.strerror or exc}")
    if not data:
        raise UnreadableImage("empty file")
    if path.suffix.lower() in (".jpg", ".jpeg") and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise UnreadableImage("truncated JPEG (no end-of-image marker)")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise UnreadableImage("not a decodable image (corrupt or unsupported format)")
    return to_rgb_uint8(image, "BGR")
