"""What detect, segment, pose and obb share: a YOLO head whose first output is (4 + classes + extra) x
anchors, Ultralytics' NMS, box agreement with the reference, mAP with Ultralytics' validators, and the
count of detections per frame at --conf / --iou."""

from __future__ import annotations

import re
from typing import Optional

import numpy as np

from harness.tasks.base import AccuracyAccumulator, Figures, Task
from harness.tasks.box_agreement import box_agreement, nms
from harness.tasks.yolo_labels import read_label_rows

E2E_MAX_DET = 300
DETECTIONS = ("detections_per_frame_mean", "detections_per_frame_min", "detections_per_frame_max")
NO_LABELS = ("the source has no YOLO-format labels (labels/<name>.txt beside images/, or <name>.txt beside "
             "each image)")


HEAD_BRANCHES = ("cv2", "cv3", "cv4", "proto")  # box, class, mask-coefficient / keypoint / angle convs; seg prototypes


def yolo_head_prefix(nodes: list) -> Optional[str]:
    """"/model.<N>/" of an Ultralytics export's last module (its head), or None when names are not Ultralytics'."""
    indices = [int(m.group(1)) for m in (re.match(r"^/model\.(\d+)/", name) for name, _ in nodes) if m]
    return f"/model.{max(indices)}/" if indices else None


class YoloHeadTask(Task):
    default_resize = "letterbox"
    rotated = False
    agreement_figure = "fidelity_box_match_pct"
    map_figures: tuple = ("map50", "map50_95")

    @property
    def fidelity_gate(self) -> tuple:
        """A backend passes when it reproduces at least 90 % of the reference's boxes (same class, IoU >= 0.5)."""
        return (self.agreement_figure, 90.0)

    @property
    def int8_fidelity_gate(self) -> tuple:
        """int8: at least 80 % (boxes near --conf cross it when scores move by a quantization step; the bugs the gate
        is for reproduce 15-25 %)."""
        return (self.agreement_figure, 80.0)

    @property
    def fidelity_figures(self) -> tuple:
        return ("fidelity_max_abs_err", "fidelity_cos_sim_min", self.agreement_figure, *self.matched_figures())

    @property
    def accuracy_figures(self) -> tuple:
        return (*self.map_figures, *DETECTIONS)

    def int8_float_nodes(self, nodes: list) -> tuple:
        """The head's decode stays float: everything of the last module after its convolution branches."""
        head = yolo_head_prefix(nodes)
        if head is None:
            return super().int8_float_nodes(nodes)
        branches = tuple(head + branch for branch in HEAD_BRANCHES)
        names = [name for name, _ in nodes if name.startswith(head) and not name.startswith(branches)]
        return names, (f"{head}: the head's decode after its convolution branches (DFL softmax and expectation, anchor "
                       "and stride arithmetic, class sigmoid, the concatenation of pixel coordinates with [0, 1] scores): "
                       "one int8 scale cannot resolve both, and it is a small share of the time")

    def matched_figures(self) -> tuple:
        """Figures the task computes on the matched box pairs (mask IoU, OKS)."""
        return ()

    def end_to_end(self) -> bool:
        """Whether the outputs NMS gets are already final boxes (N x K x 6, Ultralytics' end2end path)."""
        return False

    def extra_channels(self, outputs: list) -> int:
        """Channels after the class scores in the first output (mask coefficients, keypoints, angle)."""
        return 0

    def num_classes(self, outputs: list) -> int:
        return int(outputs[0].shape[1]) - 4 - self.extra_channels(outputs)

    def nms_nc(self, outputs: list) -> int:
        """The ``nc`` Ultralytics' NMS needs to tell classes from extra channels (0: all are classes)."""
        return self.num_classes(outputs) if self.extra_channels(outputs) else 0

    def nms_outputs(self, outputs: list) -> list:
        """The outputs as Ultralytics' NMS takes them (detect turns its other output formats into these); raises
        MisfitOutput (one line) when they are not a YOLO head's."""
        from harness.tasks.detection_formats import MisfitOutput

        first = outputs[0]
        if first.ndim != 3 or first.shape[1] <= 4 + self.extra_channels(outputs):
            raise MisfitOutput(f"output 0 of shape {list(first.shape)} is not a YOLO head's (4 + classes + extra) x "
                               "anchors")
        return outputs

    def output_problem(self, outputs: list) -> Optional[str]:
        """Why these outputs cannot be decoded as this task's (one line), or None."""
        from harness.tasks.detection_formats import MisfitOutput

        try:
            self.nms_outputs(outputs)
        except MisfitOutput as exc:
            return str(exc)
        return None

    def fidelity(self, reference: list, test: list) -> Figures:
        from harness.tasks.detection_formats import MisfitOutput

        figures = super().fidelity(reference, test)
        try:
            reference, test = self.nms_outputs(reference), self.nms_outputs(test)
        except MisfitOutput as exc:
            return figures.missing(self.fidelity_figures[2:], str(exc))
        agreement = box_agreement(reference[0], test[0], self.nms_nc(reference), self.rotated, self.agreement_figure)
        figures.metrics[self.agreement_figure] = agreement[self.agreement_figure]
        if agreement[self.agreement_figure] is None:
            figures.unavailable[self.agreement_figure] = agreement["note"]
        figures.merge(self.compare_matched(agreement, reference, test))
        figures.details["boxes"] = {k: v for k, v in agreement.items()
                                    if k not in ("reference_rows", "test_rows", "pairs", self.agreement_figure)}
        return figures

    def compare_matched(self, agreement: dict, reference: list, test: list) -> Figures:
        """The mean of :meth:`pair_scores` over every matched pair of every frame, as the task's matched figure."""
        if not self.matched_figures():
            return Figures()
        scores = [score for frame, pairs in enumerate(agreement["pairs"]) if pairs
                  for score in self.pair_scores(frame, pairs, agreement, reference, test)]
        if not scores:
            return Figures().missing(self.matched_figures(), "no matched boxes to compare on")
        return Figures(metrics={self.matched_figures()[0]: float(np.mean(scores))},
                       details={"matched_pairs_compared_n": len(scores)})

    def pair_scores(self, frame: int, pairs: list, agreement: dict, reference: list, test: list) -> list:
        """One similarity per matched (reference row, test row) pair of one frame."""
        raise NotImplementedError

    label_format = "class cx cy w h"

    def label_fits(self, row) -> bool:
        """Whether one label line is in this task's YOLO format."""
        return len(row) == 5

    def targets(self, record: dict, spec, rows: list) -> dict:
        """The frame's labels (rows that fit the format) as the validator's targets, in input pixels (tensors)."""
        raise NotImplementedError

    def accuracy(self, spec) -> Optional[AccuracyAccumulator]:
        return YoloAccuracy(self, spec)

    def postprocess(self, outputs, torch_module):
        outputs = self.nms_outputs(list(outputs) if isinstance(outputs, (list, tuple)) else [outputs])
        return nms(outputs[0], self.nms_nc(outputs), self.rotated, self.settings.conf, self.settings.iou, E2E_MAX_DET)

    def postprocess_description(self) -> str:
        return (f"Ultralytics non_max_suppression (conf {self.settings.conf}, IoU {self.settings.iou}, "
                f"{E2E_MAX_DET} boxes{', rotated' if self.rotated else ''}) and the boxes to the host")


