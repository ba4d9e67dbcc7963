"""The video models' image encoder on ONNX Runtime against torch: export, mask IoU per frame, the encoder's share.

    python bench/vos_encoder_backends.py [--frames 24] [--models sam2.1_hiera_tiny:128,sam2.1_hiera_small:128,edgetam:256]

Per model (random init, the object-score head's bias at +10 so every frame's masks come from the decoder): export
the encoder with torch.onnx (seconds, or why it failed), the largest feature difference against torch, then one
video of --frames random frames with two objects (points on frame 1, a box on frame 4) tracked once with the torch
encoder and once with the ONNX Runtime encoder (CPU provider): mean and lowest mask IoU over frames and objects,
the encoder's share of the frame time on each, and the ratio of their mean frame times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_common import REPO  # noqa: F401 - puts the repository on sys.path


def track(model, size, encoder, frames):
    import torch

    from harness.video.frame_loop import encoder_figures, masks_of_video
    from harness.tasks.vos import ObjectPrompt
    from harness.video.models import make_processor
    from harness.video.session import timed_session

    session, hooks = timed_session(model, make_processor(size), torch, "cpu", "fp32", (size * 3 // 4, size), 16,
                                   encoder, lambda: None)
    prompts = [ObjectPrompt(1, 1, "points", points=[[size // 3, size // 3]]),
               ObjectPrompt(2, 4, "bbox", box=[size // 2, size // 8, size - 4, size // 2])]
    with torch.inference_mode():
        seen, timing = masks_of_video(session, frames, prompts)
    for hook in hooks:
        hook.remove()
    session.close()
    return seen, timing, encoder_figures([timing])


def one_model(name: str, size: int, frames_n: int, work: Path) -> dict:
    import torch

    from harness.video.encoder_graph import encoder_graph, export_encoder
    from harness.video.encoder_onnx import OnnxEncoder
    from harness.video.models import architecture_of, build_random

    model = build_random(architecture_of(name), size, 0)
    with torch.no_grad():
        model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(10.0)
    began = time.perf_counter()
    try:
        path = export_encoder(model, size, str(work / f"{name}_{size}.onnx"))
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        return {"model": name, "size": size, "export": f"failed: {type(exc).__name__}: {str(exc)[:200]}"}
    export_s = time.perf_counter() - began
    encoder = OnnxEncoder(path, ["CPUExecutionProvider"], torch, "cpu", torch.float32)
    pixels = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = encoder_graph(model)(pixels)
    got = encoder(pixels)
    err = max(float((a - b).abs().max()) for a, b in zip(reference, got["vision_feats"] + got["vision_pos_embeds"]))
    frames = np.random.default_rng(0).integers(0, 256, (frames_n, 3, size, size), dtype=np.uint8)
    torch_masks, torch_timing, torch_enc = track(model, size, None, frames)
    ort_masks, ort_timing, ort_enc = track(model, size, encoder, frames)
    ious = []
    for frame, masks in torch_masks.items():
        for obj, mask in masks.items():
            union = (mask | ort_masks[frame][obj]).sum()
            ious.append(1.0 if union == 0 else (mask & ort_masks[frame][obj]).sum() / union)
    return {"model": name, "size": size, "export": f"{export_s:.1f} s", "max_feature_err": err,
            "iou_mean": float(np.mean(ious)), "iou_min": float(np.min(ious)), "pairs": len(ious),
            "torch_share_pct": torch_enc["encoder_share_pct"], "ort_share_pct": ort_enc["encoder_share_pct"],
            "ort_over_torch_frame_ms": float(np.mean(ort_timing.frame_latency_ms) / np.mean(torch_timing.frame_latency_ms))}


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--models", default="sam2.1_hiera_tiny:128,sam2.1_hiera_small:128,edgetam:256")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("| model | size | export | max feature err | mask IoU mean | IoU min | encoder share torch % | "
          "encoder share onnxruntime % | frame ms onnxruntime / torch |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for item in args.models.split(","):
            name, size = item.split(":")
            r = one_model(name, int(size), args.frames, Path(work))
            if "iou_mean" not in r:
                print(f"| {r['model']} | {r['size']} | {r['export']} | | | | | | |")
                continue
            print(f"| {r['model']} | {r['size']} | {r['export']} | {r['max_feature_err']:.2e} | {r['iou_mean']:.4f} | "
                  f"{r['iou_min']:.4f} | {r['torch_share_pct']:.1f} | {r['ort_share_pct']:.1f} | "
                  f"{r['ort_over_torch_frame_ms']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
