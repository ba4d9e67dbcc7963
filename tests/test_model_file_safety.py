"""No code runs from a model file without --trust_pickle: real checkpoints of every Ultralytics task load through
the allow-list, and files carrying a payload (a real checkpoint with one extra key, a 1.3 KB class reference plus
payload, a .pt2 whose weight says use_pickle, a YAML whose activation Ultralytics would eval) are refused before
the payload can run: the marker file the payload would create never appears."""

from __future__ import annotations

import fractions
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

os.environ.setdefault("YOLO_OFFLINE", "1")

from runners.restricted_unpickler import RefusedGlobal, restricted_torch_load  # noqa: E402
from runners.torch_model_files import UnsupportedModelFile, load_torch_model, pt_file_kind  # noqa: E402
from runners.ultralytics_architecture import UnsafeArchitecture, check_architecture  # noqa: E402
from runners.ultralytics_checkpoints import UntrustedCheckpoint, ultralytics_loading  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TASK_CFGS = ("yolo11n", "yolo11n-seg", "yolo11n-pose", "yolo11n-obb", "yolo11n-cls",
             "yolo26n", "yolo26n-seg", "yolo26n-pose", "yolo26n-obb", "yolo26n-cls")


class Payload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class CallsModelConstructor:
    """Unpickling this would call DetectionModel(cfg) (its __init__ with the file's arguments)."""

    def __reduce__(self):
        from ultralytics.nn.tasks import DetectionModel

        return DetectionModel, ({"nc": 1, "activation": "print('constructor ran')", "backbone": [], "head": []},)


@pytest.fixture(scope="module")
def task_checkpoints(tmp_path_factory):
    """Every Ultralytics task of YOLO11 and YOLO26, built from its architecture and saved as Ultralytics saves."""
    from ultralytics import YOLO

    folder = tmp_path_factory.mktemp("tasks")
    saved = {}
    for cfg in TASK_CFGS:
        saved[cfg] = folder / f"{cfg}.pt"
        YOLO(f"{cfg}.yaml").save(str(saved[cfg]))
    return saved


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "PAYLOAD_RAN"
    yield path
    assert not path.exists(), "a payload ran while loading a model file"


def evil_checkpoint(source: Path, target: Path, extra) -> Path:
    ckpt = torch.load(source, map_location="cpu", weights_only=False)  # our own file, built in this test
    ckpt["extra"] = extra
    torch.save(ckpt, target)
    return target


@pytest.mark.parametrize("cfg", TASK_CFGS)
def test_every_task_checkpoint_loads_without_trust(task_checkpoints, cfg):
    path = task_checkpoints[cfg]
    assert pt_file_kind(path) == "ultralytics"
    model = load_torch_model(str(path), "ultralytics")
    assert isinstance(model, torch.nn.Module) and not model.training


def test_trained_default_checkpoint_loads_without_trust():
    """A checkpoint the trainer wrote (train_args, metrics, git, optimizer keys), as shipped in weights/default."""
    path = REPO / "weights" / "default" / "yolo11n.pt"
    ckpt = restricted_torch_load(path)
    assert {"train_args", "model"} <= set(ckpt) and pt_file_kind(path) == "ultralytics"


def test_real_checkpoint_with_a_payload_key_is_refused(task_checkpoints, tmp_path, marker):
    path = evil_checkpoint(task_checkpoints["yolo11n"], tmp_path / "evil.pt", Payload(marker))
    with pytest.raises(UnsupportedModelFile) as info:
        pt_file_kind(path)
    message = str(info.value)
    assert str(path) in message and "posix.system" in message and "--trust_pickle" in message and "\n" not in message


def test_small_class_reference_with_payload_is_refused(tmp_path, marker):
    from ultralytics.nn.tasks import DetectionModel

    path = tmp_path / "tiny.pt"
    torch.save({"model": DetectionModel, "x": Payload(marker)}, path)
    assert path.stat().st_size < 4000
    with pytest.raises(UnsupportedModelFile, match="posix.system"):
        pt_file_kind(path)


def test_ultralytics_own_loader_is_guarded(task_checkpoints, tmp_path, marker):
    """YOLO(path), as Phase A's exporter and the trainer call it, goes through the allow-list too."""
    from ultralytics import YOLO

    path = evil_checkpoint(task_checkpoints["yolo11n"], tmp_path / "evil.pt", Payload(marker))
    with ultralytics_loading(trusted=False), pytest.raises(UntrustedCheckpoint) as info:
        YOLO(str(path))
    assert info.value.ref == "posix.system"


