"""The image encoder of a SAM 2 / SAM 2.1 / EdgeTAM video model as its own graph: exported to ONNX (Phase A) and
run on ONNX Runtime (encoder_onnx.py) or as a TensorRT engine (encoder_tensorrt.py) in Phase B, while memory attention, prompt encoder, mask decoder and memory encoder stay in
torch.

What is exported is ``model.get_image_features``: the trunk (Hiera or RepViT), the FPN neck, the mask decoder's
two 1x1 projections of the high-resolution levels, and the sine position encodings of the three levels, as the
session caches them (``vision_feats`` HW x 1 x C per level, ``vision_pos_embeds`` likewise). Phase B puts the ONNX
outputs into the session's feature cache under the frame's index before the model's call, so the model finds
the frame's features there and never runs its own encoder. Everything after the encoder reads per-frame state
(the memory bank, object pointers, prompts) that changes every frame and branches in Python on it; it stays in
torch.
"""

from __future__ import annotations

LEVELS = 3  # feature levels of every SAM 2 / EdgeTAM neck (strides 4, 8, 16)
OPSET = 17


def encoder_graph(model):
    """A torch module: normalized 1 x 3 x S x S pixels -> 3 feature maps then 3 position encodings, flattened as
    the session caches them."""
    import torch

    class EncoderGraph(torch.nn.Module):
        def __init__(self, video_model):
            super().__init__()
            self.video_model = video_model

        def forward(self, pixel_values):
            out = self.video_model.get_image_features(pixel_values, return_dict=True)
            return (*out.fpn_hidden_states, *out.fpn_position_encoding)

    return EncoderGraph(model).eval()


def output_names() -> list:
    return [f"vision_feat_{i}" for i in range(LEVELS)] + [f"vision_pos_embed_{i}" for i in range(LEVELS)]


def export_encoder(model, size: int, path: str) -> str:
    """The model's image encoder at input size ``size`` as an ONNX file (fp32, static shapes)."""
    import torch

    dummy = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(encoder_graph(model.float().cpu()), (dummy,), path, input_names=["pixel_values"],
                          output_names=output_names(), opset_version=OPSET, dynamo=False)
    return path


def features_dict(outputs: list) -> dict:
    """The six encoder outputs as the session's cache entry."""
    return {"vision_feats": list(outputs[:LEVELS]), "vision_pos_embeds": list(outputs[LEVELS:])}
