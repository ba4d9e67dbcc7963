"""``jetson_benchmark.py compare OUT_A OUT_B``: what changed from A to B, run by run, and is it real?

For every run in both folders: p50, p99, throughput, peak memory and accuracy, A -> B with the change in %.
A latency or throughput change counts as real only when the 95 % bootstrap intervals of A and B (resampling
each run's own raw samples) do not overlap: two runs of the same thing differ by noise, and that noise is
measured, not assumed. A regression is a real change for the worse larger than ``--threshold_pct``, a memory
or accuracy change for the worse larger than it (those are not noisy the same way), or a run that was ok in A
and is not in B. Exit status 4 when there is a regression, so it can gate a CI pipeline; 0 otherwise.
"""

from __future__ import annotations

import argparse
from typing import Optional

import numpy as np

from harness.errors import UserError
from harness.results import STATUS_OK, load_results

EXIT_REGRESSION = 4
LATENCY = (("latency_ms_p50", 50, "p50 ms", +1), ("latency_ms_p99", 99, "p99 ms", +1))


def bootstrap_interval(samples: list, statistic, rounds: int = 1000, seed: int = 0, level: float = 0.95) -> tuple:
    """Percentile bootstrap interval of ``statistic`` over resamples (with replacement) of ``samples``."""
    values = np.asarray(samples, dtype=np.float64)
    rng = np.random.default_rng(seed)
    draws = values[rng.integers(0, len(values), size=(rounds, len(values)))]
    estimates = statistic(draws)
    tail = (1.0 - level) / 2 * 100
    return float(np.percentile(estimates, tail)), float(np.percentile(estimates, 100 - tail))


def _disjoint(a: tuple, b: tuple) -> bool:
    return a[1] < b[0] or b[1] < a[0]


def _change_pct(a, b) -> Optional[float]:
    if a is None or b is None or a == 0:
        return None
    return (b - a) / abs(a) * 100.0


def _peak_memory(result: dict) -> tuple:
    metrics = result.get("metrics") or {}
    for name in ("peak_process_gpu_mb", "peak_torch_reserved_mb", "peak_rss_mb"):
        if metrics.get(name) is not None:
            return name, metrics[name]
    return None, None


def compare_runs(a: dict, b: dict, threshold_pct: float, rounds: int, seed: int) -> list:
    """One row per figure: name, A, B, change %, significant (True/False/None), regression (bool), note."""
    rows = []
    sa, sb = a["samples"]["latency_ms"], b["samples"]["latency_ms"]
    for name, q, label, worse in LATENCY:
        stat = lambda draws, q=q: np.percentile(draws, q, axis=1)
        ia, ib = bootstrap_interval(sa, stat, rounds, seed), bootstrap_interval(sb, stat, rounds, seed + 1)
        va, vb = a["metrics"][name], b["metrics"][name]
        change = _change_pct(va, vb)
        significant = _disjoint(ia, ib)
        rows.append({"figure": label, "a": va, "b": vb, "change_pct": change, "significant": significant,
                     "regression": bool(significant and change is not None and change * worse > threshold_pct),
                     "note": f"95% intervals A [{ia[0]:.4g}, {ia[1]:.4g}], B [{ib[0]:.4g}, {ib[1]:.4g}]"})
    images_a = a["metrics"]["throughput_img_per_s"] * sum(sa) / 1000.0
    images_b = b["metrics"]["throughput_img_per_s"] * sum(sb) / 1000.0
    per_a, per_b = images_a / len(sa), images_b / len(sb)  # images per pass
    stat = lambda draws, per: per / (draws.mean(axis=1) / 1000.0)
    ia = bootstrap_interval(sa, lambda d: stat(d, per_a), rounds, seed)
    ib = bootstrap_interval(sb, lambda d: stat(d, per_b), rounds, seed + 1)
    change = _change_pct(a["metrics"]["throughput_img_per_s"], b["metrics"]["throughput_img_per_s"])
    significant = _disjoint(ia, ib)
    rows.append({"figure": "img/s", "a": a["metrics"]["throughput_img_per_s"], "b": b["metrics"]["throughput_img_per_s"],
                 "change_pct": change, "significant": significant,
                 "regression": bool(significant and change is not None and -change > threshold_pct),
                 "note": f"95% intervals A [{ia[0]:.4g}, {ia[1]:.4g}], B [{ib[0]:.4g}, {ib[1]:.4g}]"})
    name_a, mem_a = _peak_memory(a)
    name_b, mem_b = _peak_memory(b)
    if name_a and name_a == name_b:
        change = _change_pct(mem_a, mem_b)
        rows.append({"figure": f"{name_a}", "a": mem_a, "b": mem_b, "change_pct": change, "significant": None,
                     "regression": bool(change is not None and change > threshold_pct), "note": "threshold only"})
    for name in ("map50_95", "fidelity_cos_sim_min"):
        va, vb = (a.get("metrics") or {}).get(name), (b.get("metrics") or {}).get(name)
        if va is not None and vb is not None:
            change = _change_pct(va, vb)
            rows.append({"figure": name, "a": va, "b": vb, "change_pct": change, "significant": None,
                         "regression": bool(change is not None and -change > threshold_pct), "note": "threshold only"})
    return rows


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:+.1f} %" if isinstance(value, float) and abs(value) < 1e6 else str(value)


def compare_command(argv: list) -> int:
    parser = argparse.ArgumentParser(prog="jetson-benchmark compare",
                                     description="Per-run changes from OUT_A to OUT_B; exit 4 on a regression.")
    parser.add_argument("out_a")
    parser.add_argument("out_b")
    parser.add_argument("--threshold_pct", type=float, default=5.0,
                        help="a real change for the worse larger than this is a regression (default 5)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    results_a = {r["run_id"]: r for r in load_results(args.out_a)}
    results_b = {r["run_id"]: r for r in load_results(args.out_b)}
    for folder, results in ((args.out_a, results_a), (args.out_b, results_b)):
        if not results:
            raise UserError(f"{folder}: no results (runs/*.json) to compare")
    regressions = 0
    print(f"A = {args.out_a}\nB = {args.out_b}\nthreshold {args.threshold_pct:g} %, changes marked * when the 95 % "
          f"bootstrap intervals of A and B do not overlap\n")
    print("| run | figure | A | B | change | real | regression | |")
    print("|---|---|---|---|---|---|---|---|")
    for run_id in sorted(set(results_a) & set(results_b)):
        a, b = results_a[run_id], results_b[run_id]
        if a["status"] != STATUS_OK or b["status"] != STATUS_OK:
            worse = a["status"] == STATUS_OK and b["status"] != STATUS_OK
            regressions += worse
            print(f"| {run_id} | status | {a['status']} | {b['status']} | | | {'REGRESSION' if worse else ''} | "
                  f"{(b.get('reason') or '')[:80]} |")
            continue
        for row in compare_runs(a, b, args.threshold_pct, args.bootstrap, args.seed):
            regressions += row["regression"]
            real = {True: "*", False: "", None: "n/a"}[row["significant"]]
            print(f"| {run_id} | {row['figure']} | {row['a']:.4g} | {row['b']:.4g} | {_fmt(row['change_pct'])} | {real} | "
                  f"{'REGRESSION' if row['regression'] else ''} | {row['note']} |")
    only_a, only_b = sorted(set(results_a) - set(results_b)), sorted(set(results_b) - set(results_a))
    if only_a or only_b:
        print(f"\nonly in A: {', '.join(only_a) or 'none'}\nonly in B: {', '.join(only_b) or 'none'}")
    print(f"\n{regressions} regression(s)")
    return EXIT_REGRESSION if regressions else 0
