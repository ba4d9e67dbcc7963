"""Load the video model a ``vos`` run names, onto its device in its dtype, and release it.

The run's artifact is a small model card Phase A wrote (JSON): the architecture, the input size, and where the
weights come from — a Hugging Face folder, or random-init from the architecture with a seed — and, for an
onnxruntime or tensorrt run, its exported image encoder (an ONNX file, or a TensorRT engine built from it).
"""

from __future__ import annotations

import gc
import importlib.util
from dataclasses import dataclass

from harness.files.atomic_io import read_json
from harness.video.encoder_tensorrt import TRT_BACKEND
from harness.video.session import DTYPES
from runners.base import BackendUnavailable
from runners.math_mode import apply_torch_math_mode
from runners.torch_runner import apply_torch_memory_fraction


@dataclass
class LoadedVosModel:
    model: object
    processor: object
    size: int
    card: dict
    device: str
    precision: str
    torch_settings: dict
    memory_limit: dict
    encoder: object = None    # OnnxEncoder / TrtEncoder when the card names an exported encoder

    def describe(self) -> dict:
        encoder = {"backend": "torch"}
        if self.encoder is not None and self.card["encoder"].get("backend") == TRT_BACKEND:
            encoder = {"backend": TRT_BACKEND, "engine": self.card["encoder"]["engine"],
                       "onnx": self.card["encoder"].get("onnx"), "tensorrt": self.encoder.tensorrt}
        elif self.encoder is not None:
            encoder = {"backend": "onnxruntime", "onnx": self.card["encoder"]["onnx"], "providers": self.encoder.providers}
        return {"backend": encoder["backend"], "image_encoder": encoder,
                "library": "transformers", "model_class": type(self.model).__name__,
                "device": self.device, "precision": self.precision, "dtype": DTYPES[self.precision],
                "input_size": self.size, "architecture": self.card.get("architecture"),
                "weights": self.card.get("weights"), "torch_math": self.torch_settings,
                "memory_limit": self.memory_limit}

    def release(self) -> None:
        self.model = None
        if hasattr(self.encoder, "release"):  # TensorRT's context before its engine, the engine before its runtime
            self.encoder.release()
        self.encoder = None
        self.processor = None
        gc.collect()


def load_vos_model(card_path: str, precision: str, torch_module, device: str, budget_mb=None) -> LoadedVosModel:
    """Build or load the model of ``card_path`` on ``device`` in the precision's dtype, under the run's GPU memory
    budget (a hard cap on the process's torch allocations, as for every torch run)."""
    if importlib.util.find_spec("transformers") is None:
        raise BackendUnavailable("the vos models need transformers: pip install 'jetson-benchmark[vos]'")
    from harness.video.models import make_processor

    card = read_json(card_path)
    if precision in ("fp16", "bf16") and not device.startswith("cuda"):
        raise BackendUnavailable(f"{precision} needs a CUDA device; this run's device is {device}")
    memory_limit = apply_torch_memory_fraction(torch_module, torch_module.device(device), budget_mb)
    settings = apply_torch_math_mode(torch_module, precision)
    dtype = getattr(torch_module, DTYPES[precision])
    model = model_from_card(card).to(device=device, dtype=dtype)
    encoder = image_encoder(card, torch_module, device, dtype, budget_mb) if card.get("encoder") else None
    if device.startswith("cuda"):
        torch_module.cuda.synchronize(device)
    return LoadedVosModel(model, make_processor(int(card["size"])), int(card["size"]), card, device, precision,
                          settings, memory_limit, encoder)


def model_from_card(card: dict):
    """The card's model on the CPU in fp32: its Hugging Face folder, or the architecture random-init with its seed."""
    from harness.video.models import architecture_of, build_random, load_folder

    weights = card["weights"]
    if weights["kind"] == "folder":
        return load_folder(weights["folder"])
    return build_random(architecture_of(card["architecture"]), int(card["size"]), int(weights.get("seed", 0)))


def image_encoder(card: dict, torch_module, device: str, dtype, budget_mb=None):
    """The card's exported image encoder: a TensorRT engine (``"backend": "tensorrt"``), else its ONNX on ONNX
    Runtime. Without TensorRT, or without a CUDA device, the engine raises BackendUnavailable (the run is skipped
    with the reason)."""
    if card["encoder"].get("backend") != TRT_BACKEND:
        return onnx_encoder(card, torch_module, device, dtype, budget_mb)
    from harness.video.encoder_tensorrt import TrtEncoder

    return TrtEncoder(card["encoder"]["engine"], int(card["size"]), card["encoder"].get("precision", "fp32"),
                      torch_module, device, dtype, budget_mb)


def onnx_encoder(card: dict, torch_module, device: str, dtype, budget_mb=None):
    """The card's exported image encoder on ONNX Runtime (CUDA provider on a GPU, else the CPU)."""
    if importlib.util.find_spec("onnxruntime") is None:
        raise BackendUnavailable("the exported image encoder needs onnxruntime")
    import onnxruntime as ort

    from runners.onnxruntime_runner import choose_providers
    from harness.video.encoder_onnx import OnnxEncoder

    providers = choose_providers(device, ort.get_available_providers(), budget_mb)
    return OnnxEncoder(card["encoder"]["onnx"], providers, torch_module, device, dtype)
