"""Turn the requested matrix into planned runs: the artifact each one loads, or why it cannot run here.

Pure logic over what Phase A found (models' artifacts, device capabilities, profile rules, probe results),
so it is unit-tested without a GPU, and the parent re-plans with it under ``--skip_setup``.
"""

from __future__ import annotations

from typing import Optional

from harness.hardware.device_profiles import matching_skip_rule
from harness.hardware.dla_cores import dla_label, dla_problem
from harness.records.planned_run import PlannedRun, RunSpec
from harness.settings.matrix import ARTIFACT_PRIORITY, expand_matrix
from harness.records.results import STATUS_SKIPPED, STATUS_SKIPPED_OOM
from harness.precisions import PRECISIONS, TF32_ON_CPU, model_precision, needs_cuda
from harness.tasks.task_settings import is_video
from harness.video import workload
from runners.backends import BACKENDS, backend, reference_backend, runs_on_gpu, spoken_list


def probe_key(model: str, backend: str, precision: str, imgsz: int) -> str:
    return f"{model}/{backend}/{precision}/{imgsz}"


def engine_key(imgsz: int, precision: str, batch, engine_batch: str = "static", dla_core=None) -> str:
    """One engine's key: ``640/fp16/b8``, ``640/fp16/dynamic``, ``640/fp16/b8/dla0`` for DLA core 0."""
    key = f"{imgsz}/{precision}/{'dynamic' if engine_batch == 'dynamic' else f'b{batch}'}"
    return f"{key}/{dla_label(dla_core)}" if dla_core is not None else key


def spec_engine_key(spec: RunSpec, modes: dict) -> str:
    return engine_key(spec.imgsz, spec.precision, spec.batch, modes.get("engine_batch", "static"), spec.modes.dla_core)


def resolve_backends(requested: list, source_files: dict, harness_provided: bool) -> list:
    """``auto``: a model given as files runs on its best artifact (.engine > .onnx > .pt); a model the harness
    provides (a built-in architecture, or the default run's shipped weights) runs on the backends whose descriptor
    says ``harness_default`` (torch and onnxruntime). Named backends are taken as they are."""
    if requested != ["auto"]:
        return list(requested)
    if harness_provided:
        return [b.name for b in BACKENDS.values() if b.harness_default]
    for extension, name in ARTIFACT_PRIORITY:
        if extension in source_files:
            return [name]
    return [reference_backend()]


def _probe_verdict(probe: dict, batch: int) -> Optional[str]:
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


def model_problem(model: dict, spec: RunSpec) -> Optional[str]:
    """Why this model cannot run this size or batch at all, on any backend: a refused file, a fixed input of
    another size or batch, a size off the model's stride, an input nothing fills."""
    if model.get("refused"):
        return model["refused"]
    problem = (model.get("size_problems") or {}).get(str(spec.imgsz))
    if problem:
        return problem
    loads = backend(spec.backend, strict=False)
    if loads.artifact == "checkpoint" and (model.get("artifacts") or {}).get(loads.artifact_key):
        return None  # the ONNX file's fixed batch and extra inputs do not bind the PyTorch artifact beside it
    fixed = (model.get("detected") or {}).get("fixed_batch")
    if fixed is not None and fixed != spec.batch:
        return f"the model has a fixed batch of {fixed}; this run asks for {spec.batch}"
    unfilled = model.get("unfilled_inputs") or []
    if unfilled:
        return (f"input(s) {', '.join(unfilled)} cannot be filled: declare them in {spec.model}.model.json as "
                '"extra_inputs": {"NAME": {"value": ..., "dtype": ..., "shape": [...]}}')
    return None


PIPELINE_ON_CPU = ("--pipeline overlaps the copy of one batch to the GPU with the compute of another on separate CUDA "
                   "streams; on the CPU the host does both in turn, so the serial loop is what it sustains")


def pipeline_problem(spec: RunSpec, cuda: bool) -> Optional[str]:
    """Why a pipelined run cannot be made as asked, or None."""
    modes = spec.modes
    if modes.pipeline <= 1:
        return None
    if not cuda:
        return PIPELINE_ON_CPU
    if modes.cuda_graph or modes.streams > 1 or modes.e2e:
        return "--pipeline is its own mode: run it without --cuda_graph, --streams and --e2e"
    if modes.arrival_fps is not None:
        return "--pipeline and --arrival_fps are separate measurements: a paced run releases one batch at a time"
    return None


DEFAULT_INT8_MAX_DROP = 0.02  # --int8_max_map_drop's default, for a setup saved before the flag existed


