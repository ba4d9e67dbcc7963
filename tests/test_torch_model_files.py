"""runners/torch_model_files.py on real files written in tmp_path: kind detection, loading, metadata, outputs."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import torch

os.environ.setdefault("YOLO_OFFLINE", "1")

from runners.torch_model_files import (UnsupportedModelFile, checkpoint_metadata, flatten_outputs,  # noqa: E402
                                       load_torch_model, pt_file_kind)

IMGSZ = 64
ANCHORS = (IMGSZ // 8) ** 2 + (IMGSZ // 16) ** 2 + (IMGSZ // 32) ** 2  # one per cell at strides 8, 16, 32
UNPICKLED = []  # Tiny.__setstate__ appends here: proof that a file was unpickled


class Tiny(torch.nn.Module):
    """A plain module saved whole with torch.save (a pickled nn.Module)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.linear(x)

    def __setstate__(self, state):
        UNPICKLED.append(type(self).__name__)
        super().__setstate__(state)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """cfg name -> an Ultralytics checkpoint built from it (random weights), saved with YOLO.save()."""
    from ultralytics import YOLO

    folder = tmp_path_factory.mktemp("ultralytics")
    saved = {}
    for cfg in ("yolo11n", "yolo11n-seg", "yolo11n-cls", "yolo11n-pose", "yolo11n-obb"):
        saved[cfg] = folder / f"{cfg}.pt"
        YOLO(f"{cfg}.yaml").save(str(saved[cfg]))
    return saved


def run(model, example):
    with torch.inference_mode():
        return flatten_outputs(model(example))


def example_image(seed=0):
    return torch.rand((1, 3, IMGSZ, IMGSZ), generator=torch.Generator().manual_seed(seed))


def refusal(path, **kwargs) -> str:
    with pytest.raises(UnsupportedModelFile) as info:
        pt_file_kind(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is ")
    for how in ("torch.jit.trace(", "torch.export.save(torch.export.export(", "torch.onnx.export", "ONNX"):
        assert how in message
    return message


def assert_inference_ready(model):
    assert not model.training
    params = list(model.parameters())
    assert params and not any(p.requires_grad for p in params)


# --- Ultralytics checkpoints -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cfg, shapes", [
    ("yolo11n", [(1, 84, ANCHORS)]),
    ("yolo11n-seg", [(1, 116, ANCHORS), (1, 32, IMGSZ // 4, IMGSZ // 4)]),
    ("yolo11n-cls", [(1, 1000)]),
])
def test_ultralytics_checkpoint_returns_the_export_outputs(checkpoints, cfg, shapes):
    path = str(checkpoints[cfg])
    assert pt_file_kind(path) == "ultralytics"
    model = load_torch_model(path, "ultralytics")
    assert_inference_ready(model)
    outputs = run(model, example_image())
    assert [tuple(t.shape) for t in outputs] == shapes


def test_classifier_export_output_is_probabilities(checkpoints):
    model = load_torch_model(str(checkpoints["yolo11n-cls"]), "ultralytics")
    (probs,) = run(model, example_image())
    assert torch.allclose(probs.sum(1), torch.ones(1), atol=1e-5)


@pytest.mark.parametrize("cfg", ["yolo11n", "yolo11n-seg"])
def test_ultralytics_eager_outputs_equal_its_onnx_export(checkpoints, cfg, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from ultralytics import YOLO

    source = tmp_path / f"{cfg}.pt"
    source.write_bytes(checkpoints[cfg].read_bytes())  # the exporter writes beside its input
    onnx_file = YOLO(str(source)).export(format="onnx", imgsz=IMGSZ, dynamic=True, simplify=False, verbose=False)
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    image = example_image(seed=3)
    expected = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    eager = run(load_torch_model(str(source), "ultralytics"), image)
    assert len(eager) == len(expected)
    for got, want in zip(eager, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-3, atol=1e-3)


def test_pose_checkpoint_metadata(checkpoints):
    meta = checkpoint_metadata(str(checkpoints["yolo11n-pose"]))
    assert meta["task"] == "pose"
    assert meta["kpt_shape"] == [17, 3]
    assert meta["stride"] == 32
    assert meta["imgsz"] is None  # built from a yaml: no train_args
    assert meta["names"] and all(isinstance(k, str) and k.isdigit() for k in meta["names"])
    assert meta["nc"] == len(meta["names"])
    assert json.loads(json.dumps(meta)) == meta


def test_obb_and_classify_checkpoint_metadata(checkpoints):
    obb = checkpoint_metadata(str(checkpoints["yolo11n-obb"]))
    assert obb["task"] == "obb" and obb["kpt_shape"] is None
    classify = checkpoint_metadata(str(checkpoints["yolo11n-cls"]))
    assert classify["task"] == "classify" and classify["nc"] == 1000


def test_imgsz_comes_from_the_checkpoints_train_args(checkpoints, tmp_path):
    ckpt = torch.load(checkpoints["yolo11n"], map_location="cpu", weights_only=False)
    ckpt["train_args"] = {"imgsz": 320, "task": "detect"}
    path = tmp_path / "trained.pt"
    torch.save(ckpt, path)
    assert checkpoint_metadata(str(path))["imgsz"] == 320


def test_ultralytics_checkpoint_not_named_pt_is_refused(checkpoints, tmp_path):
    path = tmp_path / "renamed.pth"
    path.write_bytes(checkpoints["yolo11n"].read_bytes())
    assert "rename it" in refusal(str(path))


# --- TorchScript and torch.export -------------------------------------------------------------------------------

def tiny_sequential():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten()).eval()


def test_torchscript_archive(tmp_path):
    model, example = tiny_sequential(), torch.rand(1, 3, 8, 8)
    path = str(tmp_path / "traced.pt")
    torch.jit.trace(model, example).save(path)
    assert pt_file_kind(path) == "torchscript"
    loaded = load_torch_model(path, "torchscript")
    assert_inference_ready(loaded)
    (out,) = run(loaded, example)
    assert torch.allclose(out, model(example).detach())


def test_torch_export_program(tmp_path):
    if not hasattr(torch, "export") or not hasattr(torch.export, "save"):
        pytest.skip("this torch has no torch.export")
    model, example = tiny_sequential(), torch.rand(1, 3, 8, 8)
    path = str(tmp_path / "program.pt2")
    torch.export.save(torch.export.export(model, (example,)), path)
    assert pt_file_kind(path) == "torch_export"
    loaded = load_torch_model(path, "torch_export")
    assert not any(p.requires_grad for p in loaded.parameters())
    (out,) = run(loaded, example)
    assert torch.allclose(out, model(example).detach())


def test_unreadable_pt2_is_refused(tmp_path):
    path = tmp_path / "broken.pt2"
    path.write_bytes(b"not a program")
    assert "torch.export.load cannot read" in refusal(str(path))


# --- refused files ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrap", [lambda sd: sd, lambda sd: {"state_dict": sd, "epoch": 3},
                                  lambda sd: {"model": {"state_dict": sd}}])
