"""A stand-in for ``harness.engines.trt_build`` in the engine-build tests: it reads the same request file,
prints the same ``build_result`` event and exits with the same codes, in a real child process, without
TensorRT. Run as ``python -m tests.fake_trt_builder --request FILE``.

What it does comes from a JSON file beside the request's ONNX path (``<onnx>.fake.json``):

- ``sigkill_above_mb``: SIGKILL itself when the workspace is above this (what the kernel OOM killer does
  to a builder on a Jetson: no event, exit -9);
- ``allocation_failed_above_mb``: report ``allocation_failed`` (exit 3) when the workspace is above this;
- ``parser_errors``: report ``failed`` with these ONNX parser errors (exit 4);
- ``unavailable``: report ``unavailable`` (exit 5);
- ``unsupported``: report ``unsupported`` with this text as the detail (exit 6: e.g. a DLA core the device lacks).

Otherwise it "builds": writes ``FAKEPLAN`` + the request as JSON to the engine path (atomically), appends
a line to the timing cache, and reports ``built``. With ``layer_info`` (an engine inspector document) it also
writes that beside the engine as the real builder does (``<engine>.layers.json``, its text also in the plan, so other
tactics make other bytes); without it the event says the layer information is unavailable.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from harness.process import child_protocol
from harness.files.atomic_io import atomic_write_bytes, read_json
from harness.engines.trt_build import layer_info_path
from harness.process.lifeline import die_with_parent

FAKE_PLAN_MAGIC = b"FAKEPLAN"


def behaviour_path(onnx_path) -> Path:
    return Path(str(onnx_path) + ".fake.json")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_trt_builder")
    parser.add_argument("--request", required=True)
    args = parser.parse_args(argv)
    die_with_parent()
    started = time.perf_counter()
    request = read_json(args.request)
    behaviour = read_json(behaviour_path(request["onnx_path"]))
    workspace = float(request["workspace_mb"])
    print(f"fake builder pid {os.getpid()}: workspace {workspace:g} MiB", file=sys.stderr)
    if "sigkill_above_mb" in behaviour and workspace > behaviour["sigkill_above_mb"]:
        os.kill(os.getpid(), signal.SIGKILL)
    if behaviour.get("unavailable"):
        child_protocol.emit("build_result", outcome="unavailable", detail="cannot import tensorrt: fake")
        return 5
    if behaviour.get("unsupported"):
        child_protocol.emit("build_result", outcome="unsupported", detail=behaviour["unsupported"], workspace_mb=workspace,
                            parser_errors=[], builder_errors=[])
        return 6
    if behaviour.get("parser_errors"):
        child_protocol.emit("build_result", outcome="failed", parser_errors=behaviour["parser_errors"],
                            builder_errors=[], workspace_mb=workspace)
        return 4
    if "allocation_failed_above_mb" in behaviour and workspace > behaviour["allocation_failed_above_mb"]:
        child_protocol.emit("build_result", outcome="allocation_failed", workspace_mb=workspace, parser_errors=[],
                            builder_errors=["FAILED_ALLOCATION: fake allocation of the tactic workspace failed"],
                            detail="FAILED_ALLOCATION: fake allocation of the tactic workspace failed")
        return 3
    layer_info = json.dumps(behaviour["layer_info"]) if "layer_info" in behaviour else ""
    plan = FAKE_PLAN_MAGIC + json.dumps(request).encode("utf-8") + layer_info.encode("utf-8")
    atomic_write_bytes(request["engine_path"], plan)
    inspected = {"layer_info_unavailable": "the fake builder was given no layer information"}
    if layer_info:
        inspected = {"layer_info_path": str(atomic_write_bytes(layer_info_path(request["engine_path"]),
                                                               layer_info.encode("utf-8")))}
    if request.get("timing_cache"):
        cache = Path(request["timing_cache"])
        old = cache.read_bytes() if cache.is_file() else b""
        atomic_write_bytes(cache, old + f"workspace {workspace:g}\n".encode())
    child_protocol.emit("build_result", outcome="built", build_s=round(time.perf_counter() - started, 3),
                        plan_bytes=len(plan), workspace_mb=workspace, **inspected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
