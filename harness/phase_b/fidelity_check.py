"""After the measured passes (outside the timed region): run the backend on the reference frames and
compare its raw outputs with the FP32 reference Phase A stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.measure.fidelity import compare_outputs
from harness.phase_a.reference_outputs import load_frames

FIGURES = ("fidelity_max_abs_err", "fidelity_cos_sim_min", "fidelity_box_match_pct")


def backend_outputs(runner, frames: np.ndarray, batch: int) -> np.ndarray:
    """The runner's outputs for ``frames``, run at its own batch size (short batches padded by repeating)."""
    rows = []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        padded = chunk[np.arange(batch) % len(chunk)]
        outputs = runner.infer(runner.prepare(np.ascontiguousarray(padded)))
        runner.synchronize()
        rows.append(runner.to_numpy(outputs)[: len(chunk)])
    return np.concatenate(rows)


def check_fidelity(runner, planned: dict, setup: dict, config_path: Path) -> tuple:
    """Returns (metrics, details, unavailable)."""
    reference = (planned.get("extra") or {}).get("reference")
    if not reference:
        reason = ((planned.get("extra") or {}).get("reference_error") or
                  "no FP32 reference: the model has no artifact that runs in fp32 on the CPU, or --fidelity_frames 0")
        return {name: None for name in FIGURES}, {}, {name: reason for name in FIGURES}
    expected = np.load(reference["path"])["output"]
    frames = load_frames(reference["frames"], setup["dataset"]["sequences"], Path(config_path).parent,
                         int(planned["imgsz"]))
    actual = backend_outputs(runner, frames, int(planned["batch"]))
    unavailable = {}
    try:
        comparison = compare_outputs(expected, actual)
    except ValueError as exc:
        return {name: None for name in FIGURES}, {}, {name: str(exc) for name in FIGURES}
    metrics = {k: comparison[k] for k in ("fidelity_max_abs_err", "fidelity_cos_sim_min")}
    details = {"reference": reference["computed_with"], "frames": reference["frames"], "per_frame": comparison["per_frame"]}
    if reference.get("task") == "detect" and expected.ndim == 3:
        from harness.measure.detection_agreement import box_agreement

        agreement = box_agreement(expected, actual)
        metrics["fidelity_box_match_pct"] = agreement.pop("fidelity_box_match_pct")
        details["boxes"] = agreement
        if metrics["fidelity_box_match_pct"] is None:
            unavailable["fidelity_box_match_pct"] = agreement.get("note", "no boxes")
    else:
        metrics["fidelity_box_match_pct"] = None
        unavailable["fidelity_box_match_pct"] = "not a detection output (box agreement needs a YOLO detect head)"
    return metrics, details, unavailable
