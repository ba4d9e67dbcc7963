"""Phase A for a video segmentation model (SAM 2 / SAM 2.1 / EdgeTAM): which architecture and weights it is, the
sizes it runs at, its input (stretched square frames, ImageNet normalization, as the library's processor does),
and one model card per size that Phase B loads (``artifacts/<model>/<model>_img<S>.vos.json``, whose hash is part
of the run key). A model that cannot run here (no transformers, a checkpoint that does not match its architecture, a bad size) is
refused in one line, and the rest of the matrix runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256
from harness.files.atomic_io import atomic_write_json
from harness.model_input.input_spec import InputSpec
from harness.files.unique_names import safe_name

log = logging.getLogger("jetson_benchmark.phase_a")
VOS_SEED = 0
IMAGENET_MEAN = (123.675, 116.28, 103.53)   # 0-255 units: the processor's IMAGENET_DEFAULT_MEAN x 255
IMAGENET_STD = (58.395, 57.12, 57.375)
INSTALL = "pip install 'jetson-benchmark[vos]' (transformers, timm)"


def missing_library(family: str):
    """Why this machine cannot run the family's models, or None."""
    import importlib.util

    needed = ["transformers"] + (["timm"] if family == "edgetam" else [])
    missing = []
    for name in needed:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return f"the vos models need {', '.join(missing)}: {INSTALL}" if missing else None


def _weights(source, root: Path, force: bool) -> tuple:
    """(architecture name or None, weights record, why refused or None)."""
    from harness.video.models import architecture_of, folder_family

    files = source.files
    if "hf_folder" in files:
        folder = files["hf_folder"]
        weights = {"kind": "file", "file": Path(folder).name, "format": "huggingface", "folder": folder,
                   "sha256": _folder_hash(folder)}
        arch = architecture_of(source.name)
        return (arch.name if arch else folder_family(folder)), weights, None
    arch = architecture_of(source.name)
    if "pt" in files:
        try:
            return arch.name, converted_checkpoint(files["pt"], arch, root / "artifacts" / safe_name(source.name),
                                                   force), None
        except ValueError as exc:
            return arch.name, None, f"{Path(files['pt']).name}: {exc}"
    return arch.name, {"kind": "random-init", "file": None, "architecture": arch.name, "seed": VOS_SEED}, None


def converted_checkpoint(path: str, arch, folder: Path, force: bool) -> dict:
    """An original SAM 2 / 2.1 / EdgeTAM checkpoint converted once into a Hugging Face folder (strict: every tensor
    placed), reused while the checkpoint's hash is the same."""
    from harness.files.artifact_sidecar import reusable, write_sidecar
    from harness.video.checkpoints import load_into, read_original
    from harness.video.models import build_random

    target = folder / f"{arch.name}_converted"
    digest = file_sha256(path)
    wanted = {"kind": "vos_converted_checkpoint", "source_sha256": digest, "architecture": arch.name}
    marker = target / "config.json"
    record = {"kind": "file", "file": Path(path).name, "format": "original (facebookresearch), converted",
              "folder": str(target), "sha256": digest}
    if not force and reusable(marker, wanted):
        return record
    model = build_random(arch, 1024, VOS_SEED)
    load_into(model, read_original(path), arch.family)
    model.save_pretrained(str(target))
    write_sidecar(marker, wanted)
    log.info("converted %s into %s", path, target)
    return record


def _folder_hash(folder: str) -> str:
    weights = sorted(Path(folder).glob("*.safetensors")) or sorted(Path(folder).glob("*.bin"))
    return file_sha256(weights[0]) if weights else None


# The input sizes each family's random-init architecture runs at (checked on both, 64 to 1024): SAM 2's Hiera
# trunk pads its windows, so any multiple of 32; EdgeTAM's perceiver pools the stride-16 map in 16 x 16 windows.
SIZE_STEP = {"sam2": 32, "edgetam": 256}


