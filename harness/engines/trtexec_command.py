"""trtexec, found and asked the same thing the harness measured: where it is, and the command lines of the two
passes the side-by-side check runs on a run's own engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

JETPACK_TRTEXEC = "/usr/src/tensorrt/bin/trtexec"
TRTEXEC_ENV = "JETSON_BENCHMARK_TRTEXEC"  # an explicit path wins over PATH and JetPack's location
WARMUP_MS = 500


def find_trtexec() -> tuple:
    """(path or None, where it was looked for)."""
    looked = f"${TRTEXEC_ENV}, PATH, {JETPACK_TRTEXEC}"
    explicit = os.environ.get(TRTEXEC_ENV)
    for candidate in (explicit, shutil.which("trtexec"), JETPACK_TRTEXEC):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate), looked
    return None, looked


def engine_is_dynamic(engine_sidecar: Optional[dict]) -> bool:
    batch = (engine_sidecar or {}).get("batch") or {}
    return bool(batch) and batch.get("min") != batch.get("max")


def pass_commands(trtexec: str, engine: str, input_name: str, batch: int, height: int, width: int,
                  cuda_graph: bool, duration_s: float, dynamic: bool, out_dir: Path, dla_core: Optional[int] = None) -> dict:
    """{"with_transfers": argv, "compute_only": argv}: the first times H2D + compute + D2H per query (trtexec's
    Latency, the harness's host latency without Python and pre-processing), the second ``--noDataTransfers`` for
    the pure GPU compute figure; both export per-query times, the first also per-layer times. A DLA run's engine
    is loaded onto the same DLA core (``--useDLACore``)."""
    common = [trtexec, f"--loadEngine={engine}", f"--warmUp={WARMUP_MS}", f"--duration={max(1, round(duration_s))}",
              "--iterations=10", "--percentile=90,95,99"]
    if dla_core is not None:
        common.append(f"--useDLACore={int(dla_core)}")
    if dynamic:
        common.append(f"--shapes={input_name}:{batch}x3x{height}x{width}")
    if cuda_graph:
        common.append("--useCudaGraph")
    return {
        "with_transfers": [*common, f"--exportTimes={out_dir / 'times_with_transfers.json'}",
                           f"--exportProfile={out_dir / 'profile.json'}", "--separateProfileRun"],
        "compute_only": [*common, "--noDataTransfers", f"--exportTimes={out_dir / 'times_compute_only.json'}"],
    }
