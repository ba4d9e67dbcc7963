"""TensorRT: a serialized engine (``.engine``, plain plan or Ultralytics layout) run through the name-based
tensor API that TensorRT 8.5.2, 8.6 and 10.x share (``set_input_shape``, ``set_tensor_address``,
``execute_async_v3``; what differs is chosen by presence: docs/backends.md's version table) on a CUDA stream of its
own, with optional CUDA graph replay, on the GPU or on the DLA core the run names (``--dla_core``).

Input and output buffers are torch CUDA tensors of the engine's own dtypes, allocated once at load. A
measured pass is: copy the uint8 batch to the device, convert it to the engine's input dtype (floats are
divided by 255), enqueue the engine, synchronize the stream.
"""

from __future__ import annotations

import gc
from typing import Any, Optional, Sequence

import numpy as np

from runners.backends import BACKENDS
from runners.base import BackendUnavailable, Runner, unenforced
from runners.input_conversion import convert_torch

MB = 2**20
TENSORRT_MISSING = BACKENDS["tensorrt"].missing
REBUILD_HINT = "the harness on this device with --force, or delete the .engine and its .json sidecar"
# TensorRT DataType name -> torch dtype name (FP8 / INT4 are never engine I/O here).
TORCH_DTYPE_NAMES = {"FLOAT": "float32", "HALF": "float16", "BF16": "bfloat16", "INT8": "int8", "UINT8": "uint8",
                     "INT32": "int32", "INT64": "int64", "BOOL": "bool"}
MEMORY_MECHANISM = "workspace limit at build time + activation memory check before the execution context"
MEMORY_NOTE = ("the builder's workspace pool was capped when the engine was built (see its sidecar); before the "
               "execution context is created, the engine's activation memory, its plan size (weights) and the "
               "input/output buffers are checked against the budget. TensorRT does not cap its own allocations "
               "at run time, and the CUDA context is outside the check")


class EngineMemoryExceeded(MemoryError):
    """The engine needs more device memory than the run's budget (recorded as skipped_oom)."""


def trt_dtype_name(trt_dtype) -> str:
    return getattr(trt_dtype, "name", None) or str(trt_dtype).split(".")[-1]


def torch_dtype_name(trt_dtype) -> str:
    """The torch dtype name for a TensorRT DataType (by its enum name: FLOAT -> float32, HALF -> float16...)."""
    name = trt_dtype_name(trt_dtype)
    if name not in TORCH_DTYPE_NAMES:
        raise BackendUnavailable(f"engine I/O of TensorRT type {name} is not supported by this runner")
    return TORCH_DTYPE_NAMES[name]


def resolve_input_shape(engine_shape: Sequence[int], batch: int, imgsz, layout: str = "nchw", channels: int = 3) -> tuple:
    """The concrete input shape for this run: -1 dimensions take the batch, the channels and the size (an int
    for a square one, or (height, width)); a fixed dimension that disagrees with the run makes it impossible
    here (BackendUnavailable)."""
    shape = [int(d) for d in engine_shape]
    if len(shape) != 4:
        raise BackendUnavailable(f"expected a rank-4 image input, the engine's input has shape {shape}")
    height, width = (imgsz, imgsz) if isinstance(imgsz, int) else tuple(imgsz)
    wanted = [batch, height, width, channels] if layout == "nhwc" else [batch, channels, height, width]
    resolved = []
    for axis, (have, want) in enumerate(zip(shape, wanted)):
        if have not in (-1, want):
            what = "batch" if axis == 0 else layout.upper()[axis]
            raise BackendUnavailable(f"the engine has a fixed {what} of {have}, this run needs {want} "
                                     f"(rebuild the engine for it)")
        resolved.append(want)
    return tuple(resolved)


