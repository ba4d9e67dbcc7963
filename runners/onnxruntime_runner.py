"""ONNX Runtime: CPU execution provider everywhere; the TensorRT and CUDA providers when the installed
build has them (capped by the memory budget, inputs and outputs bound on the device with IO binding).
The providers actually used are recorded in the result."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner, unenforced


def _device_id(device: str) -> int:
    return int(device.split(":", 1)[1]) if ":" in device else 0


def choose_providers(device: str, available: list, budget_mb=None) -> list:
    """The providers to ask for, best first. On a CUDA device without a GPU provider we say so (the run
    executes on the CPU provider and the result records that), never pretend. With a budget the CUDA
    provider's memory arena is capped at it and TensorRT's workspace at half of it."""
    if not device.startswith("cuda"):
        return ["CPUExecutionProvider"]
    providers = []
    if "TensorrtExecutionProvider" in available:
        options = {"device_id": _device_id(device)}
        if budget_mb is not None:
            options["trt_max_workspace_size"] = int(budget_mb * 2**20 // 2)
        providers.append(("TensorrtExecutionProvider", options))
    if "CUDAExecutionProvider" in available:
        options = {"device_id": _device_id(device)}
        if budget_mb is not None:
            options.update({"gpu_mem_limit": int(budget_mb * 2**20), "arena_extend_strategy": "kSameAsRequested"})
        providers.append(("CUDAExecutionProvider", options))
    return providers + ["CPUExecutionProvider"]


class OnnxRuntimeRunner(Runner):
    backend = "onnxruntime"

    def load(self) -> None:
        import onnxruntime as ort

        self.ort = ort
        providers = choose_providers(self.device, ort.get_available_providers(), self.memory_budget_mb)
        on_gpu = providers[0] != "CPUExecutionProvider"
        if self.precision == "fp16" and not on_gpu:
            raise BackendUnavailable("fp16 ONNX needs the CUDA execution provider, which this onnxruntime lacks")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(self.artifact, sess_options=options, providers=providers)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.input_dtype = np.float16 if "float16" in model_input.type else np.float32
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.used = self.session.get_providers()
        self.on_gpu = self.used[0] in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
        self.io = self.session.io_binding() if self.on_gpu else None
        if self.on_gpu and self.memory_budget_mb is not None:
            self.memory_limit = {"limit_mb": self.memory_budget_mb, "limit_type": "hard",
                                 "mechanism": "CUDA execution provider gpu_mem_limit (arena, kSameAsRequested)",
                                 "note": "caps ONNX Runtime's CUDA memory arena; cuDNN workspaces and the CUDA context "
                                         "are outside it"}
        else:
            self.memory_limit = unenforced(self.memory_budget_mb if self.on_gpu else None,
                                           "runs on the CPU execution provider: no GPU memory is used")

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        x = frames_nchw_uint8.astype(self.input_dtype)
        x /= self.input_dtype(255.0)
        if self.io is None:
            return x
        return self.ort.OrtValue.ortvalue_from_numpy(x, "cuda", _device_id(self.device))  # the copy to the GPU

    def infer(self, inputs: Any) -> Any:
        if self.io is None:
            return self.session.run(self.output_names[:1], {self.input_name: inputs})[0]
        self.io.bind_ortvalue_input(self.input_name, inputs)
        self.io.bind_output(self.output_names[0], "cuda", _device_id(self.device))
        self.session.run_with_iobinding(self.io)  # returns when the device work is done
        return self.io.get_outputs()[0]

    def gpu_timing_unavailable(self) -> str:
        if getattr(self, "on_gpu", False):
            return ("ONNX Runtime's CUDA provider runs on its own internal stream: no CUDA events can bracket its work, "
                    "so only the host end-to-end latency is measured")
        return "the run executes on ONNX Runtime's CPU provider: there is no GPU compute time"

    def to_numpy(self, outputs: Any) -> np.ndarray:
        if self.io is not None:
            outputs = outputs.numpy()
        return np.asarray(outputs, dtype=np.float32)

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
            "input_dtype": np.dtype(self.input_dtype).name if hasattr(self, "input_dtype") else None,
        }
