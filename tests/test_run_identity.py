"""The run identity decides reuse: every part that changes a figure changes the key, and the console line names it."""

import copy

import pytest

from harness import __version__
from harness.parent.reuse import reuse_decision
from harness.records.results import new_result
from harness.files.identity_key import key_of
from harness.records.planned_run import PlannedRun
from harness.records.run_identity import (COMPARABLE_PARTS, differences, for_comparison, math_mode, run_identity,
                                          what_changed)

PLANNED = {"run_id": "m__torch__fp32__img64__b1", "model": "m", "backend": "torch", "variant": "", "precision": "fp32",
           "imgsz": 64, "batch": 1, "artifact": "/a/m.pt", "artifact_sha256": "ab" * 32,
           "modes": {"streams": 1}, "input": {"norm": "unit"}, "task_settings": {"conf": 0.25}}
SETUP = {"dataset": {"fingerprint": "f" * 64},
         "device": {"resolved": "cpu", "cuda": False},
         "environment": {"device_name": "Some CPU", "torch": "2.14.1", "torch_cuda": "13.0", "cudnn": 91000,
                         "onnxruntime": "1.32.0", "tensorrt": None, "ultralytics": "8.4.190"},
         "memory": {"profile_name": "cpu", "budget_mb": None, "emulated": False}}
MEASUREMENT = {"warmup": 1, "iters": 3, "repeats": 1}


def _identity(setup=SETUP, planned=PLANNED, measurement=MEASUREMENT, isolation="run"):
    return run_identity(PlannedRun.from_dict(planned), measurement, setup, isolation)


def _on_cuda():
    setup = copy.deepcopy(SETUP)
    setup["device"] = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
    setup["environment"]["device_name"] = "NVIDIA H200"
    return setup


def test_the_console_line_names_a_device_change():
    line = what_changed(_identity(), _identity(_on_cuda()))
    assert line.startswith("device changed cpu → cuda:0")
    assert "device.name changed Some CPU → NVIDIA H200" in line


@pytest.mark.parametrize("change, expected", [
    (lambda s, p, m: s["memory"].update(profile_name="orin-nano-8gb", budget_mb=8192.0), "profile.name changed"),
    (lambda s, p, m: s["environment"].update(torch="2.11.0"), "torch version changed 2.14.1 → 2.11.0"),
    (lambda s, p, m: s["environment"].update(onnxruntime="1.20.0"), "onnxruntime version changed"),
    (lambda s, p, m: s["dataset"].update(fingerprint="e" * 64), "dataset changed"),
    (lambda s, p, m: p.update(artifact_sha256="cd" * 32), "artifact_sha256 changed"),
    (lambda s, p, m: p.update(cudnn_benchmark=True), "cudnn_benchmark changed False → True"),
    (lambda s, p, m: p["input"].update(norm="imagenet"), "input.norm changed unit → imagenet"),
    (lambda s, p, m: m.update(iters=50), "measurement.iters changed 3 → 50"),
])
def test_every_part_that_changes_a_figure_changes_the_key(change, expected):
    setup, planned, measurement = copy.deepcopy(SETUP), copy.deepcopy(PLANNED), dict(MEASUREMENT)
    change(setup, planned, measurement)
    old, new = _identity(), _identity(setup, planned, measurement)
    assert key_of(old) != key_of(new)
    assert expected in what_changed(old, new)


def test_isolation_and_harness_version_are_in_the_identity():
    assert key_of(_identity(isolation="run")) != key_of(_identity(isolation="phase"))
    assert key_of(_identity(isolation="fork")) != key_of(_identity(isolation="run"))  # redone: its parts differ


def test_compare_takes_fork_and_run_as_measured_alike_but_not_phase():
    fork, run, phase = (for_comparison(_identity(isolation=i)) for i in ("fork", "run", "phase"))
    assert differences(fork, run, COMPARABLE_PARTS) == []
    assert differences(fork, phase, COMPARABLE_PARTS) == ["isolation changed run → phase"]
    assert _identity()["versions"]["harness"] == __version__


