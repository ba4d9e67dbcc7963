"""Reasons whole: under the console table, every row that is not ok or not valid has its whole reason (wrapped,
never cut), and a failed child's own exception line."""

from __future__ import annotations

import pytest

from conftest import TINY, load_json, run_cli, write_conv_onnx
from harness.report.reason_lines import reason_notes
from harness.report.summary import markdown_table, summary_frame

LONG = ("the model's input 'images' takes 1 x 3 x 640 x 640 and this run asks for 1 x 3 x 64 x 64: its ONNX file has "
        "a fixed input, so leave out --imgsz or pass --imgsz 640, or export the model with a dynamic input (dynamic=True "
        "in Ultralytics' export) and rerun; the other sizes of the matrix still run")


def _joined(text: str) -> str:
    return " ".join(text.split())


def test_a_long_reason_and_a_failed_childs_exception_reach_the_table_whole():
    assert len(LONG) > 200
    results = [
        {"run_id": "m__onnxruntime__fp32__img64__b1", "status": "skipped", "reason": LONG, "run": {"model": "m"}},
        {"run_id": "m__torch__fp32__img64__b1", "status": "failed", "reason": "error during measure: RuntimeError: x",
         "run": {"model": "m"}, "evidence": {"traceback_tail": [
             "Traceback (most recent call last):", "  File ...", "RuntimeError: expected input[1, 640, 640, 3] to have 3 "
             "channels, but got 640 channels instead"]}},
        {"run_id": "m__torch__fp32__img64__b2", "status": "ok", "run": {"model": "m"},
         "validity": {"valid": False, "reasons": ["host busy: other processes used 140 % of a core " * 5]}},
    ]
    table = markdown_table(summary_frame(results))
    assert f"skipped, m__onnxruntime__fp32__img64__b1: {LONG}" in _joined(table)
    assert "exception: RuntimeError: expected input[1, 640, 640, 3] to have 3 channels, but got 640 channels instead" \
        in _joined(table)
    assert "valid no, m__torch__fp32__img64__b2: " + _joined("host busy: other processes used 140 % of a core " * 5) \
        in _joined(table)
    notes = reason_notes(summary_frame(results).to_dict("records"))
    assert all(len(line) <= 110 for note in notes for line in note.splitlines() if " " in line.strip())


@pytest.mark.slow
def test_a_failed_runs_reason_and_exception_on_the_console(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "needs4ch.onnx", in_channels=4)
    proc = run_cli("--weights_dir", weights, *TINY, "--fidelity_frames", "0", "--accuracy_images", "0", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    result = load_json(tmp_path / "jetson_results" / "runs" / "needs4ch__onnxruntime__fp32__img64__b1.json")
    assert f"failed, needs4ch__onnxruntime__fp32__img64__b1: {_joined(result['reason'])}" in _joined(proc.stdout)
    last = result["evidence"]["traceback_tail"][-1].strip()
    assert last in _joined(proc.stdout) and len(result["reason"]) > 60  # once cut at 60 characters


def test_the_exception_line_is_the_tracebacks_own_ending():
    from harness.report.reason_lines import exception_line

    tail = ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>', "    run()",
            "onnxruntime.InvalidArgument: [ONNXRuntimeError] : 2 : Got invalid dimensions for input: images",
            " index: 1 Got: 3 Expected: 4", " Please fix either the inputs/outputs or the model."]
    assert exception_line({"evidence": {"traceback_tail": tail}}) == (
        "onnxruntime.InvalidArgument: [ONNXRuntimeError] : 2 : Got invalid dimensions for input: images index: 1 Got: "
        "3 Expected: 4 Please fix either the inputs/outputs or the model.")
    assert exception_line({"evidence": {"log_tail": ["Killed"]}}) == "Killed" and exception_line({}) is None
