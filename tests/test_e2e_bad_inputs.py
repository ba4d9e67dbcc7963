"""Bad input: one line on stderr, a non-zero exit, never a traceback. Bad files inside a good source are
skipped, counted and named, and the run goes on."""

import pytest

from conftest import TINY, load_json, random_image, run_cli, write_image, write_video

pytestmark = pytest.mark.slow


def assert_one_line_error(proc, fragment, code=2):
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("jetson_benchmark: error:"), proc.stderr
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("flags,fragment", [
    (["--imgsz", "0"], "--imgsz 0: must be a positive"),
    (["--imgsz", "-64"], "--imgsz -64: must be a positive"),
    (["--batch", "0"], "--batch 0: must be at least 1"),
    (["--backend", "tflite"], "unknown backend"),
    (["--source", "image_dir=/definitely/missing"], "does not exist"),
    (["--source", "video=/definitely/missing.mp4"], "does not exist"),
])
def test_invalid_flags_fail_fast(tmp_path, flags, fragment):
    assert_one_line_error(run_cli(*flags, cwd=tmp_path, timeout=60), fragment)


def test_empty_source_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run_cli("--source", f"image_dir={tmp_path / 'empty'}", cwd=tmp_path, timeout=60),
                          "no images found")


def test_out_dir_not_writable(tmp_path):
    (tmp_path / "a_file").write_text("x")
    assert_one_line_error(run_cli("--out_dir", tmp_path / "a_file" / "out", cwd=tmp_path, timeout=60),
                          "--out_dir")


def test_no_readable_images(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jpg").write_bytes(b"not a jpeg")
    (bad / "b.png").write_bytes(b"")
    proc = run_cli("--source", f"image_dir={bad}", "--models", "yolo11n", "--backend", "torch", *TINY, cwd=tmp_path)
    assert_one_line_error(proc, "no readable frames (2 file(s) skipped")


def test_video_with_no_frames(tmp_path):
    video = tmp_path / "broken.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    proc = run_cli("--source", f"video={video}", "--models", "yolo11n", "--backend", "torch", *TINY, cwd=tmp_path)
    assert_one_line_error(proc, "no readable frames")


def test_unknown_model_name(tmp_path):
    proc = run_cli("--models", "yolo99z", *TINY, cwd=tmp_path)
    assert_one_line_error(proc, "unknown model 'yolo99z'")


def test_weights_file_that_is_not_a_model(tmp_path):
    weights = tmp_path / "w"
    weights.mkdir()
    (weights / "fake.pt").write_bytes(b"definitely not a checkpoint")
    proc = run_cli("--weights_dir", weights, *TINY, cwd=tmp_path)
    assert_one_line_error(proc, "fake.pt is neither a zip archive torch writes nor a pickle")


def test_onnx_file_that_is_not_a_model(tmp_path):
    weights = tmp_path / "w"
    weights.mkdir()
    (weights / "junk.onnx").write_bytes(b"garbage")
    proc = run_cli("--weights_dir", weights, "--backend", "onnxruntime", *TINY, cwd=tmp_path)
    assert_one_line_error(proc, "junk.onnx is not an ONNX model")


def test_empty_weights_dir(tmp_path):
    (tmp_path / "w").mkdir()
    assert_one_line_error(run_cli("--weights_dir", tmp_path / "w", *TINY, cwd=tmp_path), "holds no model files")


def test_corrupt_files_inside_good_source_are_skipped_and_odd_formats_converted(tmp_path):
    source = tmp_path / "mixed"
    write_image(source / "color.png", random_image(48, 64))
    write_image(source / "gray.png", random_image(48, 64, channels=1))
    write_image(source / "rgba.png", random_image(48, 64, channels=4))
    write_image(source / "deep.png", random_image(48, 64, dtype=__import__("numpy").uint16))
    (source / "corrupt.jpg").write_bytes(b"\xff\xd8garbage\xff\xd9")
    (source / "empty.png").write_bytes(b"")
    proc = run_cli("--source", f"image_dir={source}", "--models", "yolo11n", "--backend", "torch", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped" in proc.stdout and "corrupt.jpg" in proc.stdout and "empty.png" in proc.stdout
    meta = load_json(tmp_path / "preprocessed_data" / "metadata.json")
    assert meta["totals"]["frames"] == 4 and meta["totals"]["skipped"] == 2
    assert {s["source_path"].rsplit("/", 1)[1]: s["reason"] for s in meta["skipped"]} == {
        "corrupt.jpg": "not a decodable image (corrupt or unsupported format)", "empty.png": "empty file"}
    notes = {i["source_path"].rsplit("/", 1)[1]: i["conversion"] for i in meta["sequences"][0]["items"]}
    assert notes["color.png"] is None and "grayscale" in notes["gray.png"]
    assert "RGBA" in notes["rgba.png"] and "16-bit" in notes["deep.png"]
    result = load_json(tmp_path / "jetson_results" / "runs" / "yolo11n__torch__fp32__img64__b1.json")
    assert result["status"] == "ok"


def test_split_dir_and_video_sources(tmp_path):
    split = tmp_path / "sav_val"
    for name in ("vid1", "vid2", "vid3"):
        for i in range(4):
            write_image(split / name / f"{i:05d}.jpg", random_image(36, 48, seed=i))
    write_video(split / "clip.mp4", 6)
    proc = run_cli("--split_dir", split, "--limit_videos", "3", "--models", "yolo11n", "--backend", "torch", *TINY,
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    meta = load_json(tmp_path / "preprocessed_data" / "metadata.json")
    assert [(s["name"], s["num_frames"]) for s in meta["sequences"]] == [("clip", 6), ("vid1", 4), ("vid2", 4)]
    proc = run_cli("--source", f"video={split / 'clip.mp4'}", "--max_frames", "4", "--models", "yolo11n",
                   "--backend", "torch", *TINY, "--preprocessed_dir", tmp_path / "p2", "--out_dir", tmp_path / "o2",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (seq,) = load_json(tmp_path / "p2" / "metadata.json")["sequences"]
    assert seq["num_frames"] == 4 and seq["items"][0]["truncated_to_max_frames"] is True


def test_camera_source_captures_frames(tmp_path):
    """camera=DEVICE opens through OpenCV like a webcam; a video file stands in for the device here."""
    clip = write_video(tmp_path / "cam.mp4", 8)
    proc = run_cli("--source", f"camera={clip}:5", "--models", "yolo11n", "--backend", "torch", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    captured = sorted((tmp_path / "preprocessed_data" / "camera_capture").glob("*.png"))
    assert len(captured) == 5
    proc = run_cli("--source", "camera=7", "--models", "yolo11n", *TINY, "--preprocessed_dir", tmp_path / "p3",
                   cwd=tmp_path)
    assert_one_line_error(proc, "camera 7 could not be opened")
