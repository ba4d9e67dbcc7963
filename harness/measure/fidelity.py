"""How far a backend's raw outputs are from the FP32 reference on the same fixed frames.

Pure numpy. ``reference`` and ``test`` are K x ... float arrays (one row per frame).
"""

from __future__ import annotations

import numpy as np


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
