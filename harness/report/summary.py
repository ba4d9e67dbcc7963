"""Derived tables: ``jetson_benchmark_summary.csv`` and ``.md`` from the per-run JSON files (pandas)."""

from __future__ import annotations

from pathlib import Path

from harness.files.atomic_io import atomic_write_text
from harness.data.default_weights import DEFAULT_TRAINED, DEFAULT_TRAINED_NOTE
from harness.report.int8_deltas import OVER_MARK, OVER_NOTE, add_int8_columns, over_limit
from harness.measure.metric_catalog import INT8_AGAINST_FP32, metric_names
from harness.measure.trtexec_comparison import GAP_EXPLANATION
from harness.report.memory_safety import memory_safety_markdown, memory_safety_summary
from harness.report.reason_lines import exception_line, reason_notes
from harness.records.results import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED_OOM, load_results

SUMMARY_CSV = "jetson_benchmark_summary.csv"
SUMMARY_MD = "jetson_benchmark_summary.md"
IDENTITY = ["run_id", "device_profile", "model", "task", "backend", "variant", "precision", "imgsz", "batch", "weights", "status",
            "oom_evidence", "reason", "valid", "validity_reasons"]
ACCURACY_COLUMNS = (
    ("map50", "mAP50"), ("map50_95", "mAP50-95"), ("mask_map50", "mask mAP50"), ("mask_map50_95", "mask mAP50-95"),
    ("pose_map50", "pose mAP50"), ("pose_map50_95", "pose mAP50-95"), ("obb_map50", "OBB mAP50"),
    ("obb_map50_95", "OBB mAP50-95"), ("top1_acc", "top-1"), ("top5_acc", "top-5"), ("depth_abs_rel", "depth AbsRel"),
    ("depth_rmse", "depth RMSE m"), ("depth_delta1", "depth delta1"), ("j_and_f", "J&F"), ("j_mean", "J"),
    ("f_mean", "F"),
)
CONSOLE_COLUMNS = [
    ("device_profile", "device"), ("model", "model"), ("task", "task"), ("backend", "backend"), ("variant", "mode"), ("precision", "prec"), ("imgsz", "imgsz"), ("batch", "batch"),
    ("weights", "weights"), ("status", "status"), ("valid", "valid"), ("host_interference_pct", "host busy %"),
    ("latency_ms_p50", "p50 ms"), ("latency_ms_p99", "p99 ms"),
    ("repeat_p50_cv_pct", "p50 CV % between processes"), ("repeat_p50_ms_min", "p50 min ms"),
    ("repeat_p50_ms_max", "p50 max ms"), ("gpu_compute_ms_p50", "GPU p50 ms"), ("throughput_img_per_s", "img/s"), ("fps", "fps"),
    ("prompt_latency_ms_p50", "prompt ms"), ("peak_rss_mb", "peak RSS MiB"), ("peak_torch_reserved_mb", "torch reserved MiB"), ("fidelity_max_abs_err", "fidelity err"), *ACCURACY_COLUMNS,
    ("int8_accuracy_drop", "int8 acc drop"), ("int8_speedup", "int8 speed-up"),
    ("trtexec_latency_ms_median", "trtexec ms"), ("harness_over_trtexec_latency_ratio", "/ trtexec"),
    ("reason", "reason"),
]
RANDOM_INIT = "random-init"
SHARED_PROCESS_MARK = "†"
SHARED_PROCESS_NOTE = (f"{SHARED_PROCESS_MARK} --isolation phase: this run ran after other runs in the same Phase B "
                       "process, so its memory baseline (and the memory figures measured from it) carries what they "
                       "left behind.")
RANDOM_INIT_NOTE = ("random-init: the model's weights are random (no weights file), so its accuracy figures (mAP, "
                    "top-k, depth, J&F) are meaningless; latency, throughput and memory are still valid.")
SHORT_REASON_CHARS = 60
FIDELITY_FAIL_MARK = "FAIL"
FIDELITY_FAIL_NOTE = (f"{FIDELITY_FAIL_MARK} fidelity below the task's gate (fidelity_pass false): the backend does not "
                      "reproduce the FP32 reference (detect: under 90 % of its boxes; the gate is in the result's "
                      "fidelity.fidelity_gate, docs/metrics.md), so its figures are not the model's.")
