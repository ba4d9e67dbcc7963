"""The interface every task implements, and the comparison every task starts from.

Outputs travel as lists of float32 numpy arrays, one per model output, each with one row per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from harness.measure.fidelity import compare_outputs, reference_spread, uninformative_why
from harness.tasks.task_settings import TaskSettings


@dataclass
class Figures:
    """What a check produced: figures by name, details for the result, and why each missing figure is missing."""

    metrics: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)

    def missing(self, names, why: str) -> "Figures":
        for name in names:
            self.metrics[name] = None
            self.unavailable[name] = why
        return self

    def merge(self, other: "Figures") -> "Figures":
        self.metrics.update(other.metrics)
        self.details.update(other.details)
        self.unavailable.update(other.unavailable)
        return self


GENERIC_FIDELITY = ("fidelity_max_abs_err", "fidelity_cos_sim_min")


def compare_every_output(reference: list, test: list) -> Figures:
    """max abs error and smallest per-frame cosine similarity over every output, not only the first."""
    if len(reference) != len(test):
        return Figures().missing(GENERIC_FIDELITY, f"the backend returned {len(test)} outputs, the reference "
                                                   f"{len(reference)}")
    figures = Figures(metrics={"fidelity_max_abs_err": 0.0, "fidelity_cos_sim_min": 1.0}, details={"outputs": []})
    for index, (ref, got) in enumerate(zip(reference, test)):
        try:
            one = compare_outputs(ref, got)
        except ValueError as exc:
            return Figures().missing(GENERIC_FIDELITY, f"output {index}: {exc}")
        figures.details["outputs"].append({"index": index, "shape": list(np.shape(ref)), "per_frame": one["per_frame"],
                                           "max_abs_err": one["fidelity_max_abs_err"]})
        figures.metrics["fidelity_max_abs_err"] = max(figures.metrics["fidelity_max_abs_err"], one["fidelity_max_abs_err"])
        cosine = one["fidelity_cos_sim_min"]
        current = figures.metrics["fidelity_cos_sim_min"]
        figures.metrics["fidelity_cos_sim_min"] = None if cosine is None or current is None else min(current, cosine)
    return with_informativeness(figures, reference)


def with_informativeness(figures: Figures, reference: list) -> Figures:
    """How much the reference moves between frames (``fidelity_reference_spread``) beside the backend's error, and
    whether the comparison is informative at all (``fidelity_informative``, with the reason when it is not)."""
    spreads = [reference_spread(ref) for ref in reference]
    spread = None if any(s is None for s in spreads) or not spreads else max(spreads)
    scale = max((float(np.max(np.abs(np.asarray(ref, dtype=np.float64)))) for ref in reference if np.size(ref)),
                default=0.0)
    why = uninformative_why(spread, scale)
    figures.metrics["fidelity_reference_spread"] = spread
    figures.metrics["fidelity_informative"] = why is None if spread is not None else None
    if why:
        figures.details["fidelity_uninformative"] = why
    return figures


class AccuracyAccumulator:
    """Scores a backend's outputs batch by batch, so the accuracy check never holds every output at once."""

    def add(self, outputs: list, records: list) -> None:
        """``outputs``: this batch's model outputs (one row per record); ``records``: their metadata.json items."""

    def result(self) -> Figures:
        raise NotImplementedError


class Task:
    name = "generic"
    default_resize = "stretch"
    fidelity_figures: tuple = GENERIC_FIDELITY
    # (figure, minimum) a backend must reach against the FP32 reference to pass (fidelity_pass); None: no gate
    fidelity_gate: Optional[tuple] = ("fidelity_cos_sim_min", 0.999)
    # int8 moves every score by quantization steps: the gate it must pass instead (None: the same gate). Its main
    # check is the accuracy drop against fp32 (--int8_max_map_drop).
    int8_fidelity_gate: Optional[tuple] = ("fidelity_cos_sim_min", 0.99)
    accuracy_figures: tuple = ()

    def __init__(self, settings: TaskSettings, input_hw: Optional[tuple] = None):
        self.settings = settings
        self.input_hw = input_hw  # the run's (height, width), where the task needs it (detection output formats)

    def fidelity(self, reference: list, test: list) -> Figures:
        """Every task reports the generic comparison; subclasses add what their outputs mean."""
        return compare_every_output(reference, test)

    def accuracy(self, spec) -> Optional[AccuracyAccumulator]:
        """An accumulator for the scored frames, or None with :meth:`accuracy_unavailable` saying why."""
        return None

    def accuracy_unavailable(self) -> str:
        return "unavailable: no task for this model (pass --task or a <model>.model.json to score it)"

    def gate_for(self, precision: Optional[str]) -> Optional[tuple]:
        """The fidelity gate a run of this precision must pass."""
        if precision == "int8" and self.fidelity_gate is not None and self.int8_fidelity_gate is not None:
            return self.int8_fidelity_gate
        return self.fidelity_gate

    def int8_float_nodes(self, nodes: list) -> tuple:
        """(names of the nodes a Q/DQ INT8 model keeps in float, why). ``nodes``: (name, op_type) in graph order."""
        return [], "none: every node ONNX Runtime's quantizer supports is quantized"

    def postprocess(self, outputs, torch_module):
        """--e2e: the application's post-processing of one batch's raw outputs (None: there is none)."""
        return None

    def postprocess_description(self) -> Optional[str]:
        return None

    def describe(self) -> dict:
        return {"task": self.name, "fidelity_figures": list(self.fidelity_figures),
                "accuracy_figures": list(self.accuracy_figures), "settings": self.settings.to_dict(),
                "accuracy_unavailable": None if self.accuracy_figures else self.accuracy_unavailable(),
                "e2e_postprocess": self.postprocess_description()}
