"""Summary statistics of latency samples. The definitions are in harness/measure/metric_catalog.py
(docs/metric_reference.md).

Percentiles use linear interpolation between closest ranks (numpy's default, Hyndman & Fan type 7).
Standard deviation is the sample standard deviation (n - 1 in the denominator); with one sample it is
undefined and reported as None.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

PERCENTILES = (50, 90, 95, 99)


def summarize_latency(samples_ms: Sequence[float], prefix: str = "latency_ms") -> dict[str, float | None]:
    """p50/p90/p95/p99, mean, std, min, max (all ms) and CV (%) of ``samples_ms``.

    Keys are ``{prefix}_p50`` ... ``{prefix}_std``, ``{prefix}_min``, ``{prefix}_max`` and
    ``{prefix.replace('_ms', '')}_cv_pct``. Empty input gives None everywhere.
    """
    values = np.asarray(list(samples_ms), dtype=np.float64)
    cv_key = f"{prefix[:-3] if prefix.endswith('_ms') else prefix}_cv_pct"
    keys = [f"{prefix}_p{p}" for p in PERCENTILES] + [f"{prefix}_{s}" for s in ("mean", "std", "min", "max")]
    if values.size == 0:
        return {**{k: None for k in keys}, cv_key: None}
    if not np.all(np.isfinite(values)):
        raise ValueError("latency samples must be finite")
    out: dict[str, float | None] = {}
    for p in PERCENTILES:
        out[f"{prefix}_p{p}"] = float(np.percentile(values, p))
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if values.size > 1 else None
    out[f"{prefix}_mean"] = mean
    out[f"{prefix}_std"] = std
    out[f"{prefix}_min"] = float(values.min())
    out[f"{prefix}_max"] = float(values.max())
    out[cv_key] = (std / mean * 100.0) if (std is not None and mean > 0) else None
    return out


def throughput_img_per_s(images: int, busy_seconds: float) -> float | None:
    """Images per second over the time the measured passes were running (throughput_img_per_s in docs/metric_reference.md)."""
    if images <= 0 or not (busy_seconds > 0) or not math.isfinite(busy_seconds):
        return None
    return images / busy_seconds


def headline_img_per_s(metrics: dict) -> float | None:
    """The throughput to show for a run: ``throughput_img_per_s``, or for a --pipeline run (whose passes overlap,
    so it has none) ``sustained_img_per_s``."""
    value = metrics.get("throughput_img_per_s")
    return value if value is not None else metrics.get("sustained_img_per_s")


def _log_binomial_pmf(k: int, n: int, q: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(q) + (n - k) * math.log1p(-q))


def samples_needed_for_bound(q: float, confidence: float = 0.99) -> int:
    """Fewest samples for which the largest one bounds the q-quantile at this confidence: q^n <= 1 - c."""
    return math.ceil(math.log(1.0 - confidence) / math.log(q))


def percentile_upper_bound(samples_ms: Sequence[float], q: float, confidence: float = 0.99) -> tuple:
    """Distribution-free upper confidence bound for the q-quantile of the latency.

    With n samples sorted ascending, the true q-quantile lies below the k-th smallest sample with probability
    P(Binomial(n, q) <= k - 1): at least k - 1 of n draws must fall below the quantile. The bound is the
    smallest k reaching ``confidence`` (the reasoning behind MLPerf LoadGen's early stopping; its 64 / 662
    minimum queries for p90 / p99 are the n at which k = n - 1). Returns (bound or None, k or None); None when
    n is too small for any sample to bound the quantile (fewer than :func:`samples_needed_for_bound`).
    """
    values = sorted(float(v) for v in samples_ms)
    n = len(values)
    if n == 0 or not (0.0 < q < 1.0):
        return None, None
    tail = 0.0  # P(Binomial(n, q) >= k), accumulated from k = n downwards
    best = None
    for k in range(n, 0, -1):
        tail += math.exp(_log_binomial_pmf(k, n, q))
        if tail > 1.0 - confidence:
            break
        best = k
    if best is None:
        return None, None
    return values[best - 1], best
