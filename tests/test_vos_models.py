"""The video models through transformers: official architectures (parameter counts as published), original SAM 2
checkpoints mapped onto them (against the official package's recorded parameter list), and a real streaming
session on a tiny random-init model."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from harness.video.frame_loop import overall_figures, run_video, video_figures  # noqa: E402
from harness.tasks.vos import ObjectPrompt  # noqa: E402
from harness.video.checkpoints import convert_state_dict, load_into, mapping_problem, read_original  # noqa: E402
from harness.video.models import architecture_config, architecture_of, build_random, make_processor, model_class  # noqa: E402
from harness.video.session import VideoSession  # noqa: E402

RECORDED = json.loads((Path(__file__).parent / "data" / "sam2_original_parameters.json").read_text())


def _meta_model(name: str):
    arch = architecture_of(name)
    with torch.device("meta"):
        return model_class(arch.family)(architecture_config(arch))


@pytest.mark.parametrize("name,millions", [("sam2.1_hiera_tiny", 38.9), ("sam2.1_hiera_small", 46.0),
                                           ("sam2.1_hiera_base_plus", 80.8), ("sam2.1_hiera_large", 224.4)])
def test_the_sam2_architectures_have_the_published_parameter_counts(name, millions):
    """facebookresearch/sam2's model table: 38.9 M, 46 M, 80.8 M, 224.4 M parameters (truncated to 0.1 M)."""
    count = sum(p.numel() for p in _meta_model(name).parameters()) / 1e6
    assert millions <= count < millions + 0.1


@pytest.mark.parametrize("name", sorted(RECORDED["models"]))
def test_every_original_parameter_lands_on_a_model_tensor_of_its_shape(name):
    family = architecture_of(name).family
    original = {k: torch.empty(shape, device="meta") for k, shape in RECORDED["models"][name]["parameters"].items()}
    expected = _meta_model(name).state_dict()
    assert mapping_problem(expected, convert_state_dict(original, family)) is None
    del original["sam_mask_decoder.conv_s1.bias"]
    original["image_encoder.trunk.extra.weight"] = torch.empty(3, device="meta")
    problem = mapping_problem(expected, convert_state_dict(original, family))
    assert "1 tensor(s) missing, 1 unexpected" in problem and "mask_decoder.conv_s1.bias" in problem


def test_an_original_checkpoint_file_loads_strictly_with_its_values(tmp_path):
    rng = torch.Generator().manual_seed(0)
    shapes = RECORDED["models"]["sam2.1_hiera_tiny"]["parameters"]
    original = {k: torch.randn(shape, generator=rng) for k, shape in shapes.items()}
    path = tmp_path / "sam2.1_hiera_tiny.pt"
    torch.save({"model": original}, path)
    model = build_random(architecture_of("sam2.1_hiera_tiny"), 1024, 0)
    load_into(model, read_original(str(path)))
    state = model.state_dict()
    assert torch.equal(state["prompt_encoder.point_embed.weight"][2], original["sam_prompt_encoder.point_embeddings.2.weight"][0])
    assert torch.equal(state["shared_image_embedding.positional_embedding"],
                       original["sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"])
    assert torch.equal(state["mask_decoder.iou_prediction_head.layers.0.weight"],
                       original["sam_mask_decoder.iou_prediction_head.layers.1.weight"])
    edgetam = {k: torch.randn(shape, generator=rng) if shape else torch.tensor(0)
               for k, shape in RECORDED["models"]["edgetam"]["parameters"].items()}
    model = build_random(architecture_of("edgetam"), 1024, 0)
    load_into(model, edgetam, "edgetam")
    fused = edgetam["spatial_perceiver.layers.0.attn.to_kv.weight"]  # keys then values, split in two
    assert torch.equal(model.state_dict()["spatial_perceiver.layers.0.cross_attention.v_proj.weight"], fused[64:])
    torch.save({"optimizer": {}}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a SAM 2 checkpoint"):
        read_original(str(tmp_path / "bad.pt"))


@pytest.fixture(scope="module")
def tiny():
    """SAM 2.1 tiny at a 64-pixel input: the real architecture, random weights, small enough for the CPU."""
    return build_random(architecture_of("sam2.1_hiera_tiny"), 64, 0), make_processor(64)


def test_objects_prompted_on_one_frame_and_later_are_all_tracked(tiny):
    model, processor = tiny
    session = VideoSession(model, processor, torch, "cpu", "fp32", (48, 64))
    frames = np.random.default_rng(0).integers(0, 256, (6, 3, 64, 64), dtype=np.uint8)
    mask = np.zeros((48, 64), bool)
    mask[10:30, 20:40] = True
    prompts = [ObjectPrompt(1, 1, "points", points=[[25, 20]]), ObjectPrompt(2, 1, "points", points=[[50, 40]]),
               ObjectPrompt(3, 3, "mask", mask=mask)]
    seen = {}
    timing = run_video(session, frames, prompts, lambda: None, lambda: 1.0,
                       on_masks=lambda i, masks: seen.__setitem__(i, masks), name="v")
    assert timing.frame_indices == [1, 2, 3, 4, 5]  # frame 0 comes before the first prompt: not run
    assert timing.prompt_frames == [0, 2]
    assert sorted(seen[1]) == [1, 2] and sorted(seen[5]) == [1, 2, 3]
    assert seen[5][3].shape == (48, 64) and seen[5][3].dtype == bool
    figures = video_figures(timing, 3)
    assert figures["frames_n"] == 5 and figures["latency_ms_p50"] > 0 and figures["prompt_latency_ms_mean"] > 0
    assert figures["memory_growth_mb"] == 0.0
    overall = overall_figures([timing, timing])
    assert overall["frames_n"] == 10 and overall["fps"] == pytest.approx(figures["fps"])
    with pytest.raises(ValueError, match="one prompt kind per frame"):
        session.add([prompts[0], ObjectPrompt(4, 1, "bbox", box=[0, 0, 5, 5])])
    session.close()


def test_a_hugging_face_folder_loads_offline_with_its_weights(tmp_path):
    from harness.video.models import folder_family, folder_size, load_folder

    built = build_random(architecture_of("edgetam"), 256, 3)
    built.save_pretrained(str(tmp_path / "edgetam_hf"))
    assert folder_family(str(tmp_path / "edgetam_hf")) == "edgetam" and folder_size(str(tmp_path / "edgetam_hf")) == 256
    loaded = load_folder(str(tmp_path / "edgetam_hf"))
    assert type(loaded).__name__ == "EdgeTamVideoModel"
    for name, tensor in list(built.state_dict().items())[:20]:
        assert torch.equal(tensor, loaded.state_dict()[name]), name


def test_sizes_each_family_runs_at_are_checked_in_phase_a():
    from harness.settings.options import Options
    from harness.video.model_setup import vos_sizes

    random_init = {"kind": "random-init"}
    assert vos_sizes(random_init, Options()) == ([1024], "the model's native input size", {})
    sizes, _, problems = vos_sizes(random_init, Options(imgsz=[64, 320, "480x640"], explicit=["imgsz"]), "edgetam")
    assert "320" in problems and "multiples of 256" in problems["320"] and "square" in problems["480x640"]
    assert "64" in problems  # EdgeTAM's perceiver needs 256 and up
    _, _, problems = vos_sizes(random_init, Options(imgsz=[64, 96], explicit=["imgsz"]), "sam2")
    assert problems == {}
