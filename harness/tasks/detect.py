"""detect: axis-aligned boxes with class scores, in any of the output formats of harness.tasks.detection_formats
(an Ultralytics Detect head, YOLOv5 / YOLOX with objectness, end-to-end N x K x 6, boxes / scores / labels),
declared or recognised from the shapes, and decoded with Ultralytics' NMS and validator either way."""

from __future__ import annotations

from harness.tasks.yolo_family import YoloHeadTask, box_targets, frame_geometry


class DetectTask(YoloHeadTask):
    name = "detect"
    label_format = "class cx cy w h"

    def output_format(self, outputs: list) -> str:
        """The declared format when the outputs fit it, else the one recognised; MisfitOutput (one line) otherwise."""
        from harness.tasks.detection_formats import resolve_format

        shapes = [tuple(o.shape) for o in outputs]
        return resolve_format(self.settings.output_format, self.settings.output_format_source, shapes, self.input_hw)

    def nms_outputs(self, outputs: list) -> list:
        from harness.tasks.detection_formats import to_nms_input

        self.decoded_format = self.output_format(outputs)  # one model per run: the same format every batch
        return to_nms_input(outputs, self.decoded_format)

    def end_to_end(self) -> bool:
        return getattr(self, "decoded_format", None) in ("end2end", "boxes_scores_labels")

    def num_classes(self, outputs: list) -> int:
        """A head's class rows; for final boxes (N x K x 6) the model's names, or the largest class seen + 1."""
        if not self.end_to_end():
            return super().num_classes(outputs)
        labels = outputs[0][..., 5]
        return max(len(self.settings.names), int(labels.max()) + 1 if labels.size else 1)

    def targets(self, record: dict, spec, rows: list) -> dict:
        return box_targets(rows, "box", frame_geometry(record, spec))
