"""Planning a video model's run: the model card it loads (the model in torch, or with its image encoder exported to
ONNX Runtime or built into a TensorRT engine), or why it cannot run here. Pure logic over Phase A's record of the
model and the device's facts, like the rest of the planner (harness/phase_a/run_planner.py, which asks it through
harness/video/workload.py)."""

from __future__ import annotations

from harness.records.planned_run import RunSpec
from harness.precisions import TF32_ON_CPU, needs_cuda
from harness.records.results import STATUS_SKIPPED

VOS_BACKENDS = ("torch", "onnxruntime", "tensorrt")  # onnxruntime, tensorrt: the image encoder exported, the rest in torch
VOS_ENCODER_PRECISIONS = ("fp32", "fp16")  # fp16: ONNX Runtime's float16 copy on its CUDA provider; a TensorRT fp16 build
VOS_ENCODER_PRECISION_REASONS = {
    "onnxruntime": "the video models' exported image encoder runs in fp32, or in fp16 on ONNX Runtime's CUDA provider",
    "tensorrt": "the video models' image encoder engine is built in fp32 or fp16"}


def vos_artifact(model: dict, spec: RunSpec, device: dict) -> tuple:
    """(model card or None, skip status or None, skip reason or None) for a video model's run."""
    if model.get("refused"):
        return None, STATUS_SKIPPED, model["refused"]
    if spec.backend not in VOS_BACKENDS:
        return None, STATUS_SKIPPED, (f"the video models run on torch (through transformers), their image encoder "
                                      f"also on onnxruntime and tensorrt; {spec.backend} is not implemented for them")
    if spec.backend in VOS_ENCODER_PRECISION_REASONS and spec.precision not in VOS_ENCODER_PRECISIONS:
        return None, STATUS_SKIPPED, VOS_ENCODER_PRECISION_REASONS[spec.backend]
    cuda = bool(device.get("cuda"))
    if spec.backend == "tensorrt" and not cuda:
        return None, STATUS_SKIPPED, "TensorRT needs a CUDA device"
    if spec.precision == "int8":
        return None, STATUS_SKIPPED, "int8 is not implemented for the video models"
    if spec.precision in ("fp16", "bf16") and not cuda:
        return None, STATUS_SKIPPED, needs_cuda(spec.precision, device)
    if spec.precision == "bf16" and device.get("bf16") is False:
        return None, STATUS_SKIPPED, f"{device.get('name') or 'this GPU'} has no bf16 support"
    if spec.precision == "tf32" and not cuda:
        return None, STATUS_SKIPPED, TF32_ON_CPU
    problem = (model.get("size_problems") or {}).get(str(spec.imgsz))
    if problem:
        return None, STATUS_SKIPPED, problem
    if spec.backend == "onnxruntime":
        problem = (model.get("encoder_problems") or {}).get(str(spec.imgsz))
        if problem:
            return None, STATUS_SKIPPED, problem
        return vos_encoder_card(model, spec, "vos_cards_onnxruntime", f"no exported {spec.precision} image encoder")
    if spec.backend == "tensorrt":
        status = ((model.get("encoder_problems_tensorrt") or {}).get(str(spec.imgsz)) or {}).get(spec.precision)
        if status:  # the build's own status: skipped (no TensorRT, no export), skipped_oom, failed
            return None, status["status"], status["reason"]
        return vos_encoder_card(model, spec, "vos_cards_tensorrt",
                                f"no TensorRT {spec.precision} engine of the image encoder")
    return (model.get("artifacts") or {}).get("vos_cards", {}).get(str(spec.imgsz)), None, None


def vos_encoder_card(model: dict, spec: RunSpec, artifact: str, none_yet: str) -> tuple:
    """The card of the run's size and precision among ``model["artifacts"][artifact]`` ({size: {precision: card}};
    a setup saved before the fp16 copies named one fp32 card per size), or why there is none."""
    card = ((model.get("artifacts") or {}).get(artifact, {}).get(str(spec.imgsz)) or {})
    card = card.get(spec.precision) if isinstance(card, dict) else (card if spec.precision == "fp32" else None)
    return (card, None, None) if card else (None, STATUS_SKIPPED, f"{none_yet} for this size (set up before it was "
                                                                  f"asked for)")
