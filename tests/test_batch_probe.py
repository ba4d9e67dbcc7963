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
    """The real probe path: each attempt a child process running the Phase B executor on real frames."""
    import numpy as np

    from harness.data.frame_store import FrameWriter

    writer = FrameWriter(tmp_path / "frames.npy", capacity=4, size=32)
    for i in range(4):
        writer.append(np.full((3, 32, 32), i, dtype=np.uint8))
    writer.close()
    setup = {"dataset": {"sequences": [{"name": "s", "num_frames": 4, "frames": {"32": "frames.npy"}}]},
             "memory": {"budget_mb": budget_mb}}
    measurement = {"warmup": 1, "iters": 2, "max_frames_in_mem": 64, "memory_sample_ms": 0}

    def attempt(batch):
        planned = {"run_id": f"hungry_b{batch}", "model": "hungry", "backend": HUNGRY, "precision": "fp32",
                   "imgsz": 32, "batch": batch, "artifact": "none"}
        request = {"planned": planned, "device": "cpu", "setup": setup, "config_path": str(tmp_path / "setup_config.json"),
                   "measurement": measurement, "runner_options": options, "label": "test"}
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
def test_a_child_killed_by_sigkill_without_memory_pressure_is_not_called_out_of_memory(tmp_path):
    """A SIGKILL with the host's memory free and no cgroup OOM kill is an error that stops the search without a
    verdict, never a batch that "did not fit"."""
    result = find_largest_batch(8, _real_attempt(tmp_path, None, {"per_item_mb": 1, "sigkill_above_batch": 3}))
    assert result["conclusive"] is False and result["first_oom"] is None
    killed = next(a for a in result["attempts"] if a["batch"] == 4)
    assert killed["returncode"] == -9 and killed["outcome"] == "error"
    assert "killed by SIGKILL (no sign of memory pressure" in killed["detail"]
