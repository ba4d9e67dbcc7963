"""``camera=INDEX[:FRAMES]``: capture frames once in Phase A and keep them as a folder of PNGs.

The capture then behaves like any other source (fingerprinted, reusable with ``--skip_setup``).
INDEX may also be a device path or a stream URL, which OpenCV opens the same way.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from harness.data.source_spec import SourceSpec
from harness.errors import UserError

log = logging.getLogger("jetson_benchmark.phase_a")


def capture(spec: SourceSpec, folder: Path) -> int:
    import cv2

    device = int(spec.path) if str(spec.path).isdigit() else spec.path
    stream = cv2.VideoCapture(device)
    if not stream.isOpened():
        raise UserError(f"camera {spec.path} could not be opened (check the index, /dev/video*, permissions)")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    count = 0
    try:
        while count < int(spec.frames):
            ok, frame = stream.read()
            if not ok or frame is None:
                break
            cv2.imwrite(str(folder / f"frame_{count:06d}.png"), frame)
            count += 1
    finally:
        stream.release()
    if count == 0:
        raise UserError(f"camera {spec.path} opened but gave no frames")
    if count < int(spec.frames):
        log.warning("camera %s gave %d of %d frames", spec.path, count, spec.frames)
    return count
