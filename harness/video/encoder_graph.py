"""The image encoder of a SAM 2 / SAM 2.1 / EdgeTAM video model as its own graph: exported to ONNX (Phase A) and
run on ONNX Runtime (Phase B), while memory attention, prompt encoder, mask decoder and memory encoder stay in
torch.

What is exported is ``model.get_image_features``: the trunk (Hiera or RepViT), the FPN neck, the mask decoder's
two 1x1 projections of the high-resolution levels, and the sine position encodings of the three levels, as the
session caches them (``vision_feats`` HW x 1 x C per level, ``vision_pos_embeds`` likewise). Phase B puts the ONNX
outputs into the session's feature cache under the frame's index before the model's call, so the model finds
the frame's features there and never runs its own encoder. Everything after the encoder reads per-frame state
(the memory bank, object pointers, prompts) that changes every frame and branches in Python on it; it stays in
torch.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np

LEVELS = 3  # feature levels of every SAM 2 / EdgeTAM neck (strides 4, 8, 16)
OPSET = 17


def encoder_graph(model):
    """A torch module: normalized 1 x 3 x S x S pixels -> 3 feature maps then 3 position encodings, flattened as
    the session caches them."""
    import torch

    class EncoderGraph(torch.nn.Module):
        def __init__(self, video_model):
            super().__init__()
            self.video_model = video_model

        def forward(self, pixel_values):
            out = self.video_model.get_image_features(pixel_values, return_dict=True)
            return (*out.fpn_hidden_states, *out.fpn_position_encoding)

    return EncoderGraph(model).eval()


def output_names() -> list:
    return [f"vision_feat_{i}" for i in range(LEVELS)] + [f"vision_pos_embed_{i}" for i in range(LEVELS)]


def export_encoder(model, size: int, path: str) -> str:
    """The model's image encoder at input size ``size`` as an ONNX file (fp32, static shapes)."""
    import torch

    dummy = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(encoder_graph(model.float().cpu()), (dummy,), path, input_names=["pixel_values"],
                          output_names=output_names(), opset_version=OPSET, dynamo=False)
    return path


def features_dict(outputs: list) -> dict:
    """The six encoder outputs as the session's cache entry."""
    return {"vision_feats": list(outputs[:LEVELS]), "vision_pos_embeds": list(outputs[LEVELS:])}


class OnnxEncoder:
    """The exported encoder on ONNX Runtime: normalized torch pixels in, the session's feature entry (torch
    tensors on the run's device, in its dtype) out.

    On the CUDA provider the pixels and the six outputs stay on the GPU: the input and output buffers are torch
    tensors allocated once and bound once (IO binding), so a frame costs no host round trip, as with torch's own
    encoder; each call returns copies (the session caches a frame's features while the next frame is encoded).
    On the CPU provider the arrays go through the host."""

    def __init__(self, path: str, providers: list, torch_module, device: str, dtype):
        import onnxruntime as ort

        self.session = ort.InferenceSession(path, providers=providers)
        self.providers = self.session.get_providers()
        self.torch, self.device, self.dtype = torch_module, device, dtype
        self.binding = (DeviceBuffers(self.session, torch_module, device)
                        if device.startswith("cuda") and self.providers[0] == "CUDAExecutionProvider" else None)

    def __call__(self, pixel_values) -> dict:
        if self.binding is not None:
            return features_dict([self._copy(o) for o in self.binding.run(pixel_values)])
        array = pixel_values.detach().float().cpu().numpy()
        outputs = self.session.run(None, {"pixel_values": np.ascontiguousarray(array[None] if array.ndim == 3
                                                                               else array)})
        return features_dict([self.torch.from_numpy(o).to(self.device, dtype=self.dtype) for o in outputs])

    def _copy(self, buffer):
        return buffer.to(dtype=self.dtype, copy=True)


class DeviceBuffers:
    """The encoder's input and outputs as torch tensors of the graph's static shapes on the run's device, bound
    once (a CUDA device with the CUDA provider; the CPU binding is the same code, testable anywhere)."""

    def __init__(self, session, torch_module, device: str):
        self.session, self.torch = session, torch_module
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        kind = "cuda" if device.startswith("cuda") else "cpu"
        self.input = torch_module.zeros(static_shape(session.get_inputs()[0]), dtype=torch_module.float32,
                                        device=device)
        self.outputs = [torch_module.zeros(static_shape(o), dtype=torch_module.float32, device=device)
                        for o in session.get_outputs()]
        self.io = session.io_binding()
        self.io.bind_input("pixel_values", kind, index, np.float32, list(self.input.shape), self.input.data_ptr())
        for meta, tensor in zip(session.get_outputs(), self.outputs):
            self.io.bind_output(meta.name, kind, index, np.float32, list(tensor.shape), tensor.data_ptr())

    def run(self, pixel_values) -> list:
        self.input.copy_(pixel_values.reshape(self.input.shape))
        if self.input.is_cuda:
            self.torch.cuda.current_stream(self.input.device).synchronize()  # written before ONNX Runtime reads it
        self.session.run_with_iobinding(self.io)
        return self.outputs


def static_shape(meta) -> tuple:
    """An input's or output's shape from the graph (the encoder is exported with static shapes)."""
    if not all(isinstance(d, int) for d in meta.shape):
        raise ValueError(f"the encoder's {meta.name} has a dynamic shape {meta.shape}; it is exported static")
    return tuple(meta.shape)


def seed_features(session, frame_index: int, features: dict) -> None:
    """Put a frame's features into a transformers video session's cache, where the model looks first."""
    session.cache.cache_vision_features(int(frame_index), features)


class EncoderClock:
    """Host milliseconds of the image encoder per frame, whichever runs it: hooks around the torch encoder
    (``model.vision_encoder``), or around the ONNX Runtime call; ``sync`` makes the device's work part of it."""

    def __init__(self, sync: Callable[[], None]):
        self.sync, self.started, self.last_ms = sync, None, 0.0

    def begin(self, *_args) -> None:
        self.sync()
        self.started = time.perf_counter()

    def end(self, *_args) -> None:
        self.sync()
        self.last_ms += (time.perf_counter() - self.started) * 1000.0

    def attach(self, model) -> list:
        """Hooks on the torch encoder; returns their handles."""
        return [model.vision_encoder.register_forward_pre_hook(self.begin),
                model.vision_encoder.register_forward_hook(self.end)]

    def take(self) -> float:
        """The encoder's milliseconds since the last take (one frame's)."""
        value, self.last_ms = self.last_ms, 0.0
        return value


def timed(encoder: Optional[Callable], clock: EncoderClock) -> Optional[Callable]:
    """``encoder`` with its calls timed on ``clock`` (None stays None: the torch encoder is timed by hooks)."""
    if encoder is None:
        return None

    def run(pixel_values):
        clock.begin()
        features = encoder(pixel_values)
        clock.end()
        return features

    return run
