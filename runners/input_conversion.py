"""Turn a stored uint8 N x 3 x H x W RGB batch into the model's input, as its InputSpec says.

The same steps for every backend, in this order: channel order (RGB -> BGR; a gray model takes the first of the
stored frame's three equal luminance channels), dtype and normalization
``(x - mean) / std`` (0-255 units; skipped for a uint8 model, which gets the raw pixels), layout (NCHW ->
NHWC). The torch version runs on the device after the uint8 copy; the numpy version on the host.
"""

from __future__ import annotations

import numpy as np

from harness.model_input.input_spec import InputSpec


def _affine(spec: InputSpec) -> tuple:
    """(scale, shift) per model channel so that x * scale + shift == (x - mean) / std."""
    mean = np.asarray(spec.mean[:spec.channels], dtype=np.float64)
    std = np.asarray(spec.std[:spec.channels], dtype=np.float64)
    return (1.0 / std), (-mean / std)


def _channels(batch, spec: InputSpec, flip):
    """The stored N x 3 x H x W frames in the model's channels: BGR flipped, gray's first channel (a view)."""
    if spec.color == "gray":
        return batch[:, :1]
    return flip(batch) if spec.color == "bgr" else batch


def convert_torch(tensor_uint8, spec: InputSpec, dtype, torch):
    """``tensor_uint8``: N x 3 x H x W uint8 on the device. ``dtype``: the torch dtype of the model's input."""
    tensor_uint8 = _channels(tensor_uint8, spec, lambda t: t.flip(1))
    if spec.raw_pixels:
        x = tensor_uint8
    elif spec.norm == "unit":
        x = tensor_uint8.to(dtype).div_(255.0)  # the exact op every Ultralytics predictor runs
    else:
        scale, shift = _affine(spec)
        view = (1, spec.channels, 1, 1)
        x = tensor_uint8.to(dtype).mul_(torch.tensor(scale, dtype=dtype, device=tensor_uint8.device).view(view))
        x = x.add_(torch.tensor(shift, dtype=dtype, device=tensor_uint8.device).view(view))
    if spec.layout == "nhwc":
        x = x.permute(0, 2, 3, 1)
    return x.contiguous()


def convert_numpy(batch_uint8: np.ndarray, spec: InputSpec, dtype) -> np.ndarray:
    """The same on the host, for a backend that takes host arrays (ONNX Runtime's CPU provider)."""
    x = _channels(batch_uint8, spec, lambda b: b[:, ::-1])
    if spec.raw_pixels:
        x = x.astype(np.uint8)
    elif spec.norm == "unit":
        x = x.astype(dtype)
        x /= dtype(255.0)
    else:
        scale, shift = _affine(spec)
        x = x.astype(dtype)
        x *= scale.astype(dtype).reshape(1, spec.channels, 1, 1)
        x += shift.astype(dtype).reshape(1, spec.channels, 1, 1)
    if spec.layout == "nhwc":
        x = x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x)


def extra_feeds(spec: InputSpec, batch: int) -> dict:
    """Constant arrays for the inputs other than the image; a dynamic (None/<=0) first dim takes the batch."""
    feeds = {}
    for extra in spec.extra_inputs:
        shape = tuple(batch if (i == 0 and (d is None or int(d) <= 0)) else (1 if d is None or int(d) <= 0 else int(d))
                      for i, d in enumerate(extra.shape))
        feeds[extra.name] = np.full(shape, extra.value, dtype=np.dtype(extra.dtype))
    return feeds
