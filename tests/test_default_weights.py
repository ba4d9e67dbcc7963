"""The default run's shipped weights (weights/default/, made by weights/make_default_weights.py): the default run
uses them and only it, they match their manifest, they detect the synthetic objects (mAP50 >= 0.5, asserted on
the real default run), and on them the fidelity gate catches a backend that skips /255 or swaps RGB and BGR, a
bug that a random-init model lets through (its fidelity is uninformative, never a pass)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from conftest import load_json, run_cli
from harness.data.default_weights import DEFAULT_TRAINED, SHIPPED_WEIGHTS_DIR
from harness.settings.options import DEFAULT_MODELS
from harness.phase_a.model_discovery import discover_models

MANIFEST = SHIPPED_WEIGHTS_DIR / "MANIFEST.json"
MAP50_FLOOR = 0.5


def test_every_default_model_ships_weights_that_match_the_manifest():
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["command"] == "python3 weights/make_default_weights.py"
    for model in DEFAULT_MODELS:
        entry = manifest["models"][model]
        digest = hashlib.sha256((SHIPPED_WEIGHTS_DIR / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{model}.pt changed without rerunning weights/make_default_weights.py"
        assert entry["epochs_done"] == manifest["recipe"]["epochs"]
        assert entry["final_metrics"]["map50"] >= MAP50_FLOOR  # on the recipe's own validation split


def test_only_the_default_run_uses_the_shipped_weights(tmp_path, monkeypatch):
    sources = discover_models(None, [], DEFAULT_MODELS)
    assert [s.name for s in sources] == list(DEFAULT_MODELS)
    assert all(s.default_trained and Path(s.files["pt"]).parent == SHIPPED_WEIGHTS_DIR for s in sources)
    named = discover_models(None, ["yolo11n"], DEFAULT_MODELS)[0]
    assert named.builtin and not named.default_trained and named.files == {"yaml": "yolo11n.yaml"}
    monkeypatch.setattr("harness.data.default_weights.SHIPPED_WEIGHTS_DIR", tmp_path)  # an install without the folder
    fallback = discover_models(None, [], DEFAULT_MODELS)
    assert all(s.builtin and not s.default_trained for s in fallback)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The real default run (no --models, no --weights_dir), with fewer passes."""
    root = tmp_path_factory.mktemp("default_run")
    proc = run_cli("--warmup", "1", "--iters", "5", "--min_duration_s", "0", "--out_dir", root / "out",
                   "--preprocessed_dir", root / "pre", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc.stdout


@pytest.mark.slow
def test_the_default_models_detect_the_synthetic_objects(default_run):
    root, stdout = default_run
    results = [load_json(p) for p in sorted((root / "out" / "runs").glob("*.json"))]
    assert {(r["run"]["model"], r["run"]["backend"]) for r in results} == {
        (m, b) for m in DEFAULT_MODELS for b in ("torch", "onnxruntime")}
    for result in results:
        metrics = result["metrics"]
        assert result["status"] == "ok" and result["weights"]["kind"] == DEFAULT_TRAINED, result["run_id"]
        assert metrics["map50"] >= MAP50_FLOOR, (result["run_id"], metrics["map50"])
        if result["fidelity"]["compared_with"] == "self":  # the reference's own backend: never a pass
            assert metrics["fidelity_informative"] is False and metrics["fidelity_pass"] is None, result["run_id"]
        else:
            assert metrics["fidelity_informative"] is True and metrics["fidelity_pass"] is True, result["run_id"]
        assert result["fidelity"]["fidelity_gate"] == "fidelity_box_match_pct >= 90"
    assert {r["run"]["backend"] for r in results if r["fidelity"]["compared_with"] != "self"} == {"onnxruntime"}
    assert DEFAULT_TRAINED in stdout and "(u)" not in stdout and "meaningless" not in stdout


def _fidelity_with(setup_dir: Path, backend: str, bug: dict):
    """The fidelity check of one planned run, on the real runner, with ``bug`` applied to its input handling."""
    from harness.phase_b.fidelity_check import check_fidelity
    from harness.phase_b.run_task import run_input, run_task
    from harness.records.planned_run import PlannedRun
    from harness.records.setup_config import read_setup_config
    from runners.registry import runner_class

    config = setup_dir / "setup_config.json"
    setup = read_setup_config(config)
    planned = PlannedRun.from_dict(next(r for r in setup["runs"] if r["backend"] == backend and not r.get("skip_status")))
    spec = dataclasses.replace(run_input(planned), **bug)
    runner = runner_class(backend)(planned.artifact, "cpu", "fp32", spec.size, planned.spec.batch,
                                   input_spec=spec)
    runner.load()
    try:
        return check_fidelity(runner, run_task(planned), planned, setup, config, run_input(planned).frames_key, "cpu")
    finally:
        runner.release()


SKIPS_255 = {"norm": "none", "mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)}
SWAPS_RGB_BGR = {"color": "bgr"}


@pytest.mark.slow
def test_the_fidelity_gate_fails_a_backend_that_skips_255_or_swaps_channels(default_run):
    """ONNX Runtime against the torch FP32 reference: a second backend, so its fidelity is judged."""
    setup_dir, backend = default_run[0] / "pre", "onnxruntime"
    correct = _fidelity_with(setup_dir, backend, {})
    assert correct.metrics["fidelity_pass"] is True and correct.metrics["fidelity_box_match_pct"] >= 90
    for bug in (SKIPS_255, SWAPS_RGB_BGR):
        broken = _fidelity_with(setup_dir, backend, bug)
        assert broken.metrics["fidelity_informative"] is True
        assert broken.metrics["fidelity_pass"] is False, (bug, broken.metrics)
        assert broken.metrics["fidelity_box_match_pct"] < 90


@pytest.mark.slow
def test_a_torch_run_against_its_own_torch_reference_is_not_judged(default_run):
    """The default models' FP32 reference is torch on the CPU: a torch CPU run compared with it is compared with
    itself, so its fidelity is neither pass nor fail, even when its input handling is broken."""
    for bug in ({}, SKIPS_255):
        figures = _fidelity_with(default_run[0] / "pre", "torch", bug)
        assert figures.metrics["fidelity_pass"] is None and figures.metrics["fidelity_informative"] is False


def test_a_random_init_model_lets_the_same_bug_through_unjudged(shared_setup):
    broken = _fidelity_with(shared_setup, "onnxruntime", SKIPS_255)
    assert broken.metrics["fidelity_informative"] is False
    assert broken.metrics["fidelity_pass"] is None and "uninformative" in broken.unavailable["fidelity_pass"]