def qdq_artifact(model: dict, spec: RunSpec) -> tuple:
    """The Q/DQ ONNX Phase A quantized for an ONNX Runtime int8 run (its descriptor's flavour: u8s8 for the CPU /
    CUDA providers, the symmetric s8s8 for the TensorRT provider), or why there is none."""
    record = (model.get("int8") or {}).get(f"{spec.imgsz}/{backend(spec.backend).qdq_flavour}")
    if not record:
        return None, STATUS_SKIPPED, f"no Q/DQ INT8 model for {spec.model} at {spec.imgsz} (set up with --precision int8)"
    if record.get("refused"):
        return None, STATUS_SKIPPED, f"int8: {record['refused']}"
    return record["path"], None, None


def ort_trt_artifact(model: dict, spec: RunSpec, device: dict, modes: Optional[dict] = None) -> tuple:
    """An ``onnx_fp32`` artifact, ONNX Runtime's TensorRT provider: the fp32 ONNX (fp16 by the provider's flag), or
    the s8s8 Q/DQ model."""
    runs = backend(spec.backend)
    if not device.get("cuda"):
        return None, STATUS_SKIPPED, runs.no_cuda_reason
    if not device.get(runs.gpu_provider):
        return None, STATUS_SKIPPED, (f"{runs.name} needs ONNX Runtime's TensorRT execution provider, which this "
                                      "install lacks (a Jetson's onnxruntime-gpu wheel or a TensorRT-enabled build has it)")
    if spec.precision not in runs.precisions:
        ordered = [p for p in PRECISIONS if p in runs.precisions]
        return None, STATUS_SKIPPED, f"{runs.name} runs {spoken_list(ordered)}, not {spec.precision}"
    if spec.precision == "int8":
        return qdq_artifact(model, spec)
    onnx = (model.get("artifacts") or {}).get(runs.artifact_key, {})
    path = onnx.get(f"{spec.imgsz}/fp32") or onnx.get("any/fp32")
    return (path, None, None) if path else (None, STATUS_SKIPPED, f"no fp32 ONNX artifact for {spec.model}")


def int8_provenance(model: dict, spec: RunSpec, modes: dict) -> Optional[dict]:
    """What an int8 run's result records about its quantization: the Q/DQ model's provenance (onnxruntime) or
    the engine's calibration (tensorrt)."""
    runs = backend(spec.backend, strict=False)
    if spec.precision != "int8" or "int8" not in runs.precisions:
        return None
    if runs.artifact != "engine":
        record = (model.get("int8") or {}).get(f"{spec.imgsz}/{runs.qdq_flavour}") or {}
        record = None if record.get("refused") else record
    else:
        record = (model.get("tensorrt_calibration") or {}).get(spec_engine_key(spec, modes))
    return {**record, "max_accuracy_drop": modes.get("int8_max_map_drop", DEFAULT_INT8_MAX_DROP)} if record else None


def int8_elsewhere() -> str:
    """Why a backend without int8 refuses an int8 run: the backends that run it."""
    named = [f"{b.name} ({b.int8_note})" if b.int8_note else b.name for b in BACKENDS.values() if "int8" in b.precisions]
    return f"int8 runs a Q/DQ ONNX model: on {spoken_list(named, 'or')}"


def checkpoint_artifact(model: dict, spec: RunSpec, device: dict, modes: dict) -> tuple:
    """A ``checkpoint`` artifact: the PyTorch checkpoint Phase A prepared (.pt, TorchScript, torch.export, YAML)."""
    path = (model.get("artifacts") or {}).get(backend(spec.backend).artifact_key)
    if not path:
        return None, STATUS_SKIPPED, f"no PyTorch artifact (.pt or .yaml) for {spec.model}"
    if spec.modes.cuda_graph and not device.get("cuda"):
        return path, STATUS_SKIPPED, "CUDA graphs need a CUDA device"
    return path, None, None


def onnx_artifact(model: dict, spec: RunSpec, device: dict, modes: dict) -> tuple:
    """An ``onnx`` artifact: the ONNX export at the run's precision (a tf32 run loads the fp32 one), or the Q/DQ
    model of an int8 run."""
    if spec.precision == "int8":
        return qdq_artifact(model, spec)
    runs = backend(spec.backend)
    onnx = (model.get("artifacts") or {}).get(runs.artifact_key, {})
    stored = model_precision(spec.precision)  # a tf32 run loads the fp32 ONNX
    path = onnx.get(f"{spec.imgsz}/{stored}") or onnx.get(f"any/{stored}")
    if spec.precision == "fp16" and not device.get(runs.gpu_provider):
        return path, STATUS_SKIPPED, "fp16 ONNX needs onnxruntime's CUDA execution provider, which this install lacks"
    if not path:
        why = (" (a TorchScript or torch.export model runs on onnxruntime from an .onnx file beside it)"
               if model.get("model_file_kind") in ("torchscript", "torch_export", "pickled_module") else "")
        why = f" ({model['onnx_error']})" if model.get("onnx_error") else why
        return None, STATUS_SKIPPED, f"no ONNX artifact for {spec.model} at {spec.precision}{why}"
    return path, None, None


