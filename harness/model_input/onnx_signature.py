"""What an ONNX file says about its inputs and outputs, read from the graph without running it.

A dim is dynamic (``None``) when it carries a symbolic name (``dim_param``), when its ``dim_value`` is 0 or
negative (Paddle2ONNX writes -1), or when neither field is set. Only the graph proto is read:
``onnx.load(path, load_external_data=False)`` leaves external weight files alone.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional

LAYOUTS = ("nchw", "nhwc")
IMAGE_CHANNELS = (1, 3, 4)
# Ultralytics writes every metadata value as str(python object); these hold literals worth parsing back.
ULTRALYTICS_LITERAL_KEYS = ("imgsz", "stride", "names", "batch", "kpt_shape", "channels")


@dataclass(frozen=True)
class OnnxInput:
    """One graph input or output: its name, numpy dtype name and dims (int when fixed, None when dynamic)."""

    name: str
    dtype: str          # numpy dtype name: "float32", "float16", "uint8", "int64", "bool", ...
    dims: tuple         # int for a fixed dim, None for a dynamic one; () for a scalar or an unrecorded shape
    dim_names: tuple = ()  # the symbolic name (dim_param) per dim, None where there is none

    @property
    def rank(self) -> int:
        return len(self.dims)


def _load(path):
    import onnx

    return onnx.load(str(path), load_external_data=False)


def _dtype_name(elem_type: int) -> str:
    """The numpy dtype name of an ONNX TensorProto element type; "undefined" for 0 or an unknown code."""
    import onnx

    try:
        return onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
    except (KeyError, ValueError, TypeError):
        return "undefined"


def _dim(dimension) -> tuple:
    """(value or None, symbolic name or None) of one TensorShapeProto.Dimension."""
    kind = dimension.WhichOneof("value")
    if kind == "dim_param":
        return None, dimension.dim_param or None
    if kind == "dim_value" and dimension.dim_value > 0:
        return int(dimension.dim_value), None
    return None, None


def _record(value_info) -> OnnxInput:
    """An OnnxInput from a ValueInfoProto; a non-tensor type (sequence, map) reads as its type kind, dims ()."""
    if not value_info.type.HasField("tensor_type"):
        return OnnxInput(value_info.name, value_info.type.WhichOneof("value") or "undefined", (), ())
    tensor = value_info.type.tensor_type
    pairs = [_dim(d) for d in tensor.shape.dim]
    return OnnxInput(value_info.name, _dtype_name(tensor.elem_type),
                     tuple(v for v, _ in pairs), tuple(n for _, n in pairs))


def read_onnx_inputs(path) -> list:
    """The graph's real inputs, in graph order: inputs that are also initializers (older exporters list
    every weight as an input) are left out."""
    graph = _load(path).graph
    weights = {t.name for t in graph.initializer} | {t.values.name for t in graph.sparse_initializer}
    return [_record(v) for v in graph.input if v.name not in weights]


def read_onnx_outputs(path) -> list:
    """The graph's outputs, in graph order, as the same record as the inputs."""
    return [_record(v) for v in _load(path).graph.output]


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def read_onnx_metadata(path) -> dict:
    """The model's metadata_props as {key: value}. Values are strings, except the Ultralytics keys in
    ULTRALYTICS_LITERAL_KEYS, which are parsed with ast.literal_eval where they parse (imgsz "[640, 640]" ->
    [640, 640], names "{0: 'person'}" -> {0: 'person'}, stride "32" -> 32) and kept as strings where not."""
    props = {p.key: p.value for p in _load(path).metadata_props}
    return {k: _literal(v) if k in ULTRALYTICS_LITERAL_KEYS else v for k, v in props.items()}


def _layout(dims: tuple) -> Optional[str]:
    """The layout of a rank-4 dims tuple: a fixed 1/3/4 channel at position 1 ("nchw") wins over one at
    position 3 ("nhwc"); failing both, a dynamic dim at position 1, then at 3; None when neither can be."""
    if dims[1] in IMAGE_CHANNELS:
        return "nchw"
    if dims[3] in IMAGE_CHANNELS:
        return "nhwc"
    if dims[1] is None:
        return "nchw"
    if dims[3] is None:
        return "nhwc"
    return None


def _describe(inputs: list) -> str:
    return ", ".join(f"{i.name} {i.dtype}{list(i.dims)}" for i in inputs) or "none"


def image_input(inputs: list) -> tuple:
    """(index, layout) of the image input: the first rank-4 input whose channel dim can be at position 1
    ("nchw") or 3 ("nhwc"), by the rule of _layout. Raises ValueError naming the inputs when none is rank 4,
    or when no rank-4 input has a 1/3/4 or dynamic dim at position 1 or 3."""
    rank4 = [(i, x) for i, x in enumerate(inputs) if x.rank == 4]
    if not rank4:
        raise ValueError(f"no rank-4 (image) input among the model's inputs: {_describe(inputs)}")
    for index, item in rank4:
        layout = _layout(item.dims)
        if layout:
            return index, layout
    raise ValueError(f"no rank-4 input has 1, 3 or 4 channels at position 1 or 3: {_describe(inputs)}")


def fixed_spatial(input: OnnxInput, layout: str) -> tuple:
    """(height, width) of a rank-4 input in the given layout, each an int or None when dynamic.
    Raises ValueError for an unknown layout or an input that is not rank 4."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if input.rank != 4:
        raise ValueError(f"input {input.name!r} has dims {list(input.dims)}, not rank 4")
    return (input.dims[2], input.dims[3]) if layout == "nchw" else (input.dims[1], input.dims[2])


def fixed_batch(input: OnnxInput) -> Optional[int]:
    """The first dim when it is fixed; None when it is dynamic or the input is a scalar."""
    return input.dims[0] if input.dims else None
