"""The run matrix: how the user's lists of models, backends, precisions, sizes, batches and modes expand into runs
(one run = model x backend x precision x imgsz x batch x modes), and which runs share a Phase B process. The
records it makes are in harness/records/planned_run.py.

No heavy imports: the parent, Phase A and Phase B all use it.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Optional, Sequence

from harness.data.image_size import canonical
from harness.precisions import PRECISIONS  # noqa: F401 - the vocabulary lives below; options reads it here
from harness.records.planned_run import RunModes, RunSpec
from runners.backends import BACKENDS as BACKEND_DESCRIPTORS, artifact_priority, backend as backend_of

BACKENDS = tuple(BACKEND_DESCRIPTORS)
# Artifact priority when a model comes as several files and --backend is auto: .engine > .onnx > .pt
ARTIFACT_PRIORITY = artifact_priority()


def modes_for(backend: str, modes: dict) -> RunModes:
    """The modes that apply to a backend, as its descriptor lists them (runners/backends.py: channels-last, CUDA
    graph replay, a cold compile cache, --e2e, several streams, pipelining, a DLA core); camera pacing, the prompt
    and --threads apply to every backend."""
    takes = backend_of(backend, strict=False).takes
    streams = int(modes.get("streams") or 1)
    pipeline = int(modes.get("pipeline") or 1)
    fps = modes.get("arrival_fps")
    return RunModes(channels_last=bool(modes.get("channels_last")) and takes("channels_last"),
                    cuda_graph=bool(modes.get("cuda_graph")) and takes("cuda_graph"),
                    cold_cache=modes.get("compile_cache") == "cold" and takes("cold_cache"),
                    e2e=bool(modes.get("e2e")) and takes("e2e"),
                    streams=streams if takes("streams") else 1,
                    pipeline=pipeline if takes("pipeline") else 1,
                    arrival_fps=float(fps) if fps else None,  # 0 / None: back to back
                    arrival=str(modes.get("arrival") or "fixed") if fps else "fixed",
                    prompt=modes.get("prompt"),
                    dla_core=modes.get("dla_core") if takes("dla_core") else None,
                    threads=modes.get("threads"))


def variant_for(backend: str, modes: dict) -> str:
    """The run id's variant label for a backend under ``modes``."""
    return modes_for(backend, modes).label


def expand_matrix(
    models: Sequence[str],
    backends: Sequence[str],
    precisions: Sequence[str],
    imgsz: Sequence[int],
    batches: Sequence[int],
    modes: Optional[dict] = None,
    backends_per_model: Optional[dict] = None,
    sizes_per_model: Optional[dict] = None,
    prompts_per_model: Optional[dict] = None,
) -> list[RunSpec]:
    """Cross product in a stable, readable order (model outermost, batch innermost); no duplicates.
    ``backends_per_model`` overrides ``backends`` for the models it names (backend "auto");
    ``sizes_per_model`` overrides ``imgsz`` likewise (a model with a fixed input or its own imgsz);
    ``prompts_per_model``: the video models, each with its prompts (a matrix dimension; they run at batch 1, one
    frame at a time, and take no stream, pipeline or pacing mode). ``modes["dla_core_list"]``: the DLA cores
    (None: the GPU alone), a dimension of tensorrt runs only: other backends get one run, not one per core.
    ``modes["threads_list"]``: --threads, a dimension of every run (None: the libraries' default threads)."""
    seen: set[str] = set()
    specs: list[RunSpec] = []
    modes = modes or {}
    stream_counts = modes.get("streams_list") or [1]
    depths = modes.get("pipeline_list") or [1]
    rates = modes.get("arrival_fps_list") or [None]
    dla_cores = modes.get("dla_core_list") or [None]
    thread_counts = modes.get("threads_list") or [None]
    for model in models:
        model_backends = (backends_per_model or {}).get(model, backends)
        model_sizes = (sizes_per_model or {}).get(model, imgsz)
        prompts = (prompts_per_model or {}).get(model)
        video = prompts is not None
        for backend, precision, size, batch, streams, depth, fps, prompt, dla, threads in itertools.product(
                model_backends, precisions, model_sizes, [1] if video else batches, [1] if video else stream_counts,
                [1] if video else depths, [None] if video else rates, prompts or [None], [None] if video else dla_cores,
                thread_counts):
            run_modes = ({"prompt": prompt, "threads": threads} if video else
                         {**modes, "streams": streams, "pipeline": depth, "arrival_fps": fps, "dla_core": dla,
                          "threads": threads})
            spec = RunSpec(model, backend, precision, canonical(size), int(batch), modes_for(backend, run_modes))
            if spec.run_id not in seen:
                seen.add(spec.run_id)
                specs.append(spec)
    return specs


def group_runs(run_ids: Iterable[str], isolation: str) -> list[list[str]]:
    """Isolation policy: which runs share a Phase B process.

    ``fork``  - one fresh process per run, forked by a launcher that imported torch once (default on Linux:
                every run starts from a clean allocator and context; docs/isolation.md).
    ``run``   - one fresh process per run, a new interpreter that imports torch itself.
    ``phase`` - every run in one Phase B process (the original single-process Phase B), for comparison.
    """
    ids = list(run_ids)
    if isolation in ("fork", "run"):
        return [[run_id] for run_id in ids]
    if isolation == "phase":
        return [ids] if ids else []
    raise ValueError(f"unknown isolation {isolation!r}")