def engine_artifact(model: dict, spec: RunSpec, device: dict, modes: dict) -> tuple:
    """An ``engine`` artifact: the TensorRT engine built for the run's size, precision, batch and DLA core, or what
    its build said."""
    runs = backend(spec.backend)
    dla = dla_problem(spec.precision, spec.modes.dla_core, modes.get("dla_capacity"))
    if dla:
        return None, STATUS_SKIPPED, dla
    engines = (model.get("artifacts") or {}).get(runs.artifact_key, {})
    key = spec_engine_key(spec, modes)
    status = (model.get("tensorrt_status") or {}).get(key) or (model.get("tensorrt_status") or {}).get("any")
    path = engines.get(key) or engines.get("any")
    if status and status.get("status") != "built":  # a refused or failed engine says so, on any machine
        return path, status["status"], status["reason"]
    if not device.get("cuda"):
        return None, STATUS_SKIPPED, runs.no_cuda_reason
    if spec.modes.streams > 1:
        return path, STATUS_SKIPPED, ("multi-stream TensorRT (one execution context per stream) is not implemented "
                                      "in this harness yet; torch runs support --streams")
    if not path:
        return None, STATUS_SKIPPED, f"no TensorRT engine for {spec.model} at {key}"
    return path, None, None


ARTIFACT_PLANS = {"checkpoint": checkpoint_artifact, "onnx": onnx_artifact, "onnx_fp32": ort_trt_artifact,
                  "engine": engine_artifact}  # by runners.backends.ARTIFACT_KEYS's kinds


def _artifact(model: dict, spec: RunSpec, device: dict, modes: dict) -> tuple:
    """(artifact path or None, skip status or None, skip reason or None) for one run."""
    if is_video(model):
        return workload.plan(model, spec, device)
    runs = backend(spec.backend, strict=False)
    cuda = bool(device.get("cuda"))
    if spec.precision == "bf16":
        return None, STATUS_SKIPPED, "bf16 is implemented for the video models (vos) only"
    if spec.precision == "int8" and "int8" not in runs.precisions:
        return None, STATUS_SKIPPED, int8_elsewhere()
    if spec.precision in runs.cuda_precisions and not cuda:
        return None, STATUS_SKIPPED, needs_cuda(spec.precision, device)
    if spec.precision == "tf32" and not runs_on_gpu(spec.backend, device):
        return None, STATUS_SKIPPED, TF32_ON_CPU
    streams = spec.modes.streams
    if streams > 1 and not cuda:
        return None, STATUS_SKIPPED, "multi-stream runs need a CUDA device"
    if streams > 1 and spec.modes.cuda_graph:
        return None, STATUS_SKIPPED, "CUDA graph replay and multiple streams are separate modes: run them separately"
    problem = model_problem(model, spec) or pipeline_problem(spec, cuda)
    if problem:
        return None, STATUS_SKIPPED, problem
    plan = ARTIFACT_PLANS.get(runs.artifact)
    if plan is None:
        return None, STATUS_SKIPPED, f"backend {spec.backend} is not available"
    return plan(model, spec, device, modes)


def _runner_options(spec: RunSpec, modes: dict, model: dict) -> dict:
    runs = backend(spec.backend, strict=False)
    options = {}
    if runs.artifact == "checkpoint" and model.get("model_file_kind"):
        options["model_file_kind"] = model["model_file_kind"]
    if spec.modes.streams > 1:
        options["streams"] = spec.modes.streams
    if spec.modes.e2e:
        options["e2e"] = True
    if spec.modes.cuda_graph:
        options["cuda_graph"] = True
    if spec.modes.channels_last:
        options["channels_last"] = True
    if spec.modes.dla_core is not None:
        options["dla_core"] = spec.modes.dla_core
    if runs.compile_cache:  # the cache Phase A warmed (runners/backends.py: its option and where it is)
        option, where = runs.compile_cache
        options[option] = "cold" if spec.modes.cold_cache else modes.get(where)
    return options


