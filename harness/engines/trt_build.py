"""Build one TensorRT engine from ONNX in its own process: ``python -m harness.engines.trt_build --request FILE``.

The request (JSON, written by :mod:`harness.engines.engine_builds`):

- ``onnx_path``, ``engine_path``: input model and where the plan goes (written atomically, plain format);
- ``precision``: fp32 | fp16 | int8 (int8 also allows fp16 for layers without INT8 kernels);
- ``imgsz``; ``input_name`` (None = the network's first input);
- ``batch``: ``{"min", "opt", "max"}``; an ONNX with a fixed batch must match it exactly, a dynamic one
  gets an optimization profile with these batches;
- ``workspace_mb``: the builder's workspace pool limit, MiB (TensorRT's default is all device memory);
- ``timing_cache``: file read before and rewritten after a successful build (None = none);
- ``builder_options``: ``{"builder_opt_level": 0-5 or None, "sparsity": bool}`` (absent: TensorRT's defaults);
- ``dla_core``: build for this DLA core with GPU fallback (absent or None: the GPU alone);
- ``calibration``: None, or ``{"algorithm", "plan": [[npy_path, index], ...], "batch_size", "cache_path",
  "random", "random_count", "seed"}`` for INT8.

It prints exactly one ``build_result`` event and exits with: 0 built, 3 allocation_failed (the error
recorder or the logger saw a failed allocation, or an out-of-memory exception), 4 failed (with the
ONNX parser's and the builder's errors), 5 unavailable (TensorRT cannot be imported), 6 unsupported (this
device or TensorRT cannot build what was asked: a DLA core it does not have). A SIGKILL (the kernel OOM killer
on a Jetson) leaves no event; the parent reads exit -9 as an allocation failure when it saw memory pressure (harness.process.oom_evidence).

Engines are built with ``ProfilingVerbosity.DETAILED``, so the engine inspector reports each layer's type and
tactic (which layers a DLA core runs); after a build the plan is deserialized once, outside ``build_s``, and its layer
information written to ``<engine>.layers.json`` (``layer_info_path`` in the event), so a rebuild can be compared. Only name-based calls are used; what differs between TensorRT 8.5.2, 8.6 and
10.x is chosen by version or by presence (docs/backends.md has the table).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from harness.process import child_protocol
from harness.files.atomic_io import atomic_write_bytes
from harness.process.oom import is_oom_exception

EXIT_BUILT, EXIT_ALLOCATION_FAILED, EXIT_FAILED, EXIT_UNAVAILABLE, EXIT_UNSUPPORTED = 0, 3, 4, 5, 6
BUILT, ALLOCATION_FAILED, FAILED, UNAVAILABLE, UNSUPPORTED = ("built", "allocation_failed", "failed", "unavailable",
                                                              "unsupported")
EXIT_CODES = {BUILT: EXIT_BUILT, ALLOCATION_FAILED: EXIT_ALLOCATION_FAILED, FAILED: EXIT_FAILED,
              UNAVAILABLE: EXIT_UNAVAILABLE, UNSUPPORTED: EXIT_UNSUPPORTED}
MB = 2**20
# How TensorRT words a failed allocation when it does not use ErrorCode FAILED_ALLOCATION, e.g.
# "Error Code 2: OutOfMemory", "Error Code 1: Cuda Runtime (out of memory)", "Requested amount of GPU
# memory (N bytes) could not be allocated", "User allocator error allocating N-byte buffer".
_ALLOCATION_TEXT = ("outofmemory", "out of memory", "could not be allocated", "allocator error allocating",
                    "bad_alloc", "failed_allocation")


def network_flags(trt) -> int:
    """``create_network`` flags: TensorRT 8 needs EXPLICIT_BATCH; TensorRT 10 has only explicit batch (0)."""
    major = int(str(getattr(trt, "__version__", "10")).split(".")[0])
    if major >= 10:
        return 0
    return 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)


def profile_shapes(network_shape: Sequence[int], batch: dict, imgsz: int) -> Optional[Tuple[tuple, tuple, tuple]]:
    """The (min, opt, max) shapes of the image input, or None when the ONNX input is fully static.

    ``network_shape`` is NCHW with -1 for dynamic dimensions: N takes the batch spec, C 3, H and W imgsz.
    A fixed dimension must agree with the request (ValueError with the reason otherwise).
    """
    low, opt, high = int(batch["min"]), int(batch["opt"]), int(batch["max"])
    if not 1 <= low <= opt <= high:
        raise ValueError(f"batch spec must satisfy 1 <= min <= opt <= max, got {low}/{opt}/{high}")
    shape = [int(d) for d in network_shape]
    if len(shape) != 4:
        raise ValueError(f"expected an NCHW image input, the ONNX input has shape {shape}")
    wanted = {1: 3, 2: imgsz, 3: imgsz}
    for axis, size in wanted.items():
        if shape[axis] not in (-1, size):
            raise ValueError(f"the ONNX input has {'CHW'[axis - 1]}={shape[axis]}, the request needs {size}")
    if shape[0] != -1 and not low == opt == high == shape[0]:
        raise ValueError(f"the ONNX input has a fixed batch of {shape[0]}; it cannot build batch "
                         f"{low}..{high} (export it with a dynamic batch)")
    if -1 not in shape:
        return None
    fixed = [shape[1] if shape[1] != -1 else 3, shape[2] if shape[2] != -1 else imgsz,
             shape[3] if shape[3] != -1 else imgsz]
    return tuple([low] + fixed), tuple([opt] + fixed), tuple([high] + fixed)


def allocation_failure_evidence(errors: Sequence[dict]) -> Optional[str]:
    """The first recorded error that is a failed allocation ({"code": name, "desc": text}), or None."""
    for error in errors:
        code = str(error.get("code") or "").upper()
        desc = str(error.get("desc") or "")
        lowered = desc.lower()
        if "FAILED_ALLOCATION" in code or any(p in lowered or p in lowered.replace(" ", "") for p in _ALLOCATION_TEXT):
            return f"{code or 'error'}: {desc}".strip()
    return None


def _code_name(code) -> str:
    return getattr(code, "name", None) or str(code).split(".")[-1]


def make_error_recorder(trt):
    """An ``IErrorRecorder`` keeping every error as {"code": enum name, "desc": text}.

    The Python trampoline calls ``get_num_errors`` (TensorRT 8.5.2 to 11); ``num_errors`` is kept as an
    alias for the older name.
    """

    class ErrorRecorder(trt.IErrorRecorder):
        def __init__(self):
            trt.IErrorRecorder.__init__(self)
            self.errors: List[dict] = []
            self._codes: list = []

        def report_error(self, code, desc):
            self.errors.append({"code": _code_name(code), "desc": str(desc)})
            self._codes.append(code)
            return False  # not fatal by our decision: TensorRT decides whether it can carry on

        def get_num_errors(self):
            return len(self.errors)

        num_errors = get_num_errors

        def get_error_code(self, index):
            return self._codes[index]

        def get_error_desc(self, index):
            return self.errors[index]["desc"]

        def has_overflowed(self):
            return False

        def clear(self):
            self.errors.clear()
            self._codes.clear()

    return ErrorRecorder


def make_logger(trt, log):
    """An ``ILogger`` that forwards warnings and errors to the phase log and keeps the errors."""

    class BuildLogger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.errors: List[dict] = []

        def log(self, severity, msg):
            level = int(severity)  # INTERNAL_ERROR 0, ERROR 1, WARNING 2, INFO 3, VERBOSE 4
            if level <= 1:
                self.errors.append({"code": _code_name(severity), "desc": str(msg)})
                log.error("TensorRT: %s", msg)
            elif level == 2:
                log.warning("TensorRT: %s", msg)

    return BuildLogger()


def _parser_error_text(error) -> str:
    text = str(error)
    if text and not text.startswith("<"):
        return text
    try:
        return f"{error.desc()} (node {error.node()})"
    except Exception:
        return repr(error)


def _find_input(network, name: Optional[str]):
    inputs = [network.get_input(i) for i in range(network.num_inputs)]
    if not inputs:
        raise ValueError("the network has no inputs")
    if name is None:
        return inputs[0]
    for tensor in inputs:
        if tensor.name == name:
            return tensor
    raise ValueError(f"no input named {name!r}; the network's inputs are {[t.name for t in inputs]}")


def _host_bytes(buffer) -> bytes:
    return bytes(memoryview(buffer))


class BuildUnsupported(Exception):
    """This device or TensorRT cannot build what the request asks (the run is skipped with this reason)."""


def apply_builder_flags(trt, config, precision: str) -> list:
    """fp32 clears TF32 (TensorRT enables it by default), tf32 sets it, fp16 sets FP16, int8 sets INT8 + FP16; returns
    the flags this TensorRT does not have. TensorRT 11 builds strongly typed networks only and has no FP16 / INT8
    flags: an int8 engine then takes its precision from the Q/DQ ONNX it is built from (the explicit path), an fp16
    one would need an fp16 ONNX, which is not made here, so it is :class:`BuildUnsupported` with the reason."""
    from runners.math_mode import trt_builder_flags

    to_set, to_clear = trt_builder_flags(precision)
    absent = [name for name in to_set + to_clear if not hasattr(trt.BuilderFlag, name)]
    if absent and precision != "int8":
        raise BuildUnsupported(f"TensorRT {getattr(trt, '__version__', '?')} has no BuilderFlag.{absent[0]}: its networks "
                               f"are strongly typed, so {precision} must come from the ONNX's own types (an {precision} "
                               "ONNX), which this harness does not export")
    for name in to_set:
        if name not in absent:
            config.set_flag(getattr(trt.BuilderFlag, name))
    for name in to_clear:
        if name not in absent:
            config.clear_flag(getattr(trt.BuilderFlag, name))
    return absent


def apply_builder_options(trt, config, options: Optional[dict]) -> dict:
    """--builder_opt_level and --sparsity on the builder config; returns what was applied, and what this TensorRT
    does not have (the optimization level exists from 8.6; 8.5 builds at its fixed level and says so)."""
    applied: dict = {}
    options = options or {}
    level = options.get("builder_opt_level")
    if level is not None:
        if hasattr(config, "builder_optimization_level"):
            config.builder_optimization_level = int(level)
            applied["builder_opt_level"] = int(level)
        else:
            applied["builder_opt_level_unsupported"] = (f"TensorRT {getattr(trt, '__version__', '?')} has no builder "
                                                        "optimization level (TensorRT 8.6 and later)")
    if options.get("sparsity"):
        config.set_flag(trt.BuilderFlag.SPARSE_WEIGHTS)
        applied["sparsity"] = True
    return applied


def apply_dla(trt, builder, config, core: Optional[int]) -> Optional[dict]:
    """Build for DLA core ``core`` with GPU fallback: default device DLA, ``DLA_core``, ``GPU_FALLBACK`` (the same
    names in TensorRT 8.5.2 to 10.x). None for a GPU-only build; :class:`BuildUnsupported` when the device has no
    such core."""
    if core is None:
        return None
    from harness.hardware.dla_cores import missing_core

    cores = int(builder.num_DLA_cores)
    problem = missing_core(core, cores)
    if problem:
        raise BuildUnsupported(problem)
    config.default_device_type = trt.DeviceType.DLA
    config.DLA_core = int(core)
    config.set_flag(trt.BuilderFlag.GPU_FALLBACK)
    return {"dla_core": int(core), "gpu_fallback": True, "dla_cores_on_device": cores}


def apply_profiling_verbosity(trt, config) -> Optional[str]:
    """Detailed layer information in the plan (ProfilingVerbosity.DETAILED, TensorRT 8.2+), so the engine inspector
    names each layer's type and tactic; None where this TensorRT has no such setting."""
    verbosity = getattr(getattr(trt, "ProfilingVerbosity", None), "DETAILED", None)
    if verbosity is None or not hasattr(config, "profiling_verbosity"):
        return None
    config.profiling_verbosity = verbosity
    return "detailed"


