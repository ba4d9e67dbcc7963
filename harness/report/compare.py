"""``jetson_benchmark.py compare OUT_A OUT_B``: what changed from A to B, run by run, and is it real?

Runs are matched by run id, then checked for comparability: two runs are compared only when they were
measured alike (dataset, device, memory profile, input and task settings, isolation, math mode, the
measurement settings that change a figure; :data:`harness.records.run_identity.COMPARABLE_PARTS`). A pair that differs
is listed as "not comparable: <what differs>" and never counts as a regression or an improvement. When either
side has no ``identity`` record (an older harness), only the dataset fingerprint and the device name are
checked, and the row's note says so.

For every comparable pair: p50, p99, throughput, peak memory and accuracy, A -> B with the change in %.
Whether a latency or throughput change is real (marked ``*``) is decided by one of two tests, named in the
"decided by" column:

- between processes, when both sides were measured with ``--repeats N`` (N >= 2): Welch's t statistic on the
  per-process figures, with the conservative min(n_A, n_B) - 1 degrees of freedom, p < 0.05. This measures the
  noise that matters (one fresh process to the next) instead of assuming it.
- otherwise, the 95 % bootstrap intervals of one process's raw samples must not overlap AND the change must be
  at least ``--noise_pct`` (default 10 %): a single process's intervals only know that process's own noise, and
  the floor stands in for the unmeasured between-process spread (docs/validation.md, docs/compare.md).

A regression is a real change for the worse larger than ``--threshold_pct``, a memory or accuracy change for
the worse larger than it (threshold only: those are not noisy the same way), or a run that was ok in A and is
not in B.

Exit status: 0 no regression; 4 at least one regression (to gate a CI pipeline); 2 nothing to compare (no run
id in both folders, an empty folder, or no pair both comparable and measured) or a bad flag, with a one-line
message; 1 an internal error.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from harness.errors import EXIT_REGRESSION, UserError
from harness.records.results import STATUS_OK, load_results
from harness.records.run_identity import COMPARABLE_PARTS, differences, for_comparison

ALPHA = 0.05
# Above every H200 repeat of the same matrix (median 2.8 %, largest 8.5 %) and the median between-process
# disagreement of launch-bound GPU runs (7.4 %); see docs/compare.md for why not higher.
DEFAULT_NOISE_PCT = 10.0
TIMED = (("latency_ms_p50", "p50 ms", +1), ("latency_ms_p99", "p99 ms", +1), ("throughput_img_per_s", "img/s", -1))
MEMORY = ("peak_process_gpu_mb", "peak_torch_reserved_mb", "peak_rss_mb")
ACCURACY = ("map50_95", "fidelity_cos_sim_min")
LEGACY_PARTS = (("dataset", "setup", "dataset_fingerprint"), ("device", "environment", "device_name"))

DESCRIPTION = f"""Per-run changes from OUT_A to OUT_B. Runs are matched by id; pairs not measured alike (dataset, \
device, settings) are listed as not comparable and never count. A latency/throughput change is real when, with \
--repeats >= 2 on both sides, Welch's t-test on the per-process figures gives p < {ALPHA:g}; otherwise when the \
95 % bootstrap intervals of the samples are disjoint and the change is at least --noise_pct. Exit status: 0 no \
regression; 4 a regression; 2 nothing to compare (no common run id, or no pair comparable and measured) or a \
bad flag; 1 internal error."""

NOISE_HELP = f"""without repeats on both sides, a change smaller than this is never called real (default \
{DEFAULT_NOISE_PCT:g}: a single process's bootstrap knows only its own noise, and fresh processes of the same \
run differ by a median 2.8 %%, at most 8.5 %%, on an H200, and by a median 7.4 %% in launch-bound GPU \
configurations; a shared 2-core CPU VM swings 29 %%, so use --repeats there)"""


@dataclass(frozen=True)
class Settings:
    threshold_pct: float
    noise_pct: float
    rounds: int
    seed: int


@dataclass(frozen=True)
class Verdict:
    rows: list
    outcome: str  # "compared", "not comparable" or "not measured" (not ok on both sides)


# ----------------------------------------------------------------------------------------------- comparability


def _recorded(result: dict, section: str, field: str):
    return (result.get(section) or {}).get(field)


