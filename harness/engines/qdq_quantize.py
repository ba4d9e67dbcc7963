"""INT8 by explicit quantization: a Q/DQ ONNX written by ONNX Runtime's static quantization, calibrated on
the preprocessed real frames (the same plan TensorRT's implicit calibrators read).

Two flavours from the same calibration, because their consumers differ:

- ``u8s8`` (for ONNX Runtime): uint8 activations with a zero point, symmetric per-channel int8 weights, the
  format ONNX Runtime's CPU kernels run fastest (its documented default for x86 and Arm);
- ``s8s8`` (for TensorRT): symmetric int8 activations and weights (zero point 0), the only Q/DQ TensorRT
  accepts; it is the input of TensorRT INT8 builds by explicit quantization, the path that survives
  TensorRT 11. ONNX Runtime's CPU provider runs it too (slower), so its fidelity can be checked anywhere.

Calibration streams the frames: ONNX Runtime's calibrators hold every collected intermediate output until
``collect_data`` returns, so the frames are fed in strides (``CalibStridedMinMax``, which every calibrator
honours) and the histograms are merged across strides; memory stays that of one stride.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Sequence

import numpy as np

from runners.backends import BACKENDS

METHODS = {"minmax": "MinMax", "entropy": "Entropy", "percentile": "Percentile"}
MAX_STRIDE = 16


@dataclass(frozen=True)
class QdqFlavour:
    name: str
    activation_type: str      # onnxruntime.quantization.QuantType member
    symmetric_activations: bool
    why: str
    extra_options: tuple = ()  # (name, value) pairs for quantize_static's extra_options


FLAVOURS = {
    "u8s8": QdqFlavour("u8s8", "QUInt8", False, "ONNX Runtime's CPU kernels: uint8 activations with a zero point, "
                                                "symmetric per-channel int8 weights"),
    # TensorRT's parser rejects an int32 DequantizeLinear (a quantized bias) and TensorRT 8.x wants weights as float
    # initializers behind a Q/DQ pair, as NVIDIA's own exporters write them
    "s8s8": QdqFlavour("s8s8", "QInt8", True, "TensorRT's explicit quantization: symmetric int8 activations and "
                                              "weights, zero point 0, float biases, float weights behind Q/DQ pairs",
                       (("QuantizeBias", False), ("AddQDQPairToWeight", True))),
}
FLAVOUR_FOR_BACKEND = {b.name: b.qdq_flavour for b in BACKENDS.values() if b.qdq_flavour}  # runners/backends.py


def method_name(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"unknown calibration method {method!r}; choose from {', '.join(METHODS)}")
    return METHODS[method]


def stride_for(count: int) -> int:
    """The largest stride <= MAX_STRIDE that divides ``count`` (ONNX Runtime asks for an exact division)."""
    if count <= 0:
        raise ValueError("no calibration frames")
    return max(s for s in range(1, min(MAX_STRIDE, count) + 1) if count % s == 0)


class FrameFeed:
    """ONNX Runtime's CalibrationDataReader protocol over a list of frame loaders: ``get_next`` returns
    {input name: float32 1 x 3 x S x S} for the frames of the current range, loaded one at a time."""

    def __init__(self, input_name: str, loaders: Sequence[Callable[[], np.ndarray]]):
        self.input_name = input_name
        self.loaders = list(loaders)
        self.frames_fed = 0
        self.set_range(0, len(self.loaders))

    def __len__(self) -> int:
        return len(self.loaders)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._pending: Iterator = iter(self.loaders[start_index:end_index])

    def get_next(self):
        loader = next(self._pending, None)
        if loader is None:
            return None
        self.frames_fed += 1
        return {self.input_name: loader()}

    def rewind(self) -> None:
        self.set_range(0, len(self.loaders))


def plan_loaders(plan: Sequence[tuple]) -> List[Callable[[], np.ndarray]]:
    """One loader per planned (frames .npy, index): that frame, float32 1 x 3 x S x S in [0, 1]."""
    from harness.data.frame_store import open_frames

    def loader(path: str, index: int):
        return lambda: (np.asarray(open_frames(path)[index:index + 1], dtype=np.float32) / np.float32(255.0))

    return [loader(str(path), int(index)) for path, index in plan]


def plan_fingerprint(plan: Sequence[tuple]) -> str:
    """16 hex digits naming exactly which frames calibrate (file names and indices, not their folder)."""
    payload = json.dumps([[Path(p).parent.name + "/" + Path(p).name, int(i)] for p, i in plan])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def graph_nodes(onnx_path: str) -> list:
    """(name, op_type) of every node of the model's main graph, in order."""
    import onnx

    model = onnx.load(onnx_path, load_external_data=False)
    return [(n.name, n.op_type) for n in model.graph.node]


def quantize_qdq(fp32_onnx: str, out_path: str | os.PathLike, feed: FrameFeed, method: str, flavour: str,
                 float_nodes: Sequence[str]) -> dict:
    """Writes the Q/DQ model to ``out_path`` (atomically) and returns what it did. ``float_nodes`` stay
    unquantized. Raises what ONNX Runtime raises."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    kind = FLAVOURS[flavour]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    staging = out_path.with_name(f".{out_path.stem}.{os.getpid()}")
    pre, tmp = Path(f"{staging}.pre.onnx"), Path(f"{staging}.onnx")
    started = time.perf_counter()
    try:
        # the exporter's dynamic batch defeats symbolic shape inference; ONNX's own inference is enough here
        quant_pre_process(str(fp32_onnx), str(pre), skip_symbolic_shape=True)
        feed.rewind()
        quantize_static(str(pre), str(tmp), feed, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=getattr(QuantType, kind.activation_type), weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod, method_name(method)),
                        nodes_to_exclude=list(float_nodes),
                        extra_options={"ActivationSymmetric": kind.symmetric_activations, "WeightSymmetric": True,
                                       "CalibStridedMinMax": stride_for(len(feed)), **dict(kind.extra_options)})
        os.replace(tmp, out_path)
    finally:
        pre.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return {"flavour": flavour, "flavour_means": kind.why, "method": method, "frames_used": feed.frames_fed,
            "quantize_s": round(time.perf_counter() - started, 3), "quantizer": quantizer_version(),
            "float_nodes": list(float_nodes)}


def quantizer_version() -> str:
    import onnxruntime

    return f"onnxruntime.quantization {onnxruntime.__version__}"