def test_state_dict_is_refused(tmp_path, wrap):
    path = str(tmp_path / "weights.pt")
    torch.save(wrap(tiny_sequential().state_dict()), path)
    assert f"{path} is a state_dict (weights without the architecture)" in refusal(path)


def test_legacy_format_state_dict_is_refused(tmp_path):
    path = str(tmp_path / "legacy.pt")
    torch.save(tiny_sequential().state_dict(), path, _use_new_zipfile_serialization=False)
    assert "state_dict" in refusal(path)


def test_refusal_names_the_symlink_not_its_target(tmp_path):
    target = tmp_path / "real_weights.pt"
    torch.save(tiny_sequential().state_dict(), target)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    message = refusal(str(link))
    assert "state_dict" in message and str(target) not in message


def test_pickled_module_is_refused_without_unpickling(tmp_path):
    path = str(tmp_path / "whole_model.pt")
    torch.save(Tiny(), path)
    UNPICKLED.clear()
    message = refusal(path)
    assert "pickled" in message and "Tiny" in message and "trust_pickle" in message
    assert UNPICKLED == []


def test_trusted_pickled_module_loads_and_runs(tmp_path):
    module = Tiny().eval()
    path = str(tmp_path / "whole_model.pt")
    torch.save(module, path)
    UNPICKLED.clear()
    assert pt_file_kind(path, trust_pickle=True) == "pickled_module"
    assert UNPICKLED == ["Tiny"]
    loaded = load_torch_model(path, "pickled_module")
    assert isinstance(loaded, Tiny)
    assert_inference_ready(loaded)
    example = torch.rand(2, 4)
    assert torch.allclose(run(loaded, example)[0], module(example).detach())


def test_trusted_pickle_of_a_non_module_is_refused(tmp_path):
    path = str(tmp_path / "object.pt")
    torch.save({"config": pickle.PickleError("not a model")}, path)
    assert "not an nn.Module" in refusal(path, trust_pickle=True)


def test_pickle_without_a_model_is_refused(tmp_path):
    path = str(tmp_path / "numbers.pt")
    torch.save([1, 2, 3], path)
    assert "a pickled list holding no model" in refusal(path)


@pytest.mark.parametrize("first_byte", [None, 0x80])
def test_random_bytes_are_refused_in_one_line(tmp_path, first_byte):
    data = bytearray(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    if first_byte is not None:
        data[0] = first_byte  # looks like the start of a pickle
    path = tmp_path / "random.pt"
    path.write_bytes(bytes(data))
    assert "neither a zip archive torch writes nor a pickle" in refusal(str(path))


def test_zip_that_is_not_a_torch_file_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "other.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "no data.pkl" in refusal(str(path))


def test_message_stays_one_line_with_a_multiline_reason():
    message = str(UnsupportedModelFile("m.pt", "first\nsecond\r\nthird"))
    assert "\n" not in message and "\r" not in message and message.startswith("m.pt is first second")


def test_missing_file_and_unknown_kind():
    with pytest.raises(FileNotFoundError):
        pt_file_kind("/nonexistent/model.pt")
    with pytest.raises(ValueError, match="unknown model file kind"):
        load_torch_model("/nonexistent/model.pt", "keras")


# --- flatten_outputs --------------------------------------------------------------------------------------------

def test_flatten_outputs_depth_first():
    a, b, c, d, e = (torch.full((1,), float(i)) for i in range(5))
    nested = (a, [b, (c, None)], {"z": d, "y": [e, "label"]}, 3)
    flat = flatten_outputs(nested)
    assert len(flat) == 5 and all(x is y for x, y in zip(flat, [a, b, c, d, e]))
    assert flatten_outputs(a)[0] is a and len(flatten_outputs(a)) == 1
    assert flatten_outputs({"only": "text", "n": 1}) == []
