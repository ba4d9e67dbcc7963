"""A video model's image encoder (harness/video/encoder_graph.py says what is exported) as the TensorRT engine
Phase A built from its fp32 ONNX (harness/video/encoder_engine.py), with the call contract of
:class:`harness.video.encoder_onnx.OnnxEncoder`: normalized torch pixels in, the session's feature entry out (copies
in the run's dtype, on its device), so the rest of the model stays in torch and Phase B's in-run check against the
model's own torch encoder applies unchanged.

The engine is loaded by :class:`runners.tensorrt_runner.TensorRTRunner` (TensorRT's import, the platform check
against the engine's sidecar, deserialization, the memory preflight against the run's budget, one device buffer per
I/O tensor in the engine's dtype, bound by name, its own CUDA stream). A frame is: the pixels copied into the
engine's input buffer on that stream once the caller's stream has written them, one enqueue, the caller's stream
waiting for it, and the six outputs copied out. The outputs are taken by name in :func:`output_names`'s order:
an engine may list its outputs in another order than the ONNX it was built from.
"""

from __future__ import annotations

from typing import Optional, Sequence

from harness.video.encoder_graph import features_dict, output_names
from runners.base import BackendUnavailable

TRT_BACKEND = "tensorrt"  # a card's encoder backend when it names an engine (harness/video/encoder_engine.py)
INPUT_NAME = "pixel_values"
DESCRIBED = ("tensorrt", "engine_format", "io_tensors", "activation_mb", "memory_limit", "layer_placement")


def outputs_in_order(outputs: dict, wanted: Sequence[str]) -> list:
    """The engine's output tensors ({name: tensor}) in the order ``wanted`` names them; an engine whose outputs are
    not exactly those names is not this encoder (BackendUnavailable saying what differs)."""
    missing = [name for name in wanted if name not in outputs]
    extra = [name for name in outputs if name not in wanted]
    if missing or extra:
        raise BackendUnavailable(f"the engine's outputs {sorted(outputs)} are not the image encoder's {list(wanted)} "
                                 f"(missing {missing}, unexpected {extra}): rebuild it from the encoder's ONNX")
    return [outputs[name] for name in wanted]


class TrtEncoder:
    """The encoder engine on the run's CUDA device; ``tensorrt`` describes it for the result (TensorRT version,
    engine format, I/O tensors, activation memory, how the budget is checked, layer placement)."""

    def __init__(self, engine_path: str, size: int, precision: str, torch_module, device: str, dtype,
                 budget_mb: Optional[float] = None):
        from harness.model_input.input_spec import InputSpec
        from runners.tensorrt_runner import TensorRTRunner

        self.runner = TensorRTRunner(engine_path, device, precision, int(size), 1, budget_mb,
                                     input_spec=InputSpec(int(size), int(size), name=INPUT_NAME))
        self.runner.load()
        self.torch, self.dtype = torch_module, dtype
        self.input = self.runner.buffers[self.runner.input_name]
        self.outputs = outputs_in_order({name: self.runner.buffers[name] for name in self.runner.output_names},
                                        output_names())
        described = self.runner.describe()
        self.tensorrt = {key: described.get(key) for key in DESCRIBED}

    def __call__(self, pixel_values) -> dict:
        torch, stream = self.torch, self.runner.stream
        caller = torch.cuda.current_stream(self.runner.torch_device)
        stream.wait_stream(caller)  # the pixels are written on the caller's stream
        with torch.cuda.stream(stream):
            self.input.copy_(pixel_values.reshape(self.input.shape))
        self.runner.infer(self.input)
        caller.wait_stream(stream)  # the copies below read what the engine wrote; the next frame's input waits for them
        return features_dict([output.to(dtype=self.dtype, copy=True) for output in self.outputs])

    def release(self) -> None:
        self.input, self.outputs = None, []
        self.runner.release()
