"""Energy over a run's measured window, integrated from instantaneous power samples (trapezoid rule).

The tools' own averages (tegrastats' second figure, jtop's ``avg``) are moving averages, not means over
a window, so they are never used: the samples themselves are integrated. The power curve is the straight
line between consecutive samples. At each window edge the curve is interpolated between the samples on
either side; where no sample lies beyond an edge, the nearest sample's value is held to the edge (and
``edge_held_s`` says for how long). Fewer than two samples in and around the window give ``None`` figures
and the reason.
"""

from __future__ import annotations

from typing import Iterable, Optional

_NONE = {"energy_j": None, "avg_power_w": None, "duration_s": None, "samples_n": 0}


def _unavailable(reason: str, duration_s: Optional[float] = None) -> dict:
    return {**_NONE, "duration_s": duration_s, "reason": reason}


def _clean(samples: Iterable) -> list:
    """Sorted (t, w) pairs with both values numbers; the same instant kept once (its first value)."""
    pairs = []
    for t, w in samples:
        if isinstance(t, bool) or isinstance(w, bool) or not isinstance(t, (int, float)) or not isinstance(w, (int, float)):
            continue
        if t != t or w != w:  # NaN
            continue
        pairs.append((float(t), float(w)))
    pairs.sort(key=lambda p: p[0])
    unique = []
    for t, w in pairs:
        if unique and unique[-1][0] == t:
            continue
        unique.append((t, w))
    return unique


def _value_at(points: list, t: float) -> float:
    """The piecewise-linear curve through ``points`` at ``t`` (held flat beyond its ends)."""
    if t <= points[0][0]:
        return points[0][1]
    if t >= points[-1][0]:
        return points[-1][1]
    for (t0, w0), (t1, w1) in zip(points, points[1:]):
        if t0 <= t <= t1:
            return w0 + (w1 - w0) * (t - t0) / (t1 - t0)
    return points[-1][1]  # unreachable: t lies inside the curve's range


def energy_over_window(samples: list, t_start: float, t_end: float) -> dict:
    """Energy (J), mean power (W), duration (s) and sample count for ``[t_start, t_end]``.

    ``samples``: ``(t_s, power_w)`` pairs on the same clock as the window edges, in any order. Uses the
    samples inside the window plus the last one before it and the first one after it (for the edges).
    """
    if t_end is None or t_start is None or t_end <= t_start:
        return _unavailable(f"empty window [{t_start}, {t_end}]")
    duration = t_end - t_start
    points = _clean(samples)
    inside = [p for p in points if t_start <= p[0] <= t_end]
    before = [p for p in points if p[0] < t_start][-1:]
    after = [p for p in points if p[0] > t_end][:1]
    used = before + inside + after
    if len(used) < 2:
        return _unavailable(f"{len(used)} power sample(s) in and around the {duration:.3f} s window; "
                            "2 are needed to integrate", duration)
    # The curve restricted to the window: edge values, then the samples strictly inside.
    curve = [(t_start, _value_at(used, t_start))]
    curve += [p for p in inside if t_start < p[0] < t_end]
    curve.append((t_end, _value_at(used, t_end)))
    energy = sum((t1 - t0) * (w0 + w1) / 2.0 for (t0, w0), (t1, w1) in zip(curve, curve[1:]))
    held = max(0.0, used[0][0] - t_start) + max(0.0, t_end - used[-1][0])
    gaps = [b[0] - a[0] for a, b in zip(used, used[1:])]
    return {
        "energy_j": energy,
        "avg_power_w": energy / duration,
        "duration_s": duration,
        "samples_n": len(inside),
        "edge_held_s": held,
        "max_sample_gap_s": max(gaps),
    }


def energy_over_spans(samples: list, spans: list) -> dict:
    """:func:`energy_over_window` summed over several ``(t_start, t_end)`` spans of the same window."""
    if not spans:
        return _unavailable("the measured window was never entered")
    parts = [energy_over_window(samples, t0, t1) for t0, t1 in spans]
    missing = [p for p in parts if p["energy_j"] is None]
    if missing:
        return _unavailable(missing[0]["reason"], sum(t1 - t0 for t0, t1 in spans if t1 is not None and t0 is not None))
    energy = sum(p["energy_j"] for p in parts)
    duration = sum(p["duration_s"] for p in parts)
    return {
        "energy_j": energy,
        "avg_power_w": energy / duration,
        "duration_s": duration,
        "samples_n": sum(p["samples_n"] for p in parts),
        "edge_held_s": sum(p["edge_held_s"] for p in parts),
        "max_sample_gap_s": max(p["max_sample_gap_s"] for p in parts),
        "spans_n": len(parts),
    }


def energy_figures(energy: dict, images: Optional[int], busy_s: Optional[float]) -> dict:
    """Joules per image and images per second per watt, from :func:`energy_over_window`'s result.

    ``images``: images processed in the window; ``busy_s``: the measured pass time they took (the same
    time the throughput figure divides by). img/s/W = (images / busy_s) / average power of the window.
    """
    out = {"energy_j_per_img": None, "img_per_s_per_w": None}
    if not energy or energy.get("energy_j") is None:
        out["reason"] = (energy or {}).get("reason") or "no energy figure"
        return out
    if not images or images <= 0:
        out["reason"] = "no images were processed in the window"
        return out
    out["energy_j_per_img"] = energy["energy_j"] / images
    avg_w = energy.get("avg_power_w")
    if not busy_s or busy_s <= 0:
        out["reason"] = "no measured pass time to derive a throughput from"
    elif not avg_w or avg_w <= 0:
        out["reason"] = "average power is zero"
    else:
        out["img_per_s_per_w"] = (images / busy_s) / avg_w
    return out
