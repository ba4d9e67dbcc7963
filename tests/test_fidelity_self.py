"""Fidelity never passes against itself: a run whose FP32 reference is its own backend and precision on the same
device is fidelity_pass empty and fidelity_informative false with the reason, and every table marks it (self)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import TINY, load_json, run_cli, write_conv_onnx
from harness.phase_b.fidelity_check import compared_with
from harness.records.planned_run import PlannedRun, RunModes, RunSpec
from harness.report.summary import fidelity_mark, table_notes

REFERENCE = {"backend": "onnxruntime", "precision": "fp32", "device": "cpu",
             "computed_with": "onnxruntime fp32 on the CPU"}


def test_a_reference_is_independent_only_across_backend_precision_or_device():
    run = RunSpec("m", "onnxruntime", "fp32", 64, 1)
    assert compared_with(REFERENCE, PlannedRun(replace(run, modes=RunModes(e2e=True))), "cpu") == "self"  # a mode changes no arithmetic
    assert compared_with(REFERENCE, PlannedRun(replace(run, modes=RunModes(threads=1))), "cpu") == "self"
    assert compared_with(REFERENCE, PlannedRun(run), "cuda:0") == "onnxruntime fp32 on the CPU"
    assert compared_with(REFERENCE, PlannedRun(replace(run, backend="torch")), "cpu") == "onnxruntime fp32 on the CPU"
    assert compared_with(REFERENCE, PlannedRun(replace(run, precision="int8")), "cpu") == "onnxruntime fp32 on the CPU"


def test_tables_mark_a_run_against_itself():
    row = {"run_id": "r", "fidelity_compared_with": "self", "fidelity_informative": False, "fidelity_pass": None}
    assert fidelity_mark(row) == "(self)"
    assert any(note.startswith("(self) fidelity against itself") for note in table_notes([row]))


@pytest.mark.slow
def test_an_onnx_only_model_on_a_cpu_is_not_compared_with_itself(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "convnet.onnx")
    proc = run_cli("--weights_dir", weights, *TINY, "--accuracy_images", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = load_json(tmp_path / "jetson_results" / "runs" / "convnet__onnxruntime__fp32__img64__b1.json")
    metrics, unavailable = result["metrics"], result["unavailable"]
    assert result["fidelity"]["compared_with"] == "self"
    assert metrics["fidelity_pass"] is None and metrics["fidelity_informative"] is False
    assert unavailable["fidelity_pass"].startswith("no second backend: the reference is this run's own computation")
    assert "add --backend torch" in unavailable["fidelity_informative"]
    assert "(self)" in proc.stdout and "fidelity against itself" in proc.stdout
    csv = (tmp_path / "jetson_results" / "jetson_benchmark_summary.csv").read_text()
    assert ",self," in csv
    for report in ("report.md", "report.html"):
        assert "(self)" in (tmp_path / "jetson_results" / report).read_text()
