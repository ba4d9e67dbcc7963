"""The records of a planned run: its execution modes, its spec (model x backend x precision x imgsz x batch and the
modes), and the planned run Phase A writes into the setup config for the parent, the fleet and Phase B to read.

Pure data, no heavy imports; every process of the harness reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

from harness.data.image_size import canonical
from harness.files.unique_names import safe_name


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
    """A run as Phase A plans it: the spec, the artifact Phase B will load (and its hash), or why it will not run,
    and what Phase A resolved for it. Written into the setup config with :meth:`to_dict`, read back by the parent,
    the fleet and Phase B with :meth:`from_dict`; every field is named here, none travels untyped."""

    spec: RunSpec
    artifact: str | None = None
    artifact_sha256: str | None = None  # part of the run's identity; set for runs Phase B will load
    skip_status: str | None = None      # "skipped" or "skipped_oom" when Phase B must not run it
    skip_reason: str | None = None
    evidence: dict = field(default_factory=dict)  # why Phase A skipped it: a batch probe, a profile rule, a refused file
    oom_evidence: str | None = None     # "probe" or "rule" for a planned skipped_oom
    task: str | None = None             # the task's name (harness/tasks/registry.py)
    task_settings: dict | None = None   # harness.tasks.task_settings.TaskSettings, as its to_dict
    input: dict | None = None           # harness.model_input.input_spec.InputSpec, as its to_dict
    weights: dict | None = None         # what the weights are (a file, a trained default, random init)
    runner_options: dict = field(default_factory=dict)  # what the backend's runner is built with beyond the spec
    cudnn_benchmark: bool = False       # Phase A's decision for a torch run (harness/phase_a/auto_tuning.py)
    reference: dict | None = None       # the fp32 reference outputs this run's fidelity is checked against
    reference_error: str | None = None  # why there is no reference
    calibration: dict | None = None     # an int8 run's calibration provenance
    vos_model: dict | None = None       # a video run's architecture record (harness/video/models.py)
    name: str | None = None             # the id it runs under when not the spec's own (a probe attempt, a fleet run)

    @property
    def run_id(self) -> str:
        return self.name or self.spec.run_id

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k not in ("spec", "name")}
        return {**self.spec.to_dict(), **data, "run_id": self.run_id}

    @classmethod
    def from_dict(cls, data: dict) -> "PlannedRun":
        """The record as written; a setup config written before the fields were named kept them under ``extra``."""
        spec = RunSpec.from_dict(data)
        named = {**(data.get("extra") or {}), **data}
        fields_ = {k: named[k] for k in cls.__dataclass_fields__ if k not in ("spec", "name") and named.get(k) is not None}
        run_id = data.get("run_id")
        return cls(spec=spec, name=run_id if run_id and run_id != spec.run_id else None, **fields_)
