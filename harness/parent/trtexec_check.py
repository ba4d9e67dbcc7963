"""--trtexec_check, the parent's step after the runs: for each ok tensorrt result, trtexec on the same engine in
its own child process (``harness.engines.trtexec_child``), its figures beside ours in the result. The result is
read again and rewritten atomically with the check added: a check that fails, times out or finds no trtexec
records why and never touches the measurement."""

from __future__ import annotations

import time
from pathlib import Path

from harness.files.artifact_sidecar import read_sidecar
from harness.files.atomic_io import atomic_write_json, read_json
from harness.process.child_ending import VERDICT, classify_ending
from harness.engines.trtexec_command import engine_is_dynamic, find_trtexec, pass_commands
from harness.process.launcher import run_phase
from harness.measure.trtexec_comparison import GAP_EXPLANATION, TRTEXEC_FIGURES, side_by_side
from harness.records.results import STATUS_OK, read_result, result_path, write_result
from harness.tasks.task_settings import is_video

PASSES = 2


def wants_check(result: dict, force: bool) -> bool:
    """A measured TensorRT run of a whole model (a video model's run has only its image encoder as an engine,
    inside a per-frame loop trtexec cannot replay: no side-by-side for it)."""
    run = (result or {}).get("run") or {}
    whole_model = not is_video(result)
    return (run.get("backend") == "tensorrt" and result.get("status") == STATUS_OK and whole_model
            and (force or "trtexec" not in result))


def check_request(result: dict, trtexec: str, out_dir: Path, duration_s: float) -> dict:
    run, spec = result["run"], result.get("input") or {}
    engine = run["artifact"]
    commands = pass_commands(trtexec, engine, spec.get("name") or "images", int(run["batch"]),
                             int(spec.get("height") or run["imgsz"]), int(spec.get("width") or run["imgsz"]),
                             bool((result.get("runner") or {}).get("cuda_graph")), duration_s,
                             engine_is_dynamic(read_sidecar(engine)), out_dir,
                             (result.get("runner") or {}).get("dla_core"))
    return {"passes": commands, "out_dir": str(out_dir), "pass_timeout_s": max(60.0, 10 * duration_s + 60)}


def run_check(result: dict, trtexec: str, work_dir: Path, duration_s: float, log_file) -> dict:
    """The ``trtexec`` record of one result: its passes' parsed output and the comparison, or why there is none."""
    out_dir = work_dir / result["run_id"]
    request = atomic_write_json(out_dir / "request.json", check_request(result, trtexec, out_dir, duration_s))
    timeout_s = PASSES * (max(60.0, 10 * duration_s + 60)) + 30
    started = time.perf_counter()
    outcome = run_phase("harness.engines.trtexec_child", ["--request", str(request)], timeout_s, log_file)
    ending = classify_ending(outcome, "trtexec_result", timeout_s)
    if ending.kind != VERDICT:
        return {"failed": f"the trtexec check {ending.detail}", "wall_s": round(time.perf_counter() - started, 3)}
    record = read_json(ending.event["record"])
    figures = side_by_side(result.get("metrics") or {}, record, int(result["run"]["batch"]))
    return {**record, "figures": figures, "problems": ending.event.get("problems") or [],
            "gap_explanation": GAP_EXPLANATION, "wall_s": round(time.perf_counter() - started, 3)}


def attach(out_dir: Path, run_id: str, record: dict) -> None:
    """The check joins the result as it is on disk now; its figures join the metrics, or say why they are empty."""
    result = read_result(result_path(out_dir, run_id))
    if result is None:
        return
    result["trtexec"] = record
    figures = record.get("figures") or {}
    why = record.get("failed") or record.get("unavailable") or "; ".join(record.get("problems") or [])
    for name in TRTEXEC_FIGURES:
        if figures.get(name) is not None:
            result.setdefault("metrics", {})[name] = figures[name]
        else:
            result.setdefault("unavailable", {})[name] = why or "trtexec did not report it"
    write_result(out_dir, result)


def check_tensorrt_runs(run_ids: list, out_dir: Path, duration_s: float, force: bool, log_file, say) -> int:
    """Checks every ok tensorrt result of ``run_ids`` that has no check yet (all of them with ``force``)."""
    trtexec, looked = find_trtexec()
    checked = 0
    for run_id in run_ids:
        result = read_result(result_path(out_dir, run_id))
        if not wants_check(result, force):
            continue
        if trtexec is None:
            record = {"unavailable": f"trtexec not found ({looked}); it ships with TensorRT (JetPack: {looked.split(', ')[-1]})"}
        else:
            try:
                record = run_check(result, trtexec, out_dir / "trtexec", duration_s, log_file)
            except Exception as exc:  # noqa: BLE001 - a broken check is recorded, the measurement stays
                record = {"failed": f"the trtexec check raised {type(exc).__name__}: {exc}"[:300]}
        attach(out_dir, run_id, record)
        checked += 1
        ratio = (record.get("figures") or {}).get("harness_over_trtexec_latency_ratio")
        say(f"trtexec check {run_id}: " + (f"harness p50 / trtexec median latency = {ratio:.2f}" if ratio else
                                          record.get("failed") or record.get("unavailable") or "no figures"))
    return checked
