"""ONNX Runtime checks every fed array against each ``dim_value`` >= 0, so an input written with a batch
``dim_value`` of 0 (some exporters' way to say "any") accepts only an empty batch. Phase A writes a copy of
such a model, with those dims made symbolic, into its artifacts folder, and the runs load the copy; the
user's file is not changed."""

from __future__ import annotations

from typing import Optional


def symbolic_zero_dims(path: str) -> Optional[bytes]:
    """The model's bytes with every input dim_value <= 0 turned into a named dim, or None when none is."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    changed = False
    for graph_input in model.graph.input:
        for index, dim in enumerate(graph_input.type.tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value <= 0:
                dim.dim_param = f"{graph_input.name}_dim{index}"
                changed = True
    if not changed:
        return None
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        return None  # weights beside the file: leave it to ONNX Runtime as it is
    return model.SerializeToString()