def _legacy_differences(a: dict, b: dict) -> tuple:
    """Dataset and device, each checked only where both sides recorded it: (differences, note)."""
    found, checked = [], []
    for label, section, field in LEGACY_PARTS:
        va, vb = _recorded(a, section, field), _recorded(b, section, field)
        if va is None or vb is None:
            continue
        checked.append(label)
        if va != vb:
            found.extend(differences({label: va}, {label: vb}))
    missing = " and ".join(side for side, r in (("A", a), ("B", b)) if not isinstance(r.get("identity"), dict))
    what = f"only {' and '.join(checked)} checked" if checked else "dataset and device not recorded, nothing checked"
    return found, f"{what} (no identity record on {missing})"


DEVICE_PARTS = ("device", "profile")  # what differs by design between two devices of one fleet run


def comparability(a: dict, b: dict, ignore: tuple = ()) -> tuple:
    """(what differs between the two runs' measurement, a note on what was checked); ``ignore``: identity parts a
    comparison between devices is about."""
    ia, ib = a.get("identity"), b.get("identity")
    if isinstance(ia, dict) and isinstance(ib, dict):
        parts = tuple(p for p in COMPARABLE_PARTS if p not in ignore)
        return differences(for_comparison(ia), for_comparison(ib), parts), ""
    return _legacy_differences(a, b)


# -------------------------------------------------------------------------------------------------- statistics


def bootstrap_interval(samples: list, statistic, rounds: int = 1000, seed: int = 0, level: float = 0.95) -> tuple:
    """Percentile bootstrap interval of ``statistic`` over resamples (with replacement) of ``samples``."""
    values = np.asarray(samples, dtype=np.float64)
    rng = np.random.default_rng(seed)
    draws = values[rng.integers(0, len(values), size=(rounds, len(values)))]
    estimates = statistic(draws)
    tail = (1.0 - level) / 2 * 100
    return float(np.percentile(estimates, tail)), float(np.percentile(estimates, 100 - tail))


def _scipy_stats():
    try:
        return importlib.import_module("scipy.stats")
    except ImportError:
        return None


def welch_p(va: list, vb: list, stats) -> Optional[float]:
    """Two-sided p of Welch's t statistic with min(n_A, n_B) - 1 degrees of freedom (never more than the
    Welch-Satterthwaite df, so conservative at the tiny n of repeated processes); None without any spread."""
    a, b = np.asarray(va, dtype=np.float64), np.asarray(vb, dtype=np.float64)
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    if se == 0:
        return None
    t = (b.mean() - a.mean()) / se
    return float(2 * stats.t.sf(abs(t), min(len(a), len(b)) - 1))


def _process_values(result: dict, name: str) -> list:
    processes = (result.get("repeats") or {}).get("processes") or []
    return [p[name] for p in processes if p.get(name) is not None]


def _one_sided(va: list, vb: list) -> str:
    sides = [side for side, values in (("A", va), ("B", vb)) if len(values) >= 2]
    return f"repeats on {sides[0]} only" if sides else ""


def between_process_p(va: list, vb: list) -> tuple:
    """(p, "") from the between-process test, or (None, why it could not run; "" when neither side repeated)."""
    if len(va) < 2 or len(vb) < 2:
        return None, _one_sided(va, vb)
    stats = _scipy_stats()
    if stats is None:
        return None, "scipy not installed"
    p = welch_p(va, vb, stats)
    return p, "" if p is not None else "no spread between processes"


def _bootstrap_statistic(result: dict, name: str):
    """The figure ``name`` as a function of resampled passes (rows of ``draws``)."""
    if name == "latency_ms_p50":
        return lambda draws: np.percentile(draws, 50, axis=1)
    if name == "latency_ms_p99":
        return lambda draws: np.percentile(draws, 99, axis=1)
    per_pass = result["metrics"][name] * float(np.mean(result["samples"]["latency_ms"]))  # images per pass x 1000
    return lambda draws: per_pass / draws.mean(axis=1)


def _samples(result: dict) -> list:
    return (result.get("samples") or {}).get("latency_ms") or []


def _disjoint(a: tuple, b: tuple) -> bool:
    return a[1] < b[0] or b[1] < a[0]


