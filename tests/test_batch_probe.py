"""The batch probe: the pure search, then the real thing with child processes that run out of memory."""

import sys

import pytest

from harness.probe.batch_search import ascending_candidates, find_largest_batch
from harness.probe.probe_launcher import run_attempt

HUNGRY = "tests.memory_hungry_runner:MemoryHungryRunner"


def test_candidates():
    assert ascending_candidates(1) == [1]
    assert ascending_candidates(8) == [1, 2, 4, 8]
    assert ascending_candidates(12) == [1, 2, 4, 8, 12]
    with pytest.raises(ValueError):
        ascending_candidates(0)


@pytest.mark.parametrize("threshold,max_batch,expected_tries,fit,first_oom", [
    (5, 256, [1, 2, 4, 8, 6, 5], 5, 6),
    (256, 256, [1, 2, 4, 8, 16, 32, 64, 128, 256], 256, None),
    (0, 64, [1], 0, 1),
    (100, 200, [1, 2, 4, 8, 16, 32, 64, 128, 96, 112, 104, 100, 102, 101], 100, 101),
    (12, 12, [1, 2, 4, 8, 12], 12, None),
])
def test_search_against_a_threshold(threshold, max_batch, expected_tries, fit, first_oom):
    tries = []

    def attempt(batch):
        tries.append(batch)
        return {"outcome": "fits" if batch <= threshold else "oom"}

    result = find_largest_batch(max_batch, attempt)
    assert tries == expected_tries
    assert (result["largest_fit"], result["first_oom"], result["conclusive"]) == (fit, first_oom, True)


def test_an_error_stops_without_a_verdict():
    result = find_largest_batch(16, lambda b: {"outcome": "fits" if b < 4 else "error", "detail": "boom"})
    assert result["largest_fit"] is None and not result["conclusive"]
    assert [a["batch"] for a in result["attempts"]] == [1, 2, 4]


def _real_attempt(tmp_path, budget_mb, options):
    def attempt(batch):
        request = {"backend": HUNGRY, "artifact": "none", "device": "cpu", "precision": "fp32", "imgsz": 32,
                   "batch": batch, "budget_mb": budget_mb, "runner_options": options, "passes": 1, "label": "test"}
        return run_attempt(request, tmp_path / "probes", 120, sys.stderr)
    return attempt


@pytest.mark.slow
def test_real_children_run_out_of_their_budget(tmp_path):
    """Each attempt is its own process with a real RLIMIT_AS budget of 450 MiB and 100 MiB per image."""
    result = find_largest_batch(16, _real_attempt(tmp_path, 450, {"per_item_mb": 100}))
    assert (result["largest_fit"], result["first_oom"]) == (4, 5)
    by_batch = {a["batch"]: a for a in result["attempts"]}
    assert [a["batch"] for a in result["attempts"]] == [1, 2, 4, 8, 6, 5]
    assert by_batch[8]["outcome"] == "oom" and by_batch[8]["returncode"] == 3 and "MemoryError" in by_batch[8]["detail"]
    assert by_batch[4]["outcome"] == "fits" and by_batch[4]["returncode"] == 0
    assert len({a["pid"] for a in result["attempts"]}) == 6  # one fresh process per attempt


@pytest.mark.slow
def test_a_child_killed_by_sigkill_counts_as_out_of_memory(tmp_path):
    result = find_largest_batch(8, _real_attempt(tmp_path, None, {"per_item_mb": 1, "sigkill_above_batch": 3}))
    assert (result["largest_fit"], result["first_oom"]) == (3, 4)
    killed = next(a for a in result["attempts"] if a["batch"] == 4)
    assert killed["returncode"] == -9 and killed["outcome"] == "oom" and "SIGKILL" in killed["detail"]
