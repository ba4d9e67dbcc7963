"""Small real ONNX models for tests: opset 17, IR version 8, pass onnx.checker and run on onnxruntime's CPU.

A dim spec, wherever one is taken (batch_dim, height, width, an extra input's dims), is written as it is given:
a str as ``dim_param`` (symbolic), an int as ``dim_value`` (so -1 and 0 are written as such, the way Paddle2ONNX
and some older exporters do), None as a dim with neither field set. Note that onnxruntime checks a fed array
against every dim_value >= 0: a dim written as 0 accepts only a size-0 array.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


def _elem_type(dtype: str) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def value_info(name: str, dtype: str, dims) -> onnx.ValueInfoProto:
    """A tensor ValueInfoProto with each dim written from its spec (str / int / None), built by hand because
    helper.make_tensor_value_info rejects negative dims."""
    info = onnx.ValueInfoProto(name=name)
    tensor = info.type.tensor_type
    tensor.elem_type = _elem_type(dtype)
    tensor.shape.CopyFrom(onnx.TensorShapeProto())  # present even for a scalar
    for spec in dims:
        dim = tensor.shape.dim.add()
        if isinstance(spec, str):
            dim.dim_param = spec
        elif spec is not None:
            dim.dim_value = int(spec)
    return info


def _save(graph: onnx.GraphProto, path, metadata: dict = None) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                              producer_name="jetson_benchmark tests")
    for key, value in (metadata or {}).items():
        prop = model.metadata_props.add()
        prop.key, prop.value = str(key), value if isinstance(value, str) else str(value)
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _output_dim(spec):
    """A declared output dim: kept when symbolic or positive, otherwise left unset (no false promise)."""
    return spec if isinstance(spec, str) or (isinstance(spec, int) and spec > 0) else None


def _image_body(*, batch_dim, layout, dtype, height, width, channels, out_channels, extra_inputs, seed):
    """(nodes, initializers, inputs, name of the NCHW float32 result, its declared dims) of the image model."""
    if layout not in ("nchw", "nhwc"):
        raise ValueError(f"layout {layout!r}: use nchw or nhwc")
    dims = (batch_dim, channels, height, width) if layout == "nchw" else (batch_dim, height, width, channels)
    inputs = [value_info("images", dtype, dims)]
    nodes, current = [], "images"
    if dtype != "float32":
        nodes.append(helper.make_node("Cast", [current], ["as_float"], to=TensorProto.FLOAT))
        current = "as_float"
    if layout == "nhwc":
        nodes.append(helper.make_node("Transpose", [current], ["as_nchw"], perm=[0, 3, 1, 2]))
        current = "as_nchw"
    rng = np.random.default_rng(seed)
    weights = [numpy_helper.from_array(rng.standard_normal((out_channels, channels, 3, 3)).astype(np.float32), "W"),
               numpy_helper.from_array(rng.standard_normal(out_channels).astype(np.float32), "B")]
    nodes += [helper.make_node("Conv", [current, "W", "B"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["conv"], ["relu"])]
    current = "relu"
    for n, (name, extra_dtype, extra_dims) in enumerate(extra_inputs):
        inputs.append(value_info(name, extra_dtype, extra_dims))
        nodes += [helper.make_node("Cast", [name], [f"extra{n}_float"], to=TensorProto.FLOAT),
                  helper.make_node("ReduceSum", [f"extra{n}_float"], [f"extra{n}_sum"], keepdims=0),
                  helper.make_node("Add", [current, f"extra{n}_sum"], [f"with_extra{n}"])]
        current = f"with_extra{n}"
    out_dims = (_output_dim(batch_dim), out_channels, _output_dim(height), _output_dim(width))
    return nodes, weights, inputs, current, out_dims


def write_image_model(path, *, batch_dim="batch", layout="nchw", dtype="float32", height=None, width=None,
                      channels=3, out_channels=4, extra_inputs=(), metadata=None, seed=0) -> Path:
    """An image model "images" -> Conv 3x3 (pads 1) + Relu -> "output" (float32, NCHW, out_channels).

    ``layout="nhwc"`` models Transpose to NCHW first; uint8 and float16 models Cast to float32 first (uint8
    is not divided). Each ``extra_inputs`` entry (name, dtype, dims) is a real input: Cast to float, summed
    to a scalar (ReduceSum) and added to the result, so onnxruntime requires it and its value shows in the
    output. ``metadata`` goes into metadata_props (non-str values as str(value), as Ultralytics writes them).
    Returns the path."""
    nodes, weights, inputs, last, out_dims = _image_body(
        batch_dim=batch_dim, layout=layout, dtype=dtype, height=height, width=width, channels=channels,
        out_channels=out_channels, extra_inputs=tuple(extra_inputs), seed=seed)
    nodes.append(helper.make_node("Identity", [last], ["output"]))
    graph = helper.make_graph(nodes, "image_model", inputs, [value_info("output", "float32", out_dims)], weights)
    return _save(graph, path, metadata)


def write_two_output_model(path) -> Path:
    """An NCHW float32 image model ("images", dims ("batch", 3, "height", "width")) with two outputs of
    different shapes: "features" (the Conv + Relu map, N x 4 x H x W) and "pooled" (its GlobalAveragePool,
    N x 4 x 1 x 1). Returns the path."""
    nodes, weights, inputs, last, out_dims = _image_body(
        batch_dim="batch", layout="nchw", dtype="float32", height="height", width="width", channels=3,
        out_channels=4, extra_inputs=(), seed=0)
    nodes += [helper.make_node("Identity", [last], ["features"]),
              helper.make_node("GlobalAveragePool", [last], ["pooled"])]
    outputs = [value_info("features", "float32", out_dims), value_info("pooled", "float32", ("batch", 4, 1, 1))]
    return _save(helper.make_graph(nodes, "two_output_model", inputs, outputs, weights), path)


def write_vector_model(path, *, features=8) -> Path:
    """A model with only a rank-2 input: "x" float32 ("batch", features) -> Relu -> "y". Returns the path."""
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "vector_model",
                              [value_info("x", "float32", ("batch", features))],
                              [value_info("y", "float32", ("batch", features))])
    return _save(graph, path)


def list_initializers_as_inputs(path) -> Path:
    """Rewrite an ONNX file so that every initializer is also listed in graph.input, as older exporters
    (IR version < 4 style) did. Returns the path."""
    model = onnx.load(str(path))
    listed = {i.name for i in model.graph.input}
    for tensor in model.graph.initializer:
        if tensor.name not in listed:
            model.graph.input.append(value_info(tensor.name, helper.tensor_dtype_to_np_dtype(tensor.data_type).name,
                                                tuple(tensor.dims)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def write_colour_classifier(path, colours, metadata=None) -> Path:
    """A classifier that knows colours: "images" (N x 3 x H x W, 0-1) -> "scores" N x K, score k = minus the squared
    distance of the image's mean colour to ``colours[k]`` (RGB, 0-1). Its top-1 is the nearest colour."""
    table = numpy_helper.from_array(np.asarray(colours, dtype=np.float32)[None], "colours")  # 1 x K x 3
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")
    last = numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2")
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], axes=[2, 3], keepdims=0),
             helper.make_node("Unsqueeze", ["mean", "axis1"], ["mean3"]),
             helper.make_node("Sub", ["mean3", "colours"], ["diff"]),
             helper.make_node("Mul", ["diff", "diff"], ["square"]),
             helper.make_node("ReduceSum", ["square", "axis2"], ["distance"], keepdims=0),
             helper.make_node("Neg", ["distance"], ["scores"])]
    graph = helper.make_graph(nodes, "colour_classifier", [value_info("images", "float32", ("batch", 3, "h", "w"))],
                              [value_info("scores", "float32", ("batch", len(colours)))], [table, axes, last])
    return _save(graph, path, metadata)
