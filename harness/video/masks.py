"""``--save_masks``: a run's predicted masks, written in SA-V's per-object layout so that ``evaluate-vos`` (or any
SA-V / DAVIS tool) scores them: ``<out_dir>/masks/<run id>/<video>/<object id>/<frame stem>.png`` (0 / 255),
every processed frame, object ids as the annotations name them. Written after each frame's clock stops."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from harness.tasks.vos import model_ids


class VideoMaskWriter:
    def __init__(self, folder: Path, video: dict):
        self.folder = folder
        self.names = {model_id: object_id for object_id, model_id in model_ids(video["vos"]).items()}
        self.stems = [Path(item["source_path"]).stem for item in video["items"]]

    def write(self, frame_index: int, masks: dict) -> None:
        import cv2

        for model_id, mask in masks.items():
            target = self.folder / self.names.get(model_id, str(model_id))
            target.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(target / f"{self.stems[frame_index]}.png"), mask.astype(np.uint8) * 255)


class MaskWriter:
    def __init__(self, masks_dir: Optional[str], run_id: str):
        self.root = Path(masks_dir) / run_id if masks_dir else None

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def for_video(self, name: str, video: dict) -> VideoMaskWriter:
        return VideoMaskWriter(self.root / name, video)

    def root_text(self) -> Optional[str]:
        return str(self.root) if self.root else None