def layer_info_path(engine_path) -> Path:
    """``model.engine`` -> ``model.engine.layers.json``: the engine inspector's layer information, beside the engine."""
    engine_path = Path(engine_path)
    return engine_path.with_name(engine_path.name + ".layers.json")


def record_layer_info(trt, logger, plan: bytes, request: dict) -> dict:
    """After a build, outside its timing: the plan deserialized once (on its DLA core for a DLA engine) and the engine
    inspector's JSON written beside the engine, so a rebuild can be compared layer by layer. ``{"layer_info_path"}``,
    or ``{"layer_info_unavailable": why}``: the engine stands either way."""
    from harness.engines.layer_info import engine_information_json

    try:
        runtime = trt.Runtime(logger)
        if request.get("dla_core") is not None:
            runtime.DLA_core = int(request["dla_core"])
        engine = runtime.deserialize_cuda_engine(plan)
        if engine is None:
            return {"layer_info_unavailable": "the new plan did not deserialize for inspection"}
        path = atomic_write_bytes(layer_info_path(request["engine_path"]),
                                  engine_information_json(trt, engine).encode("utf-8"))
        return {"layer_info_path": str(path)}
    except Exception as exc:  # noqa: BLE001 - the inspection is evidence; the built engine stands without it
        return {"layer_info_unavailable": f"{type(exc).__name__}: {exc}"[:300]}


