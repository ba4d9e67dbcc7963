"""Turn the requested matrix into planned runs: the artifact each one loads, or why it cannot run here.

Pure logic over what Phase A found (models' artifacts, device capabilities), so it is unit-tested
without a GPU.
"""

from __future__ import annotations

from typing import Optional

from harness.device_profiles import matching_skip_rule
from harness.matrix import PlannedRun, RunSpec, expand_matrix
from harness.results import STATUS_SKIPPED, STATUS_SKIPPED_OOM


def probe_key(model: str, backend: str, precision: str, imgsz: int) -> str:
    return f"{model}/{backend}/{precision}/{imgsz}"


def _probe_verdict(probe: dict, batch: int):
    """Why the batch probe says this batch does not fit, or None when it fits or nobody knows."""
    fit, first_oom = probe.get("largest_fit"), probe.get("first_oom")
    if fit is None or first_oom is None or batch < first_oom:
        return None
    budget = probe.get("budget_mb")
    failing = next((a for a in probe.get("attempts", []) if a.get("batch") == first_oom), {})
    where = f"probe pid {failing.get('pid')}: {failing.get('detail') or failing.get('outcome')}" if failing else "probe"
    limit = f"under the {budget:.0f} MiB budget " if budget else ""
    if fit == 0:
        return f"batch probe: even batch 1 ran out of memory {limit}({where})"
    return f"batch probe: the largest batch that fit {limit}is {fit}; batch {first_oom} ran out of memory ({where})"


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
              device: dict, profile: Optional[dict] = None, probes: Optional[dict] = None,
              cudnn: Optional[dict] = None) -> list:
    """``models``: prepared model records (name, artifacts). ``device``: resolved device facts.
    ``profile``: its skip rules become ``skipped_oom``; ``probes``: batch-probe results by probe key, a
    batch at or past the first one that ran out of memory becomes ``skipped_oom`` citing the probe;
    ``cudnn``: per probe key, whether Phase B turns cudnn.benchmark on."""
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
        key = probe_key(spec.model, spec.backend, spec.precision, spec.imgsz)
        if not run.skip_status and profile:
            rule = matching_skip_rule(profile, spec.model, spec.imgsz, spec.batch)
            if rule:
                run.skip_status = STATUS_SKIPPED_OOM
                run.skip_reason = f"profile {profile['name']} rule: {rule['reason']}"
                run.extra["evidence"] = {"profile_rule": rule}
        if not run.skip_status and probes and key in probes:
            verdict = _probe_verdict(probes[key], spec.batch)
            if verdict:
                run.skip_status, run.skip_reason = STATUS_SKIPPED_OOM, verdict
                run.extra["evidence"] = {"batch_probe": {k: probes[key].get(k) for k in
                                                         ("largest_fit", "first_oom", "budget_mb", "attempts")}}
        if spec.backend == "torch" and cudnn and key in cudnn:
            run.extra["cudnn_benchmark"] = bool(cudnn[key]["value"])
        planned.append(run)
    return planned


def planned_records(models: list, backends: list, precisions: list, sizes: list, batches: list,
                    device: dict, profile: Optional[dict] = None, probes: Optional[dict] = None,
                    cudnn: Optional[dict] = None) -> list:
    """:func:`plan_runs` as JSON-ready dicts, each with its artifact's hash (part of the run key)."""
    from harness.artifact_sidecar import file_sha256, read_sidecar

    records = []
    hashes: dict = {}
    for planned in plan_runs(models, backends, precisions, sizes, batches, device, profile, probes, cudnn):
        record = planned.to_dict()
        if planned.artifact:
            if planned.artifact not in hashes:
                sidecar = read_sidecar(planned.artifact) or {}
                hashes[planned.artifact] = sidecar.get("artifact_sha256") or file_sha256(planned.artifact)
            record["artifact_sha256"] = hashes[planned.artifact]
        records.append(record)
    return records
