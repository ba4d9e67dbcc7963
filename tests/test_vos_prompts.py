"""Prompts from an object's first mask: deterministic, inside the mask, the first click at its deepest point."""

import numpy as np

from harness.data.vos_prompts import bounding_box, click_points, farthest_from_border, object_prompts


def _shape():
    mask = np.zeros((60, 80), dtype=bool)
    mask[10:30, 10:70] = True   # a wide bar
    mask[10:50, 50:70] = True   # and a thick leg: its centre is the deepest point
    return mask


def test_the_first_click_is_the_point_farthest_from_the_border():
    x, y = farthest_from_border(_shape())
    assert 55 <= x <= 64 and 15 <= y <= 30  # inside the 20 x 20 junction of bar and leg
    square = np.zeros((9, 9), dtype=bool)
    square[2:7, 2:7] = True
    assert farthest_from_border(square) == (4, 4)


def test_more_clicks_stay_inside_the_mask_and_repeat_exactly():
    mask = _shape()
    points = click_points(mask, 5, seed=0, video="v1", object_id="000")
    assert len(points) == 5 and all(mask[y, x] for x, y in points)
    assert points == click_points(mask, 5, seed=0, video="v1", object_id="000")
    assert points != click_points(mask, 5, seed=0, video="v1", object_id="001")  # per object


def test_the_box_covers_the_mask_and_an_empty_mask_has_no_prompt():
    assert bounding_box(_shape()) == [10, 10, 70, 50]
    prompts = object_prompts(_shape(), "v1", "000", points=2)
    assert prompts["bbox"] == [10, 10, 70, 50] and prompts["point_labels"] == [1, 1]
    assert prompts["mask_area_px"] == int(_shape().sum())
    assert object_prompts(np.zeros((5, 5), dtype=bool), "v1", "000") is None


def test_the_generated_split_is_sav_shaped_seeded_and_its_masks_are_the_visible_parts(tmp_path):
    import hashlib

    from harness.data.synthetic_vos import generate_vos_split
    from harness.data.vos_layouts import read_split

    def digest(root):
        return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*.png")))).hexdigest()

    root = generate_vos_split(tmp_path / "a", videos=2, frames=9, size=(48, 64))
    assert digest(root) == digest(generate_vos_split(tmp_path / "b", videos=2, frames=9, size=(48, 64)))
    videos = read_split(root)
    assert sorted(videos) == ["video_000", "video_001"]
    first = videos["video_000"]
    assert first.layout == "per_object" and sorted(first.object_frames) == ["000", "001"]
    assert first.frames == ["00000", "00004", "00008"]  # every 4th frame annotated
    masks = [first.mask(o, "00000") for o in ("000", "001")]
    assert not np.logical_and(*masks).any()  # the later object hides the earlier one: visible parts only
    assert len(list((root / "JPEGImages_24fps" / "video_000").glob("*.jpg"))) == 9


def test_phase_a_records_each_objects_prompt_frame_and_names_what_it_skipped(tmp_path):
    import cv2

    from harness.data.synthetic_vos import generate_vos_split
    from harness.data.vos_annotations import describe_annotations

    root = generate_vos_split(tmp_path / "sav", videos=1, frames=9, size=(48, 64))
    masks = root / "Annotations_6fps" / "video_000"
    (masks / "009").mkdir()  # an object whose mask is empty everywhere
    for frame in ("00000", "00004"):
        cv2.imwrite(str(masks / "009" / f"{frame}.png"), np.zeros((48, 64), dtype=np.uint8))
    cv2.imwrite(str(masks / "001" / "00012.png"), np.zeros((48, 64), dtype=np.uint8))  # no frame 12 exists
    big = np.zeros((96, 128), dtype=np.uint8)
    big[20:60, 30:90] = 255
    cv2.imwrite(str(masks / "001" / "00000.png"), big)  # a mask of another size than its frame
    frames = sorted(str(p) for p in (root / "JPEGImages_24fps" / "video_000").glob("*.jpg"))
    record = describe_annotations(str(masks), frames, [64, 48])
    objects = {o["object_id"]: o for o in record["objects"]}
    assert sorted(objects) == ["000", "001"] and objects["000"]["annotated_frames"] == [0, 4, 8]
    assert objects["001"]["prompt_frame"] == 0 and objects["001"]["prompts"]["bbox"] == [15, 10, 45, 30]
    assert record["skipped_objects"] == [{"object_id": "009", "reason": "its mask is empty on every annotated frame"}]
    assert record["mask_size_mismatches"] == 1 and record["annotated_frames_without_frame"] == 1
