"""SAM 2, SAM 2.1 and EdgeTAM video models, built and loaded through Hugging Face ``transformers``.

Why transformers: it maintains both families (``Sam2VideoModel``, ``EdgeTamVideoModel``) behind one streaming
API (a session, prompts added at a frame, one call per frame), loads their published weights from a folder with
``config.json`` + ``model.safetensors``, and builds either from a configuration alone — so without weights the
harness measures the real architecture with random weights, and never downloads anything.

Architectures are the official ones (facebookresearch/sam2 ``configs/sam2*/sam2*_hiera_{t,s,b+,l}.yaml``,
facebookresearch/EdgeTAM ``edgetam.yaml``), written here as the configuration fields transformers uses.
SAM 2 and SAM 2.1 share the trunk; 2.1 adds the occlusion spatial embedding and the temporal encoding of object
pointers (its ``no_obj_embed_spatial`` / ``use_signed_tpos_enc_to_obj_ptrs`` switches).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

NATIVE_SIZE = 1024
PROMPTS = ("points", "bbox", "mask")


@dataclass(frozen=True)
class Trunk:
    """A Hiera trunk: channels of stage 1, heads of stage 1, blocks per stage, global-attention blocks, windows."""

    embed_dim: int
    heads: int
    stages: tuple
    global_blocks: tuple
    window_sizes: tuple = (8, 4, 14, 7)
    background: tuple = (7, 7)


HIERA = {
    "tiny": Trunk(96, 1, (1, 2, 7, 2), (5, 7, 9)),
    "small": Trunk(96, 1, (1, 2, 11, 2), (7, 10, 13)),
    "base_plus": Trunk(112, 2, (2, 3, 16, 3), (12, 16, 20), background=(14, 14)),
    "large": Trunk(144, 2, (2, 6, 36, 4), (23, 33, 43), window_sizes=(8, 4, 16, 8)),
}


@dataclass(frozen=True)
class VosArchitecture:
    name: str
    family: str           # sam2 | edgetam
    version: str          # "2", "2.1" or "edgetam"
    trunk: Optional[str] = None


def _architectures() -> dict:
    table = {"edgetam": VosArchitecture("edgetam", "edgetam", "edgetam")}
    for version, prefix in (("2", "sam2"), ("2.1", "sam2.1")):
        for trunk in HIERA:
            name = f"{prefix}_hiera_{trunk}"
            table[name] = VosArchitecture(name, "sam2", version, trunk)
    return table


ARCHITECTURES = _architectures()
# Short names users type (the seed's sam2_base, Ultralytics' sam2.1_t style, the "b+" of the official configs)
ALIASES = {
    **{f"{p}_{short}": f"{p}_hiera_{trunk}" for p in ("sam2", "sam2.1")
       for short, trunk in (("tiny", "tiny"), ("small", "small"), ("base", "base_plus"), ("base_plus", "base_plus"),
                            ("b+", "base_plus"), ("large", "large"), ("t", "tiny"), ("s", "small"), ("b", "base_plus"),
                            ("l", "large"))},
    **{f"{p}_hiera_b+": f"{p}_hiera_base_plus" for p in ("sam2", "sam2.1")},
}


def architecture_of(name: str) -> Optional[VosArchitecture]:
    """The architecture a model name means (``sam2.1_hiera_tiny``, ``sam2_base``, ``edgetam``, case-insensitive)."""
    key = name.lower().replace("-", "_")
    key = ALIASES.get(key, key)
    return ARCHITECTURES.get(key)


def split_prompt(name: str) -> tuple:
    """``sam2_base_points`` -> (``sam2_base``, ``points``); a name without a prompt suffix -> (name, None)."""
    for prompt in PROMPTS:
        suffix = f"_{prompt}"
        if name.lower().endswith(suffix) and architecture_of(name[: -len(suffix)]):
            return name[: -len(suffix)], prompt
    return name, None


def is_vos_name(name: str) -> bool:
    return architecture_of(split_prompt(name)[0]) is not None


def _sized(config, size: int):
    """The fields that follow the input size: the trunk's input, the three feature maps (strides 4, 8, 16), the
    prompt encoder's image size and the memory attention's rotary grid (stride 16)."""
    config.image_size = size
    config.prompt_encoder_config.image_size = size
    config.vision_config.backbone_feature_sizes = [[size // s, size // s] for s in (4, 8, 16)]
    config.memory_attention_rope_feat_sizes = [size // 16, size // 16]
    backbone = config.vision_config.backbone_config
    if hasattr(backbone, "image_size"):
        backbone.image_size = [size, size]
    return config


def sam2_config(arch: VosArchitecture, size: int = NATIVE_SIZE):
    from transformers import Sam2HieraDetConfig, Sam2VideoConfig, Sam2VisionConfig

    trunk = HIERA[arch.trunk]
    dims = [trunk.embed_dim * 2 ** i for i in range(4)]
    backbone = Sam2HieraDetConfig(
        hidden_size=trunk.embed_dim, num_attention_heads=trunk.heads, blocks_per_stage=list(trunk.stages),
        embed_dim_per_stage=dims, num_attention_heads_per_stage=[trunk.heads * 2 ** i for i in range(4)],
        window_size_per_stage=list(trunk.window_sizes), global_attention_blocks=list(trunk.global_blocks),
        window_positional_embedding_background_size=list(trunk.background))
    vision = Sam2VisionConfig(backbone_config=backbone, backbone_channel_list=dims[::-1])
    v21 = arch.version == "2.1"
    config = Sam2VideoConfig(vision_config=vision, enable_occlusion_spatial_embedding=v21,
                             enable_temporal_pos_encoding_for_object_pointers=v21)
    return _sized(config, size)


def edgetam_config(size: int = NATIVE_SIZE):
    """EdgeTAM: a RepViT-M1 image encoder (timm), a 2-layer memory attention with a perceiver resampler."""
    from transformers import EdgeTamVideoConfig, EdgeTamVisionConfig, TimmWrapperConfig

    backbone = TimmWrapperConfig(architecture="repvit_m1.dist_in1k",
                                 model_args={"in_chans": 3, "features_only": True, "out_indices": [0, 1, 2, 3]})
    vision = EdgeTamVisionConfig(backbone_config=backbone, backbone_channel_list=[384, 192, 96, 48])
    # edgetam.yaml: add_tpos_enc_to_obj_ptrs false, no no_obj_embed_spatial (transformers' defaults are SAM 2.1's)
    config = EdgeTamVideoConfig(vision_config=vision, enable_occlusion_spatial_embedding=False,
                                enable_temporal_pos_encoding_for_object_pointers=False)
    return _sized(config, size)


@contextlib.contextmanager
def offline_config_repr():
    """Some transformers versions (5.17 with huggingface_hub's strict dataclasses) build the repr of a config while
    type-checking a field, and the repr of EdgeTAM's vision config instantiates its default, which fetches the RepViT
    encoder's configuration from the Hub: without a network that fails. Inside this block a config's repr is its
    class name only, so building or loading EdgeTAM never reaches for the Hub."""
    from transformers.configuration_utils import PreTrainedConfig

    original = PreTrainedConfig.__repr__
    PreTrainedConfig.__repr__ = lambda self: f"<{type(self).__name__}>"
    try:
        yield
    finally:
        PreTrainedConfig.__repr__ = original


def architecture_config(arch: VosArchitecture, size: int = NATIVE_SIZE):
    with offline_config_repr():
        return edgetam_config(size) if arch.family == "edgetam" else sam2_config(arch, size)


def model_class(family: str):
    if family == "edgetam":
        from transformers import EdgeTamVideoModel

        return EdgeTamVideoModel
    from transformers import Sam2VideoModel

    return Sam2VideoModel


def folder_family(folder: str) -> Optional[str]:
    """``sam2`` / ``edgetam`` for a Hugging Face model folder, from its config.json's model_type (None if neither)."""
    try:
        model_type = json.loads((Path(folder) / "config.json").read_text()).get("model_type", "")
    except (OSError, ValueError):
        return None
    return {"sam2_video": "sam2", "sam2": "sam2", "edgetam_video": "edgetam", "edgetam": "edgetam"}.get(model_type)


def folder_size(folder: str) -> Optional[int]:
    try:
        return int(json.loads((Path(folder) / "config.json").read_text()).get("image_size") or NATIVE_SIZE)
    except (OSError, ValueError, TypeError):
        return None


def build_random(arch: VosArchitecture, size: int, seed: int):
    """The architecture with random weights, seeded (every backend and precision of a run gets the same)."""
    import torch

    torch.manual_seed(seed)
    config = architecture_config(arch, size)
    with offline_config_repr():
        return model_class(arch.family)(config).eval()


def load_folder(folder: str):
    """A Hugging Face format folder (config.json + model.safetensors), read locally only."""
    family = folder_family(folder)
    if family is None:
        raise ValueError(f"{folder}: config.json does not describe a SAM 2 or EdgeTAM video model")
    with offline_config_repr():
        return model_class(family).from_pretrained(folder, local_files_only=True).eval()


def make_processor(size: int):
    """The processor that turns prompts in frame pixels into the model's coordinates and masks back to frame size."""
    import transformers
    from transformers import Sam2VideoProcessor, Sam2VideoVideoProcessor

    # transformers 5.x names it Sam2ImageProcessor (the "Fast" name is deprecated there); 4.x only has the Fast one
    image_processor = getattr(transformers, "Sam2ImageProcessor", None) or transformers.Sam2ImageProcessorFast
    hw = {"height": size, "width": size}
    return Sam2VideoProcessor(image_processor=image_processor(size=hw, mask_size={"height": size // 4,
                                                                                 "width": size // 4}),
                              video_processor=Sam2VideoVideoProcessor(size=hw))
