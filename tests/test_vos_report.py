"""The video part of the report: per-video rows with the memory slope, the frame window and J&F marked meaningless
for random-init weights; a latency-by-frame plot per run beside the memory-by-frame one."""

from harness.report.plots import make_plots
from harness.report.video_tables import video_rows


def _result(weights_note):
    videos = [{"name": name, "status": "ok", "frames_n": 4, "objects_n": 1, "fps": 10.0, "latency_ms_p50": 100.0,
               "memory_slope_mb_per_frame": 0.0, "start_memory": {"rss_mb": 900.0}, "peaks": {"peak_rss_mb": 950.0},
               "frame_indices": [3, 4, 5, 6], "frame_latency_ms": [120.0, 100.0, 101.0, 99.0],
               "memory_by_frame_mb": [900.0, 901.0, 901.0, 901.0]} for name in ("v1", "v2")]
    accuracy = {"objects": [{"video": "v1", "object": "001", "j_and_f": 0.25}]}
    if weights_note:
        accuracy["meaningless"] = weights_note
    return {"run_id": "sam2.1_hiera_tiny__torch__fp32__img64__b1__points", "status": "ok", "videos": videos,
            "vos": {"window": {"setting": "auto", "frames": 16}}, "accuracy": accuracy,
            "memory_notes": {"per_frame_figure": "rss_mb"},
            "run": {"model": "sam2.1_hiera_tiny", "backend": "torch", "precision": "fp32", "imgsz": 64, "batch": 1},
            "samples": {"latency_ms": [100.0, 101.0, 99.0]},
            "metrics": {"latency_ms_p50": 100.0, "latency_ms_p99": 101.0, "fps": 10.0, "throughput_img_per_s": None}}


def test_per_video_rows_mark_random_init_j_and_f_and_carry_the_window():
    rows = {r["video"]: r for r in video_rows([_result("random-init weights: J&F measures nothing")])}
    assert rows["v1"]["j_and_f"] == 0.25 and rows["v1"]["j_and_f_note"].startswith("random-init")
    assert rows["v2"]["j_and_f"] is None and rows["v2"]["j_and_f_note"] is None
    assert rows["v1"]["window"] == "auto" and rows["v1"]["memory_slope_mb_per_frame"] == 0.0
    assert video_rows([_result(None)])[0]["j_and_f_note"] is None


def test_a_latency_by_frame_plot_per_video_run(tmp_path):
    made = make_plots([_result(None)], tmp_path)
    (path,) = made["latency_by_frame"].values()
    assert path.name.startswith("latency_frames__") and path.stat().st_size > 1000
    assert set(made["memory_by_frame"]) == set(made["latency_by_frame"])


def test_a_video_that_stopped_out_of_memory_is_drawn_up_to_its_stop():
    """The by-frame plots draw a stopped video's frames before the stop, labelled with the frame it stopped at."""
    from harness.report.video_plots import _series

    result = {"videos": [
        {"name": "a", "status": "ok", "frame_indices": [0, 1, 2], "memory_by_frame_mb": [1.0, 1.0, 1.0]},
        {"name": "b", "status": "skipped_oom", "stopped_at_frame": 2,
         "before_stop": {"frame_indices": [0, 1], "memory_by_frame_mb": [1.0, 2.0]}},
        {"name": "c", "status": "failed"}]}
    lines = _series({"all": result}, "memory_by_frame_mb")
    assert lines == [("all: a", [0, 1, 2], [1.0, 1.0, 1.0]), ("all: b (skipped_oom at frame 2)", [0, 1], [1.0, 2.0])]
