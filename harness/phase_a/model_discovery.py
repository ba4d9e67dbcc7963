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

MODEL_FILE_KINDS = {".pt": "pt", ".onnx": "onnx", ".engine": "engine", ".yaml": "yaml", ".yml": "yaml"}


@dataclass
class ModelSource:
    name: str
    files: dict = field(default_factory=dict)   # kind (pt/onnx/engine/yaml) -> path
    builtin: bool = False                        # an Ultralytics architecture name, no file of the user's

    def to_dict(self) -> dict:
        return asdict(self)


def _scan_weights_dir(folder: Path) -> dict:
    found: dict = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        kind = MODEL_FILE_KINDS.get(path.suffix.lower())
        if kind and path.is_file():
            found.setdefault(path.stem, {})[kind] = str(path.resolve())
    return found


def discover_models(weights_dir: Optional[str], names: Sequence[str], defaults: Sequence[str]) -> list:
    found = _scan_weights_dir(Path(weights_dir)) if weights_dir else {}
    if weights_dir and not names and not found:
        raise UserError(f"--weights_dir {weights_dir} holds no model files (*.pt, *.onnx, *.engine, *.yaml)")
    wanted = list(names) if names else (sorted(found) if weights_dir else list(defaults))
    models = []
    for raw in wanted:
        name = raw[:-5] if raw.endswith(".yaml") else raw
        if name in found:
            models.append(ModelSource(name=name, files=dict(found[name])))
        else:
            models.append(ModelSource(name=name, files={"yaml": f"{name}.yaml"}, builtin=True))
    return models
