"""The harness's figures beside trtexec's on the same engine: which trtexec figure matches which of ours, and
their ratios. The pairing is here, the figures' definitions in harness/measure/metric_catalog.py (docs/metric_reference.md), the
expected gap in docs/metrics.md."""

from __future__ import annotations

from typing import Optional

TRTEXEC_FIGURES = ("trtexec_latency_ms_median", "trtexec_latency_ms_p99", "trtexec_gpu_compute_ms_median",
                   "trtexec_throughput_img_per_s", "harness_over_trtexec_latency_ratio",
                   "harness_over_trtexec_gpu_compute_ratio")
GAP_EXPLANATION = ("expected gap: the harness's latency is Python's submission of one batch (input conversion on the "
                   "GPU, execute_async_v3, a synchronize) plus its uint8 H2D copy, against trtexec's C++ loop of H2D "
                   "+ compute + D2H on random data with no pre- or post-processing; the GPU compute figures should "
                   "agree within the runs' noise, the latencies differ by the per-pass host overhead")


def _stat(record: dict, pass_name: str, figure: str, stat: str) -> Optional[float]:
    summary = ((record.get("passes") or {}).get(pass_name) or {}).get("summary") or {}
    stats = (summary.get("figures") or {}).get(figure) or {}
    if stat.startswith("p"):
        return (stats.get("percentiles") or {}).get(stat[1:])
    return stats.get(stat)


def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    return ours / theirs if ours and theirs else None


def side_by_side(metrics: dict, record: dict, batch: int) -> dict:
    """trtexec's figures named as ours, and the harness-over-trtexec ratios (None where either side is missing)."""
    with_transfers = ((record.get("passes") or {}).get("with_transfers") or {}).get("summary") or {}
    qps = with_transfers.get("throughput_qps")
    figures = {
        "trtexec_latency_ms_median": _stat(record, "with_transfers", "latency", "median"),
        "trtexec_latency_ms_p99": _stat(record, "with_transfers", "latency", "p99"),
        "trtexec_gpu_compute_ms_median": _stat(record, "compute_only", "gpu_compute_time", "median"),
        "trtexec_throughput_img_per_s": qps * batch if qps else None,
    }
    figures["harness_over_trtexec_latency_ratio"] = _ratio(metrics.get("latency_ms_p50"),
                                                           figures["trtexec_latency_ms_median"])
    figures["harness_over_trtexec_gpu_compute_ratio"] = _ratio(metrics.get("gpu_compute_ms_p50"),
                                                               figures["trtexec_gpu_compute_ms_median"])
    return figures
