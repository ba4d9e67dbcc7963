"""Each check after the measured passes is guarded on its own: its failure (or its running out of memory) empties
only its figures, with a one-line reason."""

from harness.phase_b.accuracy_check import hook_figures
from harness.phase_b.run_executor import guarded
from harness.tasks.base import Figures


def _raise(exc):
    def work():
        raise exc
    return work


def test_a_failing_check_leaves_its_figures_empty_with_one_line():
    figures = guarded("fidelity", ["fidelity_max_abs_err"], "r", _raise(ValueError("bad shape\nmore")))
    assert figures.metrics == {"fidelity_max_abs_err": None}
    assert figures.unavailable["fidelity_max_abs_err"] == "the fidelity check failed: ValueError: bad shape"
    assert "fidelity_oom" not in figures.details


def test_out_of_memory_inside_a_check_is_named_and_not_raised():
    figures = guarded("accuracy", ["map50"], "r", _raise(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")))
    assert figures.details["accuracy_oom"] is True
    assert figures.unavailable["map50"].startswith("the accuracy check ran out of memory: RuntimeError: CUDA out")


def test_a_check_that_works_is_returned_as_is():
    assert guarded("accuracy", ["map50"], "r", lambda: Figures(metrics={"map50": 0.5})).metrics == {"map50": 0.5}


def test_a_hook_failure_is_its_own():
    figures = hook_figures(lambda outputs, records: 1 / 0, [], [])
    assert figures.metrics == {} and figures.details["hook_error"].startswith(
        "the accuracy hook failed: ZeroDivisionError")
    assert hook_figures(lambda outputs, records: {"my_score": 3}, [], []).metrics == {"my_score": 3.0}
