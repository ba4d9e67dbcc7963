"""Reading an ONNX file's inputs, outputs and metadata, on real models written by tests/onnx_builders.py."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from harness.model_input.onnx_signature import (OnnxInput, fixed_batch, fixed_spatial, image_input,
                                                 read_onnx_inputs, read_onnx_metadata, read_onnx_outputs)
from onnx_builders import (list_initializers_as_inputs, write_image_model, write_two_output_model,
                           write_vector_model)


def run(path, feed: dict) -> list:
    """Run the model on onnxruntime's CPU provider; proves the builder wrote a real, runnable model."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feed)


def image(shape, dtype="float32", seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype(dtype)


@pytest.mark.parametrize("batch_dim, name", [("batch", "batch"), (-1, None), (None, None)])
def test_dynamic_batch_reads_as_none_and_runs(tmp_path, batch_dim, name):
    path = write_image_model(tmp_path / "m.onnx", batch_dim=batch_dim)
    (images,) = read_onnx_inputs(path)
    assert images.dims == (None, 3, None, None)
    assert images.dim_names[0] == name
    assert fixed_batch(images) is None
    (out,) = run(path, {"images": image((2, 3, 16, 12))})
    assert out.shape == (2, 4, 16, 12)


def test_zero_batch_reads_as_none_though_onnxruntime_holds_it_to_zero(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", batch_dim=0)
    (images,) = read_onnx_inputs(path)
    assert fixed_batch(images) is None and images.dims[1:] == (3, None, None)
    assert run(path, {"images": image((0, 3, 8, 8))})[0].shape == (0, 4, 8, 8)
    with pytest.raises(Exception, match="Expected: 0"):
        run(path, {"images": image((1, 3, 8, 8))})


def test_fixed_dims_are_ints(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", batch_dim=2, height=48, width=64)
    (images,) = read_onnx_inputs(path)
    assert images == OnnxInput("images", "float32", (2, 3, 48, 64), (None, None, None, None))
    assert image_input([images]) == (0, "nchw")
    assert fixed_spatial(images, "nchw") == (48, 64)
    assert fixed_batch(images) == 2
    assert run(path, {"images": image((2, 3, 48, 64))})[0].shape == (2, 4, 48, 64)


def test_symbolic_spatial_dims_keep_their_names(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", height="height", width="width")
    (images,) = read_onnx_inputs(path)
    assert images.dim_names == ("batch", None, "height", "width")
    assert fixed_spatial(images, "nchw") == (None, None)


def test_nhwc_detected_with_its_spatial_dims(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", layout="nhwc", batch_dim=1, height=20, width=30)
    inputs = read_onnx_inputs(path)
    assert inputs[0].dims == (1, 20, 30, 3)
    assert image_input(inputs) == (0, "nhwc")
    assert fixed_spatial(inputs[0], "nhwc") == (20, 30)
    assert run(path, {"images": image((1, 20, 30, 3))})[0].shape == (1, 4, 20, 30)


def test_uint8_dtype_read_and_pixels_not_divided(tmp_path):
    path = write_image_model(tmp_path / "u8.onnx", dtype="uint8", height=8, width=8)
    ref = write_image_model(tmp_path / "f32.onnx", dtype="float32", height=8, width=8)
    assert read_onnx_inputs(path)[0].dtype == "uint8"
    pixels = image((1, 3, 8, 8), "uint8")
    (out,) = run(path, {"images": pixels})
    np.testing.assert_allclose(out, run(ref, {"images": pixels.astype(np.float32)})[0], rtol=1e-5)


def test_float16_dtype_read_and_runs(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", dtype="float16", layout="nhwc")
    assert read_onnx_inputs(path)[0].dtype == "float16"
    assert run(path, {"images": image((1, 8, 8, 3), "float16")})[0].shape == (1, 4, 8, 8)


def test_two_inputs_image_index_and_extra_inputs_are_required(tmp_path):
    extras = [("scale_factor", "float32", (1,)), ("im_shape", "int64", ("batch", 2))]
    path = write_image_model(tmp_path / "m.onnx", extra_inputs=extras)
    inputs = read_onnx_inputs(path)
    assert [(i.name, i.dtype, i.dims) for i in inputs] == [
        ("images", "float32", (None, 3, None, None)), ("scale_factor", "float32", (1,)),
        ("im_shape", "int64", (None, 2))]
    assert image_input(inputs) == (0, "nchw")
    feed = {"images": image((1, 3, 8, 8)), "scale_factor": np.zeros(1, np.float32),
            "im_shape": np.zeros((1, 2), np.int64)}
    base = run(path, feed)[0]
    assert not np.allclose(base, run(path, {**feed, "scale_factor": np.ones(1, np.float32)})[0])
    assert not np.allclose(base, run(path, {**feed, "im_shape": np.ones((1, 2), np.int64)})[0])
    with pytest.raises(Exception, match="im_shape"):
        run(path, {k: v for k, v in feed.items() if k != "im_shape"})


def test_image_input_found_after_a_non_image_input():
    inputs = [OnnxInput("im_shape", "float32", (1, 2)), OnnxInput("mask", "float32", (1, 8, 8, 8)),
              OnnxInput("image", "float32", (1, 3, 640, 640))]
    assert image_input(inputs) == (2, "nchw")


@pytest.mark.parametrize("dims, layout", [
    ((1, 3, 224, 3), "nchw"),          # both positions could be channels: nchw wins
    ((1, None, 224, None), "nchw"),    # both dynamic: assume nchw
    ((1, None, 224, 3), "nhwc"),       # a fixed 3 at position 3 beats a dynamic position 1
    ((1, 640, 640, None), "nhwc"),
    ((None, 1, None, None), "nchw"),
    ((1, 32, 32, 4), "nhwc"),
])
def test_layout_rule(dims, layout):
    assert image_input([OnnxInput("x", "float32", dims)]) == (0, layout)


def test_image_input_raises_for_rank2_only_model(tmp_path):
    path = write_vector_model(tmp_path / "v.onnx")
    inputs = read_onnx_inputs(path)
    assert inputs[0].dims == (None, 8)
    assert run(path, {"x": np.ones((2, 8), np.float32)})[0].shape == (2, 8)
    with pytest.raises(ValueError, match=r"no rank-4.*x float32\[None, 8\]") as info:
        image_input(inputs)
    assert "\n" not in str(info.value)


def test_image_input_raises_when_no_rank4_input_has_image_channels():
    with pytest.raises(ValueError, match="feat"):
        image_input([OnnxInput("feat", "float32", (1, 64, 20, 20))])


def test_fixed_spatial_rejects_bad_layout_and_rank():
    with pytest.raises(ValueError, match="layout"):
        fixed_spatial(OnnxInput("x", "float32", (1, 3, 8, 8)), "chw")
    with pytest.raises(ValueError, match="rank 4"):
        fixed_spatial(OnnxInput("x", "float32", (1, 8)), "nchw")
    assert fixed_batch(OnnxInput("s", "float32", ())) is None


def test_ultralytics_metadata_parsed(tmp_path):
    meta = {"description": "Ultralytics YOLO11n model", "author": "Ultralytics", "stride": 32, "task": "detect",
            "batch": 1, "imgsz": [640, 640], "names": {0: "person", 1: "bicycle"}, "channels": 3,
            "kpt_shape": [17, 3], "end2end": False, "args": {"batch": 1, "half": False}}
    path = write_image_model(tmp_path / "m.onnx", metadata=meta)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert props["imgsz"] == "[640, 640]" and props["names"] == "{0: 'person', 1: 'bicycle'}"
    got = read_onnx_metadata(path)
    assert got["imgsz"] == [640, 640]
    assert got["names"] == {0: "person", 1: "bicycle"}
    assert got["stride"] == 32 and isinstance(got["stride"], int)
    assert got["task"] == "detect" and got["batch"] == 1 and got["channels"] == 3
    assert got["kpt_shape"] == [17, 3]
    assert got["description"] == "Ultralytics YOLO11n model"
    assert got["args"] == "{'batch': 1, 'half': False}"   # not in the parsed keys: kept as written


def test_metadata_that_does_not_parse_is_kept_as_text(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", metadata={"imgsz": "640x640", "names": "person,car"})
    assert read_onnx_metadata(path) == {"imgsz": "640x640", "names": "person,car"}
    assert read_onnx_metadata(write_image_model(tmp_path / "bare.onnx")) == {}


def test_initializers_listed_as_inputs_are_excluded(tmp_path):
    path = list_initializers_as_inputs(write_image_model(tmp_path / "m.onnx", batch_dim=1, height=8, width=8))
    graph_inputs = [i.name for i in onnx.load(str(path)).graph.input]
    assert graph_inputs == ["images", "W", "B"]
    assert [i.name for i in read_onnx_inputs(path)] == ["images"]
    assert run(path, {"images": image((1, 3, 8, 8))})[0].shape == (1, 4, 8, 8)


def test_two_output_model(tmp_path):
    path = write_two_output_model(tmp_path / "two.onnx")
    outputs = read_onnx_outputs(path)
    assert [(o.name, o.dims) for o in outputs] == [("features", (None, 4, None, None)), ("pooled", (None, 4, 1, 1))]
    assert outputs[1].dim_names[0] == "batch"
    features, pooled = run(path, {"images": image((2, 3, 10, 6))})
    assert features.shape == (2, 4, 10, 6) and pooled.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(pooled[..., 0, 0], features.mean(axis=(2, 3)), rtol=1e-5)


def test_builders_pass_the_checker_at_opset17_ir8(tmp_path):
    model = onnx.load(str(write_image_model(tmp_path / "m.onnx", batch_dim=-1, layout="nhwc", dtype="uint8")))
    onnx.checker.check_model(model)
    assert model.ir_version == 8 and [o.version for o in model.opset_import] == [17]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_value == -1 and dims[1].WhichOneof("value") is None


def test_external_weights_are_not_loaded(tmp_path):
    path = write_image_model(tmp_path / "m.onnx", batch_dim=1, height=8, width=8)
    model = onnx.load(str(path))
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin",
              size_threshold=0)
    (tmp_path / "w.bin").unlink()
    assert read_onnx_inputs(path)[0].dims == (1, 3, 8, 8)
