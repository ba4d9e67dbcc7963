"""budget_headroom_mb on a Jetson's unified memory: total − memory in use before the run − the run's peak, from
recorded /proc/meminfo readings (tests/data/meminfo/README.md), through the memory tracker as Phase B drives it, and
empty with the reason on a GPU with its own memory."""

import shutil

import pytest

from conftest import REPO
from harness.measure import budget_headroom as headroom_module
from harness.measure.budget_headroom import BASELINE_HOW, NOT_UNIFIED, budget_headroom, meminfo_mb
from harness.measure.memory_tracker import MemoryTracker
from harness.phase_b.run_summary import memory_budget_record

BEFORE = REPO / "tests" / "data" / "platforms" / "orin_nano_super_jp6" / "proc" / "meminfo"
DURING = REPO / "tests" / "data" / "meminfo" / "orin_nano_during_run.txt"
TOTAL_MB, BEFORE_MB, DURING_MB = 7802932 / 1024, (7802932 - 4868044) / 1024, (7802932 - 2315620) / 1024


def test_memory_in_use_is_memtotal_minus_memavailable():
    assert meminfo_mb(BEFORE.read_text()) == {"mem_total_mb": pytest.approx(TOTAL_MB), "in_use_mb": pytest.approx(BEFORE_MB)}
    assert meminfo_mb(DURING.read_text())["in_use_mb"] == pytest.approx(DURING_MB)
    assert meminfo_mb("MemTotal:  1000 kB\nMemFree:  10 kB\n") == {"mem_total_mb": 1000 / 1024, "in_use_mb": None}


def test_the_headroom_is_total_minus_the_baseline_minus_the_runs_peak():
    record, why = budget_headroom(TOTAL_MB, BEFORE_MB, DURING_MB)
    assert why is None and record["run_peak_mb"] == pytest.approx(DURING_MB - BEFORE_MB)  # ~2492 MiB the run added
    assert record["budget_headroom_mb"] == pytest.approx(2315620 / 1024)  # ~2261 MiB left at the worst moment
    assert record["baseline"] == BASELINE_HOW
    freed, _ = budget_headroom(TOTAL_MB, BEFORE_MB, BEFORE_MB - 100)  # the OS freed memory during the run
    assert freed["run_peak_mb"] == 0 and freed["budget_headroom_mb"] == pytest.approx(TOTAL_MB - BEFORE_MB)
    assert budget_headroom(TOTAL_MB, None, DURING_MB) == (
        None, "no MemTotal / MemAvailable reading in /proc/meminfo at the baseline or during the run")


def _phase_b_on(meminfo, unified: bool) -> MemoryTracker:
    """The tracker's sequence in a Phase B run, the board's meminfo moving from 'before' to 'during' as the model
    loads and back after the passes (no background thread: readings at the phase edges only)."""
    shutil.copy(BEFORE, meminfo)
    tracker = MemoryTracker(None, "cpu", 0.0, None, unified_memory=unified, jetson=unified)
    tracker.baseline()
    shutil.copy(DURING, meminfo)
    tracker.begin_load()
    tracker.end_load()
    tracker.begin_measure()
    shutil.copy(BEFORE, meminfo)
    tracker.end_measure()
    tracker.close()
    return tracker


def test_phase_b_records_the_headroom_and_how_it_was_measured_on_a_jetson(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(headroom_module, "MEMINFO", str(meminfo))
    tracker = _phase_b_on(meminfo, unified=True)
    assert tracker.figures["budget_headroom_mb"] == pytest.approx(2315620 / 1024)
    notes = tracker.notes["budget_headroom"]
    assert notes["baseline_in_use_mb"] == pytest.approx(BEFORE_MB) and notes["mem_total_mb"] == pytest.approx(TOTAL_MB)
    assert notes["baseline"].startswith("/proc/meminfo MemTotal - MemAvailable, read in Phase B")
    assert "from the model load to the end of the measured passes" in notes["run_peak"]
    record = memory_budget_record({"limit_type": "hard"}, {"unified_memory": True, "budget_mb": 8192}, tracker)
    assert record["budget_headroom_mb"] == pytest.approx(2315620 / 1024) and record["limit_type"] == "soft"
    assert record["headroom"]["run_peak_mb"] == pytest.approx(DURING_MB - BEFORE_MB)


def test_on_a_gpu_with_its_own_memory_the_headroom_is_empty_with_the_reason(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(headroom_module, "MEMINFO", str(meminfo))
    tracker = _phase_b_on(meminfo, unified=False)
    assert tracker.figures["budget_headroom_mb"] is None
    assert tracker.unavailable["budget_headroom_mb"] == NOT_UNIFIED and "budget_headroom" not in tracker.notes


def test_a_jetson_without_memavailable_says_so(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(headroom_module, "MEMINFO", str(meminfo))
    meminfo.write_text("MemTotal:        7802932 kB\n")
    tracker = MemoryTracker(None, "cpu", 0.0, None, unified_memory=True, jetson=True)
    tracker.baseline()
    tracker.begin_measure()
    tracker.end_measure()
    assert tracker.figures["budget_headroom_mb"] is None
    assert "MemAvailable" in tracker.unavailable["budget_headroom_mb"]
