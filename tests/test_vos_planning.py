"""Video models in the matrix: names (the seed's model x prompt), the prompt dimension, what the planner refuses and
why. Pure logic: no model is built here."""

import pytest

from harness.errors import UserError
from harness.settings.matrix import expand_matrix
from harness.settings.options import Options, validate
from harness.phase_a.model_discovery import discover_models, video_models_only
from harness.phase_a.run_planner import plan_runs
from harness.video.models import architecture_of, is_vos_name, split_prompt

CPU = {"resolved": "cpu", "cuda": False, "onnxruntime_cuda": False}
GPU = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False, "name": "Some GPU"}
VOS = {"name": "sam2_base", "task": "vos", "prompts": ["points", "bbox"], "sizes": [1024],
       "artifacts": {"vos_cards": {"1024": "/cards/sam2_base_img1024.vos.json"}}, "vos": {"architecture": "sam2_hiera_base_plus"}}


def by_id(planned):
    return {p.spec.run_id: p for p in planned}


def test_names_users_type_resolve_to_the_official_architectures():
    assert architecture_of("sam2_base").name == "sam2_hiera_base_plus"  # the seed's name: SAM 2, base+
    assert architecture_of("sam2.1_b+").name == "sam2.1_hiera_base_plus"
    assert architecture_of("SAM2.1_HIERA_TINY").name == "sam2.1_hiera_tiny"
    assert architecture_of("edgetam").family == "edgetam"
    assert architecture_of("yolo11n") is None
    assert split_prompt("sam2_base_points") == ("sam2_base", "points")
    assert split_prompt("edgetam_mask") == ("edgetam", "mask")
    assert split_prompt("yolo11n_bbox") == ("yolo11n_bbox", None)  # not a video model: the name stays whole
    assert is_vos_name("edgetam_bbox") and not is_vos_name("yolo11n")


def test_the_seeds_four_names_are_two_models_with_two_prompts_each():
    sources = discover_models(None, ["sam2_base_points", "sam2_base_bbox", "edgetam_points", "edgetam_bbox"], [])
    assert [(s.name, s.prompts) for s in sources] == [("sam2_base", ["points", "bbox"]), ("edgetam", ["points", "bbox"])]
    assert all(s.files == {"vos": s.name} for s in sources)


def test_a_hugging_face_folder_in_weights_dir_is_a_video_model(tmp_path):
    folder = tmp_path / "weights" / "my_sam"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "sam2_video", "image_size": 1024}')
    (tmp_path / "weights" / "not_a_model").mkdir()
    sources = discover_models(str(tmp_path / "weights"), [], [])
    assert [(s.name, s.files) for s in sources] == [("my_sam", {"hf_folder": str(folder.absolute())})]
    assert video_models_only(Options(weights_dir=str(tmp_path / "weights")))
    assert not video_models_only(Options(models=["yolo11n", "edgetam"]))


def test_prompt_is_a_matrix_dimension_at_batch_one_without_the_image_modes():
    specs = expand_matrix(["sam2_base", "yolo11n"], ["torch"], ["fp32"], [640], [1, 8],
                          {"cuda_graph": True, "streams_list": [1, 2]}, {"sam2_base": ["torch"]}, {"sam2_base": [1024]},
                          {"sam2_base": ["points", "bbox"]})
    ids = [s.run_id for s in specs]
    assert ids[:2] == ["sam2_base__torch__fp32__img1024__b1__points", "sam2_base__torch__fp32__img1024__b1__bbox"]
    assert not any(i.startswith("sam2_base") and "b8" in i for i in ids)
    assert "yolo11n__torch__fp32__img640__b8__cudagraph" in ids


def test_the_planner_says_why_a_video_run_cannot_run_here():
    runs = by_id(plan_runs([VOS], ["auto"], ["fp32", "fp16", "bf16", "int8"], [640], [1], CPU))
    ok = runs["sam2_base__torch__fp32__img1024__b1__points"]
    assert ok.skip_status is None and ok.artifact == "/cards/sam2_base_img1024.vos.json"
    assert ok.spec.modes.prompt == "points" and ok.task == "vos"
    assert "needs a CUDA device" in runs["sam2_base__torch__fp16__img1024__b1__bbox"].skip_reason
    assert "needs a CUDA device" in runs["sam2_base__torch__bf16__img1024__b1__bbox"].skip_reason
    assert "int8 is not implemented" in runs["sam2_base__torch__int8__img1024__b1__points"].skip_reason
    on_gpu = by_id(plan_runs([VOS], ["torch", "onnxruntime"], ["bf16"], [640], [1], {**GPU, "bf16": False}))
    assert "no bf16 support" in on_gpu["sam2_base__torch__bf16__img1024__b1__points"].skip_reason
    assert "runs in fp32, or in fp16 on ONNX Runtime's CUDA provider" in \
        on_gpu["sam2_base__onnxruntime__bf16__img1024__b1__points"].skip_reason


def test_bf16_is_refused_for_image_models_and_a_refused_video_model_keeps_its_line():
    image_model = {"name": "m", "artifacts": {"torch": "/m.pt"}}
    refused = {**VOS, "name": "edgetam", "refused": "the vos models need timm: pip install 'jetson-benchmark[vos]'"}
    runs = by_id(plan_runs([image_model, refused], ["torch"], ["bf16", "fp32"], [64], [1], GPU))
    assert "video models (vos) only" in runs["m__torch__bf16__img64__b1"].skip_reason
    assert runs["m__torch__fp32__img64__b1"].skip_status is None
    assert "pip install 'jetson-benchmark[vos]'" in runs["edgetam__torch__fp32__img1024__b1__points"].skip_reason


def test_an_unknown_prompt_is_one_line():
    with pytest.raises(UserError, match="--prompt box: choose from points, bbox, mask"):
        validate(Options(prompt=["points", "box"]))


def test_skip_setup_takes_the_seeds_names_and_new_prompts_for_a_prepared_video_model():
    from harness.video.workload import video_prompts, with_prompts

    assert video_prompts(["sam2_base_points", "sam2_base_mask", "yolo11n"]) == (["sam2_base", "yolo11n"],
                                                                                {"sam2_base": ["points", "mask"]})
    assert with_prompts(VOS, {"sam2_base": ["mask"]}, Options())["prompts"] == ["mask"]
    assert with_prompts(VOS, {}, Options(prompt=["bbox"], explicit=["prompt"]))["prompts"] == ["bbox"]
    assert with_prompts(VOS, {}, Options())["prompts"] == ["points", "bbox"]
    image_model = {"name": "yolo11n", "artifacts": {}}
    assert with_prompts(image_model, {}, Options(prompt=["bbox"], explicit=["prompt"])) is image_model
