"""The training child: ``python -m harness.train --request FILE``. Trains one model with Ultralytics' trainer (from
its architecture, from a checkpoint to finetune, or resuming its own ``last.pt`` after a kill), copies the best
checkpoint to the weights folder, writes the report, and ends with one ``train_end`` event: ok, skipped_oom or
failed with the reason. The parent classifies how the process ended (harness.process.child_ending)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from harness.process import child_protocol

ULTRA = "ultralytics_run"   # Ultralytics' project/name folder inside the run's training folder


def trainer_arguments(spec: dict, data: str, folder: Path) -> dict:
    device = None if spec["device"] == "auto" else spec["device"]
    return {"data": data, "epochs": int(spec["epochs"]), "imgsz": int(spec["imgsz"]), "batch": int(spec["batch"]),
            "device": device, "workers": 0, "plots": False, "seed": int(spec["seed"]), "deterministic": True,
            "project": str(folder), "name": ULTRA, "exist_ok": True, "verbose": False,
            "pretrained": spec["approach"] == "finetune"}


def train(request: dict) -> dict:
    """Ultralytics' trainer; every checkpoint it loads (a finetune source, its own last.pt) goes through the
    allow-list of runners.restricted_unpickler unless the user trusted the files (--trust_pickle)."""
    from runners.ultralytics_checkpoints import ultralytics_loading

    with ultralytics_loading(bool(request.get("trust_pickle"))):
        return _train(request)


def _train(request: dict) -> dict:
    import torch
    from ultralytics import YOLO

    from harness.measure import host_memory
    from harness.train.train_report import training_report, write_report

    spec, folder = request["spec"], Path(request["folder"])
    last = folder / ULTRA / "weights" / "last.pt"
    resumed = last.is_file()
    start = str(last) if resumed else (request.get("finetune_from") or f"{spec['model']}.yaml")
    begun = time.perf_counter()
    torch.manual_seed(int(spec["seed"]))
    model = YOLO(start)
    metrics = model.train(resume=True) if resumed else model.train(**trainer_arguments(spec, request["data"], folder))
    wall_s = time.perf_counter() - begun
    best = folder / ULTRA / "weights" / "best.pt"
    target = Path(request["weights_path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".pt.tmp")
    shutil.copyfile(best if best.is_file() else last, staging)
    staging.replace(target)
    peak_torch = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_initialized() else None
    results = getattr(metrics, "results_dict", None) or {}
    report = training_report({**spec, "data_resolved": request["data"]}, results, folder / ULTRA / "results.csv",
                             wall_s, resumed, host_memory.peak_rss_mb(), peak_torch, str(target))
    write_report(folder, report)
    return report


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    return child_main("harness.train", "train", train_and_report, argv)


def train_and_report(request: dict, _args) -> int:
    """Train, then one ``train_end`` event: ok with the weights, or the failure's status and reason (exit 3)."""
    try:
        report = train(request)
    except Exception as exc:  # noqa: BLE001 - the verdict carries the reason; the traceback goes to the log
        import traceback

        from harness.process.check_failure import check_failure

        traceback.print_exc()
        reason, oom = check_failure("the training", exc)
        child_protocol.emit("train_end", status="skipped_oom" if oom else "failed", reason=reason)
        return 3
    child_protocol.emit("train_end", status="ok", reason=None, weights=report["weights"],
                        epochs_done=report["epochs_done"], wall_s=report["wall_s"])
    return 0
