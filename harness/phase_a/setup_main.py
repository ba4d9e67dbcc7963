"""Phase A entry point: ``python -m harness.phase_a --request FILE``.

Validates inputs, prepares models and data, writes the setup config, exits. Any problem with what the
user gave ends it with a one-line message (an event line for the parent) and exit code 2; the traceback,
if any, goes to the log only.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from harness.process import child_protocol
from harness.data.source_scan import (camera_capture_root, scan_source, source_fingerprint, synthetic_root,
                                      synthetic_vos_root)
from harness.data.source_spec import parse_source
from harness.errors import EXIT_OK, UserError
from harness.process.logging_setup import quiet_offline_environment
from harness.settings.options import DEFAULT_MODELS, Options, check_writable_dir
from harness.phase_a.model_discovery import video_models_only
from harness.tasks.task_settings import is_video
from harness.video import workload

log = logging.getLogger("jetson_benchmark.phase_a")


class StepTimer:
    """Wall time of each Phase A step, recorded in the setup config."""

    def __init__(self):
        self.timings: dict = {}

    def __call__(self, name: str, work, *args, **kwargs):
        begun = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            self.timings[f"{name}_s"] = round(time.perf_counter() - begun, 3)


def prepare_source(spec, root: Path, opts: Options) -> tuple:
    """Make sure the source is on disk (generate / capture), list it and fingerprint it."""
    if spec.kind == "synthetic":
        from harness.data.synthetic_dataset import generate

        generate(synthetic_root(root))
    elif spec.kind == "synthetic_vos":
        from harness.data.synthetic_vos import generate_vos_split

        generate_vos_split(synthetic_vos_root(root))
    elif spec.kind == "camera":
        from harness.phase_a.camera_capture import capture

        capture(spec, camera_capture_root(root))
    scan = scan_source(spec, str(root), opts.limit_videos, opts.max_frames)
    return scan, source_fingerprint(scan, opts.imgsz, opts.max_frames, opts.limit_videos, opts.prompt_points)


def prepare_models(sources: list, root: Path, opts: Options, device: dict, memory: dict) -> list:
    """(model source, its resolved backends, its prepared record) for every model."""
    from harness.phase_a.model_artifacts import prepare_model
    from harness.phase_a.run_planner import resolve_backends

    prepared = []
    for source in sources:
        if workload.is_video_source(source):
            prepared.append((source, ["torch"], workload.setup(source, root, opts, device, memory["budget_mb"])))
            continue
        backends = resolve_backends(opts.backend, source.files, source.builtin or source.default_trained)
        prepared.append((source, backends, prepare_model(source, root, opts, backends, device)))
    return prepared


def frames_keys(models: list) -> list:
    """Every (size, resize mode) some model's input needs, as frames keys, in a stable order."""
    keys = {spec["frames_key"] for model in models for spec in (model.get("inputs") or {}).values()}
    return sorted(keys) or ["640"]


def prepare_references_and_engines(prepared: list, meta: dict, root: Path, opts: Options, device: dict, memory: dict,
                                   fingerprint: str) -> dict:
    """FP32 reference outputs for fidelity, then TensorRT engines; returns the engine build records."""
    from harness.phase_a.engine_preparation import prepare_engines
    from harness.phase_a.reference_outputs import compute_references

    builds = {}
    for source, backends, model in prepared:
        model["reference"] = {}
        if is_video(model):  # scored against the annotations in the run itself; no engines
            continue
        if opts.fidelity_frames:
            try:
                model["reference"] = compute_references(model, meta["sequences"], root, opts.fidelity_frames)
            except Exception as exc:  # noqa: BLE001 - a model that cannot run fails in its own runs, not here
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                model["reference_error"] = f"the FP32 reference could not be computed: {type(exc).__name__}: {first}"[:300]
                log.warning("%s: %s", model["name"], model["reference_error"])
        if "int8" in opts.precision:
            from harness.phase_a.int8_preparation import prepare_qdq

            prepare_qdq(model, backends, opts, meta["sequences"], root)
        for key, record in prepare_engines(model, source.files, backends, opts, device, memory, meta["sequences"],
                                           root, fingerprint).items():
            builds[f"{model['name']}/{key}"] = record
    return builds


