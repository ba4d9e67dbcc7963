"""What the parent asks a Phase B process to measure: ``<out_dir>/requests/phase_b.<parent pid>.json``.

One file per command (the parent's pid in its name), so no other command can replace it under this one's
children; the command removes it when it ends.

Holds the path of the saved setup config, the measurement settings of this invocation (which may differ
from setup's: ``--skip_setup --iters 500``) and the planned runs. Phase B reads it; nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.files.atomic_io import atomic_write_json, read_json

REQUEST_SCHEMA_VERSION = 1
REQUESTS_FOLDER = "requests"


def request_path(out_dir, phase: str) -> Path:
    """This command's request file for ``phase`` (a, b) in ``out_dir``."""
    return Path(out_dir) / REQUESTS_FOLDER / f"phase_{phase}.{os.getpid()}.json"


IMAGE_FRAMES_IN_MEM = 600  # what auto / all mean for the image path's frame chunks


def frames_in_mem(opts) -> int:
    """The image path's most frames in memory at once: N, or 600 for auto / all (which only choose the video
    models' window, harness/video/window.py)."""
    value = opts.max_frames_in_mem
    return value if isinstance(value, int) else IMAGE_FRAMES_IN_MEM


def measurement_settings(opts) -> dict:
    return {
        "warmup": opts.warmup,
        "iters": opts.iters,
        "min_duration_s": opts.min_duration_s,
        "max_frames_in_mem": frames_in_mem(opts),
        "vos_window": opts.max_frames_in_mem,
        "memory_sample_ms": opts.memory_sample_ms,
        "metrics_interval_s": opts.metrics_interval,
        "accuracy_images": opts.accuracy_images,
        "dense_gt": str(Path(opts.dense_gt).resolve()) if opts.dense_gt else None,
        "accuracy_hook": opts.accuracy_hook,
        "repeats": opts.repeats,
        "save_masks": opts.save_masks,
        "layer_profile": opts.layer_profile,
    }


def validity_requirements(opts) -> dict:
    """What the verdict of each run requires (harness/measure/validity.py); not part of a run's identity: the
    same measurement judged by other requirements is the same measurement."""
    from harness.measure.validity import Requirements

    return Requirements(opts.require_max_clocks, opts.require_power_mode, opts.max_cv_pct,
                        opts.max_host_interference_pct).to_dict()


def write_request(out_dir: Path, setup_config: Path, measurement: dict, runs: list, isolation: str,
                  verbose: bool, progress: bool = False, validity: dict = None) -> Path:
    return atomic_write_json(request_path(out_dir, "b"), {
        "schema_version": REQUEST_SCHEMA_VERSION,
        "setup_config": str(setup_config),
        "out_dir": str(Path(out_dir).resolve()),
        "measurement": measurement,
        "isolation": isolation,
        "verbose": verbose,
        "progress": progress,
        "validity": validity or {},
        "runs": {run["run_id"]: run for run in runs},
    })


def read_request(path: str | Path) -> dict:
    request = read_json(path)
    if request.get("schema_version") != REQUEST_SCHEMA_VERSION:
        raise ValueError(f"{path}: unsupported request schema {request.get('schema_version')}")
    return request