UNINFORMATIVE_MARK = "(u)"
UNINFORMATIVE_NOTE = (f"{UNINFORMATIVE_MARK} fidelity uninformative: the FP32 reference barely changes between the "
                      "fixed frames (its outputs hardly depend on the input, as with random-init weights), so a small "
                      "error against it says little (fidelity_reference_spread, docs/metrics.md).")
SELF_MARK = "(self)"
SELF_NOTE = (f"{SELF_MARK} fidelity against itself: the FP32 reference is this run's own backend and precision on the "
             "same device, so it compares one computation with itself (its error is at most the library's run-to-run "
             "noise) and proves nothing (fidelity_pass empty, "
             "fidelity_informative false); add --backend torch (or another backend), or an fp32 reference.")


TRTEXEC_NOTE = f"trtexec ms, / trtexec: trtexec's median Latency on the same engine and the harness p50 over it; {GAP_EXPLANATION}."


def _present(value) -> bool:
    return isinstance(value, (int, float)) and value == value


def against_itself(row) -> bool:
    return row.get("fidelity_compared_with") == "self"


def uninformative(row) -> bool:
    return not against_itself(row) and (row.get("fidelity_informative") is False
                                        or row.get("fidelity_informative") == 0.0)


def failed_fidelity(row) -> bool:
    return row.get("fidelity_pass") is False or row.get("fidelity_pass") == 0.0


def fidelity_mark(row) -> str:
    """What tables put after the fidelity error: (self) against itself, (u) when uninformative, FAIL below the task's
    gate, else nothing."""
    if against_itself(row):
        return SELF_MARK
    if uninformative(row):
        return UNINFORMATIVE_MARK
    return FIDELITY_FAIL_MARK if failed_fidelity(row) else ""


def fidelity_cell(row, text: str) -> str:
    return f"{text} {fidelity_mark(row)}" if text and fidelity_mark(row) else text


def validity_cells(result: dict) -> tuple:
    """("yes" / "no", its reasons) of an ok run's verdict; (None, None) for a run without one."""
    verdict = result.get("validity") or {}
    if result.get("status") != STATUS_OK or "valid" not in verdict:
        return None, None
    return ("yes" if verdict["valid"] else "no"), ("; ".join(verdict.get("reasons") or []) or None)


def weights_label(result: dict):
    """``random-init``, ``default-trained``, or the artifact the run loaded: a file the user gave (``onet.onnx``), or
    one Phase A made from it (``onet_img64.onnx (from onet.pt)``); None for a result written before the field
    existed."""
    weights = result.get("weights") or {}
    if weights.get("kind") in (RANDOM_INIT, DEFAULT_TRAINED):
        return weights["kind"]
    artifact = (result.get("run") or {}).get("artifact")
    given = weights.get("files") or [weights.get("file")]
    if not artifact or not weights.get("file"):
        return weights.get("file") or weights.get("kind")
    loaded = Path(artifact).name
    if loaded in given:
        return loaded
    same_kind = [name for name in given if Path(name).suffix == Path(loaded).suffix]
    return f"{loaded} (from {(same_kind or given)[0]})"


def ran_after_other_runs(row) -> bool:
    """--isolation phase: a run that was not the first of its process starts from what the earlier ones left."""
    index = row.get("run_index_in_process")
    return row.get("isolation") == "phase" and isinstance(index, (int, float)) and index > 0


def status_text(row) -> str:
    """The status as shown in tables: ``skipped_oom (rule)``, ``ok †``."""
    text = str(row.get("status") or "")
    evidence = row.get("oom_evidence")
    if row.get("status") == STATUS_SKIPPED_OOM and isinstance(evidence, str) and evidence:
        text += f" ({evidence})"
    return f"{text} {SHARED_PROCESS_MARK}" if ran_after_other_runs(row) else text


