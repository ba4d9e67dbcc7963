"""harness.measure.process_timeline: contiguous parts that add up to the process's life, the parent's two parts."""

import os
import time

import pytest

from harness.measure.process_timeline import ProcessTimeline, finish_parts, process_created_at
from harness.report.time_breakdown import overhead_ratios, part_totals, time_lines


def test_parts_are_contiguous_and_add_up():
    timeline = ProcessTimeline(started_at=time.time() - 0.5)
    for name in ("startup_imports", "torch_import", "measured", "measured"):
        time.sleep(0.01)
        timeline.close(name)
    parts = timeline.since(0)
    assert list(parts) == ["startup_imports", "torch_import", "measured"]  # a part met twice adds up
    assert sum(parts.values()) == pytest.approx(timeline.last - timeline.started_at, abs=1e-3)
    assert parts["startup_imports"] >= 0.5
    assert timeline.since(2) == {"measured": parts["measured"]}


def test_the_parent_adds_writing_and_teardown():
    process = {"process_started_at": 100.0, "parts_s": {"startup_imports": 1.0, "measured": 3.0},
               "write_started_at": 104.0, "run_index_in_process": 0}
    done = finish_parts(process, written_at=104.25, exited_at=104.75, last_in_process=True)
    assert done["parts_s"]["write_result"] == 0.25 and done["parts_s"]["teardown"] == 0.5
    assert done["parts_wall_s"] == done["process_wall_s"] == 4.75
    middle = finish_parts(process, written_at=104.25, exited_at=110.0, last_in_process=False)
    assert "teardown" not in middle["parts_s"] and middle["process_wall_s"] is None


def test_launch_time_from_the_parent_is_preferred(monkeypatch):
    monkeypatch.setenv("JETSON_BENCHMARK_LAUNCHED_AT", "1234.5")
    assert process_created_at() == 1234.5
    monkeypatch.delenv("JETSON_BENCHMARK_LAUNCHED_AT")
    assert abs(process_created_at() - time.time()) < 3600 * 24 * 365 and os.getpid() > 0


def test_the_command_account_sums_parts_over_runs():
    results = [{"run_id": f"r{i}", "process": {"parts_s": {"torch_import": 1.0, "measured": 3.0, "teardown": 0.5},
                                               "process_wall_s": 4.5, "run_index_in_process": 0}} for i in range(2)]
    assert part_totals(results) == {"torch_import": 2.0, "measured": 6.0, "teardown": 1.0}
    assert overhead_ratios(results) == [1.5, 1.5]
    lines = time_lines(results, {"total_s": 12.0, "phase_a_s": 2.0, "phase_a_steps_s": {"models_s": 1.5},
                                 "reports_s": 0.5, "parent_other_s": 0.5})
    assert lines[0] == "where the time went (12.0 s):" and "Phase A 2.0 s: models 1.5" in lines[1]
    assert "2 process(es), 9.0 s: torch_import 2.0, measured 6.0, teardown 1.0" in lines[2]
    assert "1.50x its measured window" in lines[3]


def test_the_account_names_the_fork_launchers_import_once():
    results = [{"run_id": "r", "process": {"parts_s": {"torch_import": 0.0, "measured": 3.0}, "process_wall_s": 3.2,
                                           "run_index_in_process": 0}}]
    lines = time_lines(results, {"total_s": 6.0, "reports_s": 0.5, "parent_other_s": 0.3,
                                 "launcher": {"starts": 1, "import_s": 1.04, "waited_s": 0.98}})
    assert "  fork launcher: torch imported once per launcher (1 started, 1.0 s), the parent waited 1.0 s for it" in lines
    assert not any("fork launcher" in line for line in time_lines(results, {"total_s": 6.0, "reports_s": 0.5,
                                                                            "parent_other_s": 0.3}))


def test_the_matrix_bars_clock_restarts_before_the_first_run_only():
    from harness.parent.progress import Progress

    progress = Progress(4, enabled=True)
    try:
        started = progress.matrix.start_t
        import time

        time.sleep(0.05)
        progress.restart_clock()  # the launcher was ready: no run has ended, the clock starts now
        assert progress.matrix.start_t > started and progress.matrix.total == 4
        progress.on_event({"event": "run_end", "run_id": "a"})
        restarted = progress.matrix.start_t
        progress.restart_clock()  # a run is done: its time is the ETA's, kept
        assert progress.matrix.start_t == restarted and progress.matrix.n == 1
    finally:
        progress.close()