def test_fp32_on_a_gpu_is_strict_and_tf32_is_its_own_mode():
    assert math_mode("fp32", on_gpu=True) == "fp32 (TF32 off)" and math_mode("tf32", on_gpu=True) == "tf32"
    assert math_mode("fp32", on_gpu=False) == "fp32"
    cuda = _on_cuda()
    assert _identity(cuda)["math_mode"] == "fp32 (TF32 off)"
    onnx = {**PLANNED, "backend": "onnxruntime"}
    assert _identity(cuda, onnx)["math_mode"] == "fp32"  # a CPU-only onnxruntime on a CUDA host runs on the CPU


def test_reuse_only_an_identical_finished_result():
    identity = _identity()
    stored = new_result(PlannedRun.from_dict(PLANNED), "ok", identity)
    assert reuse_decision(stored, identity, force=False) == (True, None)
    assert reuse_decision(stored, identity, force=True) == (False, "redone: --force")
    assert reuse_decision(None, identity, force=False) == (False, None)
    failed = new_result(PlannedRun.from_dict(PLANNED), "failed", identity)
    assert reuse_decision(failed, identity, force=False) == (False, "redone: the stored result is failed")
    reuse, why = reuse_decision(stored, _identity(_on_cuda()), force=False)
    assert not reuse and why.startswith("redone: device changed cpu → cuda:0")


def test_a_result_of_an_older_harness_is_redone_with_the_reason():
    old = {"run_id": PLANNED["run_id"], "status": "ok", "run_key": "0123456789abcdef"}
    reuse, why = reuse_decision(old, _identity(), force=False)
    assert not reuse and "no identity record" in why


def test_comparability_ignores_versions_but_not_the_dataset():
    base = _identity()
    setup = copy.deepcopy(SETUP)
    setup["environment"]["torch"] = "2.11.0"
    assert differences(base, _identity(setup), COMPARABLE_PARTS) == []
    setup["dataset"]["fingerprint"] = "e" * 64
    assert [d.split(" ")[0] for d in differences(base, _identity(setup), COMPARABLE_PARTS)] == ["dataset"]


def test_a_result_interrupted_between_its_repeats_is_redone():
    identity = _identity(measurement={**MEASUREMENT, "repeats": 3})
    partial = new_result(PlannedRun.from_dict(PLANNED), "ok", identity)  # the file one process wrote before the harness was stopped
    assert reuse_decision(partial, identity, force=False) == (False, "redone: the stored result has 1 of its 3 processes")
    complete = {**partial, "repeats": {"processes": [{}, {}, {}], "chosen": 1, "requested": 3}}
    assert reuse_decision(complete, identity, force=False) == (True, None)
    oom = new_result(PlannedRun.from_dict(PLANNED), "skipped_oom", identity)  # a repeat that ran out of memory ends the run's repeats
    assert reuse_decision(oom, identity, force=False) == (True, None)


def test_a_video_models_run_is_redone_when_transformers_changes_and_an_image_run_is_not():
    setup = copy.deepcopy(SETUP)
    setup["environment"].update({"transformers": "5.24.0", "timm": "1.0.31"})
    newer = copy.deepcopy(setup)
    newer["environment"]["transformers"] = "5.25.0"
    video = copy.deepcopy(PLANNED)
    video["task"] = "vos"
    assert "transformers version changed 5.24.0 → 5.25.0" in what_changed(_identity(setup, video), _identity(newer, video))
    assert key_of(_identity(newer)) == key_of(_identity(setup))  # an image model does not depend on transformers


def test_a_setup_config_written_before_the_plan_was_typed_gives_the_same_identity():
    """Planned runs written with their resolved settings under ``extra`` read back as the same typed record."""
    named = ("input", "task_settings", "cudnn_benchmark")
    legacy = {**{k: v for k, v in PLANNED.items() if k not in named},
              "extra": {"input": {"norm": "unit"}, "task_settings": {"conf": 0.25}, "cudnn_benchmark": True}}
    assert PlannedRun.from_dict(legacy) == PlannedRun.from_dict({**PLANNED, "cudnn_benchmark": True})
    assert key_of(_identity(planned=legacy)) == key_of(_identity(planned={**PLANNED, "cudnn_benchmark": True}))
    assert key_of(_identity(planned=legacy)) != key_of(_identity())
