"""One descriptor per backend (runners/backends.py): its facts hold, and the parts that read it name no backend."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO
from harness.records.planned_run import RunSpec
from harness.settings.matrix import modes_for
from harness.phase_a.run_planner import plan_runs
from runners.backends import (ARTIFACT_KEYS, BACKENDS, MODES, USER_RUNNER_COLOUR, Backend, artifact_priority, backend,
                              backend_colour, names_taking, reference_backend, runs_on_gpu)

HEAVY = ("torch", "onnxruntime", "tensorrt", "ultralytics", "cv2", "numpy")
CPU = {"resolved": "cpu", "cuda": False, "onnxruntime_cuda": False, "onnxruntime_trt": False}
GPU_PLAIN = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False, "onnxruntime_trt": False}
GPU_ORT_CUDA = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": True, "onnxruntime_trt": False}
GPU_ORT_ALL = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": True, "onnxruntime_trt": True}
ALL_MODES_ON = {"channels_last": True, "cuda_graph": True, "compile_cache": "cold", "e2e": True, "streams": 2,
                "pipeline": 2, "dla_core": 0}


def _module_file(module: str):
    """The module's source file, found without importing it (only its package, runners, which is light)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, module
    return spec.origin


def _class_backend(path: str, class_name: str) -> str:
    """The ``backend = "..."`` a class declares, or inherits from a class of the same file."""
    classes = {node.name: node for node in ast.parse(open(path).read()).body if isinstance(node, ast.ClassDef)}
    node = classes[class_name]
    for statement in node.body:
        if isinstance(statement, ast.Assign) and [t.id for t in statement.targets] == ["backend"]:
            return statement.value.value
    bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in classes]
    return _class_backend(path, bases[0]) if bases else ""


