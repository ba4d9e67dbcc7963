"""Which models to benchmark, and which files each one comes as. Pure Python (no imports of models).

Files in ``--weights_dir`` that share a stem are artifacts of one model (``yolo11n.pt``, ``yolo11n.onnx``,
``yolo11n.engine``). A name given with ``--models`` that is not in the folder is taken as an Ultralytics
architecture name and built from its YAML with random weights (Phase A checks that it exists).
"""

from __future__ import annotations

import os
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
    default_trained: bool = False                # the default run's shipped weights (harness/data/default_weights.py)

    def to_dict(self) -> dict:
        return asdict(self)


def _is_sidecar(path: Path) -> bool:
    """``<file>.json`` beside ``<file>``: a model file's record (an engine's build platform), read with it."""
    return path.suffix.lower() == ".json" and not path.name.endswith(SETTINGS_SUFFIX) and \
        (path.parent / path.stem).is_file()


def _entry_problem(path: Path):
    """Why a folder entry cannot be a model file, said to the user, or None when it may be one."""
    if path.is_symlink():
        try:
            path.stat()
        except OSError as exc:
            import errno

            if exc.errno == errno.ELOOP:
                return "a symbolic link loop, ignored"
            return f"a link to {os.readlink(path)}, which does not exist, ignored"
    if path.is_dir():
        return "a folder that is not a Hugging Face video model folder, ignored"
    if path.suffix.lower() not in MODEL_FILE_KINDS and not path.name.endswith(SETTINGS_SUFFIX):
        return (f"not a model file ({', '.join(sorted(set(MODEL_FILE_KINDS)))}, {SETTINGS_SUFFIX} or a Hugging Face "
                "video model folder), ignored")
    if not path.is_file():
        return "not a regular file, ignored"
    return None


def _scan_weights_dir(folder: Path) -> tuple:
    """(stem -> {kind: path}, one line per entry that is not taken). Paths keep the names in the folder (a symlink is
    named as the link, not its target); hidden files are passed over in silence."""
    from harness.video.models import folder_family

    found: dict = {}
    notes = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or _is_sidecar(path):
            continue
        if path.is_dir() and folder_family(str(path)):
            found.setdefault(path.name, {})["hf_folder"] = str(path.absolute())
            continue
        problem = _entry_problem(path)
        if problem:
            notes.append(f"{path}: {problem}")
        elif path.name.endswith(SETTINGS_SUFFIX):
            found.setdefault(path.name[:-len(SETTINGS_SUFFIX)], {})["model_json"] = str(path.absolute())
        else:
            found.setdefault(path.stem, {})[MODEL_FILE_KINDS[path.suffix.lower()]] = str(path.absolute())
    for stem, files in found.items():
        if not set(files) - {"model_json"}:
            notes.append(f"{files['model_json']}: declares settings for {stem!r}, but no model file of that name is "
                         "beside it, ignored")
    return {stem: files for stem, files in found.items() if set(files) - {"model_json"}}, notes


def model_names(stems: list) -> dict:
    """stem -> the model's name: its stem, unless its safe form collides with another's (then a suffixed safe
    name, harness.files.unique_names), so two files never share results, folders or run ids."""
    from harness.files.unique_names import safe_name, unique_safe_names

    unique = unique_safe_names(stems)
    return {stem: stem if unique[stem] == safe_name(stem) else unique[stem] for stem in stems}


def weights_dir_notes(weights_dir: Optional[str]) -> list:
    """One line per entry of the folder that is not benchmarked, and per group of names that would have collided."""
    from harness.files.unique_names import collision_lines, unique_safe_names

    if not weights_dir:
        return []
    found, notes = _scan_weights_dir(Path(weights_dir))
    return notes + collision_lines(list(found), unique_safe_names(list(found)), "model files")


def model_name(raw: str) -> str:
    """``yolo11n.pt`` / ``yolo11n.yaml`` / ``yolo11n`` -> ``yolo11n`` (a file name works like its stem)."""
    for suffix in (*MODEL_FILE_KINDS, SETTINGS_SUFFIX):
        if raw.lower().endswith(suffix):
            return raw[: -len(suffix)]
    return raw


def _default_source(name: str) -> ModelSource:
    """A default model: its shipped trained checkpoint when this install has one, else its architecture."""
    from harness.data.default_weights import shipped_weights

    path = shipped_weights(name)
    return ModelSource(name=name, files={"pt": path}, default_trained=True) if path else _source(name, {}, {})


def _source(name: str, found: dict, names: dict) -> ModelSource:
    from harness.video.workload import builtin_files

    if name in found:
        return ModelSource(name=names[name], files=dict(found[name]))
    video = builtin_files(name)
    if video:
        return ModelSource(name=name, files=video, builtin=True)
    return ModelSource(name=name, files={"yaml": f"{name}.yaml"}, builtin=True)


def discover_models(weights_dir: Optional[str], names: Sequence[str], defaults: Sequence[str]) -> list:
    """The models to benchmark, in the order asked; ``sam2_base_points,sam2_base_bbox`` is one model, two prompts."""
    from harness.video.models import split_prompt

    found = _scan_weights_dir(Path(weights_dir))[0] if weights_dir else {}
    unique = model_names(list(found))
    if weights_dir and not names and not found:
        raise UserError(f"--weights_dir {weights_dir} holds no model files (*.pt, *.pt2, *.onnx, *.engine, *.yaml) "
                        "or Hugging Face video model folders")
    if not names and not weights_dir:
        return [_default_source(name) for name in defaults]
    wanted = list(names) if names else sorted(found)
    models: dict = {}
    for raw in wanted:
        name, prompt = split_prompt(model_name(raw))
        source = models.setdefault(name, _source(name, found, unique))
        if prompt and prompt not in source.prompts:
            source.prompts.append(prompt)
    return list(models.values())


def video_models_only(opts) -> bool:
    """Every model asked for (by name, or found in --weights_dir) is a video segmentation model: then the default
    data is a generated VOS split."""
    from harness.settings.options import DEFAULT_MODELS
    from harness.video.models import is_vos_name

    try:
        sources = discover_models(opts.weights_dir, opts.models, DEFAULT_MODELS)
    except (UserError, OSError):
        return False
    return all(is_vos_name(s.name) or "hf_folder" in s.files for s in sources)