def _bootstrap_verdict(a: dict, b: dict, name: str, change: Optional[float], settings: Settings) -> tuple:
    """(significant, note): disjoint 95 % intervals of the two processes' samples and a change past the floor."""
    sa, sb = _samples(a), _samples(b)
    if len(sa) < 2 or len(sb) < 2 or change is None:
        return False, "too few latency samples to test"
    ia = bootstrap_interval(sa, _bootstrap_statistic(a, name), settings.rounds, settings.seed)
    ib = bootstrap_interval(sb, _bootstrap_statistic(b, name), settings.rounds, settings.seed + 1)
    note = f"95% intervals A [{ia[0]:.4g}, {ia[1]:.4g}], B [{ib[0]:.4g}, {ib[1]:.4g}]"
    below_floor = abs(change) < settings.noise_pct
    if _disjoint(ia, ib) and below_floor:
        note += f"; disjoint, but below the {settings.noise_pct:g} % noise floor"
    return _disjoint(ia, ib) and not below_floor, note


# ------------------------------------------------------------------------------------------------------- rows


def _change_pct(a, b) -> Optional[float]:
    if a is None or b is None or a == 0:
        return None
    return (b - a) / abs(a) * 100.0


def _worse_by(change: Optional[float], worse: int, threshold_pct: float) -> bool:
    return change is not None and change * worse > threshold_pct


def _row(figure, a, b, change, significant, regression, test, note) -> dict:
    return {"figure": figure, "a": a, "b": b, "change_pct": change, "significant": significant,
            "regression": bool(regression), "test": test, "note": note}


def _timed_row(a: dict, b: dict, name: str, label: str, worse: int, settings: Settings) -> dict:
    va, vb = a["metrics"].get(name), b["metrics"].get(name)
    change = _change_pct(va, vb)
    pa, pb = _process_values(a, name), _process_values(b, name)
    p, why = between_process_p(pa, pb)
    if p is not None:
        significant = p < ALPHA and change is not None
        test = f"between processes ({len(pa)} vs {len(pb)}, Welch p={p:.2g})"
        note = f"processes A [{', '.join(f'{v:.4g}' for v in pa)}], B [{', '.join(f'{v:.4g}' for v in pb)}]"
    else:
        significant, note = _bootstrap_verdict(a, b, name, change, settings)
        test = f"bootstrap + {settings.noise_pct:g} % noise floor" + (f" ({why})" if why else "")
    regression = significant and _worse_by(change, worse, settings.threshold_pct)
    return _row(label, va, vb, change, significant, regression, test, note)


def _threshold_row(figure: str, va, vb, worse: int, threshold_pct: float) -> dict:
    change = _change_pct(va, vb)
    return _row(figure, va, vb, change, None, _worse_by(change, worse, threshold_pct), "threshold only", "")


def _peak_memory(result: dict) -> tuple:
    metrics = result.get("metrics") or {}
    return next(((name, metrics[name]) for name in MEMORY if metrics.get(name) is not None), (None, None))


def _memory_rows(a: dict, b: dict, threshold_pct: float) -> list:
    (name_a, mem_a), (name_b, mem_b) = _peak_memory(a), _peak_memory(b)
    if not name_a or name_a != name_b:
        return []
    return [_threshold_row(name_a, mem_a, mem_b, +1, threshold_pct)]


def _accuracy_rows(a: dict, b: dict, threshold_pct: float) -> list:
    pairs = [(name, (a.get("metrics") or {}).get(name), (b.get("metrics") or {}).get(name)) for name in ACCURACY]
    return [_threshold_row(name, va, vb, -1, threshold_pct) for name, va, vb in pairs
            if va is not None and vb is not None]


def compare_runs(a: dict, b: dict, settings: Settings) -> list:
    """One row per figure of two ok, comparable runs: figure, a, b, change_pct, significant (True/False/None
    where threshold only), regression, test (what decided it), note."""
    timed = [(name, label, worse) for name, label, worse in TIMED
             if a["metrics"].get(name) is not None or b["metrics"].get(name) is not None]
    rows = [_timed_row(a, b, name, label, worse, settings) for name, label, worse in timed]
    if len(timed) < len(TIMED):  # a --pipeline run has no batch / latency throughput: its sustained rate instead
        rows.append(_threshold_row("sustained img/s", a["metrics"].get("sustained_img_per_s"),
                                   b["metrics"].get("sustained_img_per_s"), -1, settings.threshold_pct))
    return rows + _memory_rows(a, b, settings.threshold_pct) + _accuracy_rows(a, b, settings.threshold_pct)


