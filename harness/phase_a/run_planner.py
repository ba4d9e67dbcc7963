"""Turn the requested matrix into planned runs: the artifact each one loads, or why it cannot run here.

Pure logic over what Phase A found (models' artifacts, device capabilities), so it is unit-tested
without a GPU.
"""

from __future__ import annotations

from typing import Optional

from harness.matrix import PlannedRun, RunSpec, expand_matrix
from harness.results import STATUS_SKIPPED


def _static_mismatch(shape: Optional[list], spec: RunSpec) -> Optional[str]:
    """A user ONNX with fixed input dims cannot take other batch sizes or image sizes."""
    if not shape or len(shape) != 4:
        return None
    batch, _, height, width = shape
    if batch is not None and batch != spec.batch:
        return f"the ONNX file has a fixed batch of {batch}"
    if (height is not None and height != spec.imgsz) or (width is not None and width != spec.imgsz):
        return f"the ONNX file has a fixed input of {height}x{width}"
    return None


def plan_runs(models: list, backends: list, precisions: list, sizes: list, batches: list,
              device: dict) -> list:
    """``models``: prepared model records (name, artifacts). ``device``: resolved device facts."""
    by_name = {m["name"]: m for m in models}
    planned = []
    for spec in expand_matrix(list(by_name), backends, precisions, sizes, batches):
        model = by_name[spec.model]
        run = PlannedRun(spec=spec)
        artifacts = model.get("artifacts", {})
        if spec.precision == "fp16" and not device.get("cuda"):
            run.skip_status, run.skip_reason = STATUS_SKIPPED, f"fp16 needs a CUDA device; this run's device is {device['resolved']}"
        elif spec.backend == "torch":
            run.artifact = artifacts.get("torch")
            if not run.artifact:
                run.skip_status, run.skip_reason = STATUS_SKIPPED, f"no PyTorch artifact (.pt or .yaml) for {spec.model}"
        elif spec.backend == "onnxruntime":
            onnx = artifacts.get("onnxruntime", {})
            run.artifact = onnx.get(f"{spec.imgsz}/{spec.precision}") or onnx.get(f"any/{spec.precision}")
            if spec.precision == "fp16" and not device.get("onnxruntime_cuda"):
                run.skip_status = STATUS_SKIPPED
                run.skip_reason = "fp16 ONNX needs onnxruntime's CUDA execution provider, which this install lacks"
            elif not run.artifact:
                run.skip_status, run.skip_reason = STATUS_SKIPPED, f"no ONNX artifact for {spec.model} at {spec.precision}"
            else:
                mismatch = _static_mismatch(model.get("onnx_input_shape"), spec)
                if mismatch and f"any/{spec.precision}" in onnx:
                    run.skip_status, run.skip_reason = STATUS_SKIPPED, mismatch
        else:
            run.skip_status, run.skip_reason = STATUS_SKIPPED, f"backend {spec.backend} is not available"
        planned.append(run)
    return planned


def planned_records(models: list, backends: list, precisions: list, sizes: list, batches: list,
                    device: dict) -> list:
    """:func:`plan_runs` as JSON-ready dicts, each with its artifact's hash (part of the run key)."""
    from harness.artifact_sidecar import file_sha256, read_sidecar

    records = []
    hashes: dict = {}
    for planned in plan_runs(models, backends, precisions, sizes, batches, device):
        record = planned.to_dict()
        if planned.artifact:
            if planned.artifact not in hashes:
                sidecar = read_sidecar(planned.artifact) or {}
                hashes[planned.artifact] = sidecar.get("artifact_sha256") or file_sha256(planned.artifact)
            record["artifact_sha256"] = hashes[planned.artifact]
        records.append(record)
    return records
