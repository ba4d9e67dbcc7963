"""Build and export what each requested backend needs, through Ultralytics, reusing what matches.

- An architecture (YAML) is built with a fixed seed and saved as a ``.pt`` in the artifacts folder, so
  every backend of that model runs the same weights.
- A ``.pt`` the user gave is identified without running code from it (Ultralytics checkpoint read through the
  allow-list of runners.restricted_unpickler, TorchScript, torch.export program); a pickled module, a checkpoint
  asking for anything outside the allow-list or a bare state_dict is refused for that model only, in one line,
  unless --trust_pickle vouches for the file.
- ONNX for onnxruntime comes from the Ultralytics exporter (dynamic batch), one per imgsz and precision,
  unless the user gave an ``.onnx``.
- The model's task and input (per size) are resolved from what its files say and what the user declares
  (harness.model_input.resolve) and recorded for the planner and Phase B.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256, reusable, write_sidecar
from harness.errors import UserError
from harness.phase_a.model_discovery import ModelSource
from harness.files.unique_names import safe_name
from runners.backends import backend

log = logging.getLogger("jetson_benchmark.phase_a")
BUILD_SEED = 0


def _versions() -> dict:
    import torch
    import ultralytics

    try:
        import onnx

        onnx_version = onnx.__version__
    except ImportError:
        onnx_version = None
    return {"ultralytics": ultralytics.__version__, "torch": torch.__version__.split("+")[0], "onnx": onnx_version}


def build_from_yaml(source: ModelSource, folder: Path, force: bool) -> Path:
    """Random-init weights from the architecture, seeded, saved as an Ultralytics checkpoint."""
    import torch
    from ultralytics import YOLO

    target = folder / f"{safe_name(source.name)}.pt"
    yaml_ref = source.files["yaml"]
    if not source.builtin:
        from runners.ultralytics_architecture import UnsafeArchitecture, check_architecture

        try:
            check_architecture(yaml_ref)
        except UnsafeArchitecture as exc:
            raise ModelRefused(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - unreadable YAML
            raise ModelRefused(f"{yaml_ref}: not a model architecture ({type(exc).__name__}: {exc})") from None
    wanted = {"kind": "random_init_checkpoint", "architecture": Path(yaml_ref).name, "seed": BUILD_SEED,
              "yaml_sha256": None if source.builtin else file_sha256(yaml_ref), **_versions()}
    if not force and reusable(target, wanted):
        log.info("reusing %s (sidecar matches)", target)
        return target
    torch.manual_seed(BUILD_SEED)
    try:
        model = YOLO(yaml_ref)
    except (FileNotFoundError, OSError) as exc:
        if source.builtin:
            raise UserError(f"unknown model {source.name!r}: not in --weights_dir and not an Ultralytics "
                            "architecture (e.g. yolo11n, yolo11s, yolov8n)") from exc
        raise UserError(f"{yaml_ref}: not a model architecture ({exc})") from exc
    except Exception as exc:
        raise UserError(f"{yaml_ref}: cannot build a model from it ({type(exc).__name__}: {exc})") from exc
    folder.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    write_sidecar(target, wanted)
    log.info("built %s from %s with random weights (seed %d)", target, yaml_ref, BUILD_SEED)
    return target


class ModelRefused(Exception):
    """This model cannot be benchmarked as given; the message (one line) says why and what to do."""


def identify_pt(path: str, trust_pickle: bool) -> str:
    """The kind of a user's .pt / .pt2 (ultralytics, torchscript, torch_export, pickled_module)."""
    from runners.torch_model_files import UnsupportedModelFile, pt_file_kind

    try:
        return pt_file_kind(path, trust_pickle)
    except UnsupportedModelFile as exc:
        raise ModelRefused(str(exc)) from None


