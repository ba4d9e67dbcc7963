"""After the measured passes (outside the timed region): run the backend on the reference frames and let the
task compare its outputs with the FP32 reference Phase A stored. A run whose backend, precision and device
are the reference's own compares the backend with itself, and the result says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.measure.fidelity import FIDELITY_PASS, fidelity_verdict, gate_text
from harness.phase_a.reference_outputs import load_frames, load_outputs
from harness.tasks.base import Figures
from harness.records.planned_run import PlannedRun


def backend_outputs(runner, frames: np.ndarray, batch: int) -> list:
    """The runner's outputs for ``frames``, one array per model output, run at its own batch size (short batches
    padded by repeating)."""
    rows = []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        padded = chunk[np.arange(batch) % len(chunk)]
        outputs = runner.infer(runner.prepare(np.ascontiguousarray(padded)))
        runner.synchronize()
        rows.append([o[: len(chunk)] for o in runner.to_numpy(outputs)])
    return [np.concatenate([row[k] for row in rows]) for k in range(len(rows[0]))]


SELF = "self"


def compared_with(reference: dict, planned: PlannedRun, execution_device: str) -> str:
    """``self`` when the reference is not independent of the run: the same backend and precision computing where the
    reference was computed (a mode, a thread count or a pacing changes no arithmetic); else what the reference is."""
    same = (reference.get("backend") == planned.spec.backend and reference.get("precision") == planned.spec.precision
            and reference.get("device") == "cpu" and str(execution_device).startswith("cpu"))
    return SELF if same else reference.get("computed_with", "the FP32 reference")


def execution_device(runner, device: str) -> str:
    """Where the run computes: ONNX Runtime without a GPU provider computes on the CPU of a CUDA machine."""
    try:
        return str(runner.describe().get("execution_device") or device)
    except Exception:  # noqa: BLE001 - a runner that cannot describe itself computes on the run's device
        return device


def self_reference_why(reference: dict) -> str:
    return (f"no second backend: the reference is this run's own computation ({reference.get('computed_with')}), so "
            "matching it proves nothing; add --backend torch (or another backend), or an fp32 reference")


def not_against_itself(figures: Figures, reference: dict) -> Figures:
    """A run compared with itself: its figures stay (they show the comparison ran) but say nothing, and never pass."""
    why = self_reference_why(reference)
    figures.metrics["fidelity_informative"] = False
    figures.metrics[FIDELITY_PASS] = None
    figures.unavailable.update({"fidelity_informative": why, FIDELITY_PASS: why})
    return figures


def with_verdict(figures: Figures, gate) -> Figures:
    """``fidelity_pass`` from the task's gate (the gate itself in the details)."""
    passed, why = fidelity_verdict(figures.metrics, gate)
    figures.metrics[FIDELITY_PASS] = passed
    if why:
        figures.unavailable[FIDELITY_PASS] = why
    if gate is not None:
        figures.details["fidelity_gate"] = gate_text(gate)
    return figures


def check_fidelity(runner, task, planned: PlannedRun, setup: dict, config_path: Path, frames_key: str,
                   device: str) -> Figures:
    figures = with_verdict(compare_with_reference(runner, task, planned, setup, config_path, frames_key, device),
                           task.gate_for(planned.spec.precision))
    if figures.details.get("compared_with") == SELF:
        return not_against_itself(figures, planned.reference or {})
    return figures


def compare_with_reference(runner, task, planned: PlannedRun, setup: dict, config_path: Path, frames_key: str,
                           device: str) -> Figures:
    reference = planned.reference
    if not reference:
        reason = (planned.reference_error or
                  "no FP32 reference: the model has no artifact that runs in fp32 on the CPU, or --fidelity_frames 0")
        return Figures().missing(task.fidelity_figures, reason)
    expected = load_outputs(reference["path"])
    frames = load_frames(reference["frames"], setup["dataset"]["sequences"], Path(config_path).parent, frames_key)
    figures = task.fidelity(expected, backend_outputs(runner, frames, planned.spec.batch))
    figures.details.update({"reference": reference["computed_with"], "frames": reference["frames"],
                            "compared_with": compared_with(reference, planned, execution_device(runner, device))})
    return figures
