"""Phase A for a video model's TensorRT runs (``--backend tensorrt``): the image encoder's fp32 ONNX
(harness/video/encoder_export.py) built into a TensorRT engine at each size, for each requested precision among
fp32 and fp16 (static shape 1 x 3 x S x S, input ``pixel_values``), by the engine builder the image models use
(harness/engines/engine_builds.py: a child process per attempt, the workspace halved on every allocation failure,
the shared timing cache, a sidecar that reuses a matching engine built on the same platform), and one model card
per engine (``<model>_img<S>.trt_<precision>.vos.json``: the torch card plus the engine, its ONNX, its precision and
its hash), whose hash is the run's artifact hash.

A build that fails, runs out of memory at every workspace or finds no TensorRT becomes that size's and precision's
status and reason for the planner (``record["encoder_problems_tensorrt"]``: {size: {precision: {"status",
"reason"}}}, the shape of the image engines' ``tensorrt_status``); the torch and onnxruntime runs go on. Engines
are built on a CUDA device only (the planner skips every tensorrt run elsewhere). Nothing here imports TensorRT.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

from harness.files.artifact_sidecar import file_sha256, read_sidecar
from harness.files.atomic_io import read_json
from harness.records.results import STATUS_SKIPPED
from harness.video.encoder_export import encoder_card, export_for_card, export_problem
from harness.video.encoder_tensorrt import INPUT_NAME, TRT_BACKEND
from harness.video.plan import VOS_ENCODER_PRECISIONS

log = logging.getLogger("jetson_benchmark.phase_a")
STATIC_BATCH = {"min": 1, "opt": 1, "max": 1}
BUILDER = "harness.engines.trt_build"
NOT_BUILT = "the image encoder's TensorRT engine was not built"


def engine_path(card_path: str, precision: str) -> Path:
    """``<model>_img<S>.encoder_<precision>.engine`` beside the torch card."""
    return Path(card_path).with_name(Path(card_path).name.replace(".vos.json", f".encoder_{precision}.engine"))


def build_encoder_engine(card_path: str, onnx_path: str, precision: str, opts, root: Path, platform: dict,
                         budget_mb: Optional[float], builder_module: str = BUILDER) -> dict:
    """:func:`harness.engines.engine_builds.build_engine`'s record for the encoder of one card at ``precision``."""
    from harness.engines.engine_builds import WORKSPACE_FLOOR_MB, build_engine

    source_sha = (read_sidecar(onnx_path) or {}).get("artifact_sha256") or file_sha256(onnx_path)
    return build_engine(onnx_path, engine_path(card_path, precision), precision, int(read_json(card_path)["size"]),
                        STATIC_BATCH, opts.workspace_mb, budget_mb, WORKSPACE_FLOOR_MB, None,
                        root / "artifacts" / "tensorrt.timing_cache" if opts.timing_cache == "on" else None,
                        opts.build_timeout_s, sys.stderr, root / "engine_builds", source_sha, platform,
                        force=opts.force, builder_module=builder_module, input_name=INPUT_NAME,
                        builder_options={"builder_opt_level": opts.builder_opt_level, "sparsity": opts.sparsity})


def tensorrt_card(card_path: str, onnx_path: str, engine: str, precision: str) -> str:
    """The model card of the tensorrt runs of ``precision``: the torch card plus the engine and where it comes from."""
    sha = (read_sidecar(engine) or {}).get("artifact_sha256") or file_sha256(engine)
    return encoder_card(card_path, f".trt_{precision}.vos.json",
                        {"backend": TRT_BACKEND, "engine": str(engine), "onnx": str(onnx_path), "precision": precision,
                         "engine_sha256": sha})


def build_encoder_engines(cards: dict, exported: dict, opts, root: Path, platform: dict, budget_mb: Optional[float],
                          builder_module: str = BUILDER) -> tuple:
    """({size: {precision: tensorrt card}}, {size: {precision: {"status", "reason"}}}, {size: {precision: build
    record}}) for the torch cards ``cards`` ({size: card path}); ``exported``: {size: fp32 encoder ONNX} already
    exported in this setup (the rest are exported, or reused, here). Once a build says TensorRT is missing, the
    remaining engines take that reason without starting a builder each."""
    from harness.engines.engine_builds import TENSORRT_MISSING

    precisions = [p for p in opts.precision if p in VOS_ENCODER_PRECISIONS]
    made, problems, builds = {}, {}, {}
    missing = None
    for size, card_path in cards.items():
        if not precisions:
            break
        try:
            onnx = exported.get(size) or export_for_card(card_path, opts.force)
        except Exception as exc:  # noqa: BLE001 - one size's failed export refuses that size's tensorrt runs
            problems[size] = {p: {"status": STATUS_SKIPPED, "reason": export_problem(card_path, exc)} for p in precisions}
            continue
        for precision in precisions:
            if missing:
                problems.setdefault(size, {})[precision] = {"status": STATUS_SKIPPED, "reason": f"{NOT_BUILT}: {missing}"}
                continue
            record = build_encoder_engine(card_path, onnx, precision, opts, root, platform, budget_mb, builder_module)
            builds.setdefault(size, {})[precision] = record
            log.info("image encoder engine %s %s: %s (%s)", card_path, precision, record["status"], record["reason"])
            if record["status"] == "built":
                made.setdefault(size, {})[precision] = tensorrt_card(card_path, onnx, record["engine_path"], precision)
                continue
            problems.setdefault(size, {})[precision] = {"status": record["status"],
                                                        "reason": f"{NOT_BUILT}: {record['reason']}"[:1000]}
            if record["status"] == STATUS_SKIPPED and record["reason"] == TENSORRT_MISSING:
                missing = TENSORRT_MISSING
    return made, problems, builds


def exported_onnx(onnxruntime_cards: dict) -> dict:
    """{size: fp32 encoder ONNX} of the onnxruntime cards this setup wrote ({size: {precision: card}})."""
    return {size: read_json(by_precision["fp32"])["encoder"]["onnx"]
            for size, by_precision in (onnxruntime_cards or {}).items() if by_precision.get("fp32")}


def prepare_encoder_engines(cards: dict, onnxruntime_cards: dict, opts, root: Path, device: dict,
                            budget_mb: Optional[float]) -> tuple:
    """:func:`build_encoder_engines` on this machine's device (``device``: Phase A's resolved device, its platform
    fingerprint taken here; ``budget_mb``: its GPU memory budget); nothing on a device without CUDA, whose tensorrt
    runs the planner skips."""
    import torch

    from harness.engines.platform_fingerprint import current_platform

    if not device.get("cuda"):
        return {}, {}, {}
    platform = current_platform(torch, device_index=torch.device(device["resolved"]).index or 0)
    return build_encoder_engines(cards, exported_onnx(onnxruntime_cards), opts, root, platform, budget_mb)
