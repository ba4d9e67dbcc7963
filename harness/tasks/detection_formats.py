"""The output formats of detectors, and each one turned into what Ultralytics' NMS and validators take.

- ``ultralytics``: one output N x (4 + classes) x anchors: cx cy w h, class scores (YOLOv8 / YOLO11 heads);
- ``yolov5``: one output N x anchors x (5 + classes): cx cy w h, objectness, class scores (YOLOv5, YOLOX); the
  score of a class is objectness x class score, as both apply it;
- ``end2end``: one output N x K x 6: x1 y1 x2 y2, score, class (YOLO26 / YOLOv10 one-to-one heads, RT-DETR
  exports, ONNX exported with NMS in the graph): no NMS, only the score threshold (Ultralytics' end2end path);
- ``boxes_scores_labels``: three outputs N x K x 4 (x1 y1 x2 y2), N x K scores, N x K labels, joined into ``end2end``.

A format is declared (``--output_format`` / ``"output_format"`` in ``.model.json``) or recognised from the shapes
and the input size: anchors = cells of strides 8, 16, 32 (and 64 for P6 models), x 1 (anchor-free) or x 3 (YOLOv5
anchors). An output that fits none, or not the declared one, raises MisfitOutput in one line: it is never decoded
as something else.
"""

from __future__ import annotations

import math

import numpy as np

FORMATS = ("ultralytics", "yolov5", "end2end", "boxes_scores_labels")
ALIASES = {"yolox": "yolov5"}
DESCRIPTIONS = {"ultralytics": "N x (4+classes) x anchors", "yolov5": "N x anchors x (5+classes), yolox too",
                "end2end": "N x K x 6 (x1 y1 x2 y2 score class)",
                "boxes_scores_labels": "N x K x 4, N x K, N x K"}
ACCEPTED = "; ".join(f"{name} ({text})" for name, text in DESCRIPTIONS.items())
STRIDE_SETS = ((8, 16, 32), (8, 16, 32, 64))


class MisfitOutput(ValueError):
    """The outputs fit no detection format (or not the declared one); the message is one line."""


def format_name(text: str) -> str:
    """A declared format's canonical name; ValueError naming the accepted ones."""
    name = ALIASES.get(str(text).lower(), str(text).lower())
    if name not in FORMATS and name != "auto":
        raise ValueError(f"unknown output format {text!r}; choose from auto, {', '.join(FORMATS)}, yolox")
    return name


def anchor_counts(hw: tuple) -> set:
    """The anchor counts a YOLO head has at input size ``hw``: per stride set, 1 or 3 anchors per cell."""
    cells = [sum(math.ceil(hw[0] / s) * math.ceil(hw[1] / s) for s in strides) for strides in STRIDE_SETS]
    return {c * per_cell for c in cells for per_cell in (1, 3)}


def _fits(name: str, shapes: list, hw) -> bool:
    """Whether the output shapes fit a format; with ``hw`` the anchor count must fit the input size too."""
    first = shapes[0] if shapes else ()
    anchors = anchor_counts(hw) if hw else None
    if name == "boxes_scores_labels":
        return (len(shapes) == 3 and len(first) == 3 and first[2] == 4
                and all(tuple(s) == tuple(first[:2]) for s in shapes[1:]))
    if len(shapes) < 1 or len(first) != 3:
        return False
    if name == "ultralytics":
        return first[1] > 4 and (anchors is None or first[2] in anchors)
    if name == "yolov5":
        return first[2] > 5 and (anchors is None or first[1] in anchors)
    return first[2] == 6  # end2end


def _shapes_text(shapes: list) -> str:
    return ", ".join("x".join(map(str, s)) for s in shapes) or "none"


def _without_size(shapes: list) -> list:
    """Candidates when the input size is unknown: rows fewer than columns is a head, 6 columns final boxes."""
    first = shapes[0] if shapes else ()
    if len(first) != 3:
        return []
    return ["ultralytics"] if first[1] < first[2] else ["end2end" if first[2] == 6 else "yolov5"]


def recognise(shapes: list, hw) -> str:
    """The format whose shapes and anchor count fit; MisfitOutput naming the shapes and the formats accepted.
    Without an input size (``hw`` None) the anchor count cannot be checked and the orientation decides."""
    shapes = [tuple(int(d) for d in s) for s in shapes]
    order = ["boxes_scores_labels"] + (["ultralytics", "yolov5", "end2end"] if hw else _without_size(shapes))
    for name in order:
        if _fits(name, shapes, hw):
            return name
    where = f" at input {hw[0]}x{hw[1]}" if hw else ""
    raise MisfitOutput(f"output(s) {_shapes_text(shapes)}{where} fit no detection format; accepted: {ACCEPTED} "
                       f"(declare one with --output_format or \"output_format\" in <model>.model.json)")


def resolve_format(declared: str, source: str, shapes: list, hw: tuple) -> str:
    """The declared format when the shapes fit it (MisfitOutput when not), else the recognised one."""
    if declared in (None, "", "auto"):
        return recognise(shapes, hw)
    shapes = [tuple(int(d) for d in s) for s in shapes]
    if not _fits(declared, shapes, None):
        raise MisfitOutput(f"{source} declares output_format {declared} ({DESCRIPTIONS[declared]}), but the model's "
                           f"output(s) are {_shapes_text(shapes)}")
    return declared


def _host(array) -> np.ndarray:
    """A float32 numpy array of a numpy array or a torch tensor (copied to the host)."""
    if hasattr(array, "detach"):
        array = array.detach().float().cpu().numpy()
    return np.asarray(array, dtype=np.float32)


def to_nms_input(outputs: list, name: str) -> list:
    """The outputs as Ultralytics' NMS and validators take them: an N x (4 + classes) x anchors head, or N x K x 6.
    An Ultralytics head passes as it is (a torch tensor stays on its device)."""
    if name == "ultralytics":
        return list(outputs)
    first = _host(outputs[0])
    if name == "yolov5":
        scores = first[..., 5:] * first[..., 4:5]
        return [np.ascontiguousarray(np.concatenate([first[..., :4], scores], axis=2).transpose(0, 2, 1))]
    if name == "end2end":
        return [first]
    scores, labels = (_host(o)[..., None] for o in outputs[1:3])
    return [np.concatenate([first, scores, labels], axis=2)]
