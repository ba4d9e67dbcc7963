"""INT8 against fp32, derived from the results: for each int8 row, its accuracy drop and fidelity change against
the fp32 row of the same model, backend, mode, imgsz and batch in the same results, and whether the drop is
beyond the run's limit (--int8_max_map_drop, recorded in its calibration record)."""

from __future__ import annotations

from typing import Optional

# the figure an int8 drop is judged on, first present wins: box mAP50-95 (detect, segment, pose), rotated-box
# mAP50-95 (obb), top-1 (classify)
ACCURACY_FIGURES = ("map50_95", "obb_map50_95", "top1_acc")
# the fidelity figure whose change is shown: the tasks' gate figures
FIDELITY_FIGURES = ("fidelity_box_match_pct", "fidelity_top1_agree_pct", "fidelity_cos_sim_min")
COLUMNS = ("int8_accuracy_figure", "int8_accuracy_drop", "int8_accuracy_flag", "int8_fidelity_figure",
           "int8_fidelity_delta", "int8_speedup")
MATCH = ("device_profile", "model", "backend", "variant", "imgsz", "batch")  # device: a fleet's rows per profile
OVER_MARK = "OVER"
OVER_NOTE = (f"{OVER_MARK} int8 accuracy drop beyond --int8_max_map_drop against the fp32 run of the same model, "
             "backend, mode, imgsz and batch (absolute mAP50-95; top-1 for classifiers): docs/metrics.md")


def _number(value) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is "not measured"


def first_figure(row: dict, figures: tuple) -> Optional[str]:
    return next((f for f in figures if _number(row.get(f)) is not None), None)


def int8_against_fp32(int8: dict, fp32: Optional[dict]) -> dict:
    """The derived columns of one int8 row (all None without an ok fp32 partner)."""
    out = dict.fromkeys(COLUMNS)
    if fp32 is None:
        return out
    accuracy = first_figure(int8, ACCURACY_FIGURES)
    if accuracy and _number(fp32.get(accuracy)) is not None:
        drop = _number(fp32[accuracy]) - _number(int8[accuracy])
        limit = _number(int8.get("int8_max_accuracy_drop"))
        out.update(int8_accuracy_figure=accuracy, int8_accuracy_drop=drop,
                   int8_accuracy_flag=None if limit is None else bool(drop > limit))
    fidelity = first_figure(int8, FIDELITY_FIGURES)
    if fidelity and _number(fp32.get(fidelity)) is not None:
        out.update(int8_fidelity_figure=fidelity,
                   int8_fidelity_delta=_number(int8[fidelity]) - _number(fp32[fidelity]))
    slow, fast = _number(fp32.get("latency_ms_p50")), _number(int8.get("latency_ms_p50"))
    if slow and fast:
        out["int8_speedup"] = slow / fast
    return out


def add_int8_columns(rows: list) -> list:
    """``rows`` (summary rows) with the int8 columns filled on int8 rows; other rows get None."""
    fp32 = {tuple(r.get(k) for k in MATCH): r for r in rows if r.get("precision") == "fp32" and r.get("status") == "ok"}
    for row in rows:
        partner = fp32.get(tuple(row.get(k) for k in MATCH))
        row.update(int8_against_fp32(row, partner) if row.get("precision") == "int8" and row.get("status") == "ok"
                   else dict.fromkeys(COLUMNS))
    return rows


def over_limit(row: dict) -> bool:
    return row.get("int8_accuracy_flag") is True or row.get("int8_accuracy_flag") == 1.0
