"""TensorRT 8.5.2 / 8.6 / 10.x (and what 11 removes): the logic that depends on the version, on stand-ins shaped
like each release, and the version table in docs/backends.md kept in step with the calls the code makes."""

import logging
import re
from types import SimpleNamespace

import pytest

from conftest import REPO
from harness.engines.trt_build import (BuildUnsupported, apply_builder_flags, apply_builder_options,
                                       apply_profiling_verbosity, network_flags)
from runners.tensorrt_runner import engine_activation_bytes

TENSORRT_SOURCES = [REPO / "runners" / "tensorrt_runner.py", REPO / "runners" / "layer_profiles.py",
                    *sorted((REPO / "harness" / "engines").glob("*.py"))]
# The names the code gives TensorRT's objects, and attributes of like-named objects that are not TensorRT's
# (argparse's parser, a Path called profile, a torch tensor).
RECEIVERS = r"trt|builder|config|network|parser|engine|context|runtime|inspector|profile|calibration_profile|tensor|image_input"
NOT_TENSORRT = {"add_argument", "parse_args", "json", "read_text", "data_ptr", "__version__", "__init__"}


def tensorrt_names_called() -> set:
    pattern = re.compile(rf"(?<![\w.])(?:self\.|runner\.)?(?:{RECEIVERS})\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
    names = set()
    for path in TENSORRT_SOURCES:
        for match in pattern.finditer(path.read_text()):
            names.update(name for name in match.groups() if name and name not in NOT_TENSORRT)
    return names


def version_table_names() -> set:
    doc = (REPO / "docs" / "backends.md").read_text()
    section = doc[doc.index("### TensorRT versions"):doc.index("**What on the TensorRT path")]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"[A-Za-z_]\w*", " ".join(re.findall(r"`([^`]*)`", row)))}


def test_every_tensorrt_name_the_code_calls_is_in_the_version_table():
    called = tensorrt_names_called()
    assert {"execute_async_v3", "get_tensor_profile_shape", "set_memory_pool_limit", "DLA_core",
            "create_engine_inspector", "NetworkDefinitionCreationFlag"} <= called  # the scan sees the calls
    missing = sorted(called - version_table_names())
    assert not missing, f"add these TensorRT calls to the version table in docs/backends.md: {missing}"


def test_the_removed_calls_are_not_called():
    called = tensorrt_names_called()
    assert not called & {"build_engine", "max_workspace_size", "num_bindings", "get_profile_shape",
                         "execute_async_v2", "execute_v2", "get_binding_shape"}


def _Config():
    """A builder config that records the flags set and cleared on it."""
    calls = []
    return SimpleNamespace(calls=calls, set_flag=lambda flag: calls.append(("set", flag)),
                           clear_flag=lambda flag: calls.append(("clear", flag)))


FLAGS_10 = SimpleNamespace(FP16="FP16", INT8="INT8", TF32="TF32", SPARSE_WEIGHTS="SPARSE_WEIGHTS")
FLAGS_11 = SimpleNamespace(TF32="TF32", SPARSE_WEIGHTS="SPARSE_WEIGHTS")  # strongly typed only: no FP16 / INT8


def test_precision_flags_on_10_and_on_11_without_them():
    config = _Config()
    assert apply_builder_flags(SimpleNamespace(__version__="10.3.0", BuilderFlag=FLAGS_10), config, "int8") == []
    assert config.calls == [("set", "INT8"), ("set", "FP16")]
    trt11 = SimpleNamespace(__version__="11.1.0", BuilderFlag=FLAGS_11)
    config = _Config()
    assert apply_builder_flags(trt11, config, "int8") == ["INT8", "FP16"]  # the Q/DQ ONNX carries the precision
    assert config.calls == []
    config = _Config()
    assert apply_builder_flags(trt11, config, "fp32") == [] and config.calls == [("clear", "TF32")]
    with pytest.raises(BuildUnsupported, match="TensorRT 11.1.0 has no BuilderFlag.FP16: its networks are strongly typed"):
        apply_builder_flags(trt11, _Config(), "fp16")


def test_an_fp16_build_on_a_tensorrt_without_the_flag_is_skipped_not_failed(tmp_path):
    from harness.engines.trt_build import build

    class Base:
        def __init__(self):
            pass

    class Network:
        num_inputs = 1

        def get_input(self, i):
            return SimpleNamespace(name="images", shape=(1, 3, 64, 64))

    class Builder:
        def __init__(self, logger):
            pass

        def create_network(self, flags):
            return Network()

        def create_builder_config(self):
            return SimpleNamespace(set_memory_pool_limit=lambda pool, size: None)

    parser = SimpleNamespace(parse=lambda data, path: True, num_errors=0)
    trt11 = SimpleNamespace(__version__="11.1.0", IErrorRecorder=Base, ILogger=Base, Builder=Builder,
                            OnnxParser=lambda network, logger: parser, BuilderFlag=FLAGS_11,
                            MemoryPoolType=SimpleNamespace(WORKSPACE="WORKSPACE"))
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx")
    request = {"onnx_path": str(onnx), "engine_path": str(tmp_path / "m.engine"), "precision": "fp16", "imgsz": 64,
               "input_name": None, "batch": {"min": 1, "opt": 1, "max": 1}, "workspace_mb": 64, "timing_cache": None,
               "calibration": None}
    payload = build(request, trt11, logging.getLogger("test"))
    assert payload["outcome"] == "unsupported" and "strongly typed" in payload["detail"]


@pytest.mark.parametrize("version,flags", [("8.5.2.2", 1), ("8.6.1", 1), ("10.0.1", 0), ("10.3.0", 0), ("11.1.0", 0)])
def test_explicit_batch_is_asked_for_below_10_only(version, flags):
    trt = SimpleNamespace(__version__=version, NetworkDefinitionCreationFlag=SimpleNamespace(EXPLICIT_BATCH=0))
    assert network_flags(trt) == flags


@pytest.mark.parametrize("release,engine,expected", [
    ("8.5.2", SimpleNamespace(device_memory_size=7), 7),
    ("10.0", SimpleNamespace(device_memory_size=7), 7),                           # v2 arrived in 10.1
    ("10.3", SimpleNamespace(device_memory_size=7, device_memory_size_v2=9), 9),
    ("11.1", SimpleNamespace(device_memory_size_v2=9), 9),                        # v1 is gone
])
def test_activation_memory_is_read_with_the_call_each_release_has(release, engine, expected):
    assert engine_activation_bytes(engine) == expected, release


def test_profiling_verbosity_and_the_optimization_level_where_the_release_has_them():
    config = SimpleNamespace(profiling_verbosity=None)
    assert apply_profiling_verbosity(SimpleNamespace(ProfilingVerbosity=SimpleNamespace(DETAILED="D")), config) == "detailed"
    assert config.profiling_verbosity == "D"
    assert apply_profiling_verbosity(SimpleNamespace(), SimpleNamespace()) is None  # before 8.2
    old = apply_builder_options(SimpleNamespace(__version__="8.5.2"), SimpleNamespace(), {"builder_opt_level": 5})
    assert "builder_opt_level_unsupported" in old
