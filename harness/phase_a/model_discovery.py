"""Which models to benchmark, and which files each one comes as. Pure Python (no imports of models).

Files in ``--weights_dir`` that share a stem are artifacts of one model (``yolo11n.pt``, ``yolo11n.onnx``,
``yolo11n.engine``). A name given with ``--models`` that is not in the folder is taken as an Ultralytics
architecture name and built from its YAML with random weights (Phase A checks that it exists).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from harness.errors import UserError

MODEL_FILE_KINDS = {".pt": "pt", ".pt2": "pt", ".pth": "pt", ".torchscript": "pt", ".onnx": "onnx",
                    ".engine": "engine", ".yaml": "yaml", ".yml": "yaml"}
SETTINGS_SUFFIX = ".model.json"   # <stem>.model.json: what the user declares about that model


@dataclass
class ModelSource:
    name: str
    files: dict = field(default_factory=dict)   # kind (pt/onnx/engine/yaml) -> path
    builtin: bool = False                        # an Ultralytics architecture name, no file of the user's

    def to_dict(self) -> dict:
        return asdict(self)


def _scan_weights_dir(folder: Path) -> dict:
    """stem -> {kind: path}. Paths keep the names in the folder (a symlink is named as the link, not its target)."""
    found: dict = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(SETTINGS_SUFFIX) and path.is_file():
            found.setdefault(path.name[:-len(SETTINGS_SUFFIX)], {})["model_json"] = str(path.absolute())
            continue
        kind = MODEL_FILE_KINDS.get(path.suffix.lower())
        if kind and path.is_file():
            found.setdefault(path.stem, {})[kind] = str(path.absolute())
    return {stem: files for stem, files in found.items() if set(files) - {"model_json"}}


def model_name(raw: str) -> str:
    """``yolo11n.pt`` / ``yolo11n.yaml`` / ``yolo11n`` -> ``yolo11n`` (a file name works like its stem)."""
    for suffix in (*MODEL_FILE_KINDS, SETTINGS_SUFFIX):
        if raw.lower().endswith(suffix):
            return raw[: -len(suffix)]
    return raw


def discover_models(weights_dir: Optional[str], names: Sequence[str], defaults: Sequence[str]) -> list:
    found = _scan_weights_dir(Path(weights_dir)) if weights_dir else {}
    if weights_dir and not names and not found:
        raise UserError(f"--weights_dir {weights_dir} holds no model files (*.pt, *.pt2, *.onnx, *.engine, *.yaml)")
    wanted = list(names) if names else (sorted(found) if weights_dir else list(defaults))
    models = []
    for raw in wanted:
        name = model_name(raw)
        if name in found:
            models.append(ModelSource(name=name, files=dict(found[name])))
        else:
            models.append(ModelSource(name=name, files={"yaml": f"{name}.yaml"}, builtin=True))
    return models