def run_setup(opts: Options, started_at: float) -> Path:
    quiet_offline_environment()
    wall_start = time.perf_counter()
    step = StepTimer()
    root = check_writable_dir(opts.preprocessed_dir, "preprocessed_dir")
    spec = parse_source(opts.source, opts.split_dir, opts.max_frames, video_models_only(opts))

    from harness.phase_a.device_probe import resolve_device
    from harness.phase_a.memory_setup import memory_setup, rules_profile
    from harness.phase_a.model_discovery import discover_models

    device = resolve_device(opts.device)
    memory = memory_setup(opts.profile, opts.gpu_mem_limit_gb, device)
    log.info("device %s (%s); profile %s (%s); budget %s MiB (%s)", device["resolved"], device.get("name"),
             memory["profile_name"], memory["detection"], memory["budget_mb"], memory["budget_source"])
    sources = discover_models(opts.weights_dir, opts.models, DEFAULT_MODELS)
    from harness.phase_a.model_discovery import weights_dir_notes

    notes = weights_dir_notes(opts.weights_dir)
    for note in notes:
        log.warning("%s", note)
    if notes:
        child_protocol.emit("model_files", notes=notes)
    if opts.shipped_frames:  # a fleet node: the head decoded the data (harness/fleet/head_frames.py)
        from harness.phase_a.shipped_frames import shipped_fingerprint

        scan, fingerprint = None, shipped_fingerprint(root)
    else:
        scan, fingerprint = step("scan", prepare_source, spec, root, opts)
    # Models before decoding: a bad model name or file must fail fast, not after minutes of work.
    prepared = step("models", prepare_models, sources, root, opts, device, memory)
    models = [model for _, _, model in prepared]
    if all(model.get("refused") for model in models):  # nothing left to measure: the input itself is bad
        raise UserError(models[0]["refused"] if len(models) == 1 else
                        f"none of the {len(models)} models can be benchmarked; first: {models[0]['refused']}")

    if opts.shipped_frames:
        from harness.phase_a.shipped_frames import shipped_metadata

        meta = step("preprocess", shipped_metadata, root, frames_keys(models))
    else:
        from harness.phase_a.preprocess import preprocess

        meta = step("preprocess", preprocess, scan, spec, frames_keys(models), root, fingerprint, opts.max_frames,
                    opts.force, opts.prompt_points)
    workload.check_annotations(models, meta, spec)
    child_protocol.emit("preprocessed", frames=meta["totals"]["frames"], skipped=meta["skipped"],
                        reused=meta["reused"], sequences=len(meta["sequences"]), renamed=meta.get("renamed") or [])
    engine_builds = step("references_and_engines", prepare_references_and_engines, prepared, meta, root, opts, device,
                         memory, fingerprint)

    from harness.hardware.environment import full_environment
    from harness.records.measurement_request import measurement_settings
    from harness.phase_a.auto_tuning import batch_probe_wanted, probe_batches, probe_context, tune_cudnn
    from harness.phase_a.compile_warmup import compile_cache_dir, warm_compile_caches
    from harness.hardware.dla_cores import dla_capacity
    from harness.phase_a.run_planner import plan_with_hashes
    from harness.records.setup_config import setup_config_path, write_setup_config

    config_path = setup_config_path(str(root))
    matrix = (opts.backend, opts.precision, opts.imgsz, opts.batch)
    modes = {"cuda_graph": opts.cuda_graph, "channels_last": opts.channels_last, "compile_cache": opts.compile_cache,
             "compile_cache_dir": str(compile_cache_dir(root)), "engine_batch": opts.engine_batch,
             "streams_list": opts.streams, "e2e": opts.e2e, "pipeline_list": opts.pipeline,
             "arrival_fps_list": opts.arrival_fps, "arrival": opts.arrival, "int8_max_map_drop": opts.int8_max_map_drop,
             "ort_trt_cache_dir": str(root / "artifacts" / "ort_trt_cache"),
             "dla_core_list": opts.dla_core, "dla_capacity": dla_capacity(memory, device), "threads_list": opts.threads}
    runs = plan_with_hashes(models, *matrix, device, rules_profile(memory), modes=modes)
    context = probe_context(device, memory, meta["sequences"], config_path, measurement_settings(opts),
                            root / "probes", opts.probe_timeout_s, opts.engine_batch)
    wanted, why = batch_probe_wanted(opts.probe_batch, memory, device, opts.batch)
    probes = step("batch_probe", probe_batches, runs, context, why) if wanted else {}
    cudnn = step("cudnn_tuning", tune_cudnn, opts.enable_cudnn_tuning, runs, context, probes)
    runs = plan_with_hashes(models, *matrix, device, rules_profile(memory), probes, cudnn["per_run_group"], modes)
    compiled = step("compile_warmup", warm_compile_caches, runs, {**context, "timeout_s": opts.build_timeout_s})

    write_setup_config(config_path, {
        "phase_a": {"pid": os.getpid(), "started_at": started_at,
                    "wall_s": round(time.perf_counter() - wall_start, 3), "timings_s": step.timings},
        "options": opts.to_dict(),
        "source": spec.to_dict(),
        "device": device,
        "environment": full_environment(device["resolved"]),
        "dataset": {
            "metadata": "metadata.json",
            "fingerprint": fingerprint,
            "frames": meta["totals"]["frames"],
            "sequences": [{"name": s["name"], "kind": s["kind"], "num_frames": s["num_frames"],
                           "frames": s["frames"]} for s in meta["sequences"]],
            "skipped": meta["skipped"],
            "reused": meta["reused"],
        },
        "models": models,
        "runs": [run.to_dict() for run in runs],
        "memory": memory,
        "modes": modes,
        "compile_warmup": compiled,
        "engine_builds": engine_builds,
        "tuning": {"batch_probe": {"ran": wanted, "why": why, "results": probes}, "cudnn_benchmark": cudnn},
    })
    log.info("setup config written to %s", config_path)
    return config_path


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    started_at = time.time()

    def body(request: dict, _args) -> int:
        config_path = run_setup(Options.from_dict(request["options"]), started_at)
        child_protocol.emit("setup_done", config=str(config_path), pid=os.getpid())
        return EXIT_OK

    return child_main("harness.phase_a", "A", body, argv,
                      verbose=lambda request, _args: bool(request["options"].get("verbose")))