def _status_row(a: dict, b: dict) -> dict:
    """A pair not ok on both sides: a regression when it was ok in A and is not in B."""
    stopped = a["status"] == STATUS_OK and b["status"] != STATUS_OK
    reason = (b if b["status"] != STATUS_OK else a).get("reason") or ""
    return _row("status", a["status"], b["status"], None, None, stopped, "status", reason[:80])


def _with_note(row: dict, extra: str) -> dict:
    return {**row, "note": "; ".join(part for part in (row["note"], extra) if part)}


def compare_pair(a: dict, b: dict, settings: Settings, ignore: tuple = ()) -> Verdict:
    """The rows of one run id and what came of it."""
    found, note = comparability(a, b, ignore)
    if found:
        row = _row("status", a["status"], b["status"], None, None, False, "comparability",
                   "not comparable: " + "; ".join(found))
        return Verdict([_with_note(row, note)], "not comparable")
    if a["status"] != STATUS_OK or b["status"] != STATUS_OK:
        changed = (a["status"] == STATUS_OK) != (b["status"] == STATUS_OK)
        return Verdict([_with_note(_status_row(a, b), note)], "compared" if changed else "not measured")
    return Verdict([_with_note(row, note) for row in compare_runs(a, b, settings)], "compared")


# -------------------------------------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jetson-benchmark compare", description=DESCRIPTION)
    parser.add_argument("out_a", help="the baseline results folder (holds runs/*.json)")
    parser.add_argument("out_b", nargs="?", help="the results folder to judge against it (omit with --devices)")
    parser.add_argument("--devices", help="A,B: compare two device profiles of one fleet run (--cluster) in OUT_A, "
                                          "each run on A against the same run on B")
    parser.add_argument("--threshold_pct", type=float, default=5.0,
                        help="a real change for the worse larger than this is a regression (default 5)")
    parser.add_argument("--noise_pct", type=float, default=DEFAULT_NOISE_PCT, help=NOISE_HELP)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plots", help="a folder for by-frame plots of each video run in both folders: memory and "
                                        "latency against the frame index, A and B on one axis (e.g. "
                                        "--max_frames_in_mem auto in A, all in B)")
    return parser


def by_frame_plots(results_a: dict, results_b: dict, common: list, args: argparse.Namespace) -> list:
    """PNG paths: for each video run id in both folders, its memory and latency by frame with A and B on one axis,
    each side labelled with its folder and its frame window."""
    from harness.report.video_plots import by_frame_plot

    folder, paths = Path(args.plots), []
    folder.mkdir(parents=True, exist_ok=True)
    for run_id in common:
        a, b = results_a[run_id], results_b[run_id]
        if not (a.get("videos") and b.get("videos")):
            continue
        sides = {f"A ({_window(a)})": a, f"B ({_window(b)})": b}
        for key, ylabel, name in (("memory_by_frame_mb", "memory (MiB)", "memory_by_frame"),
                                  ("frame_latency_ms", "frame latency (ms)", "latency_by_frame")):
            paths.append(by_frame_plot(sides, key, ylabel, f"{run_id}: {name.replace('_', ' ')}",
                                       folder / f"{run_id}__{name}.png"))
    return paths


def _window(result: dict) -> str:
    return f"window {((result.get('vos') or {}).get('window') or {}).get('setting', '?')}"


def _settings(args: argparse.Namespace) -> Settings:
    if args.noise_pct < 0 or args.threshold_pct < 0 or args.bootstrap < 1:
        raise UserError("--noise_pct and --threshold_pct must be >= 0 and --bootstrap >= 1")
    return Settings(args.threshold_pct, args.noise_pct, args.bootstrap, args.seed)


def _load(folder: str) -> dict:
    results = {r["run_id"]: r for r in load_results(folder)}
    if not results:
        raise UserError(f"{folder}: no results (runs/*.json) to compare")
    return results


