"""Shared helpers: run the real CLI in a subprocess; build small real inputs on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CLI = REPO / "jetson_benchmark.py"
TINY = ["--imgsz", "64", "--warmup", "1", "--iters", "3", "--min_duration_s", "0"]


def cli_env() -> dict:
    env = dict(os.environ)
    env["YOLO_OFFLINE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(*args, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=cli_env())


def phase_b_processes(parent_pid: int) -> list:
    """The Phase B processes under a running command: a spawned one names its module on its command line
    (--isolation run); one forked by the launcher (--isolation fork) keeps the launcher's and names itself."""
    import psutil

    found = []
    for child in psutil.Process(parent_pid).children(recursive=True):
        try:
            if "harness.phase_b" in " ".join(child.cmdline()) or child.name() == "harness.phase_b":
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def write_image(path: Path, image: np.ndarray) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image), path
    return path


def random_image(h: int, w: int, channels: int = 3, seed: int = 0, dtype=np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    high = 65535 if dtype == np.uint16 else 255
    shape = (h, w) if channels == 1 else (h, w, channels)
    return rng.integers(0, high + 1, size=shape, dtype=np.int64).astype(dtype)


def write_video(path: Path, frames: int, w: int = 96, h: int = 64, seed: int = 0) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (w, h))
    assert writer.isOpened()
    rng = np.random.default_rng(seed)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="session")
def shared_setup(tmp_path_factory):
    """Phase A run once for the session (yolo11n, imgsz 64, synthetic data), reused with --skip_setup."""
    root = tmp_path_factory.mktemp("shared_setup")
    proc = run_cli("--models", "yolo11n", *TINY, "--preprocessed_dir", root / "pre", "--out_dir", root / "out",
                   "--skip_inference", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "pre"


def write_conv_onnx(path: Path, in_channels: int = 3, out_channels: int = 4, seed: int = 0) -> Path:
    """A real, tiny ONNX model (Conv 3x3 + Relu) with a dynamic batch and spatial size."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array(rng.standard_normal((out_channels, in_channels, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["images", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["out"])],
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", in_channels, "h", "w"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", out_channels, "h", "w"])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