def _calibrator(trt, request: dict, input_shape: Sequence[int]):
    """(calibrator, calibration batch size) for an INT8 request with calibration data. A network with a
    fixed batch calibrates at that batch; a dynamic one at the requested calibration batch."""
    import torch

    from harness.engines.calibration import iter_calibration_batches, make_trt_calibrator, random_calibration_batches

    cal = request["calibration"]
    size = int(cal.get("batch_size") or 1)
    if input_shape[0] != -1:
        size = int(input_shape[0])  # a static network calibrates at its own batch
    if cal.get("random"):
        batches = random_calibration_batches(int(cal["random_count"]), size, int(request["imgsz"]), int(cal.get("seed", 0)))
    else:
        batches = iter_calibration_batches([tuple(entry) for entry in cal["plan"]], size)
    calibrator = make_trt_calibrator(trt, torch, cal["algorithm"], batches, size, cal.get("cache_path"))
    return calibrator, size


def build(request: dict, trt, log) -> dict:
    """Build the engine the request describes; returns the build_result payload (with ``outcome``)."""
    started = time.perf_counter()
    logger = make_logger(trt, log)
    recorder = make_error_recorder(trt)()
    parser_errors: List[str] = []

    def failure(outcome: str, *extra: str) -> dict:
        recorded = {e["desc"] for e in recorder.errors}
        errors = recorder.errors + [e for e in logger.errors if e["desc"] not in recorded]
        evidence = allocation_failure_evidence(errors)
        builder_errors = [f"{e['code']}: {e['desc']}" for e in errors] + list(extra)
        if evidence and outcome == FAILED and not parser_errors:
            outcome = ALLOCATION_FAILED
        payload = {"outcome": outcome, "parser_errors": parser_errors, "builder_errors": builder_errors,
                   "workspace_mb": request["workspace_mb"], "elapsed_s": round(time.perf_counter() - started, 3)}
        if outcome == ALLOCATION_FAILED:
            payload["detail"] = evidence or (extra[0] if extra else "allocation failed")
        return payload

    try:
        builder = trt.Builder(logger)
        builder.error_recorder = recorder
        network = builder.create_network(network_flags(trt))
        parser = trt.OnnxParser(network, logger)
        onnx_path = Path(request["onnx_path"])
        if not parser.parse(onnx_path.read_bytes(), str(onnx_path)):
            parser_errors.extend(_parser_error_text(parser.get_error(i)) for i in range(parser.num_errors))
            return failure(FAILED, f"the ONNX parser rejected {onnx_path}")
        image_input = _find_input(network, request.get("input_name"))
        shape = list(image_input.shape)
        shapes = profile_shapes(shape, request["batch"], int(request["imgsz"]))

        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(float(request["workspace_mb"]) * MB))
        cache_file = Path(request["timing_cache"]) if request.get("timing_cache") else None
        if cache_file is not None:
            old = cache_file.read_bytes() if cache_file.is_file() else b""
            config.set_timing_cache(config.create_timing_cache(old), True)  # True: ignore a mismatched cache
        precision = request["precision"]
        flags_absent = apply_builder_flags(trt, config, precision)
        builder_options = apply_builder_options(trt, config, request.get("builder_options"))
        dla = apply_dla(trt, builder, config, request.get("dla_core"))
        verbosity = apply_profiling_verbosity(trt, config)
        if shapes is not None:
            profile = builder.create_optimization_profile()
            profile.set_shape(image_input.name, *shapes)
            config.add_optimization_profile(profile)
        calibrator = None
        calibration_batch = None
        if precision == "int8":
            if request.get("calibration"):
                calibrator, calibration_batch = _calibrator(trt, request, shape)
                config.int8_calibrator = calibrator
                if shapes is not None and hasattr(config, "set_calibration_profile"):
                    one = (calibration_batch,) + tuple(shapes[1][1:])
                    calibration_profile = builder.create_optimization_profile()
                    calibration_profile.set_shape(image_input.name, one, one, one)
                    config.set_calibration_profile(calibration_profile)

        plan = builder.build_serialized_network(network, config)
        if plan is None:
            return failure(FAILED, "build_serialized_network returned None")
        data = _host_bytes(plan)
        if not data:
            return failure(FAILED, "build_serialized_network returned an empty plan")
        atomic_write_bytes(request["engine_path"], data)
        if cache_file is not None:
            atomic_write_bytes(cache_file, _host_bytes(config.get_timing_cache().serialize()))
        payload = {"outcome": BUILT, "build_s": round(time.perf_counter() - started, 3), "plan_bytes": len(data),
                   "workspace_mb": request["workspace_mb"], "input_name": image_input.name,
                   "profile": [list(s) for s in shapes] if shapes else None,
                   "tensorrt": getattr(trt, "__version__", None), "builder_options": builder_options, "dla": dla,
                   "profiling_verbosity": verbosity, "builder_flags_absent": flags_absent}
        if calibrator is not None:
            payload["calibration"] = {"batch_size": calibration_batch, "images_fed": calibrator.images_served,
                                      "from_cache": calibrator.images_served == 0}
        del parser, network, config, builder  # the builder's memory goes before the plan is deserialized
        payload.update(record_layer_info(trt, logger, data, request))
        return payload
    except BuildUnsupported as exc:
        return {"outcome": UNSUPPORTED, "detail": str(exc), "workspace_mb": request["workspace_mb"],
                "parser_errors": parser_errors, "builder_errors": [], "elapsed_s": round(time.perf_counter() - started, 3)}
    except Exception as exc:  # everything TensorRT, torch or the calibrator raised
        if is_oom_exception(exc):
            return failure(ALLOCATION_FAILED, f"{type(exc).__name__}: {exc}")
        return failure(FAILED, f"{type(exc).__name__}: {exc}")


def run(request: dict, log) -> int:
    try:
        import tensorrt as trt
    except Exception as exc:  # not installed, or its shared libraries are missing
        child_protocol.emit("build_result", outcome=UNAVAILABLE, detail=f"cannot import tensorrt: {exc}")
        return EXIT_UNAVAILABLE
    log.info("building %s -> %s (%s, imgsz %s, batch %s, workspace %s MiB, TensorRT %s)", request["onnx_path"],
             request["engine_path"], request["precision"], request["imgsz"], request["batch"],
             request["workspace_mb"], getattr(trt, "__version__", "?"))
    payload = build(request, trt, log)
    child_protocol.emit("build_result", **payload)
    return EXIT_CODES[payload["outcome"]]


def main(argv=None) -> int:
    from harness.process.child_start import child_main

    return child_main("harness.engines.trt_build", "trt-build",
                      lambda request, _args: run(request, logging.getLogger("jetson_benchmark.phase_trt-build")),
                      argv, extra_flags=[("--verbose", {"action": "store_true"})],
                      verbose=lambda _request, args: args.verbose)


if __name__ == "__main__":
    sys.exit(main())
