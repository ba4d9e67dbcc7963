"""The precision vocabulary: what a run's ``--precision`` names, what its artifact is and what its fp32 math means.
Pure Python, below everything that speaks of precisions (the planner, run identity, results, engines, runners);
how each backend applies a precision stays with the backend (runners/math_mode.py)."""

from __future__ import annotations

PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8")  # tf32: fp32 models, TF32 tensor-core math on CUDA; bf16: the
# video models (vos) only
STRICT_FP32 = "fp32 (TF32 off)"
TF32_ON_CPU = "tf32 is a GPU tensor-core math mode; this run executes on the CPU, where fp32 is already strict fp32"


def needs_cuda(precision: str, device: dict) -> str:
    """Why a run of ``precision`` cannot be made on a device without CUDA (``device``: the resolved device facts)."""
    return f"{precision} needs a CUDA device; this run's device is {device['resolved']}"


def tf32_allowed(precision: str):
    """True (tf32), False (fp32) or None (the library's default is left alone)."""
    return {"tf32": True, "fp32": False}.get(precision)


def model_precision(precision: str) -> str:
    """The artifact precision a run loads: a tf32 run uses the fp32 model (only the math mode differs)."""
    return "fp32" if precision == "tf32" else precision
