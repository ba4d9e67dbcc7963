"""``--repeats N``: each run measured in N fresh Phase B processes, each process's figures kept.

Between-process noise (the host's speed, the allocator's and the driver's state at process start) is larger
than the spread of one process's samples in launch-bound configurations (docs/validation.md: 7-15 %). The
stored result is the process with the median p50 (its samples and metrics belong together); ``repeats``
lists every process's headline figures, and ``compare`` tests changes against their spread.
"""

from __future__ import annotations

from harness.records.results import STATUS_OK, write_result

FIGURES = ("latency_ms_p50", "latency_ms_p99", "throughput_img_per_s")


def process_figures(result: dict) -> dict:
    metrics = result.get("metrics") or {}
    return {"pid": (result.get("process") or {}).get("pid"), **{name: metrics.get(name) for name in FIGURES}}


def spread_figures(processes: list) -> dict:
    """The between-process spread of the per-process p50s (every process ok): CV (sample std, n-1) and min / max."""
    import statistics

    p50s = [p["latency_ms_p50"] for p in processes if p.get("latency_ms_p50") is not None]
    if len(p50s) < 2:
        return {}
    mean = statistics.fmean(p50s)
    return {"repeats_n": len(p50s), "repeat_p50_cv_pct": 100 * statistics.stdev(p50s) / mean if mean else None,
            "repeat_p50_ms_min": min(p50s), "repeat_p50_ms_max": max(p50s)}


def median_index(values: list) -> int:
    """The index of the lower median of ``values`` (the process whose p50 is the median)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    return order[(len(order) - 1) // 2]


class RepeatRecord:
    """Each run's results, one per process, until the last repeat; then the chosen one is written."""

    def __init__(self, repeats: int):
        self.repeats = repeats
        self.results: dict = {}

    def add(self, run_id: str, result: dict) -> None:
        self.results.setdefault(run_id, []).append(result)

    def wants_more(self, run_id: str) -> bool:
        """Another process is due unless a repeat of this run already ended other than ok."""
        done = self.results.get(run_id, [])
        return all(r.get("status") == STATUS_OK for r in done) and len(done) < self.repeats

    def write_chosen(self, out_dir, run_id: str) -> None:
        done = self.results.get(run_id, [])
        if self.repeats < 2 or not done:
            return  # one process: its result file is already the run's result
        chosen = done[-1]
        if all(r.get("status") == STATUS_OK for r in done):
            chosen = done[median_index([r["metrics"]["latency_ms_p50"] for r in done])]
        processes = [process_figures(r) for r in done]
        chosen = {**chosen, "repeats": {"requested": self.repeats, "chosen": done.index(chosen), "processes": processes}}
        if all(r.get("status") == STATUS_OK for r in done):
            chosen["metrics"] = {**(chosen.get("metrics") or {}), **spread_figures(processes)}
        write_result(out_dir, chosen)
