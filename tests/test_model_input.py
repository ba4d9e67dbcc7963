"""The model's input: sizes, norms, the conversion every backend runs, and the resolution of detected and
declared facts."""

import json

import numpy as np
import pytest

from harness.data.image_size import canonical, frames_key, parse_size
from harness.model_input.declared_settings import BadModelSettings, check_declared, declared_for
from harness.model_input.input_spec import InputSpec, parse_norm
from harness.model_input.resolve import model_sizes, resolve_input, resolve_task, size_problem, unfilled_inputs
from runners.input_conversion import convert_numpy, convert_torch, extra_feeds


def test_sizes_and_frames_keys():
    assert parse_size(640) == (640, 640) and parse_size("480x640") == (480, 640)
    assert canonical("64x64") == 64 and canonical("48X320") == "48x320"
    assert frames_key(640, "letterbox") == "640" and frames_key("224", "crop") == "224-crop"
    with pytest.raises(ValueError, match="not a size"):
        parse_size("12x")


def test_norms():
    assert parse_norm("imagenet")[1] == pytest.approx((123.675, 116.28, 103.53))
    name, mean, std = parse_norm("mean=1,2,3;std=4,5,6")
    assert (name, mean, std) == ("custom", (1.0, 2.0, 3.0), (4.0, 5.0, 6.0))
    with pytest.raises(ValueError, match="use unit"):
        parse_norm("mean=1,2")


def _batch():
    return np.random.default_rng(0).integers(0, 256, size=(2, 3, 4, 5), dtype=np.uint8)


def test_numpy_conversion_bgr_imagenet_nhwc_by_hand():
    batch = _batch()
    spec = InputSpec(4, 5, layout="nhwc", color="bgr", norm="imagenet", mean=parse_norm("imagenet")[1],
                     std=parse_norm("imagenet")[2])
    got = convert_numpy(batch, spec, np.float32)
    bgr = batch[:, ::-1].astype(np.float64)
    expected = ((bgr - np.array(spec.mean).reshape(1, 3, 1, 1)) / np.array(spec.std).reshape(1, 3, 1, 1)).transpose(0, 2, 3, 1)
    assert got.shape == (2, 4, 5, 3) and np.allclose(got, expected, atol=1e-5)
    raw = convert_numpy(batch, InputSpec(4, 5, dtype="uint8"), np.uint8)
    assert raw.dtype == np.uint8 and np.array_equal(raw, batch)  # a uint8 model gets the pixels as they are
    unit = convert_numpy(batch, InputSpec(4, 5), np.float32)
    assert np.allclose(unit, batch / 255.0)


def test_torch_conversion_equals_numpy_conversion():
    torch = pytest.importorskip("torch")
    batch = _batch()
    for spec in (InputSpec(4, 5), InputSpec(4, 5, layout="nhwc", color="bgr", norm="custom", mean=(10, 20, 30),
                                             std=(2, 3, 4))):
        got = convert_torch(torch.from_numpy(batch), spec, torch.float32, torch).numpy()
        assert np.allclose(got, convert_numpy(batch, spec, np.float32), atol=1e-5)


def test_extra_feeds_take_the_batch_on_a_dynamic_first_dim():
    from harness.model_input.input_spec import ExtraInput

    spec = InputSpec(4, 5, extra_inputs=(ExtraInput("scale", "float32", (None, 1), 2.0),
                                         ExtraInput("ids", "int64", (3,), 1)))
    feeds = extra_feeds(spec, batch=4)
    assert feeds["scale"].shape == (4, 1) and feeds["scale"][0, 0] == 2.0 and feeds["ids"].dtype == np.int64


def test_model_file_wins_over_flags_and_bad_files_are_one_line(tmp_path):
    path = tmp_path / "m.model.json"
    path.write_text(json.dumps({"task": "classify", "input_norm": "imagenet"}))
    declared, sources = declared_for({"task": "depth", "color": "bgr", "layout": None}, str(path))
    assert declared == {"task": "classify", "input_norm": "imagenet", "color": "bgr"}
    assert sources["task"] == "m.model.json" and sources["color"] == "--color"
    path.write_text(json.dumps({"task": "tracking"}))
    with pytest.raises(BadModelSettings, match="m.model.json: task 'tracking': choose one of"):
        declared_for({}, str(path))
    path.write_text("{not json")
    with pytest.raises(BadModelSettings, match="not readable JSON"):
        declared_for({}, str(path))


