"""ONNX Runtime on a GPU provider, fed exactly like torch and TensorRT.

The uint8 host batch is copied to the GPU and converted there (channel order, normalization, layout: the torch
ops of :func:`runners.input_conversion.convert_torch`) into one input buffer allocated at load and bound once.
The outputs are bound once too, to device buffers allocated at load from the shapes of one pass run there; a
model whose output shapes change from pass to pass (data-dependent, e.g. NMS inside the graph) falls back to
binding them per pass, and the runner's description says so. One pass is then: the uint8 copy, the conversion,
a wait for it on torch's stream, and ``run_with_iobinding`` (which returns when the provider's work is done).
"""

from __future__ import annotations

import numpy as np

from runners.input_conversion import convert_torch


def ort_device_id(device: str) -> int:
    return int(device.split(":", 1)[1]) if ":" in device else 0


class DeviceBinding:
    def __init__(self, ort, session, torch, device: str, spec, input_name: str, input_dtype, input_shape,
                 extra: dict, output_names: list):
        self.ort, self.session, self.torch, self.spec = ort, session, torch, spec
        self.index = ort_device_id(device)
        self.torch_device = torch.device(device)
        self.kind = "cuda" if self.torch_device.type == "cuda" else "cpu"  # "cpu": the same binding, testable here
        self.dtype = {np.float32: torch.float32, np.float16: torch.float16, np.uint8: torch.uint8}[input_dtype]
        self.buffer = torch.zeros(tuple(input_shape), dtype=self.dtype, device=self.torch_device)
        self.output_names = output_names
        self.io = session.io_binding()
        self.io.bind_input(input_name, self.kind, self.index, input_dtype, list(input_shape), self.buffer.data_ptr())
        for name, value in extra.items():
            self.io.bind_cpu_input(name, value)
        self.outputs = self._allocate_outputs()
        self.rebinds_outputs = self.outputs is None

    def _bind_outputs_per_pass(self) -> None:
        for name in self.output_names:
            self.io.bind_output(name, self.kind, self.index)

    def _allocate_outputs(self):
        """One pass at load to learn the output shapes, then device buffers of those shapes, bound once; None
        when a second pass into them fails (shapes that change with the data)."""
        self._bind_outputs_per_pass()
        self.session.run_with_iobinding(self.io)
        values = []
        for name, first in zip(self.output_names, self.io.get_outputs()):
            value = self.ort.OrtValue.ortvalue_from_shape_and_type(first.shape(), _numpy_type(first.data_type()),
                                                                   self.kind, self.index)
            self.io.bind_ortvalue_output(name, value)
            values.append(value)
        try:
            self.session.run_with_iobinding(self.io)
        except Exception:  # noqa: BLE001 - the provider refused fixed output buffers: bind per pass instead
            self._bind_outputs_per_pass()
            return None
        return values

    def prepare(self, frames_nchw_uint8: np.ndarray):
        tensor = self.torch.from_numpy(frames_nchw_uint8).to(self.torch_device)
        self.buffer.copy_(convert_torch(tensor, self.spec, self.dtype, self.torch))
        return self.buffer

    def run(self) -> list:
        if self.kind == "cuda":
            self.torch.cuda.current_stream(self.torch_device).synchronize()  # the buffer is written before ORT reads
        if self.rebinds_outputs:
            self._bind_outputs_per_pass()
        self.session.run_with_iobinding(self.io)
        return self.outputs if self.outputs is not None else self.io.get_outputs()


def _numpy_type(ort_type: str):
    return {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
            "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}[ort_type]