class YoloAccuracy(AccuracyAccumulator):
    """mAP over the labeled frames, and detections per frame (at --conf / --iou) over every scored frame."""

    def __init__(self, task: YoloHeadTask, spec):
        self.task, self.spec = task, spec
        self.map = None
        self.counts = []
        self.foreign_rows = 0  # label lines in another task's format, left out
        self.misfit = None     # why the outputs could not be decoded (then no figure is made from them)

    def add(self, outputs: list, records: list) -> None:
        from harness.tasks.detection_formats import MisfitOutput
        from harness.tasks.yolo_map import YoloMapAccumulator

        try:
            outputs = self.task.nms_outputs(outputs)
        except MisfitOutput as exc:
            self.misfit = str(exc)
            return
        kept = nms(outputs[0], self.task.nms_nc(outputs), self.task.rotated, self.task.settings.conf,
                   self.task.settings.iou, E2E_MAX_DET)
        self.counts.extend(len(k) for k in kept)
        for index, record in enumerate(records):
            if not record.get("label_path"):
                continue
            if self.map is None:
                self.map = YoloMapAccumulator(self.task.name, self.task.num_classes(outputs), self.task.settings.kpt_shape,
                                              end2end=self.task.end_to_end())
            rows = read_label_rows(record["label_path"])
            fitting = [r for r in rows if self.task.label_fits(r)]
            self.foreign_rows += len(rows) - len(fitting)
            self.map.add_frame([o[index] for o in outputs], self.task.targets(record, self.spec, fitting),
                               record["source_path"].rsplit("/", 1)[-1])

    def result(self) -> Figures:
        figures = Figures()
        if self.misfit:
            return figures.missing((*self.task.map_figures, *DETECTIONS), self.misfit)
        if self.counts:
            figures.metrics.update({"detections_per_frame_mean": float(np.mean(self.counts)),
                                    "detections_per_frame_min": float(min(self.counts)),
                                    "detections_per_frame_max": float(max(self.counts))})
            figures.details["detections"] = {"frames_n": len(self.counts), "conf": self.task.settings.conf,
                                             "iou": self.task.settings.iou,
                                             "output_format": getattr(self.task, "decoded_format", "ultralytics")}
        if self.map is None:
            return figures.missing(self.task.map_figures, NO_LABELS)
        if self.map.labels_n == 0 and self.foreign_rows:
            return figures.missing(self.task.map_figures, f"none of the {self.foreign_rows} label lines is in the "
                                   f"{self.task.name} format ({self.task.label_format})")
        found = self.map.result()
        figures.metrics.update({name: found[name] for name in self.task.map_figures})
        figures.details[self.task.name] = {"images_n": self.map.images, "labels_n": self.map.labels_n,
                                           "foreign_label_lines_n": self.foreign_rows,
                                           "precision": found["precision"], "recall": found["recall"],
                                           "computed_with": f"Ultralytics {self.map.validator.__class__.__name__} "
                                                            "postprocess + _process_batch + its metrics"}
        return figures


def box_targets(rows: list, fmt: str, geometry: tuple) -> dict:
    """The classes and xyxy boxes (input pixels) of a frame's label rows, as the validators take them."""
    import torch

    from harness.tasks.yolo_labels import boxes_xyxy

    return {"cls": torch.tensor([r[0] for r in rows], dtype=torch.float32),
            "bboxes": torch.from_numpy(boxes_xyxy(rows, fmt, *geometry).astype(np.float32))}


def frame_geometry(record: dict, spec) -> tuple:
    """(orig_w, orig_h, (height, width), resize mode) of one scored frame."""
    w, h = record["original_size"]
    return int(w), int(h), (spec.height, spec.width), spec.resize
