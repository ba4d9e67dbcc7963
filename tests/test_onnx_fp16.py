"""A user's fp32 ONNX converted to fp16 for ONNX Runtime's CUDA provider: weights in float16, the graph's inputs
and outputs still float32 (the run feeds the fp32 run's input), a sidecar that reuses it and notices a new source."""

import numpy as np
import onnx
import pytest

from conftest import write_conv_onnx
from harness.files.artifact_sidecar import read_sidecar
from harness.engines.onnx_fp16 import fp16_onnx


def test_fp16_copy_keeps_float32_io_and_halves_the_weights(tmp_path):
    source = write_conv_onnx(tmp_path / "conv.onnx", out_channels=64)  # weights large enough to dwarf the casts
    target = fp16_onnx(str(source), tmp_path / "artifacts", force=False)
    model = onnx.load(str(target))
    assert {i.type.tensor_type.elem_type for i in model.graph.input} == {onnx.TensorProto.FLOAT}
    assert {o.type.tensor_type.elem_type for o in model.graph.output} == {onnx.TensorProto.FLOAT}
    weights = [i for i in model.graph.initializer if len(i.dims) > 1]
    assert weights and all(w.data_type == onnx.TensorProto.FLOAT16 for w in weights)
    assert target.stat().st_size < 0.7 * source.stat().st_size
    sidecar = read_sidecar(target)
    assert sidecar["precision"] == "fp16" and sidecar["keep_io_types"] is True and sidecar["convert_s"] >= 0


def test_the_copy_is_reused_until_its_source_changes(tmp_path):
    source = write_conv_onnx(tmp_path / "conv.onnx")
    first = fp16_onnx(str(source), tmp_path / "artifacts", force=False)
    stamp = first.stat().st_mtime_ns
    assert fp16_onnx(str(source), tmp_path / "artifacts", force=False).stat().st_mtime_ns == stamp
    write_conv_onnx(source, seed=1)  # new weights: a new copy
    before = read_sidecar(first)["source_sha256"]
    again = fp16_onnx(str(source), tmp_path / "artifacts", force=False)
    assert read_sidecar(again)["source_sha256"] != before


def test_the_fp16_copy_computes_what_the_fp32_graph_does(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    source = write_conv_onnx(tmp_path / "conv.onnx")
    target = fp16_onnx(str(source), tmp_path / "artifacts", force=False)
    x = np.random.default_rng(0).random((1, 3, 16, 16), dtype=np.float32)
    ref = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    try:
        half = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - the CPU provider lacks some fp16 kernels; the CUDA one has them
        pytest.skip(f"ONNX Runtime's CPU provider cannot run this fp16 graph: {exc}")
    name = ref.get_inputs()[0].name
    a, b = ref.run(None, {name: x})[0], half.run(None, {name: x})[0]
    assert b.dtype == np.float32 and np.allclose(a, b, atol=1e-2, rtol=1e-2)
