"""The backends that compile in their model load (their descriptor's ``compile_cache``, runners/backends.py:
torch.compile's inductor cache, ONNX Runtime's TensorRT engine cache in ``<preprocessed_dir>/artifacts/ort_trt_cache``):
compile each run's shape once in Phase A, so Phase B finds the cache warm and its model load does not include an
engine build.

Each compilation is a short Phase-B-style attempt (the same executor, one pass) in its own process,
pointed at ``<preprocessed_dir>/compile_cache``; a compilation that runs out of memory or crashes cannot
take Phase A down. The time each took is the "Phase A build time" of that artifact, and like an engine build
it has --build_timeout_s (default 1800 s), not a probe's --probe_timeout_s: a compile stopped part-way leaves
a cache with only the graphs compiled before it was stopped, and Phase B's compile is then only partly warm
(yolo11n at 64 px took 204 s to compile on a busy 2-core machine, close to the probes' 300 s).
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.phase_a.auto_tuning import run_probe_attempt
from runners.backends import backend

log = logging.getLogger("jetson_benchmark.phase_a")


def compile_cache_dir(root: Path) -> Path:
    return Path(root) / "compile_cache"


def warm_compile_caches(runs: list, context: dict) -> dict:
    """run_id -> what the compile attempt did (outcome, seconds, pid). Cold-cache variants are skipped:
    they compile from scratch in Phase B on purpose."""
    one_pass = {**context, "measurement": {**context["measurement"], "warmup": 0, "iters": 1}}
    done = {}
    for run in runs:
        if not backend(run.spec.backend, strict=False).warms_compile_cache or run.skip_status or run.spec.modes.cold_cache:
            continue
        record = run_probe_attempt(run, run.spec.batch, one_pass)
        done[run.run_id] = {k: record.get(k) for k in ("outcome", "detail", "pid", "wall_s", "model_load_s", "compile_s")}
        log.info("compile warm-up %s: %s in %.1f s", run.run_id, record["outcome"], record.get("wall_s") or 0)
    return done
