"""mAP: our accumulation (labels mapped with our letterbox geometry) against Ultralytics' own validator fed
the same raw predictions, with labels prepared by Ultralytics' own YOLODataset."""

import numpy as np
import pytest

from harness.data.synthetic_dataset import CLASS_NAMES, generate
from harness.tasks.yolo_labels import boxes_xyxy, read_label_rows
from harness.tasks.yolo_map import MapAccumulator

IMGSZ, NC, ANCHORS = 320, 3, 200


def _raw_predictions(gt_xyxy, gt_cls, rng):
    """A raw (4 + nc) x anchors YOLO output: each true box found with jitter and a score, some misses, some
    false positives and some wrong classes, so the mAP is neither 0 nor 1."""
    raw = np.zeros((4 + NC, ANCHORS), dtype=np.float32)
    raw[:4] = rng.uniform(0, IMGSZ, size=(4, ANCHORS))
    slot = 0
    for (x1, y1, x2, y2), cls in zip(gt_xyxy, gt_cls):
        if rng.random() < 0.15:
            continue  # missed
        jitter = rng.normal(0, 0.06 * (x2 - x1 + y2 - y1) / 2, size=4)
        bx1, by1, bx2, by2 = np.array([x1, y1, x2, y2]) + jitter
        raw[:4, slot] = ((bx1 + bx2) / 2, (by1 + by2) / 2, abs(bx2 - bx1), abs(by2 - by1))
        predicted = int(cls) if rng.random() > 0.1 else (int(cls) + 1) % NC
        raw[4 + predicted, slot] = rng.uniform(0.3, 0.99)
        slot += 1
    for _ in range(3):  # false positives
        raw[4 + rng.integers(NC), slot] = rng.uniform(0.05, 0.6)
        slot += 1
    return raw


@pytest.mark.filterwarnings("ignore")
def test_map_agrees_with_ultralytics_validator(tmp_path):
    import torch
    from ultralytics.cfg import get_cfg
    from ultralytics.data import build_yolo_dataset
    from ultralytics.models.yolo.detect import DetectionValidator

    root = generate(tmp_path / "syn", num_images=12, video_frames=2)
    cfg = get_cfg(overrides={"imgsz": IMGSZ, "rect": False, "task": "detect", "cache": False, "fraction": 1.0})
    data = {"names": dict(enumerate(CLASS_NAMES)), "nc": NC, "channels": 3}
    dataset = build_yolo_dataset(cfg, str(root / "images"), 1, data, mode="val", rect=False, stride=32)

    theirs = DetectionValidator(args={"conf": 0.001, "iou": 0.7, "max_det": 300, "task": "detect", "plots": False,
                                      "save_json": False, "imgsz": IMGSZ})
    theirs.names, theirs.nc, theirs.end2end, theirs.seen = data["names"], NC, False, 0
    theirs.is_custom_json, theirs.build_gdict, theirs.eval_ids = False, False, None
    theirs.metrics.names = data["names"]
    ours = MapAccumulator(NC)
    rng = np.random.default_rng(0)
    for index in range(len(dataset)):
        item = dataset[index]
        batch = dataset.collate_fn([item])
        h, w = item["ori_shape"]
        # our path: the label file and the original size, mapped with our own letterbox geometry
        rows = read_label_rows(root / "labels" / (item["im_file"].rsplit("/", 1)[1].rsplit(".", 1)[0] + ".txt"))
        gt = boxes_xyxy(rows, "box", w, h, (IMGSZ, IMGSZ), "letterbox")
        classes = np.array([r[0] for r in rows])
        raw = _raw_predictions(gt, classes, rng)
        ours.add(raw, gt, classes, item["im_file"])
        # their path: Ultralytics' dataset letterboxed the labels, its validator does the rest
        theirs.update_metrics(theirs.postprocess(torch.from_numpy(raw[None])), batch)
    stats = theirs.get_stats()
    result = ours.result()
    assert 0.2 < result["map50_95"] < 0.95  # a meaningful value, not a trivial 0 or 1
    assert result["map50"] == pytest.approx(stats["metrics/mAP50(B)"], abs=1e-6)
    assert result["map50_95"] == pytest.approx(stats["metrics/mAP50-95(B)"], abs=1e-6)


def test_label_mapping_worked_example():
    labels = np.array([[1, 0.5, 0.5, 0.5, 0.25]], dtype=np.float32)  # centred box, half the width, quarter the height
    # 640 x 480 into 320: scale 0.5, resized 320 x 240, padding 40 top and bottom. The box is 320 x 120 px,
    # centred at (320, 240); scaled: 160 x 60 px centred at (160, 120 + 40) -> x 80..240, y 130..190
    assert boxes_xyxy(list(labels), "box", 640, 480, (320, 320), "letterbox").tolist() == [[80.0, 130.0, 240.0, 190.0]]
    assert read_label_rows(None) == []


SCORE_WITHOUT_TORCHVISION = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_detection_map import scored_figures
figures = scored_figures({root!r})
print(json.dumps({{"figures": figures, "torchvision_imported": "torchvision" in sys.modules}}))
"""


def scored_figures(root) -> dict:
    """Our accumulation of the same seeded raw predictions over the generated images (NMS included)."""
    from pathlib import Path

    rng = np.random.default_rng(1)
    ours = MapAccumulator(NC)
    for image in sorted((Path(root) / "images").glob("*.jpg")):
        import cv2

        h, w = cv2.imread(str(image)).shape[:2]
        rows = read_label_rows(Path(root) / "labels" / (image.stem + ".txt"))
        gt = boxes_xyxy(rows, "box", w, h, (IMGSZ, IMGSZ), "letterbox")
        classes = np.array([r[0] for r in rows])
        ours.add(_raw_predictions(gt, classes, rng), gt, classes, str(image))
    return ours.result()


def test_scoring_without_torchvision_gives_the_same_figures(tmp_path):
    """The validator is built without importing torchvision (harness.tasks.yolo_map.torchvision_import_skipped), so
    Ultralytics' NMS is its own TorchNMS: the figures equal those with torchvision's NMS."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import torchvision  # noqa: F401 - this process scores with torchvision's NMS

    root = generate(tmp_path / "syn", num_images=12, video_frames=2)
    with_torchvision = scored_figures(root)
    code = SCORE_WITHOUT_TORCHVISION.format(tests=str(Path(__file__).parent), root=str(root))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    without = json.loads(done.stdout.strip().splitlines()[-1])
    assert without["torchvision_imported"] is False
    assert 0.2 < with_torchvision["map50_95"] < 0.95
    for key in ("map50", "map50_95"):
        assert without["figures"][key] == pytest.approx(with_torchvision[key], abs=1e-9)
