"""classify: one score vector per image (Ultralytics Classify head, torchvision ResNet / MobileNet, ...).

Fidelity adds top-1 agreement and top-5 overlap with the FP32 reference (the generic max abs error is the
max abs logit / probability error). Accuracy: top-1 / top-5 when the source is an ImageFolder tree (one
sub-folder per class); class indices follow the model's names (its .model.json's, else its metadata's: see
harness.model_input.class_names) when every folder is one of them, otherwise the sorted folder names (as
torchvision's ImageFolder); the result says which, where the names came from, and each folder's index.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from harness.tasks.base import AccuracyAccumulator, Figures, Task

ACCURACY = ("top1_acc", "top5_acc")


def topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores per row, best first (ties: the lower index first)."""
    k = min(k, scores.shape[1])
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def top1_agreement_pct(reference: np.ndarray, test: np.ndarray) -> float:
    return float(np.mean(topk(reference, 1)[:, 0] == topk(test, 1)[:, 0]) * 100.0)


def top5_overlap_pct(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean share of the reference's top-5 classes that are in the backend's top-5, in %."""
    ref, got = topk(reference, 5), topk(test, 5)
    return float(np.mean([len(set(r) & set(g)) / len(r) for r, g in zip(ref, got)]) * 100.0)


def class_index(names: dict, folders: list, source: str = "") -> tuple:
    """(folder name -> class index, which order was used)."""
    by_name = {str(v): int(k) for k, v in (names or {}).items()}
    if folders and all(f in by_name for f in folders):
        return {f: by_name[f] for f in folders}, f"the model's class names ({source or 'the model'})"
    why = f"; the {len(by_name)} names from {source} do not name every folder" if by_name else ""
    return {f: i for i, f in enumerate(sorted(folders))}, f"sorted folder names (torchvision ImageFolder order{why})"


def _scores(outputs: list) -> np.ndarray:
    return outputs[0].reshape(len(outputs[0]), -1)


class ClassifyTask(Task):
    name = "classify"
    default_resize = "crop"
    fidelity_figures = ("fidelity_max_abs_err", "fidelity_cos_sim_min", "fidelity_top1_agree_pct",
                        "fidelity_top5_overlap_pct")
    fidelity_gate = ("fidelity_top1_agree_pct", 90.0)
    int8_fidelity_gate = ("fidelity_top1_agree_pct", 80.0)
    accuracy_figures = ACCURACY

    def int8_float_nodes(self, nodes: list) -> tuple:
        names = [nodes[-1][0]] if nodes and nodes[-1][1] == "Softmax" else []
        return names, ("the final Softmax: probabilities in int8 steps of 1/255 would decide top-1 among near ties"
                       if names else "none: the model ends in logits")

    def fidelity(self, reference: list, test: list) -> Figures:
        figures = super().fidelity(reference, test)
        if "fidelity_max_abs_err" in figures.unavailable:
            return figures.missing(self.fidelity_figures[2:], figures.unavailable["fidelity_max_abs_err"])
        ref, got = _scores(reference), _scores(test)
        figures.metrics["fidelity_top1_agree_pct"] = top1_agreement_pct(ref, got)
        figures.metrics["fidelity_top5_overlap_pct"] = top5_overlap_pct(ref, got)
        return figures

    def accuracy(self, spec) -> Optional[AccuracyAccumulator]:
        return TopKAccuracy(self.settings.names, self.settings.names_source)

    def postprocess(self, outputs, torch_module):
        first = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
        scores = torch_module.as_tensor(first).reshape(first.shape[0], -1)
        return scores.topk(min(5, scores.shape[1]), dim=1).indices.cpu()

    def postprocess_description(self) -> str:
        return "top-5 class indices of each image, to the host"


class TopKAccuracy(AccuracyAccumulator):
    def __init__(self, names: dict, source: str = ""):
        self.names, self.source = names, source
        self.scores, self.folders = [], []

    def add(self, outputs: list, records: list) -> None:
        scores = _scores(outputs)
        for row, record in zip(scores, records):
            if record.get("class_name") is not None:
                self.scores.append(topk(row[None], 5)[0])
                self.folders.append(record["class_name"])

    def result(self) -> Figures:
        if not self.folders:
            return Figures().missing(ACCURACY, "the source is not an ImageFolder tree (one sub-folder per class)")
        mapping, order = class_index(self.names, sorted(set(self.folders)), self.source)
        truth = np.array([mapping[f] for f in self.folders])
        top = np.array(self.scores)
        return Figures(metrics={"top1_acc": float(np.mean(top[:, 0] == truth)),
                                "top5_acc": float(np.mean([t in row for t, row in zip(truth, top)]))},
                       details={"classify": {"images_n": len(truth), "classes_n": len(mapping), "class_order": order,
                                             "class_index": mapping}})
