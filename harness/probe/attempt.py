"""One probe in its own short-lived process: ``python -m harness.probe.attempt --request FILE``.

Loads the run's backend under the memory budget, runs a couple of passes at the requested batch on
random frames, reports what it saw, exits. Exit codes: 0 fits, 3 out of memory (caught), 4 another error,
5 the backend cannot run here. A SIGKILL (kernel OOM killer) is read by the caller as out of memory.
"""

from __future__ import annotations

import argparse
import sys

from harness import child_protocol
from harness.atomic_io import read_json
from harness.lifeline import die_with_parent
from harness.logging_setup import configure_phase_logging, quiet_offline_environment
from harness.oom import is_oom_exception

EXIT_FITS, EXIT_OOM, EXIT_ERROR, EXIT_UNAVAILABLE = 0, 3, 4, 5


def _peaks(torch, device: str) -> dict:
    if torch is None or not device.startswith("cuda"):
        return {}
    torch.cuda.synchronize(device)
    return {"peak_torch_reserved_mb": torch.cuda.max_memory_reserved(device) / 2**20,
            "peak_torch_alloc_mb": torch.cuda.max_memory_allocated(device) / 2**20}


def attempt(request: dict) -> int:
    import numpy as np

    from runners.base import BackendUnavailable
    from runners.registry import runner_class

    torch = None
    if request["device"].startswith("cuda") or request["backend"] == "torch":
        import torch  # noqa: F811 - only the phases that need torch import it

        if request["device"].startswith("cuda"):
            torch.cuda.set_device(torch.device(request["device"]))
            if request.get("cudnn_benchmark") is not None:
                torch.backends.cudnn.benchmark = bool(request["cudnn_benchmark"])
    runner = runner_class(request["backend"])(request["artifact"], request["device"], request["precision"],
                                              int(request["imgsz"]), int(request["batch"]),
                                              memory_budget_mb=request.get("budget_mb"),
                                              options=request.get("runner_options"))
    size, batch = int(request["imgsz"]), int(request["batch"])
    frames = np.random.default_rng(0).integers(0, 256, size=(batch, 3, size, size), dtype=np.uint8)
    try:
        runner.load()
        for _ in range(int(request.get("passes", 2))):
            runner.infer(runner.prepare(frames))
            runner.synchronize()
    except BackendUnavailable as exc:
        child_protocol.emit("probe_result", outcome="unavailable", detail=str(exc))
        return EXIT_UNAVAILABLE
    except Exception as exc:  # noqa: BLE001 - classified below
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {first}"[:300]
        if is_oom_exception(exc):
            child_protocol.emit("probe_result", outcome="oom", detail=detail, **_peaks(torch, request["device"]))
            return EXIT_OOM
        child_protocol.emit("probe_result", outcome="error", detail=detail)
        return EXIT_ERROR
    child_protocol.emit("probe_result", outcome="fits", memory_limit=runner.memory_limit,
                        **_peaks(torch, request["device"]))
    return EXIT_FITS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.probe.attempt")
    parser.add_argument("--request", required=True)
    args = parser.parse_args(argv)
    die_with_parent()
    configure_phase_logging("probe", False)
    quiet_offline_environment()
    return attempt(read_json(args.request))


if __name__ == "__main__":
    sys.exit(main())