def check_onnx(path: str) -> None:
    """A user's .onnx must parse (refused for this model only, in one line, when it does not)."""
    import onnx

    try:
        model = onnx.load(path, load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelRefused(f"{Path(path).name} is not an ONNX model: {type(exc).__name__}: {first}".rstrip(": ")) from None


def export_onnx(checkpoint: Path, folder: Path, model_name: str, imgsz, half: bool, device: str, force: bool,
                trusted: bool = False) -> Path:
    """Ultralytics' exporter, dynamic batch. One file per imgsz (a square size or "HxW") and precision."""
    from ultralytics import YOLO

    from harness.data.image_size import parse_size
    from runners.ultralytics_checkpoints import ultralytics_loading

    suffix = "_fp16" if half else ""
    target = folder / f"{safe_name(model_name)}_img{imgsz}{suffix}.onnx"
    wanted = {"kind": "onnx", "source_sha256": file_sha256(checkpoint), "imgsz": imgsz, "batch": "dynamic",
              "precision": "fp16" if half else "fp32", "exporter": "ultralytics", **_versions()}
    if not force and reusable(target, wanted):
        log.info("reusing %s (sidecar matches)", target)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # Export from a link inside our folder: the exporter writes beside its input, never in --weights_dir.
    staging = folder / f".export_{os.getpid()}_{checkpoint.stem}.pt"
    if staging.exists() or staging.is_symlink():
        staging.unlink()
    os.symlink(checkpoint.resolve(), staging)
    started = time.perf_counter()
    try:
        with ultralytics_loading(trusted):
            exported = YOLO(str(staging)).export(
                format="onnx", imgsz=list(parse_size(imgsz)), dynamic=True, simplify=True, half=half,
                device=device if half else "cpu", batch=1, verbose=False,
            )
        shutil.move(str(exported), target)
    finally:
        staging.unlink(missing_ok=True)
    write_sidecar(target, {**wanted, "export_s": round(time.perf_counter() - started, 3)})
    log.info("exported %s in %.1f s", target, time.perf_counter() - started)
    return target


def _torch_artifact(source: ModelSource, folder: Path, record: dict, trust_pickle: bool, force: bool) -> tuple:
    """(checkpoint path or None, detected facts): the model's PyTorch artifact, identified or built."""
    from harness.phase_a.model_detection import from_checkpoint

    from runners.torch_model_files import ULTRALYTICS_KINDS
    from runners.ultralytics_checkpoints import guard_ultralytics_loading

    if "pt" in source.files or "yaml" in source.files:
        guard_ultralytics_loading()  # whatever Ultralytics reads in this process goes through the allow-list
    if "pt" in source.files:
        kind = identify_pt(source.files["pt"], trust_pickle)
        record["model_file_kind"] = kind
        checkpoint = Path(source.files["pt"])
        trusted = kind == "ultralytics_trusted"
        return checkpoint, (from_checkpoint(str(checkpoint), trusted) if kind in ULTRALYTICS_KINDS else {})
    if "yaml" in source.files:
        record["model_file_kind"] = "ultralytics"
        checkpoint = build_from_yaml(source, folder, force)
        return checkpoint, from_checkpoint(str(checkpoint))
    return None, {}


def onnx_with_dynamic_dims(path: str, folder: Path, record: dict) -> str:
    """The user's ONNX file, or a copy of it in our artifacts folder whose 0 / negative input dims are symbolic
    (ONNX Runtime would accept only a batch of 0 otherwise); the record says when the copy is used."""
    from harness.files.atomic_io import atomic_write_bytes
    from harness.phase_a.onnx_dynamic_dims import symbolic_zero_dims

    patched = symbolic_zero_dims(path)
    if patched is None:
        return path
    target = folder / f"{safe_name(Path(path).stem)}_dynamic_dims.onnx"
    atomic_write_bytes(target, patched)
    record["onnx_dims_made_symbolic"] = {"from": path, "to": str(target)}
    log.info("%s: input dims of 0 or less made symbolic in %s", Path(path).name, target)
    return str(target)


def _onnx_artifacts(source: ModelSource, checkpoint, folder: Path, record: dict, sizes: list, precisions: list,
                    device: dict, force: bool) -> dict:
    """precision key -> ONNX file: the user's, else exported from an Ultralytics checkpoint per size."""
    from runners.torch_model_files import ULTRALYTICS_KINDS

    onnx_artifacts = {}
    if "onnx" in source.files:  # a float16 input means an fp16 graph
        precision = "fp16" if record["detected"].get("dtype") == "float16" else "fp32"
        onnx_artifacts[f"any/{precision}"] = onnx_with_dynamic_dims(source.files["onnx"], folder, record)
        if precision == "fp32" and "fp16" in precisions and device.get("onnxruntime_cuda"):
            from harness.engines.onnx_fp16 import fp16_onnx

            begun = time.perf_counter()
            onnx_artifacts["any/fp16"] = str(fp16_onnx(onnx_artifacts["any/fp32"], folder, force))
            record["prepare_s"]["onnx_fp16_conversion"] = round(time.perf_counter() - begun, 3)
        return onnx_artifacts
    if checkpoint is None or record.get("model_file_kind") not in ULTRALYTICS_KINDS:
        return onnx_artifacts
    trusted = record["model_file_kind"] == "ultralytics_trusted"
    for size in sizes:
        begun = time.perf_counter()
        onnx_artifacts[f"{size}/fp32"] = str(export_onnx(checkpoint, folder, source.name, size, False, "cpu", force,
                                                          trusted))
        record["prepare_s"][f"onnx_{size}_fp32"] = round(time.perf_counter() - begun, 3)
        if "fp16" in precisions and device.get("onnxruntime_cuda"):
            begun = time.perf_counter()
            onnx_artifacts[f"{size}/fp16"] = str(export_onnx(checkpoint, folder, source.name, size, True,
                                                              device["resolved"], force, trusted))
            record["prepare_s"][f"onnx_{size}_fp16"] = round(time.perf_counter() - begun, 3)
    return onnx_artifacts


def describe_model(record: dict, detected: dict, declarations: dict, opts) -> None:
    """The model's task settings, its sizes and one resolved input spec per size, into its record."""
    from harness.model_input.declared_settings import declared_for
    from harness.model_input.resolve import (overridden_flags, plan_sizes, resolve_input, resolve_task, size_problem,
                                             unfilled_inputs)

    declared, sources = declared_for(declarations, record["source_files"].get("model_json"))
    settings = resolve_task(detected, declared, sources, opts.task_run_settings())
    plan = plan_sizes(detected, opts.imgsz, "imgsz" in opts.explicit, declared)
    notes = plan.notes + overridden_flags(detected, declared, sources)
    record.update(task=settings.task, task_settings=settings.to_dict(), sizes=plan.sizes, sizes_from=plan.why,
                  sizes_rounded=plan.rounded, input_notes=notes, detected=detected,
                  unfilled_inputs=unfilled_inputs(detected, declared), inputs={}, size_problems={})
    for size in plan.sizes:
        spec = resolve_input(detected, declared, sources, settings.task, size)
        record["inputs"][str(size)] = spec.to_dict()
        problem = size_problem(spec, detected)
        if problem:
            record["size_problems"][str(size)] = problem
    record["input_summary"] = input_summary(settings, plan, spec)
    for note in notes:
        log.warning("%s: %s", record["name"], note)
    log.info("%s: %s", record["name"], record["input_summary"])


def input_summary(settings, plan, spec) -> str:
    """The model's Phase A summary line: task, sizes, colour, resize, normalization and where each came from."""
    from harness.model_input.class_names import names_line

    return (f"task {settings.task} ({settings.task_source}); sizes {', '.join(map(str, plan.sizes))} ({plan.why}); "
            f"{spec.color} ({spec.sources.get('color')}), resize {spec.resize} ({spec.sources.get('resize')}), "
            f"{spec.layout}, norm {spec.norm_summary()} ({spec.sources.get('norm')}); "
            f"{names_line(settings.names, settings.names_source)}")


def weights_record(source: ModelSource) -> dict:
    """Where the model's weights come from: a given file, or random-init from an architecture (timings and memory
    are real; accuracy figures of such a model are meaningless, and every output says so)."""
    if source.default_trained:
        from harness.data.default_weights import DEFAULT_TRAINED

        return {"kind": DEFAULT_TRAINED, "file": Path(source.files["pt"]).name, "sha256": file_sha256(source.files["pt"])}
    given = [Path(source.files[kind]).name for kind in ("pt", "onnx", "engine") if kind in source.files]
    if given:  # "file": the first, as before; "files": every file given, so a table can name the one a run loaded
        return {"kind": "file", "file": given[0], "files": given}
    return {"kind": "random-init", "file": None, "architecture": Path(source.files.get("yaml", source.name)).name,
            "seed": BUILD_SEED}


def prepare_model(source: ModelSource, root: Path, opts, backends: list, device: dict) -> dict:
    """Everything this model needs for the requested backends. Returns its record for the setup config;
    a model that cannot run as given has ``refused`` (one line) and no artifacts."""
    from harness.model_input.declared_settings import BadModelSettings
    from harness.phase_a.model_detection import from_onnx

    folder = root / "artifacts" / safe_name(source.name)
    record: dict = {"name": source.name, "source_files": dict(source.files), "builtin": source.builtin,
                    "default_trained": source.default_trained, "artifacts": {}, "prepare_s": {}, "weights": weights_record(source)}
    started = time.perf_counter()
    try:
        checkpoint, detected = _torch_artifact(source, folder, record, opts.trust_pickle, opts.force)
        record["prepare_s"]["checkpoint"] = round(time.perf_counter() - started, 3)
        if "onnx" in source.files:
            check_onnx(source.files["onnx"])
            try:
                detected = {**detected, **from_onnx(source.files["onnx"])}
            except ValueError as exc:
                raise ModelRefused(f"{Path(source.files['onnx']).name}: {exc}") from None
        describe_model(record, detected, opts.declared_model_settings(), opts)
    except (ModelRefused, BadModelSettings) as exc:
        record["refused"] = str(exc)
        log.warning("%s: %s", source.name, exc)
        return record
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - one model's file never stops the others
        record["refused"] = f"{source.name} cannot be prepared: {_first_line(exc)}"
        log.warning("%s", record["refused"], exc_info=True)
        return record
    if checkpoint is not None:
        record["artifacts"]["torch"] = str(checkpoint)
    if any(backend(name, strict=False).built_from_onnx for name in backends):  # TensorRT engines are built from the fp32 ONNX
        try:
            record["artifacts"]["onnxruntime"] = _onnx_artifacts(source, checkpoint, folder, record, record["sizes"],
                                                                 opts.precision, device, opts.force)
        except Exception as exc:  # noqa: BLE001 - its other backends still run; the ONNX runs say why not
            record["artifacts"]["onnxruntime"] = {}
            record["onnx_error"] = f"the ONNX export failed: {_first_line(exc)}"
            log.warning("%s: %s", source.name, record["onnx_error"], exc_info=True)
    return record


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