def profile_problem(shape: Sequence[int], profile_min: Sequence[int], profile_max: Sequence[int]) -> Optional[str]:
    """Why ``shape`` is outside the engine's optimization profile, or None when it is inside."""
    if all(lo <= s <= hi for s, lo, hi in zip(shape, profile_min, profile_max)):
        return None
    return (f"input shape {tuple(shape)} is outside the engine's optimization profile "
            f"{tuple(profile_min)}..{tuple(profile_max)} (rebuild the engine for this batch)")


def engine_activation_bytes(engine) -> int:
    """Activation (scratch) memory an execution context needs: ``device_memory_size_v2`` on TensorRT 10,
    ``device_memory_size`` on 8.6."""
    if hasattr(engine, "device_memory_size_v2"):
        return int(engine.device_memory_size_v2)
    return int(engine.device_memory_size)


def memory_problem(activation_bytes: int, plan_bytes: int, io_bytes: int, budget_mb: Optional[float]) -> Optional[str]:
    """A one-line reason when activation memory + the plan (weights) + I/O buffers exceed the budget."""
    if budget_mb is None:
        return None
    total = activation_bytes + plan_bytes + io_bytes
    if total <= budget_mb * MB:
        return None
    return (f"TensorRT activation memory {activation_bytes / MB:.1f} MiB + engine plan {plan_bytes / MB:.1f} MiB + "
            f"input/output buffers {io_bytes / MB:.1f} MiB = {total / MB:.1f} MiB exceeds the {budget_mb:g} MiB budget")


def select_dla_core(runtime, core: Optional[int]) -> None:
    """A DLA engine runs on the core the runtime names before deserializing (``IRuntime.DLA_core``, TensorRT 8.5.2
    to 10.x); a core this device does not have makes the run impossible here."""
    from harness.hardware.dla_cores import missing_core

    if core is None:
        return
    problem = missing_core(core, int(runtime.num_DLA_cores))
    if problem:
        raise BackendUnavailable(problem)
    runtime.DLA_core = int(core)


def layer_placement(trt, engine, built_for_dla: bool) -> dict:
    """How many of the engine's layers run on a DLA core and on the GPU, from the engine inspector's layer
    information; ``{"unavailable": why}`` when the inspector cannot say."""
    from harness.engines.layer_info import LayerInfoError, engine_information_json, parse_layer_info, placement_counts

    try:
        return placement_counts(parse_layer_info(engine_information_json(trt, engine)), built_for_dla)
    except (LayerInfoError, AttributeError, RuntimeError, TypeError) as exc:
        return {"unavailable": f"the engine inspector gave no layer information: {type(exc).__name__}: {exc}"[:300]}


