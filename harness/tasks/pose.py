"""pose: boxes + keypoints (Ultralytics Pose head: (4 + classes + K x 3) x anchors; K x D from the model's
``kpt_shape``, 17 x 3 when it does not say).

Fidelity adds ``fidelity_oks_mean``: object keypoint similarity (Ultralytics' kpt_iou, COCO sigmas for 17
keypoints, area = 0.53 x box area as its validator uses) between the keypoints of matched reference and
backend boxes. Accuracy: box and pose mAP with Ultralytics' PoseValidator, from YOLO pose labels.
"""

from __future__ import annotations

import numpy as np

from harness.tasks.yolo_family import YoloHeadTask, box_targets, frame_geometry
from harness.tasks.yolo_labels import keypoints

DEFAULT_KPT_SHAPE = (17, 3)


def oks(reference_kpts: np.ndarray, test_kpts: np.ndarray, reference_boxes: np.ndarray) -> np.ndarray:
    """OKS of each reference instance with the test instance at the same row (N x K x 3 each, boxes xyxy)."""
    import torch
    from ultralytics.utils.metrics import OKS_SIGMA, kpt_iou

    count = reference_kpts.shape[1]
    sigma = OKS_SIGMA if count == 17 else np.ones(count) / count
    area = (reference_boxes[:, 2] - reference_boxes[:, 0]) * (reference_boxes[:, 3] - reference_boxes[:, 1]) * 0.53
    matrix = kpt_iou(torch.from_numpy(reference_kpts.astype(np.float32)), torch.from_numpy(test_kpts.astype(np.float32)),
                     area=torch.from_numpy(area.astype(np.float32)), sigma=list(sigma))
    return np.diag(matrix.numpy())


class PoseTask(YoloHeadTask):
    name = "pose"
    label_format = "class cx cy w h then x y [v] per keypoint"
    map_figures = ("map50", "map50_95", "pose_map50", "pose_map50_95")

    def label_fits(self, row) -> bool:
        return len(row) == 5 + int(np.prod(self.kpt_shape))

    @property
    def kpt_shape(self) -> tuple:
        return tuple(self.settings.kpt_shape or DEFAULT_KPT_SHAPE)

    def matched_figures(self) -> tuple:
        return ("fidelity_oks_mean",)

    def extra_channels(self, outputs: list) -> int:
        return int(np.prod(self.kpt_shape))

    def _kpts(self, rows: np.ndarray) -> np.ndarray:
        count, dims = self.kpt_shape
        values = rows[:, -count * dims:].reshape(len(rows), count, dims)
        if dims == 2:
            values = np.concatenate([values, np.ones((len(rows), count, 1))], axis=2)
        return values

    def pair_scores(self, frame: int, pairs: list, agreement: dict, reference: list, test: list) -> list:
        ref = agreement["reference_rows"][frame][[r for r, _ in pairs]]
        got = agreement["test_rows"][frame][[t for _, t in pairs]]
        return oks(self._kpts(ref), self._kpts(got), ref[:, :4]).tolist()

    def targets(self, record: dict, spec, rows: list) -> dict:
        import torch

        geometry = frame_geometry(record, spec)
        return {**box_targets(rows, "pose", geometry),
                "keypoints": torch.from_numpy(keypoints(rows, self.kpt_shape, *geometry).astype(np.float32))}
