"""Phase B entry point: ``python -m harness.phase_b --request FILE --run_id ID [--run_id ID ...]``.

A freshly launched process: imports, device initialization, then each requested run in turn, one
result file per run. By default the parent gives each run its own process (``--isolation run``).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from harness import child_protocol
from harness.lifeline import die_with_parent
from harness.errors import EXIT_INTERNAL, EXIT_OK
from harness.logging_setup import configure_phase_logging, quiet_offline_environment
from harness.measurement_request import read_request
from harness.results import run_key, write_result
from harness.setup_config import read_setup_config

log = logging.getLogger("jetson_benchmark.phase_b")


def _process_started_at() -> float:
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001
        return time.time()


def _init_device(torch, device: str, setup: dict) -> dict:
    """Create the CUDA context now, so it belongs to the baseline and not to the first run's load.
    cudnn.benchmark starts False; each run sets the value Phase A tuned for it."""
    torch.backends.cudnn.benchmark = False
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
        torch.zeros(1, device=device)
        torch.cuda.synchronize(device)
    return {
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.phase_b")
    parser.add_argument("--request", required=True)
    parser.add_argument("--run_id", action="append", required=True)
    args = parser.parse_args(argv)
    process_started_at = _process_started_at()
    die_with_parent()
    request = read_request(args.request)
    configure_phase_logging("B", bool(request.get("verbose")))
    quiet_offline_environment()
    try:
        config_path = Path(request["setup_config"])
        setup = read_setup_config(config_path)
        device = setup["device"]["resolved"]
        begun = time.perf_counter()
        import torch

        from harness.environment import full_environment

        torch_settings = _init_device(torch, device, setup)
        imports_s = time.perf_counter() - begun
        environment = full_environment(device)
    except Exception as exc:  # noqa: BLE001
        log.exception("Phase B could not start")
        child_protocol.emit("internal_error", message=f"{type(exc).__name__}: {exc}")
        return EXIT_INTERNAL

    from harness.phase_b.run_executor import execute_run

    out_dir = Path(request["out_dir"])
    measurement = request["measurement"]
    for index, run_id in enumerate(args.run_id):
        planned = request["runs"][run_id]
        child_protocol.emit("run_start", run_id=run_id, pid=os.getpid())

        def on_pass(i, warmup, _run_id=run_id):
            child_protocol.emit("pass", run_id=_run_id, index=i, warmup=warmup)

        key = run_key(planned, measurement, setup["dataset"]["fingerprint"])
        cudnn_benchmark = bool((planned.get("extra") or {}).get("cudnn_benchmark", False))
        torch.backends.cudnn.benchmark = cudnn_benchmark
        result = execute_run(planned, setup, config_path, measurement, torch, device, key,
                             on_pass=on_pass if request.get("progress") else None)
        result["process"] = {
            "phase": "B",
            "pid": os.getpid(),
            "isolation": request.get("isolation"),
            "process_started_at": process_started_at,
            "imports_and_device_init_s": imports_s,
            "run_index_in_process": index,
            "process_wall_s_at_write": time.time() - process_started_at,
        }
        result["setup"] = {"config": str(config_path), "phase_a_pid": setup["phase_a"]["pid"],
                           "dataset_fingerprint": setup["dataset"]["fingerprint"],
                           "dataset_frames": setup["dataset"]["frames"]}
        result["environment"] = environment
        result["torch_settings"] = {**torch_settings, "cudnn_benchmark": cudnn_benchmark}
        result["measurement"] = measurement
        write_result(out_dir, result)
        child_protocol.emit("run_end", run_id=run_id, status=result["status"], reason=result["reason"],
                            p50=result["metrics"].get("latency_ms_p50"))
    return EXIT_OK
