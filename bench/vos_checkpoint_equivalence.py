"""Do transformers' SAM 2 / EdgeTAM and the original implementations give the same masks once an original
checkpoint is mapped with harness.video.checkpoints? One command, on the CPU, with the official code importable:

    pip install --no-build-isolation sam2        # facebookresearch/sam2 (SAM2_BUILD_CUDA=0 on a CPU machine)
    python bench/vos_checkpoint_equivalence.py [--config configs/sam2.1/sam2.1_hiera_t.yaml] [--frames 6]
    # EdgeTAM: facebookresearch/EdgeTAM's own "sam2" package, from a checkout, ahead of any installed one
    PYTHONPATH=EdgeTAM python bench/vos_checkpoint_equivalence.py --config configs/edgetam.yaml

Builds the official model from its configuration (random weights, seeded), maps its state dict onto
``Sam2VideoModel`` strictly, then tracks one clicked object through a generated video with both: the official
``SAM2VideoPredictor`` (offline propagation) and the harness's streaming session fed the official predictor's own
preprocessed frames. Prints, per frame, the largest absolute difference of the mask logits at the frame's size
and the IoU of the two binary masks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONFIG_TO_ARCHITECTURE = {"sam2.1_hiera_t": "sam2.1_hiera_tiny", "sam2.1_hiera_s": "sam2.1_hiera_small",
                          "sam2.1_hiera_b+": "sam2.1_hiera_base_plus", "sam2.1_hiera_l": "sam2.1_hiera_large",
                          "sam2_hiera_t": "sam2_hiera_tiny", "sam2_hiera_s": "sam2_hiera_small",
                          "sam2_hiera_b+": "sam2_hiera_base_plus", "sam2_hiera_l": "sam2_hiera_large",
                          "edgetam": "edgetam"}


def without_downloads() -> None:
    """EdgeTAM's reference trunk asks timm for ImageNet weights (``pretrained=True``); the weights are random here
    anyway, so build it without them (nothing can be downloaded on this machine)."""
    try:
        import sam2.modeling.backbones.timm as trunk
    except ImportError:  # the official sam2 package has no timm trunk
        return
    create = trunk.create_model
    trunk.create_model = lambda name, pretrained=True, **kwargs: create(name, pretrained=False, **kwargs)


def official_masks(predictor, state, point) -> dict:
    predictor.add_new_points_or_box(state, frame_idx=0, obj_id=1, points=np.array([point], np.float32),
                                    labels=np.array([1], np.int32))
    return {index: logits[0, 0].numpy() for index, _, logits in predictor.propagate_in_video(state)}


def harness_masks(model, state, point) -> dict:
    import torch

    from harness.video.models import make_processor

    processor = make_processor(1024)
    size = (state["video_height"], state["video_width"])
    session = processor.init_video_session(inference_device="cpu", dtype=torch.float32)
    masks = {}
    for index in range(state["num_frames"]):
        if index == 0:
            processor.add_inputs_to_inference_session(session, frame_idx=0, obj_ids=1, input_points=[[[list(point)]]],
                                                      input_labels=[[[1]]], original_size=size)
        output = model(inference_session=session, frame=state["images"][index])
        masks[index] = processor.post_process_masks([output.pred_masks], original_sizes=[size], binarize=False)[0][0, 0].numpy()
    return masks


def main() -> None:
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    from harness.data.synthetic_vos import generate_vos_split
    from harness.video.checkpoints import load_into
    from harness.video.models import architecture_of, build_random

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0, help="the official model's random weights (some seeds give a "
                                                             "model whose object score says 'absent' on every frame)")
    args = parser.parse_args()
    name = CONFIG_TO_ARCHITECTURE[Path(args.config).stem]
    without_downloads()
    torch.manual_seed(args.seed)
    predictor = build_sam2_video_predictor(args.config, ckpt_path=None, device="cpu")
    arch = architecture_of(name)
    model = build_random(arch, 1024, seed=1)  # other random weights, then replaced
    load_into(model, predictor.state_dict(), arch.family)
    split = generate_vos_split(Path(tempfile.mkdtemp(prefix="jb_sam2_eq_")), videos=1, frames=args.frames,
                               size=(96, 128))
    with torch.inference_mode():
        state = predictor.init_state(video_path=str(split / "JPEGImages_24fps" / "video_000"))
        point = (40.0, 50.0)
        official, ours = official_masks(predictor, state, point), harness_masks(model, state, point)
    print(f"{args.config} -> {name}: {len(predictor.state_dict())} original tensors mapped strictly")
    print("| frame | max abs logit difference | logit range (official) | mask IoU |")
    print("|---|---|---|---|")
    for index in sorted(official):
        a, b = official[index], ours[index]
        union = np.logical_or(a > 0, b > 0).sum()
        iou = np.logical_and(a > 0, b > 0).sum() / union if union else 1.0
        print(f"| {index} | {np.abs(a - b).max():.2e} | {a.min():.3f} .. {a.max():.3f} | {iou:.4f} |")


if __name__ == "__main__":
    main()