class TensorRTRunner(Runner):
    backend = "tensorrt"

    def load(self) -> None:
        try:
            import tensorrt as trt
        except Exception as exc:  # missing, or its shared libraries are
            raise BackendUnavailable(f"{TENSORRT_MISSING}: {exc}") from exc
        import torch

        from harness.files.artifact_sidecar import read_sidecar
        from harness.engines.engine_file import read_engine_file
        from harness.engines.platform_fingerprint import current_platform, engine_mismatch
        from harness.engines.trt_build import allocation_failure_evidence, make_error_recorder

        if not self.device.startswith("cuda") or not torch.cuda.is_available():
            raise BackendUnavailable("TensorRT needs a CUDA device")
        self.trt, self.torch = trt, torch
        self.graph = None
        self.torch_device = torch.device(self.device)
        torch.cuda.set_device(self.torch_device)
        self.engine_file = read_engine_file(self.artifact)
        stored = (read_sidecar(self.artifact) or {}).get("platform")
        if stored:
            here = current_platform(torch, trt, device_index=self.torch_device.index or 0)
            mismatch = engine_mismatch(stored, here, self.options.get("rebuild_hint", REBUILD_HINT))
            if mismatch:
                raise BackendUnavailable(mismatch)

        self.recorder = make_error_recorder(trt)()
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        self.runtime.error_recorder = self.recorder
        select_dla_core(self.runtime, self.options.get("dla_core"))
        self.engine = self.runtime.deserialize_cuda_engine(self.engine_file.plan)
        if self.engine is None:
            raise RuntimeError(f"TensorRT {trt.__version__} could not deserialize {self.artifact}: an engine only loads "
                               f"on the GPU architecture and TensorRT version it was built with "
                               f"({self._recorded_errors() or 'no error recorded'})")
        self.layer_placement = layer_placement(trt, self.engine, self.options.get("dla_core") is not None)
        self.memory_limit = (unenforced(None, "") if self.memory_budget_mb is None else
                             {"limit_mb": self.memory_budget_mb, "limit_type": "preflight", "mechanism": MEMORY_MECHANISM,
                              "note": MEMORY_NOTE})
        plan_bytes = len(self.engine_file.plan)
        self.activation_bytes = engine_activation_bytes(self.engine)
        problem = memory_problem(self.activation_bytes, plan_bytes, 0, self.memory_budget_mb)
        if problem:
            raise EngineMemoryExceeded(problem)

        self.context = self.engine.create_execution_context()
        if self.context is None:
            errors = self.recorder.errors
            evidence = allocation_failure_evidence(errors)
            if evidence:
                raise EngineMemoryExceeded(f"TensorRT could not allocate the execution context: {evidence}")
            raise RuntimeError(f"TensorRT could not create an execution context ({self._recorded_errors() or 'no error recorded'})")
        self._bind_tensors(plan_bytes)
        self.stream = torch.cuda.Stream(self.torch_device)
        if self.options.get("cuda_graph"):
            self._capture_graph()

    def _recorded_errors(self) -> str:
        recorder = getattr(self, "recorder", None)
        return "; ".join(f"{e['code']}: {e['desc']}" for e in recorder.errors) if recorder is not None else ""

    def _bind_tensors(self, plan_bytes: int) -> None:
        trt, torch, engine = self.trt, self.torch, self.engine
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1 or not outputs:
            raise BackendUnavailable(f"this runner feeds engines with one image input and at least one output; "
                                     f"this one has inputs {inputs} and outputs {outputs}")
        self.input_name, self.output_names = inputs[0], outputs
        engine_shape = tuple(engine.get_tensor_shape(self.input_name))
        self.input_shape = resolve_input_shape(engine_shape, self.batch, (self.input.height, self.input.width),
                                               self.input.layout, self.input.channels)
        if -1 in engine_shape:
            low, _, high = engine.get_tensor_profile_shape(self.input_name, 0)
            problem = profile_problem(self.input_shape, tuple(low), tuple(high))
            if problem:
                raise BackendUnavailable(problem)
            if not self.context.set_input_shape(self.input_name, self.input_shape):
                raise RuntimeError(f"set_input_shape({self.input_name}, {self.input_shape}) was refused")
        shapes = {self.input_name: self.input_shape}
        for name in outputs:
            shape = tuple(self.context.get_tensor_shape(name))
            if any(d < 0 for d in shape):
                raise BackendUnavailable(f"output {name} has a data-dependent shape {shape}, which this runner cannot size")
            shapes[name] = shape
        dtypes = {name: getattr(torch, torch_dtype_name(engine.get_tensor_dtype(name))) for name in [self.input_name] + outputs}
        io_bytes = sum(int(np.prod(shapes[n])) * torch.empty((), dtype=dtypes[n]).element_size() for n in shapes)
        io_bytes += int(np.prod(self.input_shape))  # the uint8 staging copy of the input (NCHW, as stored)
        problem = memory_problem(self.activation_bytes, plan_bytes, io_bytes, self.memory_budget_mb)
        if problem:
            raise EngineMemoryExceeded(problem)
        self.io_bytes = io_bytes
        self.buffers = {name: torch.empty(shapes[name], dtype=dtypes[name], device=self.torch_device) for name in shapes}
        for name, tensor in self.buffers.items():
            if not self.context.set_tensor_address(name, int(tensor.data_ptr())):
                raise RuntimeError(f"set_tensor_address({name}) was refused")
        self.staging = torch.empty(self.image_input_shape() if self.input.layout == "nchw" else
                                   (self.batch, 3, self.input.height, self.input.width), dtype=torch.uint8,
                                   device=self.torch_device)
        self.input_normalized = self.buffers[self.input_name].is_floating_point()
        self.io_tensors = [{"name": n, "mode": "input" if n == self.input_name else "output", "shape": list(shapes[n]),
                            "dtype": str(dtypes[n]).replace("torch.", "")} for n in [self.input_name] + outputs]

    def _enqueue(self) -> None:
        if not self.context.execute_async_v3(self.stream.cuda_stream):
            raise RuntimeError(f"execute_async_v3 failed ({self._recorded_errors() or 'no error recorded'})")

    def _capture_graph(self) -> None:
        """Capture one enqueue in a CUDA graph after a warm call (TensorRT finishes its lazy setup there)."""
        torch = self.torch
        try:
            with torch.cuda.stream(self.stream):
                self.buffers[self.input_name].zero_()
            self._enqueue()
            self.stream.synchronize()
            graph = torch.cuda.CUDAGraph()
            try:
                capture = torch.cuda.graph(graph, stream=self.stream, capture_error_mode="thread_local")
            except TypeError:  # older torch without capture_error_mode
                capture = torch.cuda.graph(graph, stream=self.stream)
            with capture:
                self._enqueue()
            self.stream.synchronize()
        except Exception as exc:
            raise BackendUnavailable(f"CUDA graph capture of the TensorRT engine failed: {type(exc).__name__}: {exc}") from exc
        self.graph = graph

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        host = self.torch.from_numpy(np.ascontiguousarray(frames_nchw_uint8))
        if tuple(host.shape) != tuple(self.staging.shape):
            raise ValueError(f"batch of shape {tuple(host.shape)}, the engine's input is {self.input_shape}")
        target = self.buffers[self.input_name]
        with self.torch.cuda.stream(self.stream):
            self.staging.copy_(host)
            target.copy_(convert_torch(self.staging, self.input, target.dtype, self.torch))
        return target

    def infer(self, inputs: Any) -> Any:
        if self.graph is not None:
            with self.torch.cuda.stream(self.stream):
                self.graph.replay()
        else:
            self._enqueue()
        return [self.buffers[name] for name in self.output_names]

    def synchronize(self) -> None:
        self.stream.synchronize()

    def gpu_stream(self):
        return self.stream

    def to_numpy(self, outputs: Any) -> list:
        self.stream.synchronize()
        return [o.detach().float().cpu().numpy() for o in outputs]

    def cleanup(self) -> None:
        gc.collect()
        if getattr(self, "torch", None) is not None:
            self.torch.cuda.empty_cache()

    def release(self) -> None:
        # The graph and context go before the engine, the engine before the runtime.
        for attr in ("graph", "context", "buffers", "staging", "engine", "runtime", "stream"):
            if hasattr(self, attr):
                setattr(self, attr, None)
        self.cleanup()

    def describe(self) -> dict:
        info = {**super().describe(), "tensorrt": getattr(getattr(self, "trt", None), "__version__", None)}
        engine_file = getattr(self, "engine_file", None)
        if engine_file is not None:
            info["engine_format"] = engine_file.format
            if engine_file.metadata:
                info["engine_metadata"] = {k: engine_file.metadata[k] for k in
                                           ("version", "imgsz", "batch", "half", "int8", "dynamic", "task")
                                           if k in engine_file.metadata}
        info["io_tensors"] = getattr(self, "io_tensors", None)
        if hasattr(self, "activation_bytes"):
            info["activation_mb"] = round(self.activation_bytes / MB, 3)
        info["cuda_graph"] = getattr(self, "graph", None) is not None
        info["dla_core"] = self.options.get("dla_core")
        info["layer_placement"] = getattr(self, "layer_placement", None)
        info["input_normalized"] = getattr(self, "input_normalized", None)
        return info
