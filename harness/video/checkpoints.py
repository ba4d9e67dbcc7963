"""Original SAM 2 / SAM 2.1 checkpoints (facebookresearch/sam2 ``sam2.1_hiera_*.pt``: ``{"model": state_dict}``)
into the parameter names of transformers' ``Sam2VideoModel``.

The two implementations name the same tensors differently (``image_encoder.trunk`` / ``vision_encoder.backbone``,
``out_proj`` / ``o_proj``, numbered ``nn.Sequential`` layers / named ones). The rules below rename every tensor;
three are not one-to-one: the four point embeddings become rows of one table, the prompt encoder's Fourier matrix
is also the model's shared image embedding, and a 3-layer MLP's middle layers shift by one. Loading is strict:
a checkpoint with a tensor these rules do not place, or a model tensor they leave empty, is refused.
``tests/test_vos_checkpoints.py`` checks the rules against the parameter list of the official package's models
(recorded), and ``bench/vos_checkpoint_equivalence.py`` shows both implementations give the same masks.
EdgeTAM's original checkpoints (facebookresearch/EdgeTAM ``edgetam.pt``) add their own renames (a timm trunk, the
perceiver resampler, whose fused key-value projections are split in two), checked the same two ways.
"""

from __future__ import annotations

import re
from typing import Optional

# (pattern, replacement), applied in order to every key; index-dependent names are handled in _layer_names.
RENAMES = (
    (r"^image_encoder\.trunk\.", "vision_encoder.backbone."),
    (r"^image_encoder\.neck\.convs\.(\d+)\.conv\.", r"vision_encoder.neck.convs.\1."),
    (r"^sam_prompt_encoder\.", "prompt_encoder."),
    (r"^sam_mask_decoder\.", "mask_decoder."),
    (r"^maskmem_tpos_enc$", "memory_temporal_positional_encoding"),
    (r"^no_mem_embed$", "no_memory_embedding"),
    (r"^no_mem_pos_enc$", "no_memory_positional_encoding"),
    (r"^no_obj_ptr$", "no_object_pointer"),
    (r"^no_obj_embed_spatial$", "occlusion_spatial_embedding_parameter"),
    (r"^obj_ptr_proj\.", "object_pointer_proj."),
    (r"^obj_ptr_tpos_proj\.", "temporal_positional_encoding_projection_layer."),
    (r"\.patch_embed\.proj\.", ".patch_embed.projection."),
    (r"\.out_proj\.", ".o_proj."),
    (r"\.norm(\d?)\.", r".layer_norm\1."),
    (r"\.norm_final_attn\.", ".layer_norm_final_attn."),
    (r"^memory_encoder\.pix_feat_proj\.", "memory_encoder.feature_projection."),
    (r"^memory_encoder\.o_proj\.", "memory_encoder.projection."),
    (r"^memory_encoder\.fuser\.", "memory_encoder.memory_fuser."),
    (r"\.gamma$", ".scale"),
    (r"\.dwconv\.", ".depthwise_conv."),
    (r"\.pwconv(\d)\.", r".pointwise_conv\1."),
    (r"^prompt_encoder\.pe_layer\.positional_encoding_gaussian_matrix$", "prompt_encoder.shared_embedding.positional_embedding"),
    (r"^mask_decoder\.output_upscaling\.0\.", "mask_decoder.upscale_conv1."),
    (r"^mask_decoder\.output_upscaling\.1\.", "mask_decoder.upscale_layer_norm."),
    (r"^mask_decoder\.output_upscaling\.3\.", "mask_decoder.upscale_conv2."),
    (r"^prompt_encoder\.mask_downscaling\.0\.", "prompt_encoder.mask_embed.conv1."),
    (r"^prompt_encoder\.mask_downscaling\.1\.", "prompt_encoder.mask_embed.layer_norm1."),
    (r"^prompt_encoder\.mask_downscaling\.3\.", "prompt_encoder.mask_embed.conv2."),
    (r"^prompt_encoder\.mask_downscaling\.4\.", "prompt_encoder.mask_embed.layer_norm2."),
    (r"^prompt_encoder\.mask_downscaling\.6\.", "prompt_encoder.mask_embed.conv3."),
)
# EdgeTAM (facebookresearch/EdgeTAM, a fork of sam2): a timm RepViT trunk, MLP-named memory attention layers and
# the perceiver resampler's own names; applied after RENAMES.
EDGETAM_RENAMES = (
    (r"^vision_encoder\.backbone\.body\.", "vision_encoder.backbone.timm_model."),
    (r"^(memory_attention\.layers\.\d+)\.linear1\.", r"\1.mlp.up_proj."),
    (r"^(memory_attention\.layers\.\d+)\.linear2\.", r"\1.mlp.down_proj."),
    (r"^spatial_perceiver\.latents$", "spatial_perceiver.latents_1d"),
    (r"\.attn\.norm_x\.", ".layer_norm_input."),
    (r"\.attn\.norm_latents\.", ".layer_norm_latents."),
    (r"\.self_attn\.layer_norm\.", ".layer_norm_self."),
    (r"\.attn\.to_q\.", ".cross_attention.q_proj."),
    (r"\.attn\.to_out\.", ".cross_attention.o_proj."),
    (r"\.self_attn\.to_q\.", ".self_attention.q_proj."),
    (r"\.self_attn\.to_out\.", ".self_attention.o_proj."),
    (r"\.(self_)?ff\.0\.", r".\1mlp.layer_norm."),
    (r"\.(self_)?ff\.1\.", r".\1mlp.up_proj."),
    (r"\.(self_)?ff\.3\.", r".\1mlp.down_proj."),
)
# the perceiver's fused key-value projections, split into transformers' separate key and value projections
FUSED_KV = re.compile(r"^(?P<head>spatial_perceiver\.layers\.\d+)\.(?P<which>attn|self_attn)\.to_kv\.weight$")

