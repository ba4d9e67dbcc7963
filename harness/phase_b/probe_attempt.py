"""One probe in its own short-lived process: ``python -m harness.phase_b.probe_attempt --request FILE``.

A probe attempt is a Phase B run without the result file: the same executor, runner, memory budget,
frame feed and warm-up + measured passes, at the batch being tried. Predicting with the very code that
will measure is what makes the prediction hold (allocator fragmentation builds up over passes: a probe of
two passes on random input once promised batches that Phase B could not run).
Exit codes: 0 fits, 3 out of memory (caught), 4 another error, 5 the backend cannot run here. A SIGKILL
is read by the caller as out of memory only with evidence of memory pressure (harness.process.oom_evidence).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.process import child_protocol
from harness.records.results import STATUS_OK, STATUS_SKIPPED, STATUS_SKIPPED_OOM
from runners.backends import backend
from harness.records.planned_run import PlannedRun

EXIT_FITS, EXIT_OOM, EXIT_ERROR, EXIT_UNAVAILABLE = 0, 3, 4, 5
REPORTED = ("peak_torch_alloc_mb", "peak_torch_reserved_mb", "peak_process_gpu_mb", "peak_device_used_delta_mb",
            "peak_rss_mb", "model_load_s", "compile_s")


def attempt(request: dict) -> int:
    from harness.phase_b.run_executor import execute_run

    planned, device = PlannedRun.from_dict(request["planned"]), request["device"]
    torch = None
    if device.startswith("cuda") or backend(planned.spec.backend, strict=False).in_torch:
        import torch  # noqa: F811 - only the phases that need torch import it

        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
            torch.zeros(1, device=device)
            torch.backends.cudnn.benchmark = bool(request.get("cudnn_benchmark"))
    result = execute_run(planned, request["setup"], Path(request["config_path"]), request["measurement"], torch,
                         device, identity=None, runner_options=request.get("runner_options"), post_checks=False)
    status = result["status"]
    peaks = {k: result["metrics"].get(k) for k in REPORTED if result.get("metrics", {}).get(k) is not None}
    if status == STATUS_OK:
        child_protocol.emit("probe_result", outcome="fits", memory_limit=result.get("memory_budget"), **peaks)
        return EXIT_FITS
    if status == STATUS_SKIPPED_OOM:
        child_protocol.emit("probe_result", outcome="oom", detail=result["reason"], **peaks)
        return EXIT_OOM
    if status == STATUS_SKIPPED:
        child_protocol.emit("probe_result", outcome="unavailable", detail=result["reason"])
        return EXIT_UNAVAILABLE
    child_protocol.emit("probe_result", outcome="error", detail=result["reason"])
    return EXIT_ERROR


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    return child_main("harness.phase_b.probe_attempt", "probe", lambda request, _args: attempt(request), argv,
                      verbose=lambda _request, _args: False)


if __name__ == "__main__":
    sys.exit(main())