def vos_sizes(weights: dict, opts, family: str = "sam2") -> tuple:
    """(sizes, where they come from, problems by size): native 1024, the folder's, or --imgsz for random-init."""
    from harness.data.image_size import parse_size
    from harness.video.models import NATIVE_SIZE, folder_size

    native = folder_size(weights["folder"]) if weights["kind"] == "file" else NATIVE_SIZE
    if "imgsz" not in opts.explicit:
        return [native], "the model's native input size", {}
    sizes, problems = [], {}
    for label in opts.imgsz:
        height, width = parse_size(label)
        size = height
        sizes.append(size if height == width else label)
        if height != width:
            problems[str(label)] = "the video models take a square input: give one number to --imgsz"
        elif size % SIZE_STEP[family] or size < 64:
            problems[str(label)] = (f"input size {size}: {family} models run at multiples of {SIZE_STEP[family]} "
                                    "(at least 64)")
        elif weights["kind"] == "file" and size != native:
            problems[str(label)] = (f"{weights['file']} was trained at {native}; other sizes are for random-init "
                                    "models only")
    return sizes, "--imgsz", problems


def input_record(size: int) -> dict:
    return InputSpec(size, size, name="pixel_values", norm="imagenet", mean=IMAGENET_MEAN, std=IMAGENET_STD,
                     resize="stretch", sources={"all": "the SAM 2 / EdgeTAM processor's resize and normalization"}).to_dict()


def write_card(folder: Path, name: str, size: int, arch: str, family: str, weights: dict) -> str:
    target = folder / f"{safe_name(name)}_img{size}.vos.json"
    atomic_write_json(target, {"architecture": arch, "family": family, "size": int(size), "weights": weights})
    return str(target)


def family_of(source) -> str:
    from harness.video.models import architecture_of, folder_family

    arch = architecture_of(source.name)
    if arch:
        return arch.family
    return folder_family(source.files.get("hf_folder", "")) or "sam2"


def prepare_vos_model(source, root: Path, opts, device: dict, budget_mb) -> dict:
    """The model's Phase A record: its weights, sizes, inputs and one card per size; with --backend onnxruntime or
    tensorrt its exported image encoder and engines too (on ``device``, Phase A's resolved device, under
    ``budget_mb``)."""
    record = {"name": source.name, "source_files": dict(source.files), "builtin": source.builtin, "artifacts": {},
              "prepare_s": {}, "task": "vos", "task_settings": {"task": "vos", "task_source": "model name"},
              "prompts": list(source.prompts) or list(opts.prompt), "detected": {}, "inputs": {}, "size_problems": {}}
    family = family_of(source)
    refused = missing_library(family)
    arch, weights = None, None
    if not refused:
        arch, weights, refused = _weights(source, root, opts.force)
    record["weights"] = weights or {"kind": "file", "file": Path(source.files.get("pt", source.name)).name}
    if refused:
        record["refused"] = refused
        log.warning("%s: %s", source.name, refused)
        return record
    sizes, why, problems = vos_sizes(weights, opts, family)
    record.update(sizes=sizes, sizes_from=why, size_problems=problems)
    record["vos"] = {"architecture": arch, "family": family, "library": "transformers"}
    folder = root / "artifacts" / safe_name(source.name)
    cards = {}
    for size in sizes:
        if str(size) in problems:
            continue
        record["inputs"][str(size)] = input_record(int(size))
        cards[str(size)] = write_card(folder, source.name, int(size), arch, family, weights)
    record["artifacts"]["vos_cards"] = cards
    if "onnxruntime" in opts.backend:
        from harness.video.encoder_export import prepare_encoders

        encoders, encoder_problems = prepare_encoders(cards, opts.force, tuple(opts.precision))
        record["artifacts"]["vos_cards_onnxruntime"] = encoders
        record["encoder_problems"] = encoder_problems
    if "tensorrt" in opts.backend:
        from harness.video.encoder_engine import prepare_encoder_engines

        engines, engine_problems, builds = prepare_encoder_engines(
            cards, record["artifacts"].get("vos_cards_onnxruntime"), opts, root, device, budget_mb)
        record["artifacts"]["vos_cards_tensorrt"] = engines
        record["encoder_problems_tensorrt"] = engine_problems
        record["encoder_engine_builds"] = builds  # the evidence: attempts, workspace, build_s, reuse
    return record
