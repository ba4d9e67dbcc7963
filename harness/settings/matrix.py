"""The run matrix: one run = model x backend x precision x imgsz x batch.

Pure data, no heavy imports: the parent, Phase A and Phase B all share these definitions.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Iterable, Optional, Sequence

from harness.data.image_size import canonical
from harness.precisions import PRECISIONS  # noqa: F401 - the vocabulary lives below; options reads it here
from harness.files.unique_names import safe_name
from runners.backends import BACKENDS as BACKEND_DESCRIPTORS, artifact_priority, backend as backend_of

BACKENDS = tuple(BACKEND_DESCRIPTORS)
# Artifact priority when a model comes as several files and --backend is auto: .engine > .onnx > .pt
ARTIFACT_PRIORITY = artifact_priority()

@dataclass(frozen=True)
class RunModes:
    """Execution modes that change what is measured. The run id's variant label is derived from them, never
    parsed back."""

    channels_last: bool = False
    cuda_graph: bool = False
    cold_cache: bool = False
    e2e: bool = False
    streams: int = 1
    pipeline: int = 1                     # batches in flight (1: the serial loop)
    arrival_fps: Optional[float] = None   # None: back to back
    arrival: str = "fixed"                # fixed | poisson (only with arrival_fps)
    prompt: Optional[str] = None          # vos: points | bbox | mask (None: not a video model)
    dla_core: Optional[int] = None        # tensorrt: the DLA core the engine runs on (None: the GPU alone)
    threads: Optional[int] = None         # --threads: intra-op threads of torch and ONNX Runtime (None: their default)

    @property
    def label(self) -> str:
        """e.g. "cudagraph", "channelslast+cudagraph", "streams4", "pipeline2", "dla0" ("" when no mode applies)."""
        tokens = [name for name, on in (("channelslast", self.channels_last), ("cudagraph", self.cuda_graph),
                                        ("coldcache", self.cold_cache), ("e2e", self.e2e)) if on]
        counted = [f"{name}{n}" for name, n in (("streams", self.streams), ("pipeline", self.pipeline)) if n > 1]
        dla = [f"dla{self.dla_core}"] if self.dla_core is not None else []
        return "+".join(([self.prompt] if self.prompt else []) + dla + tokens + counted)

    @property
    def pacing_suffix(self) -> str:
        """``__fps30`` (``__fps30poisson``) for a paced run, "" back to back."""
        if self.arrival_fps is None:
            return ""
        return f"__fps{self.arrival_fps:g}" + ("poisson" if self.arrival == "poisson" else "")

    @property
    def threads_suffix(self) -> str:
        """``__th4`` when --threads set the run's threads, else "": the run id ends with it."""
        return f"__th{self.threads}" if self.threads is not None else ""

    def to_dict(self) -> dict:
        """The modes as stored; a GPU-only run leaves ``dla_core`` out, and a run at the libraries' default threads
        ``threads``, so results stored before those dimensions existed keep their identity."""
        data = asdict(self)
        for optional in ("dla_core", "threads"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> "RunModes":
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RunSpec:
    model: str
    backend: str
    precision: str
    imgsz: object        # a size label: 640 (square) or "480x640"
    batch: int
    modes: RunModes = field(default_factory=RunModes)

    @property
    def variant(self) -> str:
        return self.modes.label

    @property
    def run_id(self) -> str:
        base = f"{safe_name(self.model)}__{self.backend}__{self.precision}__img{self.imgsz}__b{self.batch}"
        return ((f"{base}__{self.variant}" if self.variant else base) + self.modes.pacing_suffix
                + self.modes.threads_suffix)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["modes"] = self.modes.to_dict()
        data["variant"] = self.variant
        data["run_id"] = self.run_id
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        return cls(
            model=str(data["model"]),
            backend=str(data["backend"]),
            precision=str(data["precision"]),
            imgsz=canonical(data["imgsz"]),
            batch=int(data["batch"]),
            modes=RunModes.from_dict(data.get("modes")),
        )


@dataclass
class PlannedRun:
    """A run as Phase A plans it: the spec, the artifact Phase B will load, or why it will not run."""

    spec: RunSpec
    artifact: str | None = None
    skip_status: str | None = None      # "skipped" or "skipped_oom" when Phase B must not run it
    skip_reason: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            **self.spec.to_dict(),
            "artifact": self.artifact,
            "skip_status": self.skip_status,
            "skip_reason": self.skip_reason,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "PlannedRun":
        return cls(
            spec=RunSpec.from_dict(data),
            artifact=data.get("artifact"),
            skip_status=data.get("skip_status"),
            skip_reason=data.get("skip_reason"),
            extra=dict(data.get("extra") or {}),
        )


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

    ``run``   - one fresh process per run (default: every run starts from a clean allocator and context).
    ``phase`` - every run in one Phase B process (the original single-process Phase B), for comparison.
    """
    ids = list(run_ids)
    if isolation == "run":
        return [[run_id] for run_id in ids]
    if isolation == "phase":
        return [ids] if ids else []
    raise ValueError(f"unknown isolation {isolation!r}")