def short_reason(row):
    """The first ~60 characters of a non-ok row's reason, on one line (the whole reason is under the table); None
    for ok rows."""
    reason = row.get("reason")
    if row.get("status") == STATUS_OK or not isinstance(reason, str) or not reason.strip():
        return None
    line = " ".join(reason.split())
    return line if len(line) <= SHORT_REASON_CHARS else line[:SHORT_REASON_CHARS - 3] + "..."


def table_notes(rows: list) -> list:
    """The footnotes a run table needs: the shared-process mark and random-init weights, when some row has them."""
    notes = [SHARED_PROCESS_NOTE] if any(ran_after_other_runs(r) for r in rows) else []
    notes += [UNINFORMATIVE_NOTE] if any(uninformative(r) for r in rows) else []
    notes += [SELF_NOTE] if any(against_itself(r) for r in rows) else []
    notes += [FIDELITY_FAIL_NOTE] if any(failed_fidelity(r) and not uninformative(r) for r in rows) else []
    notes += [OVER_NOTE] if any(over_limit(r) for r in rows) else []
    notes += reason_notes(rows)
    notes += [TRTEXEC_NOTE] if any(_present(r.get("trtexec_latency_ms_median")) for r in rows) else []
    notes += [DEFAULT_TRAINED_NOTE] if any(r.get("weights") == DEFAULT_TRAINED for r in rows) else []
    return notes + ([RANDOM_INIT_NOTE] if any(r.get("weights") == RANDOM_INIT for r in rows) else [])


def variant_text(result: dict) -> str:
    """The run's modes as the tables show them, e.g. "cudagraph", "pipeline2", "fps30" or "cudagraph fps30"."""
    from harness.records.planned_run import RunModes

    run = result.get("run", {})
    stored = (result.get("identity") or {}).get("run", {}).get("modes")
    if stored is None:  # an older result: the label its run id carries
        return run.get("variant") or (result["run_id"].split("__")[5] if result["run_id"].count("__") >= 5 else "")
    modes = RunModes.from_dict(stored)
    return " ".join(part for part in (modes.label, modes.pacing_suffix.lstrip("_"), modes.threads_suffix.lstrip("_"))
                    if part)


def result_row(result: dict) -> dict:
    run = result.get("run", {})
    row = {key: run.get(key) for key in IDENTITY if key in run}
    row["variant"] = variant_text(result)
    row.update({"run_id": result["run_id"], "status": result.get("status"), "reason": result.get("reason")})
    row["imgsz"] = str(run.get("imgsz")) if run.get("imgsz") is not None else None  # 640 or "480x640": one type
    row["task"] = (result.get("task") or {}).get("task")
    row["weights"] = weights_label(result)
    row["oom_evidence"] = result.get("oom_evidence")
    row["exception_last_line"] = exception_line(result) if result.get("status") == STATUS_FAILED else None
    fleet = result.get("fleet") or {}
    row["device_profile"] = fleet.get("profile")  # empty on one host: the device is the host's
    row["node"] = f"{fleet['address']} ({fleet['node_id'][:8]})" if fleet.get("node_id") else None
    row["gpu_ids"] = ",".join(fleet.get("gpu_ids") or []) or None
    row["run_started_at"], row["run_ended_at"] = fleet.get("started_at"), fleet.get("ended_at")
    row["valid"], row["validity_reasons"] = validity_cells(result)
    row["fidelity_compared_with"] = (result.get("fidelity") or {}).get("compared_with")
    threads = result.get("threads") or {}
    row["torch_intra_op_threads"] = threads.get("torch_intra_op")
    row["torch_inter_op_threads"] = threads.get("torch_inter_op")
    row["onnxruntime_intra_op_threads"] = threads.get("onnxruntime_intra_op")
    spec = result.get("input") or {}
    row["input"] = (f"{spec['layout']} {spec['dtype']} {spec['color']} {spec['norm']} {spec['resize']}"
                    if spec else None)
    metrics = result.get("metrics", {})
    for name in metric_names():
        row[name] = metrics.get(name)
    runner = result.get("runner", {})
    env = result.get("environment", {})
    row["device_name"] = env.get("device_name")
    row["execution_device"] = runner.get("execution_device", runner.get("device"))
    row["providers"] = ",".join(runner.get("providers", [])) or None
    process = result.get("process") or {}
    row["phase_b_pid"] = process.get("pid")
    row["isolation"] = process.get("isolation")
    row["run_index_in_process"] = process.get("run_index_in_process")
    row["phase_a_pid"] = result.get("setup", {}).get("phase_a_pid")
    row["int8_max_accuracy_drop"] = (result.get("calibration") or {}).get("max_accuracy_drop")
    row["created_at"] = result.get("created_at")
    return row


