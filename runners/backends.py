"""One descriptor per backend: every fact the rest of the harness needs about how a graph executes, defined once.

The planner (harness/phase_a/run_planner.py), the run matrix (harness/settings/matrix.py), Phase A's set-up (which
artifact, which compile cache, which device facts), Phase B and the probes (whether a run takes the GPU), the
run identity, the flag table's help and the plots read these records instead of naming backends. Adding a
backend is its runner file (runners/<name>_runner.py) and one :class:`Backend` in :data:`BACKENDS` below.

Import-light on purpose (dataclasses only): the parent process reads it and must never import torch,
onnxruntime or TensorRT; a runner class is imported by name only when a run asks for it (runners/registry.py).

What still names a backend, and why:

- the backend's own code: runners/<name>_runner.py (its class's ``backend``, ONNX Runtime's providers,
  TensorRT's engine) and the profilers in runners/layer_profiles.py;
- where an artifact for one backend is made: harness/phase_a/model_artifacts.py (the checkpoint and the ONNX
  export, stored as ``model["artifacts"]["torch"]`` / ``["onnxruntime"]``: the setup config's keys, see
  :data:`ARTIFACT_KEYS`), harness/phase_a/engine_preparation.py and harness/engines/ (TensorRT engines),
  harness/phase_a/reference_outputs.py (the fp32 reference from the checkpoint, else the ONNX) and
  harness/parent/trtexec_check.py (TensorRT's own tool);
- the video models (task vos), whose image encoder alone runs on another backend: their own list and reasons in
  harness/video/plan.py (``VOS_BACKENDS``) and the rest of harness/video/;
- library versions (harness/hardware/environment.py, harness/records/run_identity.py's ``VERSION_FIELDS``) name libraries, not
  backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# What the planner loads for a backend, by kind, and the setup config's key for it (model["artifacts"][key]):
# checkpoint - the PyTorch checkpoint (.pt, TorchScript, torch.export, a built YAML);
# onnx       - the ONNX export at the run's precision, or the Q/DQ model for int8;
# onnx_fp32  - the fp32 ONNX whatever the precision (the execution provider applies fp16), or the Q/DQ model;
# engine     - a TensorRT engine per size, precision, batch and DLA core.
ARTIFACT_KEYS = {"checkpoint": "torch", "onnx": "onnxruntime", "onnx_fp32": "onnxruntime", "engine": "tensorrt"}
# Under --backend auto a model given as several files runs on its best one: .engine > .onnx > .pt > .yaml.
AUTO_FILE_ORDER = ("engine", "onnx", "pt", "yaml")
# The modes a backend may take (harness/settings/matrix.py::modes_for): a mode a backend lacks is left out of its runs.
MODES = ("channels_last", "cuda_graph", "cold_cache", "e2e", "streams", "pipeline", "dla_core")
# The thread setting --threads turns, by the library the graph executes in (harness/phase_b/run_threads.py).
THREAD_KNOBS = {"torch": "torch.set_num_threads (intra-op)", "onnxruntime": "SessionOptions.intra_op_num_threads"}
USER_RUNNER_COLOUR = "#555"


@dataclass(frozen=True)
class Backend:
    """A backend's facts. ``precisions`` are those it runs outside the video models (bf16 runs there only);
    ``cuda_precisions`` those of them that need a CUDA device where the backend itself runs without one.
    ``gpu_provider``: on a CUDA device the backend runs on the GPU only where this key of Phase A's device record
    is true (ONNX Runtime's GPU execution providers), with ``provider_name`` the provider that sets it."""

    name: str
    runner: tuple                        # (module, class) of its runners.base.Runner subclass
    artifact: Optional[str]              # a kind of ARTIFACT_KEYS; None: the planner has none for it
    precisions: tuple = ("fp32", "tf32", "fp16")
    cuda_precisions: tuple = ("fp16",)
    modes: frozenset = frozenset()       # of MODES
    device: str = "cpu or cuda"          # or "cuda": CUDA only
    no_cuda_reason: str = ""             # a CUDA-only backend's skip reason on the CPU
    gpu_provider: Optional[str] = None
    provider_name: Optional[str] = None
    framework: Optional[str] = None      # the library the graph executes in: torch, onnxruntime, tensorrt
    colour: str = USER_RUNNER_COLOUR     # its colour in the report's plots
    requires: tuple = ()                 # modules it imports (looked up, never imported, by unavailable())
    missing: str = ""                    # what to say when one of them is not installed
    compile_cache: Optional[tuple] = None  # (runner option, Phase A modes key): a cache Phase A warms for Phase B
    tunes_cudnn: bool = False            # Phase A tries cudnn.benchmark for its runs (--enable_cudnn_tuning)
    qdq_flavour: Optional[str] = None    # the Q/DQ ONNX its int8 comes from (u8s8, s8s8)
    int8_note: str = ""                  # a word on its int8, in the reason other backends give for int8
    auto_files: tuple = ()               # under --backend auto, the model files it runs (AUTO_FILE_ORDER)
    harness_default: bool = False        # a model the harness provides runs on it under --backend auto
    reference: bool = False              # the backend a model runs on when nothing picks another
    layer_profiler: Optional[str] = None  # "module:function" of its --layer_profile

    def __post_init__(self):
        """A record that names a kind, mode, device or file nobody reads is refused when the module loads."""
        problems = [f"mode {m!r}" for m in sorted(self.modes) if m not in MODES]
        problems += [f"file {f!r}" for f in self.auto_files if f not in AUTO_FILE_ORDER]
        problems += [f"CUDA precision {p!r} it does not run" for p in self.cuda_precisions if p not in self.precisions]
        if self.artifact not in (None, *ARTIFACT_KEYS):
            problems.append(f"artifact {self.artifact!r}")
        if self.device not in ("cpu or cuda", "cuda"):
            problems.append(f"device {self.device!r}")
        if self.device == "cuda" and not self.no_cuda_reason:
            problems.append("a CUDA-only backend without its no_cuda_reason")
        if problems:
            raise ValueError(f"backend {self.name}: {', '.join(problems)}")

    @property
    def artifact_key(self) -> Optional[str]:
        return ARTIFACT_KEYS.get(self.artifact) if self.artifact else None

    @property
    def built_from_onnx(self) -> bool:
        """Whether its artifact is the ONNX export or made from it (Phase A exports ONNX for it)."""
        return self.artifact_key in ("onnxruntime", "tensorrt")

    @property
    def cuda_only(self) -> bool:
        return self.device == "cuda"

    @property
    def in_torch(self) -> bool:
        """Whether its graph executes in torch (a process that runs it imports torch even on the CPU)."""
        return self.framework == "torch"

    @property
    def threads(self) -> Optional[str]:
        """The setting --threads turns for it (None: it has no thread setting of its own)."""
        return THREAD_KNOBS.get(self.framework)

    @property
    def warms_compile_cache(self) -> bool:
        return self.compile_cache is not None

    def takes(self, mode: str) -> bool:
        return mode in self.modes

    def runs_on_gpu(self, device_record: dict) -> bool:
        """Whether a run executes on the GPU: on a CUDA device, unless its GPU provider is missing."""
        if not device_record.get("cuda"):
            return False
        return self.gpu_provider is None or bool(device_record.get(self.gpu_provider))

    def unavailable(self) -> Optional[str]:
        """Why it cannot run in this Python (a required module is not installed), or None; imports nothing."""
        import importlib.util

        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                return self.missing or f"{module} is not installed"
        return None


_TORCH_FAMILY = dict(artifact="checkpoint", framework="torch", requires=("torch",),
                     missing="PyTorch is not installed (pip install torch)",
                     layer_profiler="runners.layer_profiles:torch_profile")
_ONNXRUNTIME_FAMILY = dict(framework="onnxruntime", requires=("onnxruntime",),
                           missing="ONNX Runtime is not installed (pip install onnxruntime, or onnxruntime-gpu for CUDA)")

BACKENDS = {b.name: b for b in (
    Backend("torch", ("runners.torch_runner", "TorchRunner"), **_TORCH_FAMILY, colour="#1f77b4",
            modes=frozenset({"channels_last", "cuda_graph", "e2e", "streams", "pipeline"}), tunes_cudnn=True,
            auto_files=("pt", "yaml"), harness_default=True, reference=True),
    Backend("torch_compile", ("runners.torch_compile_runner", "TorchCompileRunner"), **_TORCH_FAMILY,
            colour="#9467bd", modes=frozenset({"channels_last", "cold_cache", "e2e", "streams", "pipeline"}),
            compile_cache=("compile_cache", "compile_cache_dir")),
    Backend("onnxruntime", ("runners.onnxruntime_runner", "OnnxRuntimeRunner"), "onnx", **_ONNXRUNTIME_FAMILY,
            precisions=("fp32", "tf32", "fp16", "int8"), modes=frozenset({"e2e"}), colour="#2ca02c",
            gpu_provider="onnxruntime_cuda", provider_name="CUDAExecutionProvider", qdq_flavour="u8s8",
            int8_note="its CPU provider has int8 kernels", auto_files=("onnx",), harness_default=True,
            layer_profiler="runners.layer_profiles:onnxruntime_profile"),
    Backend("onnxruntime_trt", ("runners.onnxruntime_runner", "OnnxRuntimeTrtRunner"), "onnx_fp32",
            **_ONNXRUNTIME_FAMILY, precisions=("fp32", "fp16", "int8"), device="cuda",
            no_cuda_reason="onnxruntime_trt needs a CUDA device", colour="#8c564b", gpu_provider="onnxruntime_trt",
            provider_name="TensorrtExecutionProvider", compile_cache=("trt_cache_dir", "ort_trt_cache_dir"),
            qdq_flavour="s8s8"),
    Backend("tensorrt", ("runners.tensorrt_runner", "TensorRTRunner"), "engine",
            precisions=("fp32", "tf32", "fp16", "int8"), cuda_precisions=(),  # none singled out: it is CUDA only
            modes=frozenset({"cuda_graph", "e2e", "streams", "dla_core"}), device="cuda",
            no_cuda_reason="TensorRT needs a CUDA device", framework="tensorrt", colour="#d62728",
            requires=("tensorrt",),
            missing="TensorRT is not installed here (it comes with JetPack on a Jetson; see README)",
            qdq_flavour="s8s8", auto_files=("engine",), layer_profiler="runners.layer_profiles:tensorrt_profile"),
)}


def backend(name: str, strict: bool = True) -> Backend:
    """A built-in backend's descriptor, or for ``package.module:Class`` (a runner of your own, a Runner subclass)
    one with the defaults: fp32 / tf32 / fp16 (fp16 on CUDA), no mode, on the GPU wherever the device is CUDA, no
    artifact of the harness's (the planner skips it), no compile cache, no int8, the plots' grey. Any other name
    is an error, unless not ``strict`` (a name read back from a record): then it gets the same defaults."""
    if name in BACKENDS:
        return BACKENDS[name]
    if ":" in str(name):
        module, class_name = name.split(":", 1)
        return Backend(name, (module, class_name), None, requires=(module.split(".")[0],),
                       missing=f"{module} cannot be imported")
    if strict:
        raise ValueError(f"unknown backend {name!r}")
    return Backend(str(name), ("", ""), None)


def runs_on_gpu(name: str, device_record: dict) -> bool:
    """Whether a run of backend ``name`` executes on the GPU of ``device_record`` (Phase A's device facts): every
    backend on a CUDA device, ONNX Runtime only where its build has the GPU provider it asks for."""
    return backend(name, strict=False).runs_on_gpu(device_record)


def backend_colour(name: str) -> str:
    return backend(name, strict=False).colour


def names_with(fact) -> list:
    """The backends ``fact(descriptor)`` holds for, in BACKENDS order."""
    return [b.name for b in BACKENDS.values() if fact(b)]


def names_taking(mode: str) -> list:
    return names_with(lambda b: b.takes(mode))


def spoken_list(names, last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (``last``: the word before the last name)."""
    names = list(names)
    return f" {last} ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def artifact_priority() -> tuple:
    """((file extension, backend), ...) in the order --backend auto prefers a model's files."""
    return tuple((ext, b.name) for ext in AUTO_FILE_ORDER for b in BACKENDS.values() if ext in b.auto_files)


def reference_backend() -> str:
    return next(b.name for b in BACKENDS.values() if b.reference)
