"""Phase A for a video model's ONNX Runtime runs (``--backend onnxruntime``): its image encoder exported to ONNX at
each size (harness/video/encoder_graph.py says what is exported and why the rest stays in torch), reused while the
model card it comes from is the same, and a second model card naming it (``<model>_img<S>.ort.vos.json``), whose
hash is the run's artifact hash. For fp16 runs (ONNX Runtime's CUDA provider) an fp16 copy of the encoder is made by
ONNX Runtime's float16 converter with float32 inputs and outputs (harness/engines/onnx_fp16.py), with its own card
(``.ort_fp16.vos.json``). An export that fails refuses that size's onnxruntime runs with the reason; the torch
runs go on. The TensorRT runs build their engines from the same fp32 ONNX (harness/video/encoder_engine.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.files.artifact_sidecar import file_sha256, reusable, write_sidecar
from harness.files.atomic_io import atomic_write_json, read_json

log = logging.getLogger("jetson_benchmark.phase_a")
ORT_BACKEND = "onnxruntime"


def export_for_card(card_path: str, force: bool = False) -> str:
    """The encoder ONNX beside ``card_path`` (exported, or reused when its sidecar names the same card)."""
    from harness.video.encoder_graph import OPSET, export_encoder
    from harness.video.loader import model_from_card

    card = read_json(card_path)
    target = Path(card_path).with_name(Path(card_path).name.replace(".vos.json", ".encoder.onnx"))
    wanted = {"kind": "vos_image_encoder", "card_sha256": file_sha256(card_path), "opset": OPSET}
    if not force and reusable(target, wanted):
        return str(target)
    export_encoder(model_from_card(card), int(card["size"]), str(target))
    write_sidecar(target, wanted)
    log.info("exported the image encoder of %s to %s", card_path, target)
    return str(target)


def onnxruntime_card(card_path: str, onnx_path: str, precision: str = "fp32") -> str:
    """The model card of the onnxruntime runs of ``precision``: the torch card plus the encoder's ONNX, its hash
    and its precision."""
    suffix = ".ort.vos.json" if precision == "fp32" else f".ort_{precision}.vos.json"
    return encoder_card(card_path, suffix, {"backend": ORT_BACKEND, "onnx": onnx_path, "precision": precision,
                                            "onnx_sha256": file_sha256(onnx_path)})


def encoder_card(card_path: str, suffix: str, encoder: dict) -> str:
    """The torch card ``card_path`` plus ``encoder`` (what runs the image encoder), written beside it with
    ``.vos.json`` replaced by ``suffix``; its hash is the run's artifact hash."""
    target = Path(card_path).with_name(Path(card_path).name.replace(".vos.json", suffix))
    atomic_write_json(target, {**read_json(card_path), "encoder": encoder})
    return str(target)


def encoder_cards(card_path: str, precisions: tuple, force: bool) -> dict:
    """{precision: onnxruntime card} of one torch card: fp32 always, fp16 when asked for."""
    from harness.engines.onnx_fp16 import fp16_onnx

    fp32 = export_for_card(card_path, force)
    cards = {"fp32": onnxruntime_card(card_path, fp32)}
    if "fp16" in precisions:
        cards["fp16"] = onnxruntime_card(card_path, str(fp16_onnx(fp32, Path(fp32).parent, force)), "fp16")
    return cards


def prepare_encoders(cards: dict, force: bool = False, precisions: tuple = ("fp32",)) -> tuple:
    """({size: {precision: onnxruntime card}}, {size: why no export}) for the torch cards ``cards`` ({size: card
    path}); fp16 copies when ``precisions`` has fp16."""
    made, problems = {}, {}
    for size, card_path in cards.items():
        try:
            made[size] = encoder_cards(card_path, tuple(precisions), force)
        except Exception as exc:  # noqa: BLE001 - one size's failed export refuses that size's onnxruntime runs
            problems[size] = export_problem(card_path, exc)
    return made, problems


def export_problem(card_path: str, exc: Exception) -> str:
    """Why a size has no exported encoder (logged): one line for the planner."""
    problem = f"the image encoder could not be exported to ONNX: {type(exc).__name__}: {exc}"[:500]
    log.warning("%s: %s", card_path, problem)
    return problem
