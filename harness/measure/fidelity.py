"""How far a backend's raw outputs are from the FP32 reference on the same fixed frames.

Pure numpy. ``reference`` and ``test`` are K x ... float arrays (one row per frame).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

# The reference must move by at least this share of its largest value between two fixed frames for a match with it
# to say anything: a random-init network's outputs barely depend on the input.
INFORMATIVE_SPREAD = 1e-3
FIDELITY_PASS = "fidelity_pass"


def reference_spread(reference: np.ndarray) -> Optional[float]:
    """How much the FP32 reference differs between frames: the largest |ref_k - ref_0| over frames k > 0 and every
    element (None with fewer than two frames)."""
    reference = np.asarray(reference, dtype=np.float64)
    if len(reference) < 2:
        return None
    return float(np.max(np.abs(reference[1:] - reference[:1])))


def uninformative_why(spread: Optional[float], scale: float) -> Optional[str]:
    """Why a fidelity figure against this reference says little, or None when it is informative."""
    if spread is None:
        return "one fixed frame: how much the reference depends on its input is unknown"
    if scale > 0 and spread >= INFORMATIVE_SPREAD * scale:
        return None
    return (f"the FP32 reference changes by at most {spread:.3g} between the fixed frames ({spread / scale if scale else 0:.1e} "
            f"of its largest value, {scale:.3g}): its outputs barely depend on the input (typical of random-init "
            "weights), so a backend matching it says little")


def compare_outputs(reference: np.ndarray, test: np.ndarray) -> dict:
    """max |test - ref| over every element, and the per-frame cosine similarity of the flattened outputs."""
    reference = np.asarray(reference, dtype=np.float64)
    test = np.asarray(test, dtype=np.float64)
    if reference.shape != test.shape:
        raise ValueError(f"output shape {test.shape} differs from the reference's {reference.shape}")
    if not np.all(np.isfinite(test)):
        return {"fidelity_max_abs_err": float("inf"), "fidelity_cos_sim_min": None,
                "per_frame": [], "note": "the output contains NaN or inf"}
    per_frame = []
    for ref_row, test_row in zip(reference.reshape(len(reference), -1), test.reshape(len(test), -1)):
        norms = np.linalg.norm(ref_row) * np.linalg.norm(test_row)
        if norms > 0:
            cosine = float(np.clip(np.dot(ref_row, test_row) / norms, -1.0, 1.0))  # rounding can step past 1
        else:
            cosine = 1.0 if not ref_row.any() and not test_row.any() else 0.0
        per_frame.append({"max_abs_err": float(np.max(np.abs(test_row - ref_row))), "cos_sim": cosine})
    return {
        "fidelity_max_abs_err": max(f["max_abs_err"] for f in per_frame),
        "fidelity_cos_sim_min": min(f["cos_sim"] for f in per_frame),
        "per_frame": per_frame,
    }


def fidelity_verdict(metrics: dict, gate: Optional[tuple]) -> tuple:
    """(passed, why not judged): ``gate`` is the task's (figure, minimum). True / False when the figure is there and
    the comparison is informative; None with the reason otherwise (an uninformative match is not a pass)."""
    if gate is None:
        return None, "this task has no fidelity gate"
    figure, minimum = gate
    if metrics.get("fidelity_informative") is False:
        return None, "uninformative: the FP32 reference barely depends on its input, so no pass or fail is given"
    value = metrics.get(figure)
    if value is None:
        return None, f"{figure} was not measured"
    return bool(value >= minimum), None


def gate_text(gate: tuple) -> str:
    return f"{gate[0]} >= {gate[1]:g}"
