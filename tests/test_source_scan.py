import os

import pytest

from conftest import random_image, write_image, write_video
from harness.data.source_scan import label_for, scan_image_dir, scan_source, scan_split_dir, source_fingerprint
from harness.data.source_spec import SourceSpec, parse_source
from harness.errors import UserError


def _dataset(root):
    write_image(root / "images" / "a.png", random_image(20, 30))
    write_image(root / "images" / "b.jpg", random_image(20, 30, seed=1))
    (root / "labels").mkdir()
    (root / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "images" / "notes.md").write_text("not an image")
    return root


def test_image_dir_lists_images_labels_and_ignored(tmp_path):
    scan = scan_image_dir(_dataset(tmp_path) / "images")
    (seq,) = scan.sequences
    assert [os.path.basename(f) for f in seq.files] == ["a.png", "b.jpg"]
    assert list(seq.labels.values()) == [str(tmp_path / "labels" / "a.txt")]
    assert [os.path.basename(f) for f in scan.ignored_files] == ["notes.md"]


def test_label_beside_image(tmp_path):
    image = write_image(tmp_path / "x.png", random_image(8, 8))
    (tmp_path / "x.txt").write_text("1 0.5 0.5 0.1 0.1\n")
    assert label_for(image) == tmp_path / "x.txt"


def test_empty_dir_is_user_error(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(UserError, match="no images found"):
        scan_image_dir(tmp_path)


def test_split_dir_folders_videos_and_limit(tmp_path):
    for name in ("vid_b", "vid_a"):
        for i in range(3):
            write_image(tmp_path / name / f"{i:05d}.jpg", random_image(16, 16, seed=i))
    write_video(tmp_path / "clip.mp4", 4)
    (tmp_path / "empty_folder").mkdir()
    scan = scan_split_dir(tmp_path, limit_videos=0)
    assert [(s.name, s.kind, len(s.files)) for s in scan.sequences] == [
        ("clip", "video", 1), ("vid_a", "frames", 3), ("vid_b", "frames", 3)]
    assert str(tmp_path / "empty_folder") in scan.ignored_files
    assert len(scan_split_dir(tmp_path, limit_videos=2).sequences) == 2


def test_fingerprint_tracks_files_and_parameters(tmp_path):
    root = _dataset(tmp_path)
    spec = SourceSpec("image_dir", str(root / "images"))
    fp = lambda sizes=(64,): source_fingerprint(scan_source(spec, str(tmp_path)), list(sizes), 300, 0)
    first = fp()
    assert fp() == first                      # stable
    assert fp((64, 128)) != first              # imgsz is part of it
    assert source_fingerprint(scan_source(spec, str(tmp_path)), [64], 10, 0) != first  # frame cap too
    image = root / "images" / "a.png"
    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert fp() != first                      # a touched file
    touched = fp()
    write_image(root / "images" / "c.png", random_image(8, 8))
    assert fp() != touched                    # an added file
    (root / "labels" / "a.txt").unlink()
    assert fp() not in (first, touched)       # a removed label


def test_parse_source_forms(tmp_path):
    video = write_video(tmp_path / "v.mp4", 2)
    assert parse_source(None, None, 300).kind == "synthetic"
    assert parse_source(f"image_dir={tmp_path}", None, 300) == SourceSpec("image_dir", str(tmp_path.resolve()))
    assert parse_source(str(tmp_path), None, 300).kind == "image_dir"
    assert parse_source(f"video={video}", None, 300).kind == "video"
    assert parse_source("camera=0", None, 300) == SourceSpec("camera", "0", 300)
    assert parse_source("camera=/dev/video2:25", None, 300) == SourceSpec("camera", "/dev/video2", 25)
    assert parse_source(None, str(tmp_path), 300).kind == "split_dir"


@pytest.mark.parametrize("text,message", [
    ("image_dir=/does/not/exist", "does not exist"),
    ("video=/does/not/exist.mp4", "does not exist"),
    ("camera=0:zero", "camera=INDEX"),
    ("webcam=1", "use image_dir=PATH"),
    ("image_dir=", "path is missing"),
])
def test_parse_source_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_source(text, None, 300)


def test_video_flag_needs_a_video(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match="not a video file"):
        parse_source(f"video={tmp_path / 'a.txt'}", None, 300)


def test_image_folder_tree_records_classes(tmp_path):
    root = tmp_path / "pets"
    for name, seed in (("cat/1.png", 0), ("cat/2.jpg", 1), ("dog/3.png", 2)):
        write_image(root / name, random_image(8, 8, seed=seed))
    (seq,) = scan_image_dir(root).sequences
    assert seq.classes == {str(root / "cat" / "1.png"): "cat", str(root / "cat" / "2.jpg"): "cat",
                           str(root / "dog" / "3.png"): "dog"}
    assert seq.to_dict()["classes"] == seq.classes


@pytest.mark.parametrize("layout", [
    ("top.png", "cat/1.png"),                     # an image at the root: not an ImageFolder tree
    ("cat/1.png", "cat/young/2.png"),             # one two folders deep
    ("images/train/1.png", "images/val/2.png"),  # YOLO layout scanned from its images/ folder
    ("labels/1.png", "cat/2.png"),                # a labels/ folder one level down
])
def test_not_an_image_folder_tree_has_no_classes(tmp_path, layout):
    for index, name in enumerate(layout):
        write_image(tmp_path / "data" / name, random_image(8, 8, seed=index))
    root = tmp_path / "data" / "images" if layout[0].startswith("images/") else tmp_path / "data"
    (seq,) = scan_image_dir(root).sequences
    assert len(seq.files) == 2 and seq.classes == {}


def test_an_sav_root_is_recognised_and_its_masks_are_never_frames(tmp_path):
    from harness.data.source_scan import scan_split_dir
    from harness.data.synthetic_vos import generate_vos_split

    root = generate_vos_split(tmp_path / "sav", videos=2, frames=8)
    scan = scan_split_dir(root, 0)
    assert [s.name for s in scan.sequences] == ["video_000", "video_001"]
    first = scan.sequences[0]
    assert len(first.files) == 8 and all(f.endswith(".jpg") for f in first.files)
    assert first.annotations == str(root / "Annotations_6fps" / "video_000")
    assert any(f.endswith("/000/00004.png") for f in scan.all_files())  # masks belong to the fingerprint


def test_a_davis_root_under_val_and_pngs_beside_jpeg_frames(tmp_path):
    from harness.data.source_scan import scan_split_dir

    base = tmp_path / "davis" / "val"
    for k in range(3):
        write_image(base / "JPEGImages" / "480p" / "bear" / f"{k:05d}.jpg", random_image(32, 48, seed=k))
        write_image(base / "Annotations" / "480p" / "bear" / f"{k:05d}.png", random_image(32, 48, channels=1))
    write_image(tmp_path / "plain" / "cat" / "00000.jpg", random_image(32, 48))
    write_image(tmp_path / "plain" / "cat" / "00000.png", random_image(32, 48, channels=1))
    davis = scan_split_dir(tmp_path / "davis", 0)
    assert davis.sequences[0].annotations.endswith("Annotations/480p/bear") and len(davis.sequences[0].files) == 3
    plain = scan_split_dir(tmp_path / "plain", 0)
    assert plain.sequences[0].files == [str(tmp_path / "plain" / "cat" / "00000.jpg")]
    assert str(tmp_path / "plain" / "cat" / "00000.png") in plain.ignored_files
