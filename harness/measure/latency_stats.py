"""Summary statistics of latency samples. The definitions are in docs/metrics.md.

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
    """Images per second over the time the measured passes were running (see docs/metrics.md)."""
    if images <= 0 or not (busy_seconds > 0) or not math.isfinite(busy_seconds):
        return None
    return images / busy_seconds
