"""An fp16 copy of a user's fp32 ONNX file, for ONNX Runtime's CUDA provider: ONNX Runtime's own float16
converter (``onnxruntime.transformers.float16``), inputs and outputs kept float32 (``keep_io_types``) so the run
feeds the same input as the fp32 run and its outputs compare with the FP32 reference as they are. Phase A makes one
for a user's ONNX model and for a video model's exported image encoder; Ultralytics models are exported at fp16 by
Ultralytics' exporter instead (harness/phase_a/model_artifacts.py, export_onnx)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256, reusable, write_sidecar
from harness.files.unique_names import safe_name

log = logging.getLogger(__name__)


def fp16_onnx(source: str, folder: Path, force: bool) -> Path:
    import onnx
    import onnxruntime
    from onnxruntime.transformers.float16 import convert_float_to_float16

    target = Path(folder) / f"{safe_name(Path(source).stem)}_fp16.onnx"
    wanted = {"kind": "onnx", "source_sha256": file_sha256(source), "precision": "fp16",
              "converter": f"onnxruntime.transformers.float16 {onnxruntime.__version__}", "keep_io_types": True}
    if not force and reusable(target, wanted):
        log.info("reusing %s (sidecar matches)", target)
        return target
    started = time.perf_counter()
    model = convert_float_to_float16(onnx.load(source), keep_io_types=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))
    write_sidecar(target, {**wanted, "convert_s": round(time.perf_counter() - started, 3)})
    log.info("converted %s to fp16 in %.1f s", source, time.perf_counter() - started)
    return target