def summary_frame(results: list):
    import pandas as pd

    rows = add_int8_columns([result_row(r) for r in results])
    known = set(metric_names())
    extra = sorted({k for r in results for k in (r.get("metrics") or {}) if k not in known})  # e.g. --accuracy_hook figures
    for row, result in zip(rows, results):
        row.update({k: (result.get("metrics") or {}).get(k) for k in extra})
    int8 = [m.name for m in INT8_AGAINST_FP32]  # derived from two results, after every result's own figures
    columns = IDENTITY + metric_names() + extra + int8 + ["fidelity_compared_with", "input", "exception_last_line",
                                                          "torch_intra_op_threads", "torch_inter_op_threads",
                                                          "onnxruntime_intra_op_threads", "device_name",
                                                          "execution_device", "providers", "phase_b_pid", "isolation",
                                                          "run_index_in_process", "phase_a_pid", "node", "gpu_ids",
                                                          "run_started_at", "run_ended_at", "created_at"]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame = frame.sort_values(["model", "backend", "variant", "precision", "imgsz", "batch", "device_profile"],
                                  kind="stable").reset_index(drop=True)
    return frame


def write_summary(out_dir: str | Path) -> tuple:
    """Rebuild the CSV and Markdown summaries from every result in ``out_dir/runs``."""
    out_dir = Path(out_dir)
    results = load_results(out_dir)
    frame = summary_frame(results)
    csv_path = out_dir / SUMMARY_CSV
    md_path = out_dir / SUMMARY_MD
    atomic_write_text(csv_path, frame.to_csv(index=False))
    safety = memory_safety_markdown(memory_safety_summary(results))
    atomic_write_text(md_path, "# jetson_benchmark summary\n\n" + markdown_table(frame) + "\n\n" + safety + "\n")
    return csv_path, md_path, frame


def _all_empty(series) -> bool:
    return bool((series.isna() | (series.astype(str).str.strip() == "")).all())


def display_frame(frame):
    """The frame as a table shows it: status with its evidence and mark, a short reason on non-ok rows only."""
    records = frame.to_dict("records")
    view = frame.copy()
    view["status"] = [status_text(r) for r in records]
    view["reason"] = [short_reason(r) for r in records]
    if "fidelity_max_abs_err" in view.columns and any(fidelity_mark(r) for r in records):
        view["fidelity_max_abs_err"] = [marked(r.get("fidelity_max_abs_err"), fidelity_mark(r)) for r in records]
    if "int8_accuracy_drop" in view.columns and any(over_limit(r) for r in records):
        view["int8_accuracy_drop"] = [marked(r.get("int8_accuracy_drop"), OVER_MARK if over_limit(r) else "")
                                      for r in records]
    return view


def marked(value, mark: str):
    """A number as tables print numbers (4 significant digits) with its mark after it: a column holding marks is
    text, so its unmarked numbers are formatted here too; missing stays missing."""
    if not isinstance(value, float) or value != value:
        return value
    return f"{value:.4g} {mark}".strip()


def markdown_table(frame, columns=CONSOLE_COLUMNS, floatfmt: str = ".4g") -> str:
    """The console / summary.md table; columns empty in every row (GPU figures on a CPU) say nothing and go."""
    if frame.empty:
        return "(no results)"
    view = display_frame(frame)
    present = [(key, label) for key, label in columns if key in view.columns and not _all_empty(view[key])]
    table = view[[key for key, _ in present]].rename(columns=dict(present)).astype(object)
    table = table.where(table.notna(), None)  # tabulate prints NaN as "nan"; None as missingval
    notes = table_notes(frame.to_dict("records"))
    return "\n\n".join([table.to_markdown(index=False, floatfmt=floatfmt, missingval=""), *notes])