def _common_ids(results_a: dict, results_b: dict, args: argparse.Namespace) -> list:
    common = sorted(set(results_a) & set(results_b))
    if not common:
        raise UserError(f"nothing to compare: no run id is in both {args.out_a} ({len(results_a)} runs) and "
                        f"{args.out_b} ({len(results_b)} runs)")
    return common


def _print_header(args: argparse.Namespace, settings: Settings) -> None:
    print(f"A = {args.out_a}\nB = {args.out_b}\nthreshold {settings.threshold_pct:g} %; a change is real (*) by "
          f"Welch's t-test on per-process figures (p < {ALPHA:g}) when both sides have >= 2 repeats, else when "
          f"the 95 % bootstrap intervals do not overlap and it is at least {settings.noise_pct:g} % "
          f"(the noise floor)\n")
    print("| run | figure | A | B | change | real | regression | decided by | note |")
    print("|---|---|---|---|---|---|---|---|---|")


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def _table_line(run_id: str, row: dict) -> str:
    change = "" if row["change_pct"] is None else f"{row['change_pct']:+.1f} %"
    real = {True: "*", False: "", None: "n/a"}[row["significant"]]
    return (f"| {run_id} | {row['figure']} | {_cell(row['a'])} | {_cell(row['b'])} | {change} | {real} | "
            f"{'REGRESSION' if row['regression'] else ''} | {row['test']} | {row['note']} |")


def _print_only_in(results_a: dict, results_b: dict) -> None:
    only_a, only_b = sorted(set(results_a) - set(results_b)), sorted(set(results_b) - set(results_a))
    if only_a or only_b:
        print(f"\nonly in A: {', '.join(only_a) or 'none'}\nonly in B: {', '.join(only_b) or 'none'}")


def _nothing_compared(outcomes: list) -> str:
    return (f"nothing to compare: of the {len(outcomes)} run(s) in both folders, "
            f"{outcomes.count('not comparable')} are not comparable (see the table) and "
            f"{outcomes.count('not measured')} are not ok on either side")


def of_device(results: dict, device: str) -> dict:
    """A fleet run's results on one device profile, by their run id without the device suffix."""
    suffix = f"__on-{device}"
    return {rid[:-len(suffix)]: r for rid, r in results.items() if rid.endswith(suffix)}


def _sides(args: argparse.Namespace) -> tuple:
    """(results A, results B, identity parts the comparison ignores)."""
    if args.devices is None:
        if args.out_b is None:
            raise UserError("compare needs OUT_A OUT_B, or OUT --devices A,B for two devices of one fleet run")
        return _load(args.out_a), _load(args.out_b), ()
    devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    if len(devices) != 2 or args.out_b is not None:
        raise UserError("--devices takes two profiles, A,B, and one results folder")
    results = _load(args.out_a)
    sides = [of_device(results, d) for d in devices]
    for device, side in zip(devices, sides):
        if not side:
            raise UserError(f"{args.out_a}: no run of device profile {device} (fleet run ids end __on-<profile>)")
    args.out_a, args.out_b = f"{args.out_a} on {devices[0]}", f"{args.out_a} on {devices[1]}"
    return sides[0], sides[1], DEVICE_PARTS


def compare_command(argv: list) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    results_a, results_b, ignore = _sides(args)
    common = _common_ids(results_a, results_b, args)
    _print_header(args, settings)
    regressions, outcomes = 0, []
    for run_id in common:
        verdict = compare_pair(results_a[run_id], results_b[run_id], settings, ignore)
        for row in verdict.rows:
            print(_table_line(run_id, row))
        regressions += sum(row["regression"] for row in verdict.rows)
        outcomes.append(verdict.outcome)
    _print_only_in(results_a, results_b)
    if args.plots:
        plots = by_frame_plots(results_a, results_b, common, args)
        print(f"\nby-frame plots of {len(plots) // 2} video run(s) in {args.plots}" if plots else
              "\nno video run in both folders: no by-frame plot")
    print(f"\n{regressions} regression(s); {outcomes.count('not comparable')} run(s) not comparable")
    if regressions:
        return EXIT_REGRESSION
    if "compared" not in outcomes:
        raise UserError(_nothing_compared(outcomes))
    return 0