def test_resolution_detected_beats_declared_layout_and_fixed_size_is_used():
    detected = {"task": "detect", "layout": "nhwc", "dtype": "uint8", "input_name": "x", "fixed_hw": [224, 224],
                "extra_input_names": ["scale"], "source": "m.onnx"}
    declared = {"layout": "nchw", "input_norm": "imagenet", "extra_inputs": {"scale": {"value": 1.0}}}
    sources = {"layout": "--layout", "input_norm": "--input_norm", "extra_inputs": "m.model.json"}
    task = resolve_task(detected, declared, sources, {"conf": 0.3})
    assert task.task == "detect" and task.task_source == "m.onnx" and task.conf == 0.3
    assert model_sizes(detected, [640], explicit=False) == ([224], "the model's fixed input size")
    assert model_sizes(detected, [640], explicit=True)[0] == [640]
    assert model_sizes({}, [640], explicit=False, declared={"imgsz": "224"}) == ([224], "imgsz in the model's .model.json")
    spec = resolve_input(detected, declared, sources, task.task, 224)
    assert (spec.layout, spec.dtype, spec.name, spec.norm, spec.resize) == ("nhwc", "uint8", "x", "imagenet", "letterbox")
    assert spec.sources["layout"] == "m.onnx" and spec.sources["norm"] == "--input_norm"
    assert [e.name for e in spec.extra_inputs] == ["scale"] and unfilled_inputs(detected, declared) == []
    assert unfilled_inputs(detected, {}) == ["scale"]
    assert "fixed input of 224x224" in size_problem(resolve_input(detected, {}, {}, "detect", 640), detected)
    assert "multiple of the model's stride 32" in size_problem(InputSpec(100, 100), {"stride": 32})
    assert resolve_input({}, {}, {}, "classify", "48x320").resize == "crop"  # the task's default
    assert InputSpec.from_dict(spec.to_dict()) == spec


def test_int8_engines_are_not_calibrated_on_inputs_the_model_never_sees():
    from harness.phase_a.engine_preparation import int8_input_problem

    plain = {"inputs": {"640": InputSpec(640, 640).to_dict()}}
    assert int8_input_problem(plain, 640) is None
    imagenet = {"inputs": {"224": resolve_input({}, {"input_norm": "imagenet"}, {}, "classify", 224).to_dict()}}
    assert "calibrating it is not implemented" in int8_input_problem(imagenet, 224)


def test_gray_takes_the_first_luminance_channel_in_numpy_and_torch():
    import torch

    batch = np.random.default_rng(1).integers(0, 256, size=(2, 1, 5, 7), dtype=np.uint8).repeat(3, axis=1)
    spec = InputSpec(5, 7, color="gray", norm="custom", mean=(127.5,) * 3, std=(127.5,) * 3)
    got = convert_numpy(batch, spec, np.float32)
    assert got.shape == (2, 1, 5, 7) and spec.channels == 1
    np.testing.assert_allclose(got, (batch[:, :1] - 127.5) / 127.5, atol=1e-6)
    np.testing.assert_allclose(convert_torch(torch.from_numpy(batch), spec, torch.float32, torch).numpy(), got, atol=1e-6)
    nhwc = convert_numpy(batch, InputSpec(5, 7, color="gray", layout="nhwc"), np.float32)
    assert nhwc.shape == (2, 5, 7, 1)


def test_color_defaults_to_gray_for_one_channel_and_contradictions_are_refused():
    from harness.model_input.resolve import resolve_color

    one = {"channels": 1, "source": "ocr.onnx"}
    assert resolve_color(one, {}, {}) == ("gray", "ocr.onnx: one input channel")
    assert resolve_color({"channels": 3}, {}, {}) == ("rgb", "default")
    assert resolve_color({"channels": 3}, {"color": "bgr"}, {"color": "--color"}) == ("bgr", "--color")
    with pytest.raises(BadModelSettings, match=r"^ocr.model.json says color rgb, but the model's image input has 1 "
                                               r"channel \(gray fits\)$"):
        resolve_color(one, {"color": "rgb"}, {"color": "ocr.model.json"})
    with pytest.raises(BadModelSettings, match="has 3 channels"):
        resolve_color({"channels": 3}, {"color": "gray"}, {"color": "--color"})
    spec = resolve_input(one, {}, {}, "generic", "64x256")
    assert (spec.color, spec.frames_key) == ("gray", "64x256-stretch-gray")