# nn.Sequential MLPs: layers.0 -> proj_in, the last -> proj_out, the ones between -> layers.(i - 1)
MLP = re.compile(r"^(?P<head>.*(?:\.mlp|iou_prediction_head|pred_obj_score_head|output_hypernetworks_mlps\.\d+|"
                 r"^object_pointer_proj))\.layers\.(?P<index>\d+)\.(?P<tail>weight|bias)$")
# the memory encoder's mask downsampler: conv, norm, activation repeated, then one 1x1 conv
DOWNSAMPLER = re.compile(r"^memory_encoder\.mask_downsampler\.encoder\.(?P<index>\d+)\.(?P<tail>weight|bias)$")
POINT_EMBEDDING = re.compile(r"^prompt_encoder\.point_embeddings\.(\d+)\.weight$")


def _renamed(key: str, family: str = "sam2") -> str:
    for pattern, replacement in RENAMES + (EDGETAM_RENAMES if family == "edgetam" else ()):
        key = re.sub(pattern, replacement, key)
    return key


def _layer_names(key: str, mlp_depths: dict) -> str:
    match = MLP.match(key)
    if match:
        index, depth = int(match["index"]), mlp_depths[match["head"]]
        part = "proj_in" if index == 0 else ("proj_out" if index == depth - 1 else f"layers.{index - 1}")
        return f"{match['head']}.{part}.{match['tail']}"
    match = DOWNSAMPLER.match(key)
    if match:
        index = int(match["index"])
        stage, role = divmod(index, 3)
        if role == 0 and mlp_depths.get("downsampler_final") == index:
            return f"memory_encoder.mask_downsampler.final_conv.{match['tail']}"
        return f"memory_encoder.mask_downsampler.layers.{stage}.{'conv' if role == 0 else 'layer_norm'}.{match['tail']}"
    return key


def _depths(keys: list) -> dict:
    """Layers per numbered MLP, and the index of the downsampler's final conv (its largest index)."""
    depths: dict = {}
    for key in keys:
        match = MLP.match(key)
        if match:
            depths[match["head"]] = max(depths.get(match["head"], 0), int(match["index"]) + 1)
        match = DOWNSAMPLER.match(key)
        if match:
            depths["downsampler_final"] = max(depths.get("downsampler_final", -1), int(match["index"]))
    return depths


def _split_fused(original: dict) -> dict:
    """EdgeTAM's perceiver ``to_kv`` (keys then values, stacked) as two tensors under names the renames place."""
    out = {}
    for key, value in original.items():
        match = FUSED_KV.match(key)
        if not match:
            out[key] = value
            continue
        part = "cross_attention" if match["which"] == "attn" else "self_attention"
        keys, values = value.chunk(2, dim=0)
        out[f"{match['head']}.{part}.k_proj.weight"] = keys
        out[f"{match['head']}.{part}.v_proj.weight"] = values
    return out


def convert_state_dict(original: dict, family: str = "sam2") -> dict:
    """The original state dict under transformers' names (tensors shared, not copied, where they map one to one);
    ``family``: sam2 (SAM 2 / 2.1) or edgetam."""
    import torch

    if family == "edgetam":
        original = _split_fused(original)
    renamed = {_renamed(key, family): value for key, value in original.items()}
    depths = _depths(list(renamed))
    converted, points = {}, {}
    for key, value in renamed.items():
        match = POINT_EMBEDDING.match(key)
        if match:
            points[int(match.group(1))] = value
            continue
        converted[_layer_names(key, depths)] = value
    if points:
        converted["prompt_encoder.point_embed.weight"] = torch.cat([points[i] for i in sorted(points)], dim=0)
    fourier = converted.get("prompt_encoder.shared_embedding.positional_embedding")
    if fourier is not None:
        converted["shared_image_embedding.positional_embedding"] = fourier
    return converted


def read_original(path: str) -> dict:
    """The state dict of an original checkpoint (``{"model": ...}`` or a bare state dict), read without
    unpickling code (``weights_only``)."""
    import torch

    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: not a SAM 2 checkpoint (no state dict, or no 'model' entry)")
    return state


def mapping_problem(expected: dict, converted: dict) -> Optional[str]:
    """Why converted tensors do not fill a model exactly (names and shapes), or None. Both: name -> tensor."""
    missing = sorted(set(expected) - set(converted))
    unexpected = sorted(set(converted) - set(expected))
    wrong = sorted(k for k in set(expected) & set(converted) if tuple(expected[k].shape) != tuple(converted[k].shape))
    if not (missing or unexpected or wrong):
        return None
    return (f"the checkpoint does not match this architecture: {len(missing)} tensor(s) missing, {len(unexpected)} "
            f"unexpected, {len(wrong)} of another shape (first: {(missing or unexpected or wrong)[0]})")


def load_into(model, original: dict, family: str = "sam2") -> None:
    """Strict: every model tensor filled, every checkpoint tensor placed, shapes equal (ValueError otherwise)."""
    converted = convert_state_dict(original, family)
    problem = mapping_problem(model.state_dict(), converted)
    if problem:
        raise ValueError(problem)
    model.load_state_dict(converted, strict=True)
