"""ONNX Runtime, named by what it runs: ``onnxruntime`` is the CUDA execution provider where the installed build
has it and the run's device is a GPU, else the CPU provider (never the TensorRT provider, even when a Jetson's
build lists it first); ``onnxruntime_trt`` is the TensorRT provider, with the engine cache Phase A filled, and is
skipped with the reason when the build has no TensorRT provider or the session does not put it first. GPU runs
are capped by the memory budget, inputs and outputs bound on the device with IO binding. The providers actually
used are recorded in the result."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner, unenforced
from runners.input_conversion import convert_numpy, extra_feeds
from runners.math_mode import ort_cuda_options
from runners.ort_device_binding import DeviceBinding, ort_device_id

ORT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8}


TRT_PROVIDER = "TensorrtExecutionProvider"


def trt_provider_options(device: str, precision: str, cache_dir, budget_mb=None) -> dict:
    """The TensorRT provider's options: its engine cache (built in Phase A, loaded in Phase B), fp16 / int8 (an
    int8 run's model is the symmetric Q/DQ ONNX: explicit quantization, no calibration table), the workspace at half
    the budget."""
    options = {"device_id": ort_device_id(device), "trt_engine_cache_enable": True,
               "trt_engine_cache_path": str(cache_dir), "trt_timing_cache_enable": True,
               "trt_fp16_enable": precision in ("fp16", "int8"), "trt_int8_enable": precision == "int8"}
    if budget_mb is not None:
        options["trt_max_workspace_size"] = int(budget_mb * 2**20 // 2)
    return options


def choose_providers(device: str, available: list, budget_mb=None, precision: str = "fp32",
                     trt_options: dict = None) -> list:
    """The providers to ask for, best first: with ``trt_options`` (onnxruntime_trt) the TensorRT provider, then
    CUDA for the nodes it leaves; without, CUDA. On a CUDA device without a GPU provider the run executes on the
    CPU provider and the result records that, never pretending. With a budget the CUDA provider's memory arena is
    capped at it."""
    if not device.startswith("cuda"):
        return ["CPUExecutionProvider"]
    providers = []
    if trt_options is not None and TRT_PROVIDER in available:
        providers.append((TRT_PROVIDER, trt_options))
    if "CUDAExecutionProvider" in available:
        options = {"device_id": ort_device_id(device), **ort_cuda_options(precision)}
        if budget_mb is not None:
            options.update({"gpu_mem_limit": int(budget_mb * 2**20), "arena_extend_strategy": "kSameAsRequested"})
        providers.append(("CUDAExecutionProvider", options))
    return providers + ["CPUExecutionProvider"]


class OnnxRuntimeRunner(Runner):
    backend = "onnxruntime"

    def provider_request(self, available: list) -> list:
        return choose_providers(self.device, available, self.memory_budget_mb, self.precision)

    def load(self) -> None:
        import onnxruntime as ort

        self.ort = ort
        providers = self.provider_request(ort.get_available_providers())
        on_gpu = providers[0] != "CPUExecutionProvider"
        if self.precision in ("fp16", "tf32") and not on_gpu:
            raise BackendUnavailable(f"{self.precision} ONNX needs the CUDA execution provider, which this onnxruntime "
                                     "lacks")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        if self.options.get("intra_op_threads"):
            options.intra_op_num_threads = int(self.options["intra_op_threads"])
        self.session = ort.InferenceSession(self.artifact, sess_options=options, providers=providers)
        inputs = {i.name: i for i in self.session.get_inputs()}
        model_input = inputs.get(self.input.name) or self.session.get_inputs()[0]
        self.input_name = model_input.name
        if model_input.type not in ORT_DTYPES:
            raise BackendUnavailable(f"the image input {model_input.name!r} is {model_input.type}; supported: "
                                     "float32, float16, uint8")
        self.input_dtype = ORT_DTYPES[model_input.type]
        self.extra = extra_feeds(self.input, self.batch)
        unfilled = sorted(set(inputs) - {self.input_name} - set(self.extra))
        if unfilled:
            raise BackendUnavailable(f"input(s) {', '.join(unfilled)} cannot be filled: declare them in "
                                     "<model>.model.json as \"extra_inputs\": {\"name\": {\"value\": ..., \"dtype\": ...}}")
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.used = self.session.get_providers()
        self.check_providers()
        self.on_gpu = self.used[0] in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
        self.io = None
        if self.on_gpu:
            import torch

            self.io = DeviceBinding(ort, self.session, torch, self.device, self.input, self.input_name,
                                    self.input_dtype, self.image_input_shape(), self.extra, self.output_names)
        if self.on_gpu and self.memory_budget_mb is not None:
            self.memory_limit = {"limit_mb": self.memory_budget_mb, "limit_type": "hard",
                                 "mechanism": "CUDA execution provider gpu_mem_limit (arena, kSameAsRequested)",
                                 "note": "caps ONNX Runtime's CUDA memory arena; cuDNN workspaces and the CUDA context "
                                         "are outside it"}
        else:
            self.memory_limit = unenforced(self.memory_budget_mb if self.on_gpu else None,
                                           "runs on the CPU execution provider: no GPU memory is used")

    def check_providers(self) -> None:
        """The plain ONNX Runtime backend runs whatever of CUDA / CPU the session took (recorded)."""

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        """On the CPU provider the host is the device: convert there. On a GPU provider: copy the uint8 batch and
        convert on the GPU, into the input buffer bound at load (like torch and TensorRT)."""
        if self.io is None:
            return convert_numpy(frames_nchw_uint8, self.input, self.input_dtype)
        return self.io.prepare(frames_nchw_uint8)

    def infer(self, inputs: Any) -> Any:
        if self.io is None:
            return self.session.run(self.output_names, {self.input_name: inputs, **self.extra})
        return self.io.run()  # returns when the device work is done

    def gpu_timing_unavailable(self) -> str:
        if getattr(self, "on_gpu", False):
            return ("ONNX Runtime's CUDA provider runs on its own internal stream: no CUDA events can bracket its work, "
                    "so only the host end-to-end latency is measured")
        return "the run executes on ONNX Runtime's CPU provider: there is no GPU compute time"

    def to_numpy(self, outputs: Any) -> list:
        if self.io is not None:
            outputs = [o.numpy() for o in outputs]
        return [np.asarray(o, dtype=np.float32) for o in outputs]

    def cleanup(self) -> None:
        gc.collect()

    def release(self) -> None:
        self.session = self.io = None
        gc.collect()

    def describe(self) -> dict:
        used = getattr(self, "used", [])
        return {
            **super().describe(),
            "providers": used,
            "execution_device": self.device if getattr(self, "on_gpu", False) else "cpu",
            "io_binding": getattr(self, "io", None) is not None,
            "outputs_bound_once": getattr(self, "io", None) is not None and not self.io.rebinds_outputs,
            "input_dtype": np.dtype(self.input_dtype).name if hasattr(self, "input_dtype") else None,
            "cuda_provider_options": self._cuda_options(),
            "onnxruntime_threads": self._threads(),
        }

    def _threads(self) -> dict:
        """The session's configured threads (0: ONNX Runtime's default) and execution mode."""
        session = getattr(self, "session", None)
        if session is None:
            return {}
        options = session.get_session_options()
        return {"intra_op": options.intra_op_num_threads, "inter_op": options.inter_op_num_threads,
                "execution_mode": "parallel" if options.execution_mode == self.ort.ExecutionMode.ORT_PARALLEL
                else "sequential"}

    def _cuda_options(self) -> dict:
        """The CUDA provider's options as the session applied them (use_tf32 among them), or {}."""
        session = getattr(self, "session", None)
        if session is None or not getattr(self, "on_gpu", False):
            return {}
        return dict(session.get_provider_options().get("CUDAExecutionProvider", {}))


class OnnxRuntimeTrtRunner(OnnxRuntimeRunner):
    """ONNX Runtime's TensorRT execution provider; the engine cache directory comes from Phase A
    (runner option ``trt_cache_dir``)."""

    backend = "onnxruntime_trt"

    def provider_request(self, available: list) -> list:
        if TRT_PROVIDER not in available:
            raise BackendUnavailable("onnxruntime_trt needs ONNX Runtime's TensorRT execution provider, which this "
                                     f"onnxruntime lacks (it has {', '.join(available)})")
        if not self.device.startswith("cuda"):
            raise BackendUnavailable("onnxruntime_trt needs a CUDA device")
        cache = self.options.get("trt_cache_dir") or "ort_trt_cache"
        return choose_providers(self.device, available, self.memory_budget_mb, self.precision,
                                trt_provider_options(self.device, self.precision, cache, self.memory_budget_mb))

    def check_providers(self) -> None:
        if not self.used or self.used[0] != TRT_PROVIDER:
            raise BackendUnavailable(f"the session did not take the TensorRT execution provider (it runs on "
                                     f"{', '.join(self.used)}): no silent fallback")
