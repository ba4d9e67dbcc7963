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
    prompts: list = field(default_factory=list)  # vos: prompts named with the model (sam2_base_points), else --prompt
    default_trained: bool = False                # the default run's shipped weights (harness/default_weights.py)

    def to_dict(self) -> dict:
        return asdict(self)


def _scan_weights_dir(folder: Path) -> dict:
    """stem -> {kind: path}. Paths keep the names in the folder (a symlink is named as the link, not its target)."""
    from runners.vos_models import folder_family

    found: dict = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.is_dir() and folder_family(str(path)):
            found.setdefault(path.name, {})["hf_folder"] = str(path.absolute())
            continue
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


def _default_source(name: str) -> ModelSource:
    """A default model: its shipped trained checkpoint when this install has one, else its architecture."""
    from harness.default_weights import shipped_weights

    path = shipped_weights(name)
    return ModelSource(name=name, files={"pt": path}, default_trained=True) if path else _source(name, {})


def _source(name: str, found: dict) -> ModelSource:
    from runners.vos_models import is_vos_name

    if name in found:
        return ModelSource(name=name, files=dict(found[name]))
    if is_vos_name(name):
        return ModelSource(name=name, files={"vos": name}, builtin=True)
    return ModelSource(name=name, files={"yaml": f"{name}.yaml"}, builtin=True)


def discover_models(weights_dir: Optional[str], names: Sequence[str], defaults: Sequence[str]) -> list:
    """The models to benchmark, in the order asked; ``sam2_base_points,sam2_base_bbox`` is one model, two prompts."""
    from runners.vos_models import split_prompt

    found = _scan_weights_dir(Path(weights_dir)) if weights_dir else {}
    if weights_dir and not names and not found:
        raise UserError(f"--weights_dir {weights_dir} holds no model files (*.pt, *.pt2, *.onnx, *.engine, *.yaml) "
                        "or Hugging Face video model folders")
    if not names and not weights_dir:
        return [_default_source(name) for name in defaults]
    wanted = list(names) if names else sorted(found)
    models: dict = {}
    for raw in wanted:
        name, prompt = split_prompt(model_name(raw))
        source = models.setdefault(name, _source(name, found))
        if prompt and prompt not in source.prompts:
            source.prompts.append(prompt)
    return list(models.values())
