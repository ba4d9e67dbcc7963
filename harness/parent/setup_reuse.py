"""``--skip_setup``: check that the saved setup still matches the files on disk and the request.

Runs in the parent, without torch: the source is rescanned (stat only) and fingerprinted the way Phase A
did it. Any mismatch is a one-line message telling the user to rerun setup.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.source_scan import scan_source, source_fingerprint
from harness.data.source_spec import SourceSpec, parse_source
from harness.errors import UserError
from harness.settings.options import Options
from harness.phase_a.memory_setup import rules_profile
from harness.phase_a.model_discovery import video_models_only
from harness.phase_a.run_planner import planned_records
from harness.records.setup_config import read_setup_config, resolve_path, setup_config_path
from harness.video import workload

RERUN = "rerun without --skip_setup"
SHAPING_FLAGS = ("source", "split_dir", "weights_dir", "max_frames", "limit_videos", "profile", "gpu_mem_limit_gb",
                 "enable_cudnn_tuning", "probe_batch", "cuda_graph", "channels_last", "compile_cache", "workspace_mb",
                 "engine_batch", "int8_calibration", "calib_images", "int8_random_calibration", "fidelity_frames",
                 "streams", "e2e", "calib_batch", "prompt_points", "builder_opt_level", "sparsity", "timing_cache",
                 "dla_core")  # engines are built per DLA core
# How the passes are scheduled needs no new artifacts: these may change with --skip_setup.
SCHEDULING_FLAGS = {"pipeline": "pipeline_list", "arrival_fps": "arrival_fps_list", "arrival": "arrival",
                    "threads": "threads_list",
                    "int8_max_map_drop": "int8_max_map_drop"}  # a judgement of the results, not a measurement


def load_checked_setup(opts: Options) -> tuple:
    """Returns (config_path, setup) after checking schema, fingerprint and frame files."""
    config_path = setup_config_path(opts.preprocessed_dir)
    setup = read_setup_config(config_path)
    saved = setup["options"]
    for flag in SHAPING_FLAGS:
        if flag in opts.explicit and getattr(opts, flag) != saved.get(flag):
            raise UserError(f"--{flag} differs from the saved setup ({saved.get(flag)!r}): {RERUN}")
    if "device" in opts.explicit and opts.device not in (saved.get("device"), setup["device"]["resolved"]):
        raise UserError(f"--device {opts.device} differs from the saved setup's {setup['device']['resolved']}: {RERUN}")
    if "source" in opts.explicit or "split_dir" in opts.explicit:
        wanted = parse_source(opts.source, opts.split_dir, saved["max_frames"], video_models_only(opts))
        if wanted != SourceSpec.from_dict(setup["source"]):
            raise UserError(f"the saved setup was made for {SourceSpec.from_dict(setup['source']).describe()}: {RERUN}")
    spec = SourceSpec.from_dict(setup["source"])
    try:
        scan = scan_source(spec, opts.preprocessed_dir, saved["limit_videos"], saved["max_frames"])
    except UserError as exc:
        raise UserError(f"the saved setup's source is no longer readable ({exc}): {RERUN}")
    fingerprint = source_fingerprint(scan, saved["imgsz"], saved["max_frames"], saved["limit_videos"],
                                     saved.get("prompt_points", 1))
    if fingerprint != setup["dataset"]["fingerprint"]:
        raise UserError(f"the source files changed since setup ({spec.describe()}): {RERUN}")
    for seq in setup["dataset"]["sequences"]:
        for rel in seq["frames"].values():
            if not resolve_path(config_path, rel).is_file():
                raise UserError(f"preprocessed frames are missing ({rel}): {RERUN}")
    return config_path, setup


def replan(opts: Options, setup: dict) -> list:
    """The runs to measure: the saved plan, or a re-plan when the user changed matrix flags.

    Models, image sizes, backends and precisions must be ones setup prepared; batch sizes, --pipeline and
    --arrival_fps / --arrival are free (frames and artifacts do not depend on them).
    """
    saved = setup["options"]
    changed = [f for f in ("models", "imgsz", "backend", "precision", "batch", "prompt", *SCHEDULING_FLAGS)
               if f in opts.explicit]
    if not changed:
        return setup["runs"]
    prepared_models = [m["name"] for m in setup["models"]]
    models, named_prompts = workload.video_prompts(opts.models) if "models" in opts.explicit else (prepared_models, {})
    for flag, wanted, prepared in (
        ("models", models, prepared_models),
        ("imgsz", opts.imgsz if "imgsz" in opts.explicit else saved["imgsz"], saved["imgsz"]),
        ("backend", opts.backend if "backend" in opts.explicit else saved["backend"],
         sorted({r["backend"] for r in setup["runs"]}) if opts.backend != ["auto"] else ["auto"]),
        ("precision", opts.precision if "precision" in opts.explicit else saved["precision"], saved["precision"]),
    ):
        missing = [str(v) for v in wanted if v not in prepared]
        if missing:
            raise UserError(f"--{flag} {','.join(missing)} was not prepared by the saved setup: {RERUN}")
    chosen = [workload.with_prompts(m, named_prompts, opts) for m in setup["models"] if m["name"] in models]
    return planned_records(
        chosen,
        opts.backend if "backend" in opts.explicit else saved["backend"],
        opts.precision if "precision" in opts.explicit else saved["precision"],
        opts.imgsz if "imgsz" in opts.explicit else saved["imgsz"],
        opts.batch if "batch" in opts.explicit else saved["batch"],
        setup["device"],
        rules_profile(setup["memory"]),
        setup["tuning"]["batch_probe"]["results"],
        setup["tuning"]["cudnn_benchmark"]["per_run_group"],
        {**setup["modes"], **{key: getattr(opts, flag) for flag, key in SCHEDULING_FLAGS.items() if flag in opts.explicit}},
    )


def metadata_path(config_path: Path, setup: dict) -> Path:
    return resolve_path(config_path, setup["dataset"]["metadata"])
