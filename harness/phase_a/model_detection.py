"""What a model's own files say about it (Phase A): the ``detected`` record the input resolution reads.

Keys (each optional): task, names (and names_source), kpt_shape, imgsz, stride (model metadata); input_name, layout, dtype,
fixed_hw, fixed_batch, channels, extra_input_names (an ONNX file's image input and the others); source (which file
said so).
"""

from __future__ import annotations

from harness.model_input.onnx_signature import (fixed_batch, fixed_spatial, image_input, read_onnx_inputs,
                                                 read_onnx_metadata)

from harness.model_input.class_names import names_from_metadata

METADATA_KEYS = ("task", "kpt_shape", "imgsz", "stride")


def from_checkpoint(path: str, trusted: bool = False) -> dict:
    """An Ultralytics checkpoint: its task, names, kpt_shape, imgsz and stride (read through the allow-list of
    runners.restricted_unpickler unless ``trusted``)."""
    from runners.torch_model_files import checkpoint_metadata

    meta = checkpoint_metadata(path, trusted)
    names = {"names": meta["names"], "names_source": "the Ultralytics checkpoint's names"} if meta.get("names") else {}
    return {**{k: meta.get(k) for k in METADATA_KEYS if meta.get(k) is not None}, **names,
            "source": "Ultralytics checkpoint metadata"}


def from_onnx(path: str) -> dict:
    """An ONNX file: the image input (rank 4 with 1/3/4 channels), its dtype, layout and fixed dims, the other
    inputs' names, and Ultralytics' metadata_props when the exporter wrote them. Raises ValueError when no
    input is an image."""
    inputs = read_onnx_inputs(path)
    index, layout = image_input(inputs)
    image = inputs[index]
    height, width = fixed_spatial(image, layout)
    channels = image.dims[1] if layout == "nchw" else image.dims[3]
    meta = read_onnx_metadata(path)
    detected = {k: meta[k] for k in METADATA_KEYS if meta.get(k) is not None}
    names, key = names_from_metadata(meta)
    if names:
        detected.update(names=names, names_source=f"{path.rsplit('/', 1)[-1]} metadata {key!r}")
    return {**detected, "input_name": image.name, "layout": layout, "dtype": image.dtype,
            "fixed_hw": [height, width], "fixed_batch": fixed_batch(image),
            "channels": channels if channels is not None else meta.get("channels"),
            "extra_input_names": [i.name for n, i in enumerate(inputs) if n != index],
            "source": f"{path.rsplit('/', 1)[-1]} (ONNX graph and metadata)"}
