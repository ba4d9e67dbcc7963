"""The default run's shipped weights: ``weights/default/<model>.pt``, trained on the generated shapes by the
committed script ``weights/make_default_weights.py`` (recipe, versions and hashes in ``weights/default/MANIFEST.json``).

They are used only when neither ``--models`` nor ``--weights_dir`` is given (the default run), so that its accuracy
and fidelity figures mean something; ``--models yolo11n`` is still the random-init architecture, and
``--weights_dir weights/default`` uses the shipped files with any other flags. An install without the repository
(a wheel) has no such folder: the default run then falls back to random-init, and every output says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

SHIPPED_WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "default"
DEFAULT_TRAINED = "default-trained"
DEFAULT_TRAINED_NOTE = (f"{DEFAULT_TRAINED}: weights/default/<model>.pt, trained from scratch on the generated "
                        "shapes by weights/make_default_weights.py (recipe in weights/default/MANIFEST.json); its "
                        "mAP is measured on the default synthetic images, not on COCO.")


def shipped_weights(model: str) -> Optional[str]:
    """The shipped checkpoint of a default model, or None when this install has none."""
    path = SHIPPED_WEIGHTS_DIR / f"{model}.pt"
    return str(path) if path.is_file() else None
