"""A vos run in-process on a real Phase A setup (real CLI, generated SA-V split, SAM 2.1 tiny at 64 px): a video that
runs out of memory is that video's skipped_oom and the next is measured; per-video windows keep the run's peak."""

import pytest

from conftest import load_json, run_cli
from harness.data.synthetic_vos import generate_vos_split
from harness.measure.memory_tracker import MemoryTracker
from harness.records.planned_run import PlannedRun

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("vos_run")
    split = generate_vos_split(root / "sav", videos=3, frames=6, size=(48, 64))
    proc = run_cli("--split_dir", split, "--models", "sam2.1_hiera_tiny", "--imgsz", "64", "--warmup", "1",
                   "--skip_inference", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = root / "preprocessed_data" / "setup_config.json"
    return config, load_json(config)


def test_a_video_out_of_memory_is_recorded_and_the_next_is_measured(setup, monkeypatch):
    from harness.phase_b import video_executor
    from harness.video.session import VideoSession

    config, saved = setup
    step = VideoSession.step

    def step_or_oom(self, pixels, index):
        if self.original_hw == (48, 64) and getattr(self, "oom_here", False) and index >= 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return step(self, pixels, index)

    init = VideoSession.__init__

    def marked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.oom_here = len(seen) == 2  # the warm-up session, video_000, then video_001 runs out of memory
        seen.append(1)

    seen = []
    monkeypatch.setattr(VideoSession, "step", step_or_oom)
    monkeypatch.setattr(VideoSession, "__init__", marked_init)
    planned = PlannedRun.from_dict(saved["runs"][0])
    measurement = {"warmup": 1, "max_frames_in_mem": 4, "memory_sample_ms": 5, "metrics_interval_s": 0}
    result = video_executor.execute_vos_run(planned, saved, config, measurement, torch, "cpu", identity=None)
    assert result["status"] == "ok", result["reason"]
    statuses = [(v["name"], v["status"]) for v in result["videos"]]
    assert statuses == [("video_000", "ok"), ("video_001", "skipped_oom"), ("video_002", "ok")]
    assert "out of memory" in result["videos"][1]["reason"] and "video video_001: skipped_oom" in result["warnings"][0]
    stopped = result["videos"][1]  # out of memory on frame 3: the frames before it are kept apart, with that index
    first = stopped["before_stop"]["frame_indices"][0]
    assert stopped["stopped_at_frame"] == 3 and stopped["before_stop"]["frame_indices"] == list(range(first, 3))
    assert stopped["before_stop"]["frames_n"] == 3 - first and stopped["before_stop"]["fps"] > 0
    assert len(stopped["before_stop"]["memory_by_frame_mb"]) == 3 - first and "fps" not in stopped
    metrics = result["metrics"]
    assert metrics["videos_skipped_oom_n"] == 1 and metrics["videos_measured_n"] == 2 and metrics["frames_n"] == 12
    assert metrics["start_memory_drift_mb"] is not None
    # the host's load is read over the measured videos, as in an image run (its verdict judges it)
    assert metrics["host_interference_pct"] is not None or "host_interference_pct" in result["unavailable"]
    assert "host_other_cpu_core_pct" in metrics or "host_other_cpu_core_pct" in result["unavailable"]
    assert metrics["peak_rss_mb"] >= max(v["peaks"]["peak_rss_mb"] for v in result["videos"])
    assert len(result["videos"][0]["memory_by_frame_mb"]) == 6 and result["vos"]["window"] == {"setting": "auto",
                                                                                        "frames": 16}
    assert [r["video"] for r in result["accuracy"]["objects"]].count("video_001") == 0


def test_per_video_windows_keep_the_measured_peak():
    tracker = MemoryTracker(None, "cpu", 0.005)
    tracker.baseline()
    tracker.begin_measure()
    tracker.begin_video("a")
    big = bytearray(300 * 2**20)  # 300 MiB resident in the first video
    big[:: 4096] = b"x" * len(big[:: 4096])
    first = tracker.end_video("a")
    del big
    tracker.begin_video("b")
    second = tracker.end_video("b")
    tracker.end_measure()
    tracker.close()
    assert first["peak_rss_mb"] - second["peak_rss_mb"] > 200
    assert tracker.figures["peak_rss_mb"] >= first["peak_rss_mb"]


def test_in_run_j_and_f_equals_evaluate_vos_on_the_saved_masks(tmp_path, monkeypatch):
    """An object that appears late (its first annotated frames empty), so the run starts at frame 0 for one object
    and at frame 8 for the other; masks that are not empty (the object-score head says present); every protocol's
    frame selection then matters."""
    import cv2
    import numpy as np

    from harness.data.vos_layouts import read_split
    from harness.phase_b import video_executor
    from harness.tasks.vos_metrics import split_figures
    from harness.video.evaluate import score_split
    from harness.video import models

    split = generate_vos_split(tmp_path / "sav", videos=1, frames=14, size=(48, 64), annotate_every=2)
    for png in sorted((split / "Annotations_6fps" / "video_000" / "001").glob("*.png"))[:4]:
        cv2.imwrite(str(png), np.zeros((48, 64), np.uint8))
    proc = run_cli("--split_dir", split, "--models", "sam2.1_hiera_tiny", "--imgsz", "64", "--skip_inference",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = tmp_path / "preprocessed_data" / "setup_config.json"
    saved = load_json(config)
    build = models.build_random

    def present(*args):
        model = build(*args)
        with torch.no_grad():
            model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(10.0)
        return model

    monkeypatch.setattr(models, "build_random", present)
    measurement = {"warmup": 0, "memory_sample_ms": 5, "metrics_interval_s": 0}
    result = video_executor.execute_vos_run(PlannedRun.from_dict(saved["runs"][0]), saved, config, measurement, torch, "cpu", identity=None,
                                     masks_dir=str(tmp_path / "masks"))
    assert result["status"] == "ok", result["reason"]
    objects = {o["object"]: o for o in result["accuracy"]["objects"]}
    assert objects["001"]["frames_n"] >= 1 and 0 < result["metrics"]["j_and_f"] < 1
    scores, counts = score_split(read_split(split), read_split(tmp_path / "masks" / saved["runs"][0]["run_id"]))
    assert {s.object_id: s.row() for s in scores} == {k: {key: o[key] for key in
                                                          ("video", "object", "frames_n", "j_mean", "f_mean",
                                                           "j_and_f")} for k, o in objects.items()}
    assert split_figures(scores)["j_and_f"] == result["metrics"]["j_and_f"]
    assert counts.missing_predictions == result["accuracy"]["missing_predictions_n"]
