"""Warnings a careful reader needs next to a run's numbers, derived from its own figures.

Thresholds follow trtexec where it has one (enqueue-bound: median enqueue > 0.8 x median GPU compute;
transfer-bound: the copy takes longer than the compute) and pyperf's habit of warning on a noisy timing for the coefficient of variation (5 %).
"""

from __future__ import annotations

from harness.measure.validity import CV_LIMIT_PCT
ENQUEUE_BOUND_RATIO = 0.8


def run_warnings(metrics: dict, unavailable: dict, telemetry: dict) -> list:
    warnings = []
    for prefix, what in (("latency", "host end-to-end latency"), ("gpu_compute", "GPU compute time")):
        cv = metrics.get(f"{prefix}_cv_pct")
        if cv is not None and cv > CV_LIMIT_PCT:
            warnings.append(f"noisy: the {what} varies with a CV of {cv:.1f} % (> {CV_LIMIT_PCT:g} %); compare runs "
                            "by their confidence bounds, measure longer (--min_duration_s) or quiet the machine")
    if metrics.get("latency_ms_p99_ucb99") is None and "latency_ms_p99_ucb99" in unavailable:
        warnings.append(f"too few samples to bound p99: {unavailable['latency_ms_p99_ucb99']}")
    gpu = metrics.get("gpu_compute_ms_p50")
    if gpu:
        enqueue, prepare, host = metrics.get("enqueue_ms_p50"), metrics.get("prepare_ms_p50"), metrics.get("latency_ms_p50")
        if enqueue is not None and enqueue > ENQUEUE_BOUND_RATIO * gpu:
            warnings.append(f"enqueue-bound: submitting the work takes {enqueue:.3g} ms against {gpu:.3g} ms of GPU compute "
                            "(median): the GPU waits for the host, so gpu_compute_ms measures how fast this process "
                            "launched the work and moves with the host's speed; CUDA graphs (--cuda_graph) or larger "
                            "batches help")
        if prepare is not None and prepare > gpu:
            warnings.append(f"transfer-bound: copying and converting the batch takes {prepare:.3g} ms, more than the "
                            f"{gpu:.3g} ms of GPU compute (median)")
        if host and gpu / host < 0.5:
            warnings.append(f"host overhead dominates: GPU compute is {gpu / host * 100:.0f} % of the host end-to-end "
                            "latency (median)")
    summary = (telemetry or {}).get("summary", {}).get("nvml", {})
    throttled = summary.get("gpu_throttled", {}).get("mean")
    if throttled:
        warnings.append(f"clocks slowed down: NVML reported a power or thermal slowdown in {throttled * 100:.0f} % of the "
                        "telemetry samples of the measured window; latency may not be repeatable")
    clock = summary.get("gpu_sm_clock_mhz", {}).get("mean")
    top = ((telemetry or {}).get("sources_info", {}).get("nvml") or {}).get("max_sm_clock_mhz")
    if clock and top and clock < 0.7 * top and not throttled:
        warnings.append(f"the SM clock averaged {clock:.0f} of {top:.0f} MHz while measuring with no slowdown reported: "
                        "the GPU was partly idle (a host-bound or very short workload), not throttled")
    return warnings
