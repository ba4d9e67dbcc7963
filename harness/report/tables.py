"""Table rows shared by the Markdown and HTML reports (one definition of what each report column is and how each
cell reads)."""

from __future__ import annotations

from harness.report.summary import ACCURACY_COLUMNS, RANDOM_INIT, fidelity_cell, status_text

RUN_COLUMNS = (
    ("device_profile", "device"), ("model", "model"), ("task", "task"), ("backend", "backend"), ("variant", "mode"), ("precision", "precision"),
    ("imgsz", "imgsz"), ("batch", "batch"), ("weights", "weights"),
    ("input", "input (layout dtype colour norm resize)"),
    ("status", "status"), ("valid", "valid"), ("host_interference_pct", "host busy %"), ("latency_ms_p50", "p50 ms"), ("latency_ms_p99", "p99 ms"),
    ("repeat_p50_cv_pct", "p50 CV % between processes"), ("repeat_p50_ms_min", "p50 min ms"),
    ("repeat_p50_ms_max", "p50 max ms"),
    ("throughput_img_per_s", "img/s"), ("peak_process_gpu_mb", "peak process GPU MiB"),
    ("peak_torch_reserved_mb", "peak torch reserved MiB"), ("peak_rss_mb", "peak RSS MiB"),
    ("fps", "fps"), ("prompt_latency_ms_p50", "prompt frame ms"), ("fidelity_max_abs_err", "fidelity max abs err"),
    ("fidelity_compared_with", "fidelity vs"),
    ("fidelity_box_match_pct", "box match %"), ("fidelity_top1_agree_pct", "top-1 agree %"),
    ("detections_per_frame_mean", "detections/frame"), *ACCURACY_COLUMNS,
    ("int8_accuracy_drop", "int8 accuracy drop vs fp32"), ("int8_speedup", "int8 speed-up"),
    ("trtexec_latency_ms_median", "trtexec latency ms"), ("harness_over_trtexec_latency_ratio", "harness / trtexec"),
    ("reason", "reason"), ("validity_reasons", "why not valid"),
)
LAYER_COLUMNS = (("run_id", "run"), ("source", "measured by"), ("rank", "#"), ("name", "layer / operator"),
                 ("op", "op"), ("calls", "calls"), ("total_ms", "total ms"), ("share_pct", "share %"))
LAYER_NOTE = ("Each profiled run's 15 largest layers or operators over 10 untimed passes after its measured ones, "
              "with their share of the profiled total (self time: exclusive of children). The profiler's own "
              "overhead inflates the absolute times; read the shares.")
ACCURACY_KEYS = frozenset(key for key, _ in ACCURACY_COLUMNS)
MEANINGLESS = f"({RANDOM_INIT}: meaningless)"
OOM_EVIDENCE_ORDER = ("rule", "probe", "observed")
NOT_RECORDED = "not recorded"
SYSTEM_COLUMNS = (
    ("run_id", "run"), ("cpu_util_pct_mean", "CPU % mean"), ("host_interference_pct", "host busy % (worst 0.5 s)"),
    ("host_other_cpu_core_pct", "other processes, % of a core"), ("host_own_cpu_core_pct", "this run, % of a core"),
    ("host_steal_core_pct", "steal, % of a core"), ("host_run_queue_max", "run queue max"), ("gpu_util_pct_mean", "GPU % mean"),
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


def cell_text(row: dict, key: str) -> str:
    """One run-table cell: the status with its evidence and mark; a random-init model's accuracy labelled."""
    if key == "status":
        return status_text(row)
    text = fmt(row.get(key))
    if text and key in ACCURACY_KEYS and row.get("weights") == RANDOM_INIT:
        return f"{text} {MEANINGLESS}"
    return fidelity_cell(row, text) if key == "fidelity_max_abs_err" else text


def present_columns(rows: list, columns: tuple) -> list:
    """Drop columns that are empty in every row (e.g. GPU figures on a CPU-only machine)."""
    return [(key, label) for key, label in columns if any(fmt(row.get(key)) for row in rows)]


def _evidence_rank(name: str) -> int:
    if name == NOT_RECORDED:
        return len(OOM_EVIDENCE_ORDER) + 1
    return OOM_EVIDENCE_ORDER.index(name) if name in OOM_EVIDENCE_ORDER else len(OOM_EVIDENCE_ORDER)


def counts_text(counts: dict, oom_evidence: dict) -> str:
    """``ok 4, skipped_oom 3 (rule 1, probe 1, observed 1), skipped 1, failed 0``; old results name no evidence."""
    split = [f"{name} {oom_evidence[name]}" for name in sorted(oom_evidence, key=_evidence_rank)]
    known = any(name != NOT_RECORDED for name in oom_evidence)
    oom = f"skipped_oom {counts['skipped_oom']}" + (f" ({', '.join(split)})" if known else "")
    return f"ok {counts['ok']}, {oom}, skipped {counts['skipped']}, failed {counts['failed']}"


def run_id_of(row: dict) -> str:
    return row.get("run_id") or ""
