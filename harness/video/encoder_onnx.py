"""The exported image encoder (harness/video/encoder_graph.py) on ONNX Runtime, with the call contract the session
expects of an exported encoder: normalized torch pixels in, the session's feature entry out."""

from __future__ import annotations

import numpy as np

from harness.video.encoder_graph import features_dict
from runners.ort_device_binding import ort_device_id


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
        index = ort_device_id(device)
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
