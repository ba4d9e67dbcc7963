"""Load the video model a ``vos`` run names, onto its device in its dtype, and release it.

The run's artifact is a small model card Phase A wrote (JSON): the architecture, the input size, and where the
weights come from — a Hugging Face folder, or random-init from the architecture with a seed.
"""

from __future__ import annotations

import gc
import importlib.util
from dataclasses import dataclass

from harness.atomic_io import read_json
from runners.base import BackendUnavailable
from runners.math_mode import apply_torch_math_mode
from runners.torch_runner import apply_torch_memory_fraction
from runners.vos_session import DTYPES


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

    def describe(self) -> dict:
        return {"backend": "torch", "library": "transformers", "model_class": type(self.model).__name__,
                "device": self.device, "precision": self.precision, "dtype": DTYPES[self.precision],
                "input_size": self.size, "architecture": self.card.get("architecture"),
                "weights": self.card.get("weights"), "torch_math": self.torch_settings,
                "memory_limit": self.memory_limit}

    def release(self) -> None:
        self.model = None
        self.processor = None
        gc.collect()


def load_vos_model(card_path: str, precision: str, torch_module, device: str, budget_mb=None) -> LoadedVosModel:
    """Build or load the model of ``card_path`` on ``device`` in the precision's dtype, under the run's GPU memory
    budget (a hard cap on the process's torch allocations, as for every torch run)."""
    if importlib.util.find_spec("transformers") is None:
        raise BackendUnavailable("the vos models need transformers: pip install 'jetson-benchmark[vos]'")
    from runners.vos_models import architecture_of, build_random, load_folder, make_processor

    card = read_json(card_path)
    if precision in ("fp16", "bf16") and not device.startswith("cuda"):
        raise BackendUnavailable(f"{precision} needs a CUDA device; this run's device is {device}")
    memory_limit = apply_torch_memory_fraction(torch_module, torch_module.device(device), budget_mb)
    settings = apply_torch_math_mode(torch_module, precision)
    weights = card["weights"]
    if weights["kind"] == "folder":
        model = load_folder(weights["folder"])
    else:
        model = build_random(architecture_of(card["architecture"]), int(card["size"]), int(weights.get("seed", 0)))
    model = model.to(device=device, dtype=getattr(torch_module, DTYPES[precision]))
    if device.startswith("cuda"):
        torch_module.cuda.synchronize(device)
    return LoadedVosModel(model, make_processor(int(card["size"])), int(card["size"]), card, device, precision,
                          settings, memory_limit)
