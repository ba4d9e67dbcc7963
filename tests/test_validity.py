"""The validity verdict: judged on states read from recorded real output (nvpmodel -q, jetson_clocks --show,
tests/data/telemetry/), NVML slowdown bitmasks, swap and GPU process readings; and end to end, every real run
carries its verdict and its conditions, a limit makes a noisy run invalid, and a reused result is judged again
by the new command's requirements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from harness.measure.validity import Requirements, judge, rejudged
from harness.telemetry.jetson_power_state import parse_jetson_clocks_show, parse_nvpmodel_query
from harness.telemetry.nvml_source import SLOWDOWN_REASONS

TELEMETRY = Path(__file__).resolve().parent / "data" / "telemetry"
QUIET = {"swap_used_mb_before": 0.0, "swap_used_mb_after": 0.0, "gpu_other_processes_before": [],
         "gpu_other_processes_after": [], "gpu_throttled_fraction": 0.0, "latency_cv_pct": 1.0}


def jetson(nvpmodel: str, clocks: str) -> dict:
    state = {**parse_nvpmodel_query((TELEMETRY / nvpmodel).read_text()),
             **parse_jetson_clocks_show((TELEMETRY / clocks).read_text())}
    return {**QUIET, "jetson": True, "power_before": state, "power_after": state}


def test_a_pinned_orin_nano_in_the_required_mode_is_valid():
    conditions = jetson("nvpmodel_q_orin_nano_maxn_super.txt", "jetson_clocks_show_orin_nano_on.txt")
    verdict = judge(conditions, Requirements(require_max_clocks=True, require_power_mode="MAXN_SUPER"))
    assert verdict["valid"] is True and verdict["reasons"] == [] and verdict["warnings"] == []
    other = judge(conditions, Requirements(require_power_mode="15W"))
    assert other["valid"] is False and other["reasons"] == ["power mode MAXN_SUPER, required 15W"]


def test_clocks_below_their_maximum_warn_unless_required():
    conditions = jetson("nvpmodel_q_orin_nano_maxn_super.txt", "jetson_clocks_show_agx_orin_off.txt")
    relaxed = judge(conditions, Requirements())
    assert relaxed["valid"] is True and "Clocks are not at their maximum" in relaxed["warnings"][0]
    strict = judge(conditions, Requirements(require_max_clocks=True))
    assert strict["valid"] is False and strict["reasons"][0].startswith("--require_max_clocks: Clocks are not at")
    assert "GPU below its maximum frequency (306 of 1300.5 MHz)" in strict["reasons"][0]


def test_a_requirement_that_cannot_be_checked_is_not_met():
    unread = {**QUIET, "jetson": True, "power_before": None, "power_before_unavailable": "nvpmodel is not on this machine"}
    verdict = judge(unread, Requirements(require_max_clocks=True, require_power_mode="MAXN"))
    assert verdict["valid"] is False
    assert verdict["reasons"] == ["power mode MAXN required, but it could not be read (nvpmodel is not on this machine)",
                                  "--require_max_clocks, but the clocks could not be read (nvpmodel is not on this "
                                  "machine)"]
    assert judge(unread, Requirements())["valid"] is True and "power_state" in judge(unread, Requirements())["unchecked"]


@pytest.mark.parametrize("reasons, throttled", [(0x20, True), (0x40 | 0x1, True), (0x4, True), (0x1, False),
                                                (0x2, False), (0x0, False)])
def test_an_nvml_slowdown_in_the_window_makes_the_run_invalid(reasons, throttled):
    fraction = 1.0 if reasons & SLOWDOWN_REASONS else 0.0  # what the NVML source records per sample
    verdict = judge({**QUIET, "gpu_throttled_fraction": fraction}, Requirements())
    assert verdict["valid"] is (not throttled)
    if throttled:
        assert "slowed down" in verdict["reasons"][0]


def test_swap_growth_other_gpu_processes_and_noise_make_a_run_invalid():
    grew = judge({**QUIET, "swap_used_mb_before": 100.0, "swap_used_mb_after": 400.0}, Requirements())
    assert grew["reasons"] == ["swap grew by 300 MiB during the run (100 -> 400 MiB): memory ran short and pages "
                               "moved out while measuring"]
    steady = judge({**QUIET, "swap_used_mb_before": 500.0, "swap_used_mb_after": 505.0}, Requirements())
    assert steady["valid"] is True and steady["warnings"] == ["505 MiB of swap in use (not growing during the run)"]
    shared = judge({**QUIET, "gpu_other_processes_after": [4242]}, Requirements())
    assert shared["reasons"] == ["other processes computed on this GPU (pids 4242)"]
    noisy = judge({**QUIET, "latency_cv_pct": 7.5}, Requirements(max_cv_pct=5))
    assert noisy["reasons"] == ["the latency's coefficient of variation is 7.5 % (> --max_cv_pct 5)"]
    warned = judge({**QUIET, "latency_cv_pct": 7.5}, Requirements())  # without the flag: a warning
    assert warned["valid"] is True and warned["warnings"][0].startswith("noisy: the latency's coefficient of variation")


def test_other_processes_on_the_host_make_a_run_invalid_above_the_limit():
    busy = {**QUIET, "host_interference_pct": 70.0, "host_other_cpu_core_pct": 95.0,
            "host_other_cpu_core_pct_max": 140.0, "host_steal_core_pct": 0.0, "host_cores_n": 2}
    verdict = judge(busy, Requirements())
    assert verdict["valid"] is False and verdict["reasons"] == [
        "host busy: other processes used 140 % of a core during the measurement (at worst, in a 0.5 s slice; 95 % "
        "over the whole window): 70 % of the host's 2 cores, above 10 %"]
    assert judge(busy, Requirements(max_host_interference_pct=80))["valid"] is True
    assert judge({**busy, "host_interference_pct": 9.0}, Requirements())["valid"] is True
    unread = judge({**QUIET, "host_load_unavailable": "the measured window (0.01 s) is too short"}, Requirements())
    assert unread["valid"] is True and unread["unchecked"]["host_load"].startswith("the measured window (0.01 s)")


def test_a_stored_result_is_judged_again_only_under_other_requirements():
    conditions = {**QUIET, "latency_cv_pct": 7.5}
    stored = {"validity": {**judge(conditions, Requirements(max_cv_pct=5)), "conditions": conditions}}
    assert stored["validity"]["valid"] is False
    assert rejudged(stored, Requirements(max_cv_pct=5)) is None
    again = rejudged(stored, Requirements(max_cv_pct=10))
    assert again["valid"] is True and again["conditions"] == conditions
    assert rejudged({"validity": {"valid": True}}, Requirements(max_cv_pct=10)) is None  # nothing recorded to re-judge


def _result(out: Path) -> dict:
    return json.loads(next((out / "runs").glob("yolo11n__onnxruntime__*.json")).read_text())


@pytest.mark.slow
def test_every_run_carries_its_verdict_and_a_new_limit_judges_reused_results_again(shared_setup, tmp_path):
    common = ["--skip_setup", "--preprocessed_dir", shared_setup, "--backend", "onnxruntime", "--warmup", "1",
              "--iters", "5", "--min_duration_s", "0", "--out_dir", tmp_path / "out"]
    proc = run_cli(*common, "--max_cv_pct", "0.0001", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    validity = _result(tmp_path / "out")["validity"]
    conditions = validity["conditions"]
    assert validity["valid"] is False and "coefficient of variation" in validity["reasons"][0]
    assert conditions["swap_used_mb_before"] is not None and conditions["swap_used_mb_after"] is not None
    assert conditions["gpu_processes_unavailable"] == "the run's device is not a GPU" and not conditions["jetson"]
    assert validity["requirements"] == {"require_max_clocks": False, "require_power_mode": None, "max_cv_pct": 0.0001,
                                        "max_host_interference_pct": 10.0}
    assert "| no " in proc.stdout and "valid no, yolo11n__onnxruntime" in proc.stdout
    proc = run_cli(*common, "--max_cv_pct", "1000", cwd=tmp_path)  # reused, judged by the new limit
    assert proc.returncode == 0 and "reused" in proc.stdout
    again = _result(tmp_path / "out")["validity"]
    assert again["valid"] is True and again["conditions"] == conditions


def test_a_hard_cap_on_a_real_jetson_is_recorded_as_soft():
    from harness.phase_b.run_summary import on_unified_memory

    hard = {"limit_mb": 7000, "limit_type": "hard", "mechanism": "torch fraction", "note": "caps torch's allocator"}
    on_board = on_unified_memory(hard, {"unified_memory": True, "emulated": False})
    assert on_board["limit_type"] == "soft" and "share one memory pool" in on_board["note"]
    assert on_unified_memory(hard, {"unified_memory": False, "emulated": True}) == hard  # an emulated budget is a cap
    preflight = {**hard, "limit_type": "preflight"}
    assert on_unified_memory(preflight, {"unified_memory": True}) == preflight


def test_other_gpu_processes_are_told_apart_only_in_this_pid_namespace():
    from harness.phase_b.run_conditions import other_pids

    assert other_pids([10, 20], 10, lambda pid: True) == ([20], None)
    assert other_pids([], 10, lambda pid: True) == ([], None)
    hidden, why = other_pids([4242, 4343], 10, lambda pid: False)  # a container: NVML's pids are the host's
    assert hidden is None and "another pid namespace" in why
    assert other_pids([10, 4242], 10, lambda pid: pid == 10) == ([4242], None)  # we are listed: the rest are others
