"""Which TensorRT Python names exist in which release: the evidence behind the version table in docs/backends.md.

    python3 bench/tensorrt_api_versions.py TENSORRT_GIT_DIR [REF ...]

TENSORRT_GIT_DIR is a clone of github.com/NVIDIA/TensorRT (a bare one works); the refs default to the releases the
harness supports and the next one (8.5.2, v8.6.1, release/10.0, release/10.3, release/10.13, main = 11.x). A name
"exists" in a release when its Python binding sources (``python/src``) bind it as a string literal, the way pybind11
declares every method, property and enum member (``.def("execute_async_v3", ...)``, ``.value("FP16", ...)``).
Prints one Markdown table row per name; nothing needs TensorRT installed.
"""

from __future__ import annotations

import subprocess
import sys

DEFAULT_REFS = ("8.5.2", "v8.6.1", "release/10.0", "release/10.3", "release/10.13", "main")
# Every TensorRT name the harness calls (runners/tensorrt_runner.py, runners/layer_profiles.py, harness/engines/*.py),
# and the older names it deliberately does not call.
NAMES = (
    "create_network", "create_builder_config", "create_optimization_profile", "build_serialized_network",
    "error_recorder", "num_DLA_cores", "EXPLICIT_BATCH", "parse", "num_errors", "get_error", "desc", "node",
    "num_inputs", "get_input", "set_memory_pool_limit", "WORKSPACE", "create_timing_cache", "set_timing_cache",
    "get_timing_cache", "serialize", "set_flag", "clear_flag", "FP16", "INT8", "TF32", "SPARSE_WEIGHTS",
    "GPU_FALLBACK", "builder_optimization_level", "profiling_verbosity", "DETAILED", "default_device_type", "DLA",
    "DLA_core", "add_optimization_profile", "set_shape", "int8_calibrator", "set_calibration_profile",
    "IInt8MinMaxCalibrator", "IInt8EntropyCalibrator2", "get_batch_size", "get_batch", "read_calibration_cache",
    "write_calibration_cache", "report_error", "get_num_errors", "get_error_code", "get_error_desc", "has_overflowed",
    "clear", "log", "WARNING", "deserialize_cuda_engine", "num_io_tensors", "get_tensor_name", "get_tensor_mode",
    "INPUT", "OUTPUT", "get_tensor_shape", "get_tensor_dtype", "get_tensor_profile_shape", "device_memory_size",
    "device_memory_size_v2", "create_execution_context", "set_input_shape", "set_tensor_address", "execute_async_v3",
    "create_engine_inspector", "get_engine_information", "JSON", "report_layer_time", "profiler",
    "FLOAT", "HALF", "INT32", "BOOL", "UINT8", "BF16", "INT64",
    # not called (removed in 10): the bindings API, the old build and enqueue calls, the old workspace setting
    "build_engine", "max_workspace_size", "num_bindings", "get_profile_shape", "execute_async_v2",
)


def bound(repo: str, ref: str, name: str) -> bool:
    found = subprocess.run(["git", "-C", repo, "grep", "-q", "-F", f'"{name}"', ref, "--", "python/src"])
    return found.returncode == 0


def main(argv: list) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    repo, refs = argv[0], argv[1:] or list(DEFAULT_REFS)
    print("| name | " + " | ".join(refs) + " |")
    print("|---|" + "---|" * len(refs))
    for name in NAMES:
        print(f"| `{name}` | " + " | ".join("yes" if bound(repo, ref, name) else "-" for ref in refs) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