@pytest.mark.parametrize("extra, ref", [
    (CallsModelConstructor(), "ultralytics.nn.tasks.DetectionModel"),
    (type("Evalish", (), {"__reduce__": lambda self: (eval, ("1+1",))})(), "builtins.eval"),
    (type("Popenish", (), {"__reduce__": lambda self: (subprocess.Popen, (["true"],))})(), "subprocess.Popen"),
])
def test_refused_globals_are_named(task_checkpoints, tmp_path, extra, ref):
    path = evil_checkpoint(task_checkpoints["yolo11n"], tmp_path / "evil.pt", extra)
    with pytest.raises(RefusedGlobal) as info:
        restricted_torch_load(path)
    assert info.value.ref == ref


def test_trust_pickle_accepts_a_checkpoint_outside_the_allow_list(task_checkpoints, tmp_path):
    path = evil_checkpoint(task_checkpoints["yolo11n"], tmp_path / "odd.pt", fractions.Fraction(1, 3))
    with pytest.raises(UnsupportedModelFile, match="fractions.Fraction"):
        pt_file_kind(path)
    assert pt_file_kind(path, trust_pickle=True) == "ultralytics_trusted"
    assert isinstance(load_torch_model(str(path), "ultralytics_trusted"), torch.nn.Module)


def test_ultralytics_looking_file_without_a_model_is_refused(tmp_path):
    from ultralytics.nn.tasks import DetectionModel

    path = tmp_path / "notamodel.pt"
    torch.save({"model": DetectionModel, "note": "a class, no model"}, path)
    with pytest.raises(UnsupportedModelFile, match="holds no model"):
        pt_file_kind(path)


def _export_program(path: Path) -> Path:
    module = torch.nn.Linear(3, 2)
    torch.export.save(torch.export.export(module, (torch.randn(1, 3),)), str(path))
    return path


def test_pt2_with_a_pickled_weight_payload_is_refused(tmp_path, marker):
    good = _export_program(tmp_path / "good.pt2")
    evil = tmp_path / "evil.pt2"
    with zipfile.ZipFile(good) as src:
        config_name = next(n for n in src.namelist() if n.endswith("weights_config.json"))
        config = json.loads(src.read(config_name))
        first = next(iter(config["config"]))
        config["config"][first]["use_pickle"] = True  # the archive now says this weight is a pickle ...
        payload_member = config_name.rsplit("/", 1)[0] + "/" + config["config"][first]["path_name"]
        with zipfile.ZipFile(evil, "w") as dst:
            for name in src.namelist():
                data = json.dumps(config).encode() if name == config_name else src.read(name)
                dst.writestr(name, pickle.dumps(Payload(marker), protocol=2) if name == payload_member else data)
    assert pt_file_kind(good) == "torch_export"
    with pytest.raises(UnsupportedModelFile, match=r"member .* asks for posix\.system"):  # ... and it is one
        pt_file_kind(evil)


def test_yaml_that_ultralytics_would_eval_is_refused(tmp_path):
    import ultralytics

    shipped = Path(ultralytics.__file__).parent / "cfg" / "models" / "11" / "yolo11.yaml"
    check_architecture(str(shipped))
    evil = tmp_path / "evil.yaml"
    evil.write_text(shipped.read_text() + "\nactivation: __import__('os').system('true')\n")
    with pytest.raises(UnsafeArchitecture, match="activation"):
        check_architecture(str(evil))
    layer = tmp_path / "layer.yaml"
    layer.write_text("nc: 1\nbackbone:\n  - [-1, 1, torch_safe_load, ['x.pt']]\nhead: []\n")
    with pytest.raises(UnsafeArchitecture, match="torch_safe_load"):
        check_architecture(str(layer))


def test_training_refuses_a_finetune_source_with_a_payload(task_checkpoints, tmp_path, marker):
    """The train child's trainer loads the finetune checkpoint through the allow-list."""
    evil = evil_checkpoint(task_checkpoints["yolo11n"], tmp_path / "evil.pt", Payload(marker))
    code = ("import sys; from harness.train.train_child import train\n"
            f"train({{'spec': {{'model': 'yolo11n', 'seed': 0}}, 'folder': {str(tmp_path / 't')!r}, "
            f"'finetune_from': {str(evil)!r}}})")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(REPO)})
    assert done.returncode != 0 and "UntrustedCheckpoint" in done.stderr and "posix.system" in done.stderr