def plan_runs(models: list, backends: list, precisions: list, sizes: list, batches: list,
              device: dict, profile: Optional[dict] = None, probes: Optional[dict] = None,
              cudnn: Optional[dict] = None, modes: Optional[dict] = None) -> list:
    """``models``: prepared model records (name, artifacts, source_files, builtin). ``device``: resolved
    device facts. ``profile``: its skip rules become ``skipped_oom``; ``probes``: batch-probe results by
    probe key, a batch at or past the first one that ran out of memory becomes ``skipped_oom`` citing the
    probe; ``cudnn``: per probe key, whether Phase B turns cudnn.benchmark on; ``modes``: cuda_graph,
    channels_last, compile_cache, compile_cache_dir, engine_batch, dla_core_list and dla_capacity
    (:func:`harness.hardware.dla_cores.dla_capacity`)."""
    modes = modes or {}
    by_name = {m["name"]: m for m in models}
    per_model = {name: resolve_backends(backends, m.get("source_files", {}),
                                        bool(m.get("builtin") or m.get("default_trained")))
                 for name, m in by_name.items()}
    sizes_per_model = {name: m["sizes"] for name, m in by_name.items() if m.get("sizes")}
    prompts_per_model = {name: workload.planned_prompts(m) for name, m in by_name.items() if is_video(m)}
    per_model.update({name: [reference_backend()] if backends == ["auto"] else list(backends)
                      for name in prompts_per_model})
    planned = []
    for spec in expand_matrix(list(by_name), backends, precisions, sizes, batches, modes, per_model, sizes_per_model,
                              prompts_per_model):
        model = by_name[spec.model]
        run = PlannedRun(spec=spec)
        run.artifact, run.skip_status, run.skip_reason = _artifact(model, spec, device, modes)
        if model.get("refused") and run.skip_status:  # bad input, not a reason of the matrix: the exit code says so
            run.evidence = {"refused_input": model["refused"]}
        key = probe_key(spec.model, spec.backend, spec.precision, spec.imgsz)
        if not run.skip_status and profile:
            rule = matching_skip_rule(profile, spec.model, spec.imgsz, spec.batch)
            if rule:
                run.skip_status = STATUS_SKIPPED_OOM
                run.skip_reason = f"profile {profile['name']} rule: {rule['reason']}"
                run.evidence = {"profile_rule": rule}
                run.oom_evidence = "rule"
        if not run.skip_status and probes and key in probes:
            verdict = _probe_verdict(probes[key], spec.batch)
            if verdict:
                run.skip_status, run.skip_reason = STATUS_SKIPPED_OOM, verdict
                run.evidence = {"batch_probe": {k: probes[key].get(k) for k in
                                                         ("largest_fit", "first_oom", "budget_mb", "attempts")}}
                run.oom_evidence = "probe"
        if backend(spec.backend, strict=False).tunes_cudnn and cudnn and key in cudnn:
            run.cudnn_benchmark = bool(cudnn[key]["value"])
        options = _runner_options(spec, modes, model)
        if options:
            run.runner_options = options
        run.weights = model.get("weights") or {"kind": "file", "file": None}
        run.vos_model = workload.planned_vos_model(model, spec)
        if model.get("task"):
            run.task = model["task"]
            run.task_settings = model.get("task_settings")
        if (model.get("inputs") or {}).get(str(spec.imgsz)):
            run.input = model["inputs"][str(spec.imgsz)]
        if model.get("reference"):
            run.reference = model["reference"].get(str(spec.imgsz))
        elif model.get("reference_error"):
            run.reference_error = model["reference_error"]
        calibration = int8_provenance(model, spec, modes)
        if calibration:
            run.calibration = calibration
        planned.append(run)
    return planned


def plan_with_hashes(models: list, backends: list, precisions: list, sizes: list, batches: list,
                     device: dict, profile: Optional[dict] = None, probes: Optional[dict] = None,
                     cudnn: Optional[dict] = None, modes: Optional[dict] = None) -> list:
    """:func:`plan_runs`, each run Phase B will load with its artifact's hash (part of the run key)."""
    from harness.files.artifact_sidecar import file_sha256, read_sidecar

    runs = plan_runs(models, backends, precisions, sizes, batches, device, profile, probes, cudnn, modes)
    hashes: dict = {}
    for planned in runs:
        if planned.artifact and planned.skip_status is None:
            if planned.artifact not in hashes:
                sidecar = read_sidecar(planned.artifact) or {}
                hashes[planned.artifact] = sidecar.get("artifact_sha256") or file_sha256(planned.artifact)
            planned.artifact_sha256 = hashes[planned.artifact]
    return runs


def planned_records(*args, **kwargs) -> list:
    """:func:`plan_with_hashes` as the setup config stores it (``PlannedRun.to_dict``)."""
    return [planned.to_dict() for planned in plan_with_hashes(*args, **kwargs)]
