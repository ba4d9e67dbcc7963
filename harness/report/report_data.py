"""Everything a report shows, gathered from the result files alone (and metrics.jsonl for time series).

``report.json`` is this structure; report.md and report.html render it. Nothing here measures anything.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

from harness import __version__
from harness.report.memory_safety import memory_safety_summary
from harness.report.tables import NOT_RECORDED
from harness.records.results import STATUS_OK, STATUS_SKIPPED_OOM, load_results_checked

REPORT_SCHEMA_VERSION = 2  # 2: warnings name their runs; unmeasured figures grouped by reason
PLATFORM_KEYS = ("device_name", "compute_capability", "device_total_memory_mb", "cpu", "cpu_count", "platform",
                 "machine", "jetson_model", "l4t_release")
VERSION_KEYS = ("harness_version", "python", "torch", "torch_cuda", "cudnn", "onnxruntime", "ultralytics", "tensorrt",
                "transformers", "timm",
                "numpy", "opencv")
SYSTEM_FIGURES = ("cpu_util_pct_mean", "gpu_util_pct_mean", "gpu_sm_clock_mhz_mean", "temp_gpu_c_max",
                  "ram_used_mb_max", "swap_used_mb_max", "avg_power_w", "energy_j_per_img", "img_per_s_per_w")


def _setup_of(results: list) -> Optional[dict]:
    for result in results:
        path = (result.get("setup") or {}).get("config")
        if path and Path(path).is_file():
            try:
                return json.loads(Path(path).read_text())
            except (OSError, ValueError):
                return None
    return None


def _contents(sequences: list) -> str:
    images = sum(s["num_frames"] for s in sequences if s["kind"] != "video")
    videos = sum(1 for s in sequences if s["kind"] == "video")
    parts = [f"{images} images"] if images else []
    parts += [f"{videos} video{'s' if videos > 1 else ''}"] if videos else []
    return ", ".join(parts) or "no frames"


def source_text(spec: Optional[dict], sequences: list) -> str:
    """The input as a line: ``generated synthetic dataset (16 images, 1 video)``, ``image folder /data/imgs``."""
    spec = spec or {}
    kind, path = spec.get("kind"), spec.get("path")
    if kind == "synthetic":
        return f"generated synthetic dataset ({_contents(sequences)})"
    if kind == "camera":
        return f"camera {path} ({spec.get('frames')} frames captured)"
    named = {"image_dir": "image folder", "video": "video", "split_dir": "split"}
    return " ".join(str(x) for x in (named.get(kind, kind), path) if x) or "not recorded"


def source_summary(setup: dict) -> dict:
    dataset = setup["dataset"]
    sequences = [{"name": s["name"], "kind": s["kind"], "num_frames": s["num_frames"]} for s in dataset["sequences"]]
    return {"spec": setup.get("source"), "description": source_text(setup.get("source"), sequences),
            "frames": dataset["frames"], "sequences": sequences, "skipped_files": dataset["skipped"],
            "fingerprint": dataset["fingerprint"]}


def oom_evidence_counts(results: list) -> dict:
    """skipped_oom runs by what said they would not fit: rule, probe, observed (``not recorded`` on old results)."""
    counts: dict = {}
    for result in results:
        if result.get("status") == STATUS_SKIPPED_OOM:
            evidence = result.get("oom_evidence") or NOT_RECORDED
            counts[evidence] = counts.get(evidence, 0) + 1
    return counts


def unmeasured_notes(results: list) -> list:
    """One note per distinct reason a figure could not be measured: the figures and the runs it covers."""
    notes: dict = {}
    for result in results:
        if result.get("status") != STATUS_OK:
            continue
        for figure, reason in (result.get("unavailable") or {}).items():
            note = notes.setdefault(str(reason), {"figures": set(), "runs": set()})
            note["figures"].add(figure)
            note["runs"].add(result["run_id"])
    return [{"reason": reason, "figures": sorted(note["figures"]), "runs": sorted(note["runs"])}
            for reason, note in sorted(notes.items())]


def run_warnings(results: list) -> list:
    """Each distinct warning with the runs it belongs to."""
    owners: dict = {}
    for result in results:
        for warning in result.get("warnings") or []:
            owners.setdefault(warning, set()).add(result["run_id"])
    return [{"warning": warning, "runs": sorted(runs)} for warning, runs in sorted(owners.items())]


def measured_ids(report: dict) -> list:
    return [r["run_id"] for r in report["runs"] if r.get("status") == STATUS_OK]


def runs_text(runs: list, every: list) -> str:
    """The runs a note covers, as a table cell: "every run (4)" when it covers all of them, else their ids."""
    if len(runs) > 1 and set(runs) == set(every):
        return f"every measured run ({len(runs)})"
    return ", ".join(runs[:6]) + (f" and {len(runs) - 6} more" if len(runs) > 6 else "")


def system_summary(results: list) -> list:
    rows = []
    for result in results:
        if result.get("status") != STATUS_OK:
            continue
        metrics = result.get("metrics") or {}
        rows.append({"run_id": result["run_id"], **{k: metrics.get(k) for k in SYSTEM_FIGURES},
                     "power_source": (result.get("telemetry") or {}).get("power_source")})
    return rows


def layer_profile_rows(results: list) -> list:
    """--layer_profile: each profiled run's top layers or operators, one row each (rank 1 = the largest share)."""
    rows = []
    for r in results:
        profile = r.get("layer_profile") or {}
        for rank, entry in enumerate(profile.get("top") or [], start=1):
            rows.append({"run_id": r["run_id"], "source": profile.get("source"), "rank": rank, **entry})
    return rows


