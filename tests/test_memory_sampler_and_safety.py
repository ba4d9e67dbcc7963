import itertools
import time

import pytest

from harness.measure.gpu_memory_sources import parse_nvmap_used_mb
from harness.measure.memory_sampler import MemorySampler
from harness.report.memory_safety import memory_safety_markdown, memory_safety_summary
from harness.probe.workspace_search import initial_workspace_mb, search_workspace

from conftest import REPO


def test_nvmap_from_recorded_meminfo():
    text = (REPO.parent.parent / "shared" / "reference" / "samples" / "proc_meminfo_jetson_excerpt.txt")
    text = text.read_text() if text.exists() else (REPO / "tests/data/platforms/orin_nano_super_jp6/proc/meminfo").read_text()
    assert parse_nvmap_used_mb(text) == pytest.approx(805068 / 1024)
    assert parse_nvmap_used_mb("MemTotal: 1 kB\n") is None


def test_windows_peaks_and_violations():
    readings = {"gpu": iter([100, 100, 150, 150, 900, 1200, 1100, 950, 950, 950])}
    sampler = MemorySampler({"gpu": lambda: next(readings["gpu"])}, interval_s=0, budget_mb=1000, budget_source="gpu")
    sampler.start()            # baseline: 100
    sampler.enter("load")      # closes baseline (100), opens load (150)
    sampler._read_all()        # load: 150
    sampler.enter("measure")   # closes load (900), opens measure (1200: violation)
    sampler._read_all()        # 1100: violation
    sampler._read_all()        # 950
    sampler.stop()             # 950 -> 9 readings in all
    assert sampler.baseline("gpu") == 100
    assert sampler.peak("load", "gpu") == 900
    assert sampler.peak("measure", "gpu") == 1200
    assert sampler.violations_n == 2
    assert sampler.samples_n == 9


def test_background_thread_samples_at_its_interval():
    counter = itertools.count()
    sampler = MemorySampler({"n": lambda: float(next(counter))}, interval_s=0.01)
    sampler.start()
    sampler.enter("measure")
    time.sleep(0.3)
    sampler.stop()
    assert sampler.samples_n >= 10  # ~30 expected at 10 ms; generous for a loaded 2-core machine
    assert sampler.peak("measure", "n") >= 10


def _result(run_id, status="ok", pct=None, limit=8192.0, violations=0, figure="process_gpu_mb (NVML)", reserved=None):
    return {"run_id": run_id, "status": status, "reason": "r" if status != "ok" else None,
            "metrics": {"budget_peak_pct": pct, "peak_torch_reserved_mb": reserved},
            "memory_budget": {"limit_mb": limit, "limit_type": "hard", "violations_n": violations,
                              "budget_figure": figure, "profile": "orin-nano-8gb", "emulated_profile": True}}


def test_safety_summary_orders_closest_and_counts():
    summary = memory_safety_summary([
        _result("a", pct=50.0), _result("b", pct=97.5, violations=3), _result("c", pct=10.0),
        _result("d", status="skipped_oom"), _result("e", pct=None, reserved=2048.0, figure=None)])
    assert summary["total_violations"] == 3 and summary["status"].startswith("LIMIT EXCEEDED")
    assert summary["limit_mb"] == 8192.0 and summary["limit_type"] == "hard"
    assert [r["run_id"] for r in summary["closest_to_limit"]] == ["b", "a", "e", "c"]
    assert summary["closest_to_limit"][0]["peak_mb"] == pytest.approx(8192 * 0.975)
    assert "lower bound" in summary["closest_to_limit"][2]["figure"]
    assert summary["runs_skipped_oom"] == 1 and summary["emulated_profiles"] == ["orin-nano-8gb"]
    text = memory_safety_markdown(summary)
    assert "Total violations: 3" in text and "1. b: 7.80 GiB (97.5% of limit)" in text and "emulating orin-nano-8gb" in text


def test_safety_summary_within_limit_and_no_budget():
    assert memory_safety_summary([_result("a", pct=40.0)])["status"] == "all measured runs stayed within the limit"
    cpu = memory_safety_summary([_result("a", limit=None)])
    assert cpu["status"].startswith("no GPU memory budget") and cpu["limit_mb"] is None


def test_workspace_search_halves_to_a_floor():
    tried = []

    def build(mb):
        tried.append(mb)
        return {"outcome": "built" if mb <= 256 else "allocation_failed"}

    assert initial_workspace_mb(4096, 8192) == 4096 and initial_workspace_mb(4096, 2048) == 1024
    result = search_workspace(4096, 2048, 64, build)
    assert tried == [1024, 512, 256] and result["chosen_mb"] == 256
    never = search_workspace(1024, None, 128, lambda mb: {"outcome": "allocation_failed"})
    assert never["chosen_mb"] is None and [a["workspace_mb"] for a in never["attempts"]] == [1024, 512, 256, 128]
    other = search_workspace(1024, None, 128, lambda mb: {"outcome": "parser_error", "detail": "bad onnx"})
    assert other["chosen_mb"] is None and "bad onnx" in other["reason"] and len(other["attempts"]) == 1


def test_skipped_oom_runs_are_counted_by_their_evidence():
    from harness.report.memory_safety import memory_safety_markdown, memory_safety_summary

    results = [{"run_id": f"r{i}", "status": "skipped_oom", "oom_evidence": e} for i, e in
               enumerate(["rule", "rule", "probe", "observed", None])]
    summary = memory_safety_summary(results)
    assert summary["skipped_oom_by_evidence"] == {"rule": 2, "probe": 1, "observed": 1, "not recorded": 1}
    assert "recorded as skipped_oom: 5 (observed 1, probe 1, rule 2, not recorded 1)" in memory_safety_markdown(summary)


def test_runs_that_all_ran_out_of_memory_still_name_their_budget():
    """Every run out of memory under a hard 8 GiB cap: the summary names the cap and says none completed, rather
    than that no budget was applied."""
    from harness.report.memory_safety import memory_safety_summary

    budget = {"limit_mb": 8192.0, "limit_type": "hard"}
    results = [{"run_id": f"r{i}", "status": "skipped_oom", "reason": "out of memory", "memory_budget": budget}
               for i in range(2)]
    summary = memory_safety_summary(results)
    assert summary["limit_mb"] == 8192.0 and summary["limit_type"] == "hard"
    assert summary["status"] == "no run completed under the limit: 2 ran out of memory"
    assert summary["runs_measured"] == 0 and summary["runs_skipped_oom"] == 2
    assert memory_safety_summary([])["status"].startswith("no GPU memory budget applied")