def test_norm_units_declared_and_by_rule_recorded_in_both_units():
    from harness.model_input.input_spec import norm_from_text

    paddle = norm_from_text("mean=0.5,0.5,0.5;std=0.5,0.5,0.5")
    assert paddle.mean == (127.5,) * 3 and paddle.std == (127.5,) * 3 and "0-1 units (all values <= 1)" in paddle.read_as
    assert norm_from_text("mean=0.5;std=0.5;unit=0-255").std == (0.5,) * 3
    assert norm_from_text("mean=0.485,0.456,0.406;std=0.229,0.224,0.225;0-1").mean == pytest.approx(
        parse_norm("imagenet")[1])
    assert norm_from_text("mean=127.5;std=127.5").read_as == "read as 0-255 units (a value above 1)"
    assert "declared" in norm_from_text("mean=1;std=2;unit=0-1").read_as
    with pytest.raises(ValueError, match="unit=0-1"):
        norm_from_text("mean=0.5;std=0.5;unit=percent")
    spec = resolve_input({}, {"input_norm": "mean=0.5;std=0.5"}, {"input_norm": "--input_norm"}, "generic", 32)
    assert spec.to_dict()["mean_0_1"] == [0.5] * 3 and spec.to_dict()["mean"] == (127.5,) * 3
    assert spec.norm_summary() == ("custom: mean 127.5,127.5,127.5 std 127.5,127.5,127.5 (0-255) = mean 0.5,0.5,0.5 "
                                   "std 0.5,0.5,0.5 (0-1), read as 0-1 units (all values <= 1)")
    assert InputSpec.from_dict(spec.to_dict()) == spec


def test_stride_rounds_dynamic_sides_up_and_fixed_sides_win():
    from harness.model_input.model_size import plan_sizes

    plan = plan_sizes({"stride": 32}, [500], explicit=True)
    assert plan.sizes == [512] and plan.rounded == {"500": 512}
    assert plan.notes == ["size 500 is not a multiple of the model's stride 32 (its metadata): rounded up to 512"]
    declared = plan_sizes({}, ["500x333"], explicit=True, declared={"stride": 32})
    assert declared.sizes == ["512x352"] and "(its .model.json)" in declared.notes[0]
    assert plan_sizes({"stride": 32}, [640], explicit=True).notes == []
    ocr = plan_sizes({"fixed_hw": [64, None]}, [640], explicit=False)
    assert ocr.sizes == ["64x640"] and ocr.why == "the model's fixed height 64, its width from the default --imgsz"
    assert ocr.notes == []
    told = plan_sizes({"fixed_hw": [64, None]}, [320], explicit=True)
    assert told.sizes == ["64x320"] and told.notes == ["--imgsz 320: the model fixes its height at 64, which wins; "
                                                       "64x320 is used"]
    own = plan_sizes({"fixed_hw": [None, 100], "imgsz": [48, 48]}, [640], explicit=False, declared={"stride": 8})
    assert own.sizes == ["48x100"] and own.why.endswith("its height from the model's own imgsz")
    with pytest.raises(BadModelSettings, match="stride 0: a positive whole number"):
        check_declared({"stride": 0}, "m.model.json")


def test_layout_flag_the_model_file_overrides_is_told():
    from harness.model_input.resolve import overridden_flags

    said = overridden_flags({"layout": "nchw", "source": "m.onnx"}, {"layout": "nhwc"}, {"layout": "--layout"})
    assert said == ["--layout nhwc: m.onnx says nchw, which wins"]
    assert overridden_flags({"layout": "nchw"}, {"layout": "nchw"}, {"layout": "--layout"}) == []


def test_class_names_model_file_then_metadata_keys_then_none():
    from harness.model_input.class_names import names_from_metadata
    from harness.model_input.resolve import class_names

    assert names_from_metadata({"names": {0: "person", 1: "car"}}) == ({"0": "person", "1": "car"}, "names")
    assert names_from_metadata({"labels": "0\n90\n180\n270\n"}) == ({"0": "0", "1": "90", "2": "180", "3": "270"}, "labels")
    assert names_from_metadata({"class_names": "cat, dog"}) == ({"0": "cat", "1": "dog"}, "class_names")
    assert names_from_metadata({"classes": "['a', 'b']", "labels": "x"})[1] == "labels"  # the documented key order
    assert names_from_metadata({"author": "x", "names": {1: "gap"}}) == ({}, None)     # not indices 0..n-1
    detected = {"names": {"0": "a"}, "names_source": "m.onnx metadata 'labels'"}
    assert class_names(detected, {}, {}) == ({"0": "a"}, "m.onnx metadata 'labels'")
    assert class_names(detected, {"names": ["x", "y"]}, {"names": "m.model.json"}) == ({"0": "x", "1": "y"}, "m.model.json")
    assert class_names({}, {}, {}) == ({}, "")
    with pytest.raises(BadModelSettings, match="names: a list"):
        check_declared({"names": 5}, "m.model.json")
