"""Exit codes mean something: 0 every run ok or skipped for a reason of the matrix, 2 bad input (a broken
.model.json counts as skipped) or nothing measured, 3 a failed run or a --fail_on condition, named on the last
line; 4 is compare's (tests/test_compare.py)."""

from __future__ import annotations

import pytest

from conftest import TINY, run_cli, write_conv_onnx
from harness.parent.exit_status import exit_status

OK = {"run_id": "a", "status": "ok", "valid": "yes", "fidelity_pass": True}


def test_the_exit_code_rules_and_their_last_line():
    assert exit_status([OK, {"run_id": "b", "status": "skipped"}], {}, []).code == 0
    assert exit_status([OK, {"run_id": "b", "status": "skipped"}], {}, ["skipped"]).line == (
        "exit 3: --fail_on skipped: 1 run(s) skipped (b)")
    assert exit_status([{"run_id": "b", "status": "skipped"}], {}, []).code == 2
    assert exit_status([OK, {"run_id": "f", "status": "failed"}], {}, []).line == "exit 3: 1 run(s) failed (f)"
    refused = exit_status([OK, {"run_id": "m", "status": "skipped"}], {"m": "m.model.json: not readable JSON"}, [])
    assert refused.code == 2 and refused.line == "exit 2: bad input, 1 run(s) skipped: m.model.json: not readable JSON"
    fails = [{**OK, "valid": "no"}, {**OK, "run_id": "g", "fidelity_pass": False},
             {**OK, "run_id": "i", "int8_accuracy_flag": True}]
    line = exit_status(fails, {}, ["invalid", "fidelity", "accuracy_drop"]).line
    assert line == ("exit 3: --fail_on invalid: 1 run(s) not valid (a); --fail_on fidelity: 1 run(s) below the "
                    "fidelity gate (g); --fail_on accuracy_drop: 1 run(s) over the int8 accuracy-drop limit (i)")
    assert exit_status(fails, {}, []).code == 0


def _last_line(proc) -> str:
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_every_exit_code_of_a_real_command(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "good.onnx")
    quick = [*TINY, "--fidelity_frames", "0", "--accuracy_images", "0"]
    mixed = run_cli("--weights_dir", weights, *quick, "--precision", "fp32,fp16", "--out_dir", tmp_path / "a",
                    cwd=tmp_path)
    assert mixed.returncode == 0 and _last_line(mixed) == "exit 0: 1 run(s) ok, 1 skipped for a reason of the asked matrix"
    strict = run_cli("--weights_dir", weights, *quick, "--precision", "fp32,fp16", "--out_dir", tmp_path / "a",
                     "--fail_on", "skipped,invalid", "--max_cv_pct", "0.0001", cwd=tmp_path)  # reused, judged again
    assert strict.returncode == 3, strict.stdout + strict.stderr
    assert _last_line(strict).startswith("exit 3: --fail_on skipped: ")  # in the order asked
    assert "--fail_on invalid: 1 run(s) not valid (good__onnxruntime__fp32__img64__b1)" in _last_line(strict)
    assert "--fail_on skipped: 1 run(s) skipped (good__onnxruntime__fp16__img64__b1)" in _last_line(strict)
    nothing = run_cli("--weights_dir", weights, *quick, "--precision", "fp16", "--out_dir", tmp_path / "b", cwd=tmp_path)
    assert nothing.returncode == 2 and _last_line(nothing).startswith("exit 2: nothing could be measured")
    write_conv_onnx(weights / "broken.onnx")
    (weights / "broken.model.json").write_text("{not json")
    write_conv_onnx(weights / "needs4ch.onnx", in_channels=4)
    bad = run_cli("--weights_dir", weights, *quick, "--out_dir", tmp_path / "c", cwd=tmp_path)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert _last_line(bad).startswith("exit 2: bad input, 1 run(s) skipped: broken.model.json: not readable JSON")
    (weights / "broken.model.json").unlink()
    (weights / "broken.onnx").unlink()
    failed = run_cli("--weights_dir", weights, *quick, "--out_dir", tmp_path / "c", cwd=tmp_path)
    assert failed.returncode == 3 and _last_line(failed) == "exit 3: 1 run(s) failed (needs4ch__onnxruntime__fp32__img64__b1)"
