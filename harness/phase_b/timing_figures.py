"""The timing figures of a run from its raw per-pass samples: statistics, confidence bounds, breakdown."""

from __future__ import annotations

from harness.measure.latency_stats import percentile_upper_bound, samples_needed_for_bound, summarize_latency

CONFIDENCE = 0.99


def bounds(samples: list, prefix: str) -> tuple:
    """99 % upper confidence bounds for p90 and p99, or why there are too few samples for one."""
    figures, unavailable = {}, {}
    for q, name in ((0.90, f"{prefix}_p90_ucb99"), (0.99, f"{prefix}_p99_ucb99")):
        value, _ = percentile_upper_bound(samples, q, CONFIDENCE)
        figures[name] = value
        if value is None:
            unavailable[name] = (f"{len(samples)} samples cannot bound p{round(q * 100)} at 99 % confidence "
                                 f"(needs at least {samples_needed_for_bound(q, CONFIDENCE)})")
    return figures, unavailable


def timing_metrics(passes, why_no_gpu: str = None) -> tuple:
    """(figures, unavailable) for host end-to-end latency, GPU compute and the per-pass breakdown."""
    figures = summarize_latency(passes.latency_ms, "latency_ms")
    host_bounds, unavailable = bounds(passes.latency_ms, "latency_ms")
    figures.update(host_bounds)
    gpu = passes.extra.get("gpu_compute_ms")
    if gpu:
        figures.update(summarize_latency(gpu, "gpu_compute_ms"))
        gpu_bounds, gpu_unavailable = bounds(gpu, "gpu_compute_ms")
        figures.update(gpu_bounds)
        unavailable.update(gpu_unavailable)
    else:
        for name in summarize_latency([], "gpu_compute_ms"):
            figures[name] = None
            unavailable[name] = why_no_gpu or "no GPU compute time"
        for name in ("gpu_compute_ms_p90_ucb99", "gpu_compute_ms_p99_ucb99"):
            figures[name] = None
            unavailable[name] = why_no_gpu or "no GPU compute time"
    for part in ("prepare_ms", "enqueue_ms"):
        values = passes.extra.get(part)
        stats = summarize_latency(values or [], part)
        figures[f"{part}_p50"] = stats[f"{part}_p50"]
        figures[f"{part}_mean"] = stats[f"{part}_mean"]
    figures["latency_samples_n"] = len(passes.latency_ms)
    return figures, unavailable