def test_descriptors_import_nothing_heavy_and_the_parent_path_stays_light():
    code = ("import sys, runners.backends, runners.registry, harness.settings.matrix, harness.records.run_identity, "
            "harness.phase_a.run_planner, harness.settings.options\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_names_a_runner_class_that_is_its_own(name):
    module, class_name = BACKENDS[name].runner
    path = _module_file(module)
    assert _class_backend(path, class_name) == name  # the runner says it is this backend (results and profilers)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_names_its_layer_profiler_and_its_libraries(name):
    b = BACKENDS[name]
    if b.layer_profiler:
        module, function = b.layer_profiler.split(":")
        tree = ast.parse(open(_module_file(module)).read())
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert b.requires and b.missing and b.framework in b.requires
    assert b.artifact in ARTIFACT_KEYS and set(b.modes) <= set(MODES)


def test_colours_are_distinct_from_each_other_and_from_a_user_runners():
    colours = [b.colour for b in BACKENDS.values()] + [USER_RUNNER_COLOUR]
    assert len(set(colours)) == len(colours)
    assert backend_colour("tensorrt") == BACKENDS["tensorrt"].colour
    assert backend_colour("pkg.mod:Runner") == backend_colour("from-an-old-result") == USER_RUNNER_COLOUR


# What Phase B's uses_gpu and run identity's runs_on_gpu both answered before they became one function.
ON_GPU = {  # backend: (cpu, a GPU without ONNX Runtime's GPU providers, with its CUDA provider, with both)
    "torch": (False, True, True, True),
    "torch_compile": (False, True, True, True),
    "onnxruntime": (False, False, True, True),
    "onnxruntime_trt": (False, False, False, True),
    "tensorrt": (False, True, True, True),
    "pkg.mod:Runner": (False, True, True, True),
}


@pytest.mark.parametrize("name", list(ON_GPU))
def test_runs_on_gpu_answers_as_the_two_functions_it_replaced(name):
    answers = tuple(runs_on_gpu(name, d) for d in (CPU, GPU_PLAIN, GPU_ORT_CUDA, GPU_ORT_ALL))
    assert answers == ON_GPU[name]


def test_a_user_runner_gets_the_documented_defaults_and_the_planner_skips_it():
    user = backend("pkg.mod:MyRunner")
    assert user.runner == ("pkg.mod", "MyRunner") and user.artifact is None and user.artifact_key is None
    assert user.precisions == ("fp32", "tf32", "fp16") and user.cuda_precisions == ("fp16",)
    assert not user.modes and modes_for(user.name, ALL_MODES_ON).label == ""
    assert user.device == "cpu or cuda" and user.gpu_provider is None and user.threads is None
    assert not (user.warms_compile_cache or user.tunes_cudnn or user.qdq_flavour or user.layer_profiler)
    assert user.unavailable() == "pkg.mod cannot be imported"  # no package "pkg" here; looked up, not imported
    model = {"name": "m", "artifacts": {"torch": "/m.pt"}}
    (run,) = plan_runs([model], [user.name], ["fp32"], [64], [1], CPU)
    assert (run.skip_status, run.skip_reason) == ("skipped", "backend pkg.mod:MyRunner is not available")
    (run,) = plan_runs([model], [user.name], ["int8"], [64], [1], CPU)
    assert run.skip_reason.startswith("int8 runs a Q/DQ ONNX model: on onnxruntime (its CPU provider")


def test_an_unknown_name_is_refused_unless_read_back_from_a_record():
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        backend("tensorflow")
    assert backend("tensorflow", strict=False).artifact is None
    from runners.registry import runner_class

    with pytest.raises(ValueError, match="unknown backend"):
        runner_class("tensorflow")


def test_a_record_that_names_what_nobody_reads_is_refused():
    with pytest.raises(ValueError, match="mode 'tripple_buffer'"):
        Backend("x", ("m", "C"), "onnx", modes=frozenset({"tripple_buffer"}))
    with pytest.raises(ValueError, match="no_cuda_reason"):
        Backend("x", ("m", "C"), "engine", device="cuda")
    with pytest.raises(ValueError, match="artifact 'savedmodel'"):
        Backend("x", ("m", "C"), "savedmodel")


def test_the_facts_the_planner_and_phase_a_read():
    assert artifact_priority() == (("engine", "tensorrt"), ("onnx", "onnxruntime"), ("pt", "torch"), ("yaml", "torch"))
    assert reference_backend() == "torch"
    assert names_taking("cuda_graph") == ["torch", "tensorrt"] and names_taking("dla_core") == ["tensorrt"]
    assert [b.name for b in BACKENDS.values() if b.warms_compile_cache] == ["torch_compile", "onnxruntime_trt"]
    assert {b.name: b.threads is not None for b in BACKENDS.values()} == {
        "torch": True, "torch_compile": True, "onnxruntime": True, "onnxruntime_trt": True, "tensorrt": False}
    assert [b.name for b in BACKENDS.values() if b.built_from_onnx] == ["onnxruntime", "onnxruntime_trt", "tensorrt"]
    from harness.engines.qdq_quantize import FLAVOUR_FOR_BACKEND, FLAVOURS

    assert set(FLAVOUR_FOR_BACKEND.values()) <= set(FLAVOURS)
    assert FLAVOUR_FOR_BACKEND == {"onnxruntime": "u8s8", "onnxruntime_trt": "s8s8", "tensorrt": "s8s8"}
    setup_main = (REPO / "harness" / "phase_a" / "setup_main.py").read_text()
    for b in BACKENDS.values():  # Phase A hands the planner each compile cache's folder under the key it names
        if b.compile_cache:
            assert f'"{b.compile_cache[1]}"' in setup_main
    spec = RunSpec("m", "tensorrt", "fp16", 64, 1, modes_for("tensorrt", ALL_MODES_ON))
    assert spec.run_id == "m__tensorrt__fp16__img64__b1__dla0+cudagraph+e2e+streams2"


def test_unavailable_looks_modules_up_without_importing_them():
    missing = Backend("x", ("m", "C"), None, requires=("numpy", "no_such_module_here"), missing="x is not here")
    assert missing.unavailable() == "x is not here"
    assert Backend("y", ("m", "C"), None, requires=("json",)).unavailable() is None


# The files that read the descriptors: the backend names they may still hold, each with why.
READERS = ("harness/settings/matrix.py", "harness/phase_a/run_planner.py", "harness/video/plan.py",
           "harness/phase_b/inference_main.py", "harness/records/run_identity.py", "harness/phase_b/probe_attempt.py", "harness/phase_a/auto_tuning.py",
           "harness/phase_a/compile_warmup.py", "harness/phase_b/compile_warmup_note.py",
           "harness/phase_a/device_probe.py", "harness/phase_a/model_artifacts.py", "harness/report/plots.py",
           "harness/settings/options.py", "runners/registry.py", "runners/layer_profiles.py", "harness/engines/qdq_quantize.py")
ALLOWED = {
    # the video models' own list: their image encoder alone runs on another backend
    ("harness/video/plan.py", "VOS_BACKENDS", "torch"),
    ("harness/video/plan.py", "VOS_BACKENDS", "onnxruntime"),
    ("harness/video/plan.py", "VOS_BACKENDS", "tensorrt"),
    ("harness/video/plan.py", "VOS_ENCODER_PRECISION_REASONS", "onnxruntime"),
    ("harness/video/plan.py", "VOS_ENCODER_PRECISION_REASONS", "tensorrt"),
    ("harness/video/plan.py", "vos_artifact", "onnxruntime"),
    ("harness/video/plan.py", "vos_artifact", "tensorrt"),
    # library versions, not backends
    ("harness/records/run_identity.py", "VERSION_FIELDS", "torch"),
    ("harness/records/run_identity.py", "VERSION_FIELDS", "onnxruntime"),
    ("harness/records/run_identity.py", "VERSION_FIELDS", "tensorrt"),
    ("harness/phase_a/model_artifacts.py", "_versions", "torch"),
    # the torch module in Phase B's process context
    ("harness/phase_b/inference_main.py", "measure_runs", "torch"),
    ("harness/phase_b/inference_main.py", "measure_and_write", "torch"),
    # where the checkpoint and the ONNX export are made and stored (the setup config's artifact keys)
    ("harness/phase_a/model_artifacts.py", "prepare_model", "torch"),
    ("harness/phase_a/model_artifacts.py", "prepare_model", "onnxruntime"),
}
REMOVED_TEXT = {  # prose that listed backends by name where the descriptors now say it
    "harness/settings/options.py": ("torch and tensorrt runs replay", "torch and torch_compile runs use",
                           '"torch_compile in Phase B', "(torch_compile, \"", "run on torch and onnxruntime)"),
    "harness/phase_a/compile_warmup.py": ("torch_compile and onnxruntime_trt:",),
    "harness/phase_b/compile_warmup_note.py": ("torch_compile / onnxruntime_trt",),
    "harness/settings/matrix.py": ("(torch, torch_compile)", "(torch,\n    tensorrt)"),
}


def _backend_literals(relative: str) -> set:
    """(file, top-level definition, literal) for every string constant that is a backend's name."""
    found = set()
    for top in ast.parse((REPO / relative).read_text()).body:
        scope = getattr(top, "name", None) or next((t.id for t in getattr(top, "targets", []) if isinstance(t, ast.Name)),
                                                   None)
        for node in ast.walk(top):
            if isinstance(node, ast.Constant) and node.value in BACKENDS:
                found.add((relative, scope, node.value))
    return found


def test_the_readers_name_no_backend_where_the_descriptor_says_it():
    found = set().union(*(_backend_literals(path) for path in READERS))
    assert found - ALLOWED == set(), "decide from runners/backends.py instead"
    assert ALLOWED - found == set(), "a literal the list allows is gone: drop it from ALLOWED"
    for path, texts in REMOVED_TEXT.items():
        source = (REPO / path).read_text()
        assert [t for t in texts if t in source] == [], path
    sources = {path: (REPO / path).read_text() for path in READERS}
    for gone in ("def uses_gpu", "BACKEND_COLORS", "QDQ_FLAVOURS", "PROFILERS", "_RUNNERS", "def runs_on_gpu"):
        assert [p for p, text in sources.items() if gone in text] == [], gone
