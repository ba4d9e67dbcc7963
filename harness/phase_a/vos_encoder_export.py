"""Phase A for a video model's ONNX Runtime runs (``--backend onnxruntime``): its image encoder exported to ONNX at
each size (runners/vos_encoder.py says what is exported and why the rest stays in torch), reused while the
model card it comes from is the same, and a second model card naming it (``<model>_img<S>.ort.vos.json``), whose
hash is the run's artifact hash. An export that fails refuses that size's onnxruntime runs with the reason; the
torch runs go on.
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.artifact_sidecar import file_sha256, reusable, write_sidecar
from harness.atomic_io import atomic_write_json, read_json

log = logging.getLogger("jetson_benchmark.phase_a")
ORT_BACKEND = "onnxruntime"


def export_for_card(card_path: str, force: bool = False) -> str:
    """The encoder ONNX beside ``card_path`` (exported, or reused when its sidecar names the same card)."""
    from runners.vos_encoder import OPSET, export_encoder
    from runners.vos_loader import model_from_card

    card = read_json(card_path)
    target = Path(card_path).with_name(Path(card_path).name.replace(".vos.json", ".encoder.onnx"))
    wanted = {"kind": "vos_image_encoder", "card_sha256": file_sha256(card_path), "opset": OPSET}
    if not force and reusable(target, wanted):
        return str(target)
    export_encoder(model_from_card(card), int(card["size"]), str(target))
    write_sidecar(target, wanted)
    log.info("exported the image encoder of %s to %s", card_path, target)
    return str(target)


def onnxruntime_card(card_path: str, onnx_path: str) -> str:
    """The model card of the onnxruntime runs: the torch card plus the encoder's ONNX and its hash."""
    card = read_json(card_path)
    target = Path(card_path).with_name(Path(card_path).name.replace(".vos.json", ".ort.vos.json"))
    atomic_write_json(target, {**card, "encoder": {"backend": ORT_BACKEND, "onnx": onnx_path,
                                                   "onnx_sha256": file_sha256(onnx_path)}})
    return str(target)


def prepare_encoders(cards: dict, force: bool = False) -> tuple:
    """({size: onnxruntime card}, {size: why no export}) for the torch cards ``cards`` ({size: card path})."""
    made, problems = {}, {}
    for size, card_path in cards.items():
        try:
            made[size] = onnxruntime_card(card_path, export_for_card(card_path, force))
        except Exception as exc:  # noqa: BLE001 - one size's failed export refuses that size's onnxruntime runs
            problems[size] = f"the image encoder could not be exported to ONNX: {type(exc).__name__}: {exc}"[:500]
            log.warning("%s: %s", card_path, problems[size])
    return made, problems