def process_time_rows(results: list) -> list:
    """One row per run whose process recorded its parts: wall, measured window, their ratio, the parts."""
    rows = []
    for r in results:
        process = r.get("process") or {}
        parts = process.get("parts_s") or {}
        if not parts:
            continue
        wall, measured = process.get("process_wall_s"), parts.get("measured")
        rows.append({"run_id": r["run_id"], "isolation": process.get("isolation"), "process_wall_s": wall,
                     "measured_s": measured,
                     "wall_over_measured": round(wall / measured, 2) if wall and measured else None,
                     "parts": " + ".join(f"{k} {v:.2f}" for k, v in parts.items() if v >= 0.005)})
    return rows


def class_name_rows(results: list) -> list:
    """Per model with class names or a classify score: where the names came from, the names, and the folder ->
    index mapping classify scored with."""
    from harness.model_input.class_names import names_line

    rows = {}
    for result in results:
        settings = (result.get("task") or {}).get("settings") or {}
        scored = ((result.get("accuracy") or {}).get("classify") or {})
        model = (result.get("run") or {}).get("model")
        if model and (settings.get("names") or scored) and (model not in rows or scored):
            rows[model] = {"model": model, "names": names_line(settings.get("names") or {}, settings.get("names_source", "")),
                           "class_order": scored.get("class_order"), "class_index": scored.get("class_index")}
    return [rows[m] for m in sorted(rows)]


def build_report(out_dir: str | Path) -> dict:
    from harness.report.cross_device import cross_device_section
    from harness.report.video_tables import video_rows
    from harness.report.summary import summary_frame

    out_dir = Path(out_dir)
    results, problems = load_results_checked(out_dir)
    measured = [r for r in results if r.get("status") == STATUS_OK]
    first = measured[0] if measured else (results[0] if results else {})
    environment = first.get("environment") or {}
    setup = _setup_of(results)
    budget = (first.get("memory_budget") or {})
    warnings = run_warnings(results)
    power_states = {r["run_id"]: r.get("power_state") for r in results if r.get("power_state")}
    frame = summary_frame(results)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "generated_by": f"jetson_benchmark {__version__}",
        "out_dir": str(out_dir.resolve()),
        "platform": {k: environment.get(k) for k in PLATFORM_KEYS},
        "versions": {k: environment.get(k) for k in VERSION_KEYS},
        "profile": {"name": budget.get("profile"), "emulated": budget.get("emulated_profile"),
                    "budget_mb": budget.get("limit_mb"), "budget_source": budget.get("budget_source"),
                    "unified_memory": budget.get("unified_memory")},
        "source": source_summary(setup) if setup else None,
        "runs": json.loads(frame.to_json(orient="records")),
        "counts": {status: sum(1 for r in results if r.get("status") == status)
                   for status in ("ok", "failed", "skipped_oom", "skipped")},
        "skipped_oom_evidence": oom_evidence_counts(results),
        "memory_safety": memory_safety_summary(results),
        "system": system_summary(results),
        "power_states": power_states,
        "warnings": warnings,
        "notes": unmeasured_notes(results),
        "videos": video_rows(results),
        "layer_profiles": layer_profile_rows(results),
        "class_names": class_name_rows(results),
        "cross_device": cross_device_section(json.loads(frame.to_json(orient="records"))),
        "unreadable_results": [{"file": f"runs/{name}", "why": why} for name, why in problems],
        "process_time": process_time_rows(results),
    }
