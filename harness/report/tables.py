"""Table rows shared by the Markdown and HTML reports (one definition of what each report column is)."""

from __future__ import annotations

RUN_COLUMNS = (
    ("model", "model"), ("task", "task"), ("backend", "backend"), ("variant", "mode"), ("precision", "precision"),
    ("imgsz", "imgsz"), ("batch", "batch"), ("input", "input (layout dtype colour norm resize)"),
    ("status", "status"), ("latency_ms_p50", "p50 ms"), ("latency_ms_p99", "p99 ms"),
    ("throughput_img_per_s", "img/s"), ("peak_process_gpu_mb", "peak process GPU MiB"),
    ("peak_torch_reserved_mb", "peak torch reserved MiB"), ("peak_rss_mb", "peak RSS MiB"),
    ("fidelity_max_abs_err", "fidelity max abs err"), ("fidelity_compared_with", "fidelity vs"),
    ("fidelity_box_match_pct", "box match %"), ("fidelity_top1_agree_pct", "top-1 agree %"),
    ("map50_95", "mAP50-95"), ("mask_map50_95", "mask mAP50-95"), ("pose_map50_95", "pose mAP50-95"),
    ("obb_map50_95", "OBB mAP50-95"), ("detections_per_frame_mean", "detections/frame"), ("top1_acc", "top-1"),
    ("depth_abs_rel", "depth AbsRel"),
    ("reason", "reason"),
)
SYSTEM_COLUMNS = (
    ("run_id", "run"), ("cpu_util_pct_mean", "CPU % mean"), ("gpu_util_pct_mean", "GPU % mean"),
    ("gpu_sm_clock_mhz_mean", "SM MHz mean"), ("temp_gpu_c_max", "GPU C max"), ("ram_used_mb_max", "RAM MiB max"),
    ("swap_used_mb_max", "swap MiB max"), ("avg_power_w", "avg W"), ("energy_j_per_img", "J/image"),
    ("img_per_s_per_w", "img/s/W"), ("power_source", "power from"),
)


def fmt(value) -> str:
    if value is None or value != value:  # None or NaN
        return ""
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def present_columns(rows: list, columns: tuple) -> list:
    """Drop columns that are empty in every row (e.g. GPU figures on a CPU-only machine)."""
    return [(key, label) for key, label in columns if any(fmt(row.get(key)) for row in rows)]


def run_id_of(row: dict) -> str:
    return row.get("run_id") or ""
