"""--layer_profile, per backend: a few untimed passes under the backend's own profiler, after the measured ones.
torch: torch.profiler's operator table; onnxruntime: a second session with ONNX Runtime's profiling on (the
measured session is never slowed by it); tensorrt: an IProfiler on the execution context plus the engine
inspector's layer information. Each returns {"source", "entries", ...} for harness.measure.layer_profile."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from harness.measure.layer_profile import ort_profile_entries, tensorrt_profile_entries, torch_profile_entries
from runners.backends import backend
from runners.base import BackendUnavailable


def _passes(runner, frames, passes: int) -> None:
    for _ in range(passes):
        runner.infer(runner.prepare(frames))
        runner.synchronize()


def torch_profile(runner, frames, passes: int) -> dict:
    import torch

    on_cuda = str(runner.device).startswith("cuda")
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if on_cuda else [])
    with torch.profiler.profile(activities=activities) as profiler:
        _passes(runner, frames, passes)
    return {"source": f"torch.profiler ({'CUDA self device time' if on_cuda else 'CPU self time'} per operator)",
            "entries": torch_profile_entries(profiler.key_averages(), on_cuda)}


def onnxruntime_profile(runner, frames, passes: int) -> dict:
    if getattr(runner, "io", None) is not None:
        raise BackendUnavailable("--layer_profile on ONNX Runtime's GPU providers is not implemented (IO binding)")
    ort = runner.ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_profiling = True
    options.log_severity_level = 3
    with tempfile.TemporaryDirectory(prefix="jb_ort_profile_") as folder:
        options.profile_file_prefix = str(Path(folder) / "ort")
        session = ort.InferenceSession(runner.artifact, sess_options=options, providers=runner.used)
        feed = {runner.input_name: runner.prepare(frames), **runner.extra}
        for _ in range(passes):
            session.run(runner.output_names, feed)
        trace = Path(session.end_profiling()).read_text()
    return {"source": "ONNX Runtime session profiling (kernel time per graph node)",
            "entries": ort_profile_entries(trace)}


def tensorrt_profile(runner, frames, passes: int) -> dict:
    trt = runner.trt
    times, calls = {}, {}

    class LayerTimes(trt.IProfiler):
        def __init__(self):
            trt.IProfiler.__init__(self)

        def report_layer_time(self, layer_name, ms):
            times[layer_name] = times.get(layer_name, 0.0) + float(ms)
            calls[layer_name] = calls.get(layer_name, 0) + 1

    runner.context.profiler = LayerTimes()
    try:
        _passes(runner, frames, passes)
    finally:
        runner.context.profiler = None
    inspector = runner.engine.create_engine_inspector()
    info = inspector.get_engine_information(trt.LayerInformationFormat.JSON)
    return {"source": "TensorRT IProfiler (per layer, synchronous enqueue)", "entries": tensorrt_profile_entries(times, calls),
            "engine_information": info}


def layer_profile(runner, frames, passes: int) -> dict:
    """The profile of the runner's backend, by the ``layer_profiler`` its descriptor names (runners/backends.py)."""
    where = backend(runner.backend, strict=False).layer_profiler
    if where is None:
        raise BackendUnavailable(f"--layer_profile is not implemented for {runner.backend}")
    module, function = where.split(":", 1)
    return getattr(importlib.import_module(module), function)(runner, frames, passes)
