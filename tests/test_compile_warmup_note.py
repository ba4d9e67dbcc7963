"""A torch_compile run whose cache was not warm says why, from Phase A's record of its compile warm-up."""

from __future__ import annotations

from harness.phase_b.compile_warmup_note import compile_warmup_warning

RUN = "yolo11n__torch_compile__fp32__img64__b1"


def _result(state: str) -> dict:
    return {"run_id": RUN, "runner": {"compile_cache": state}}


def test_a_partly_warm_compile_names_the_phase_a_warmup_that_was_stopped():
    setup = {"compile_warmup": {RUN: {"outcome": "timeout", "detail": "no answer within 60 s", "wall_s": 60.2}}}
    assert compile_warmup_warning(_result("partly warm"), setup) == (
        "the compile was partly warm: Phase A's warm-up of this run ended timeout (no answer within 60 s), so the "
        "cache holds only what it compiled before")
    assert compile_warmup_warning(_result("warm"), setup) is None and compile_warmup_warning(_result("cold"), setup) is None
    assert "did not warm this run's cache" in compile_warmup_warning(_result("partly warm"), {})
    assert compile_warmup_warning({"run_id": RUN, "runner": {}}, setup) is None  # not a compiled backend
