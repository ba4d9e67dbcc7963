"""ONNX Runtime: CPU execution provider everywhere; the CUDA provider when the installed build has it."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from runners.base import BackendUnavailable, Runner, unenforced


def choose_providers(device: str, available: list, budget_mb=None) -> list:
    """The providers to ask for, best first. On a CUDA device without the CUDA provider we say so
    (the run executes on the CPU provider and the result records that), never pretend. With a budget the
    CUDA provider's memory arena is capped at it."""
    if device.startswith("cuda") and "CUDAExecutionProvider" in available:
        options = {"device_id": int(device.split(":", 1)[1]) if ":" in device else 0}
        if budget_mb is not None:
            options.update({"gpu_mem_limit": int(budget_mb * 2**20), "arena_extend_strategy": "kSameAsRequested"})
        return [("CUDAExecutionProvider", options), "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxRuntimeRunner(Runner):
    backend = "onnxruntime"

    def load(self) -> None:
        import onnxruntime as ort

        providers = choose_providers(self.device, ort.get_available_providers(), self.memory_budget_mb)
        on_gpu = providers[0] != "CPUExecutionProvider"
        if on_gpu and self.memory_budget_mb is not None:
            self.memory_limit = {"limit_mb": self.memory_budget_mb, "limit_type": "hard",
                                 "mechanism": "CUDA execution provider gpu_mem_limit (arena, kSameAsRequested)",
                                 "note": "caps ONNX Runtime's CUDA memory arena; cuDNN workspaces and the CUDA context "
                                         "are outside it"}
        else:
            self.memory_limit = unenforced(self.memory_budget_mb if on_gpu else None,
                                           "runs on the CPU execution provider: no GPU memory is used")
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

    def prepare(self, frames_nchw_uint8: np.ndarray) -> Any:
        x = frames_nchw_uint8.astype(self.input_dtype)
        x /= self.input_dtype(255.0)
        return x

    def infer(self, inputs: Any) -> Any:
        return self.session.run(self.output_names[:1], {self.input_name: inputs})[0]

    def to_numpy(self, outputs: Any) -> np.ndarray:
        return np.asarray(outputs, dtype=np.float32)

    def cleanup(self) -> None:
        gc.collect()

    def release(self) -> None:
        self.session = None
        gc.collect()

    def describe(self) -> dict:
        used = self.session.get_providers() if getattr(self, "session", None) else []
        return {
            **super().describe(),
            "providers": used,
            "execution_device": "cpu" if (not used or used[0] == "CPUExecutionProvider") else self.device,
            "input_dtype": np.dtype(self.input_dtype).name,
        }
