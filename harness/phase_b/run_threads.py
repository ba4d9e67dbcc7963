"""Phase B: the threads a run computes with, set from its --threads mode and recorded as a fact of the run.

torch's intra-op threads are set per run (``torch.set_num_threads``; a process that measures several runs goes
back to the process's default for a run without --threads); ONNX Runtime's session takes the same count as
``intra_op_num_threads`` (runners/onnxruntime_runner.py). Inter-op threads are left to the libraries (torch's pool
serves only ``torch.jit.fork``; ONNX Runtime runs the graph sequentially) and recorded."""

from __future__ import annotations

import os
from typing import Optional


def physical_cores() -> Optional[int]:
    try:
        import psutil

        return psutil.cpu_count(logical=False)
    except Exception:  # noqa: BLE001 - psutil missing
        return None


def apply_threads(torch, requested: Optional[int], process_default: int) -> None:
    torch.set_num_threads(int(requested) if requested else process_default)


def threads_record(torch, requested: Optional[int], runner_description: dict) -> dict:
    """What the run computed with: torch's intra/inter-op threads, ONNX Runtime's (the run's session when it has
    one, else what a session of this run would get), the OMP_NUM_THREADS it saw and the cores."""
    ort = (runner_description or {}).get("onnxruntime_threads") or {}
    ort_intra = ort.get("intra_op", requested or 0)
    return {
        "requested": requested,
        "torch_intra_op": torch.get_num_threads(),
        "torch_inter_op": torch.get_num_interop_threads(),
        "onnxruntime_intra_op": ort_intra or physical_cores(),
        "onnxruntime_intra_op_source": "--threads" if ort_intra else "ONNX Runtime's default (one per physical core)",
        "onnxruntime_inter_op": ort.get("inter_op", 0) or None,
        "onnxruntime_execution_mode": ort.get("execution_mode", "sequential"),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "cores_logical": os.cpu_count(),
        "cores_physical": physical_cores(),
    }
