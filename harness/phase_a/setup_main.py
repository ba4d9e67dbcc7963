"""Phase A entry point: ``python -m harness.phase_a --request FILE``.

Validates inputs, prepares models and data, writes the setup config, exits. Any problem with what the
user gave ends it with a one-line message (an event line for the parent) and exit code 2; the traceback,
if any, goes to the log only.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from harness import child_protocol
from harness.atomic_io import read_json
from harness.data.source_scan import camera_capture_root, scan_source, source_fingerprint, synthetic_root
from harness.data.source_spec import parse_source
from harness.lifeline import die_with_parent
from harness.errors import EXIT_INTERNAL, EXIT_OK, UserError
from harness.logging_setup import configure_phase_logging, quiet_offline_environment
from harness.options import DEFAULT_MODELS, Options, check_writable_dir

log = logging.getLogger("jetson_benchmark.phase_a")


def run_setup(opts: Options, started_at: float) -> Path:
    quiet_offline_environment()
    wall_start = time.perf_counter()
    root = check_writable_dir(opts.preprocessed_dir, "preprocessed_dir")
    spec = parse_source(opts.source, opts.split_dir, opts.max_frames)

    from harness.phase_a.device_probe import resolve_device
    from harness.phase_a.model_discovery import discover_models

    device = resolve_device(opts.device)
    log.info("device: %s (%s)", device["resolved"], device.get("name"))
    sources = discover_models(opts.weights_dir, opts.models, DEFAULT_MODELS)

    timings = {}
    begun = time.perf_counter()
    if spec.kind == "synthetic":
        from harness.data.synthetic_dataset import generate

        generate(synthetic_root(root))
    elif spec.kind == "camera":
        from harness.phase_a.camera_capture import capture

        capture(spec, camera_capture_root(root))
    scan = scan_source(spec, str(root), opts.limit_videos)
    fingerprint = source_fingerprint(scan, opts.imgsz, opts.max_frames, opts.limit_videos)
    timings["scan_s"] = round(time.perf_counter() - begun, 3)

    # Models first: a bad model name or file must fail fast, before minutes of decoding.
    from harness.phase_a.model_artifacts import prepare_model
    from harness.phase_a.run_planner import resolve_backends

    begun = time.perf_counter()
    models = []
    for source in sources:
        backends = resolve_backends(opts.backend, source.files, source.builtin)
        models.append(prepare_model(source, root, opts.imgsz, backends, opts.precision, device, opts.force))
    timings["models_s"] = round(time.perf_counter() - begun, 3)

    from harness.phase_a.preprocess import preprocess

    begun = time.perf_counter()
    meta = preprocess(scan, spec, opts.imgsz, root, fingerprint, opts.max_frames, opts.force)
    timings["preprocess_s"] = round(time.perf_counter() - begun, 3)
    child_protocol.emit("preprocessed", frames=meta["totals"]["frames"], skipped=meta["skipped"],
                        reused=meta["reused"], sequences=len(meta["sequences"]))

    from harness.environment import full_environment
    from harness.measurement_request import measurement_settings
    from harness.phase_a.auto_tuning import batch_probe_wanted, probe_batches, probe_context, tune_cudnn
    from harness.phase_a.memory_setup import memory_setup
    from harness.phase_a.run_planner import planned_records
    from harness.setup_config import setup_config_path, write_setup_config

    from harness.phase_a.compile_warmup import compile_cache_dir, warm_compile_caches
    from harness.phase_a.reference_outputs import compute_references

    begun = time.perf_counter()
    for model in models:
        model["reference"] = (compute_references(model, meta["sequences"], root, opts.imgsz, opts.fidelity_frames)
                              if opts.fidelity_frames else {})
    timings["references_s"] = round(time.perf_counter() - begun, 3)
    memory = memory_setup(opts.profile, opts.gpu_mem_limit_gb, device)
    log.info("profile %s (%s); budget %s MiB (%s)", memory["profile_name"], memory["detection"],
             memory["budget_mb"], memory["budget_source"])
    matrix = (opts.backend, opts.precision, opts.imgsz, opts.batch)
    modes = {"cuda_graph": opts.cuda_graph, "channels_last": opts.channels_last, "compile_cache": opts.compile_cache,
             "compile_cache_dir": str(compile_cache_dir(root)), "engine_batch": opts.engine_batch}
    runs = planned_records(models, *matrix, device, memory["profile"], modes=modes)
    begun = time.perf_counter()
    context = probe_context(device, memory, meta["sequences"], setup_config_path(str(root)),
                            measurement_settings(opts), root / "probes", opts.probe_timeout_s)
    wanted, why = batch_probe_wanted(opts.probe_batch, memory, device, opts.batch)
    probes = probe_batches(runs, context, why) if wanted else {}
    cudnn = tune_cudnn(opts.enable_cudnn_tuning, runs, context, probes)
    timings["tuning_s"] = round(time.perf_counter() - begun, 3)
    runs = planned_records(models, *matrix, device, memory["profile"], probes, cudnn["per_run_group"], modes)
    begun = time.perf_counter()
    compiled = warm_compile_caches(runs, context)
    timings["compile_warmup_s"] = round(time.perf_counter() - begun, 3)

    config_path = setup_config_path(str(root))
    write_setup_config(config_path, {
        "phase_a": {"pid": os.getpid(), "started_at": started_at,
                    "wall_s": round(time.perf_counter() - wall_start, 3), "timings_s": timings},
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
        "runs": runs,
        "memory": memory,
        "modes": modes,
        "compile_warmup": compiled,
        "tuning": {"batch_probe": {"ran": wanted, "why": why, "results": probes}, "cudnn_benchmark": cudnn},
    })
    log.info("setup config written to %s", config_path)
    return config_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.phase_a")
    parser.add_argument("--request", required=True, help="JSON file with the resolved options")
    args = parser.parse_args(argv)
    started_at = time.time()
    die_with_parent()
    opts = Options.from_dict(read_json(args.request)["options"])
    configure_phase_logging("A", opts.verbose)
    try:
        config_path = run_setup(opts, started_at)
    except UserError as exc:
        log.error("%s", exc.message)
        child_protocol.emit("user_error", message=exc.message)
        return exc.exit_code
    except Exception as exc:  # a bug or an environment failure: full traceback in the log only
        log.exception("Phase A failed")
        child_protocol.emit("internal_error", message=f"{type(exc).__name__}: {exc}")
        return EXIT_INTERNAL
    child_protocol.emit("setup_done", config=str(config_path), pid=os.getpid())
    return EXIT_OK
