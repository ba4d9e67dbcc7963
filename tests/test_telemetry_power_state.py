"""nvpmodel -q and jetson_clocks --show parsing on recorded real-format text; the clocks warning."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from harness.telemetry import jetson_power_state as jps
from harness.telemetry.jetson_power_state import (clocks_warning, parse_jetson_clocks_show, parse_nvpmodel_query,
                                                  read_clocks_from_sysfs, read_power_state)

DATA = Path(__file__).parent / "data" / "telemetry"


def _text(name: str) -> str:
    return (DATA / name).read_text()


@pytest.mark.parametrize("name, expected", [
    ("nvpmodel_q_orin_nano_maxn_super.txt", {"power_mode": "MAXN_SUPER", "power_mode_id": 2}),
    ("nvpmodel_q_thor_maxn.txt", {"power_mode": "MAXN", "power_mode_id": 0}),
    ("nvpmodel_q_nano_5w_nonroot.txt", {"power_mode": "5W", "power_mode_id": 1}),
])
def test_nvpmodel_query(name, expected):
    assert parse_nvpmodel_query(_text(name)) == expected


@pytest.mark.parametrize("text, expected", [
    ("", {}), ("NVPM ERROR: failed to read PARAM EMC", {}), ("NV Power Mode: 15W", {"power_mode": "15W", "power_mode_id": None}),
    ("NV Power Mode: 15W\nNVPM WARN: x", {"power_mode": "15W", "power_mode_id": None}),
])
def test_nvpmodel_query_odd_output(text, expected):
    assert parse_nvpmodel_query(text) == expected


def test_jetson_clocks_show_tx1_pinned_at_max():
    state = parse_jetson_clocks_show(_text("jetson_clocks_show_tx1_on.txt"))
    assert state["soc_family"] == "tegra210" and state["machine"] == "jetson_tx1"
    assert [c["cpu"] for c in state["cpu_cores"]] == [0, 1, 2, 3]
    assert state["cpu_cores"][0] == {"cpu": 0, "online": True, "governor": "interactive", "min_freq_mhz": 1734.0,
                                     "max_freq_mhz": 1734.0, "cur_freq_mhz": 1734.0, "at_max": True, "locked": True}
    assert state["gpu"] == {"min_freq_mhz": 998.4, "max_freq_mhz": 998.4, "cur_freq_mhz": 998.4, "at_max": True,
                            "locked": True}
    assert state["emc"]["cur_freq_mhz"] == 1600.0 and state["emc"]["freq_override"] == 1
    assert (state["cpu_at_max"], state["gpu_at_max"], state["emc_at_max"], state["emc_locked"]) == (True, True, True, True)
    assert state["jetson_clocks_on"] is True
    assert "power_mode" not in state
    assert clocks_warning(state) is None


def test_jetson_clocks_show_agx_orin_not_pinned():
    state = parse_jetson_clocks_show(_text("jetson_clocks_show_agx_orin_off.txt"))
    assert state["soc_family"] == "tegra234"
    assert state["machine"] == "NVIDIA Orin Jetson-Small Developer Kit"
    assert state["power_mode"] == "MAXN"
    assert [c["cpu"] for c in state["cpu_cores"]] == list(range(12))
    # Below 2201.6 MHz: cpu0 and cpu2 (2112), cpu4 and cpu5 (1344), cpu6 (1804.8), cpu11 (1190.4).
    assert state["cpu_cores_below_max_n"] == 6 and state["cpu_cores_online_n"] == 12
    assert state["cpu_max_freq_mhz"] == 2201.6
    assert (state["cpu_at_max"], state["cpu_locked"]) == (False, False)
    assert (state["gpu_cur_freq_mhz"], state["gpu_max_freq_mhz"], state["gpu_at_max"]) == (306.0, 1300.5, False)
    assert (state["emc_cur_freq_mhz"], state["emc_max_freq_mhz"], state["emc_at_max"]) == (2133.0, 3199.0, False)
    assert state["emc_locked"] is False
    assert state["jetson_clocks_on"] is False
    warning = clocks_warning(state)
    assert warning.startswith("Clocks are not at their maximum in power mode MAXN: jetson_clocks is off; ")
    assert "6 of 12 CPU cores below their maximum frequency" in warning
    assert "GPU below its maximum frequency (306 of 1300.5 MHz)" in warning
    assert "EMC below its maximum frequency (2133 of 3199 MHz)" in warning
    assert "sudo jetson_clocks" in warning


def test_jetson_clocks_show_orin_nano_pinned():
    state = parse_jetson_clocks_show(_text("jetson_clocks_show_orin_nano_on.txt"))
    assert state["power_mode"] == "MAXN_SUPER"
    assert state["jetson_clocks_on"] is True
    assert (state["cpu_at_max"], state["gpu_at_max"], state["emc_at_max"]) == (True, True, True)
    assert (state["cpu_max_freq_mhz"], state["gpu_max_freq_mhz"], state["emc_max_freq_mhz"]) == (1728.0, 1020.0, 3199.0)
    assert clocks_warning(state) is None


def test_jetson_clocks_show_without_root_has_no_frequencies():
    assert parse_jetson_clocks_show(_text("jetson_clocks_show_nonroot.txt")) == {}
    assert parse_jetson_clocks_show("") == {}


def test_offline_cores_are_not_judged():
    text = ("cpu0: Online=1 Governor=schedutil MinFreq=1000 MaxFreq=2000 CurrentFreq=2000 IdleStates: C1=1\n"
            "cpu1: Online=0 Governor=schedutil MinFreq=1000 MaxFreq=2000 CurrentFreq=1000 IdleStates: C1=1\n")
    state = parse_jetson_clocks_show(text)
    assert state["cpu_cores"][1]["online"] is False
    assert state["cpu_at_max"] is True and state["cpu_cores_online_n"] == 1
    assert "gpu_at_max" not in state and "jetson_clocks_on" not in state


def test_clocks_warning_from_partial_states():
    assert clocks_warning(None) is None
    assert clocks_warning({}) is None
    assert clocks_warning({"power_mode": "MAXN"}) is None  # nothing known about the clocks: no claim
    assert clocks_warning({"jetson_clocks_on": False, "power_mode": "15W"}) == (
        "Clocks are not at their maximum in power mode 15W: jetson_clocks is off. Latency and throughput will vary "
        "with the load; for repeatable numbers run `sudo jetson_clocks` (the harness never changes clocks).")
    assert clocks_warning({"gpu_at_max": False}).startswith("Clocks are not at their maximum: GPU below its maximum")


# -- sysfs, as the NVIDIA jetson_clocks script finds it (cpufreq per core; the GPU's devfreq node whose
#    device/of_node/compatible is nvidia,ga10b on Orin) -------------------------------------------------
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _fake_sysfs(root: Path, gpu_cur_hz: int = 306000000) -> Path:
    for core, (online, cur) in enumerate([(None, 1510400), ("1", 729600), ("0", 729600)]):
        folder = root / f"sys/devices/system/cpu/cpu{core}"
        _write(folder / "cpufreq/scaling_min_freq", "729600\n")
        _write(folder / "cpufreq/scaling_max_freq", "1510400\n")
        _write(folder / "cpufreq/scaling_cur_freq", f"{cur}\n")
        if online is not None:
            _write(folder / "online", online + "\n")
    _write(root / "sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq", "1510400\n")  # not a core
    other = root / "sys/class/devfreq/3d00000.other"
    _write(other / "device/of_node/compatible", "vendor,thing\0")
    _write(other / "max_freq", "1\n")
    gpu = root / "sys/class/devfreq/17000000.ga10b"
    (gpu / "device/of_node").mkdir(parents=True)
    (gpu / "device/of_node/compatible").write_bytes(b"nvidia,ga10b\0")
    _write(gpu / "min_freq", "306000000\n")
    _write(gpu / "max_freq", "624750000\n")
    _write(gpu / "cur_freq", f"{gpu_cur_hz}\n")
    return root


def test_clocks_from_sysfs_without_root(tmp_path):
    state = read_clocks_from_sysfs(str(_fake_sysfs(tmp_path)))
    assert [(c["cpu"], c["online"]) for c in state["cpu_cores"]] == [(0, True), (1, True), (2, False)]
    assert state["cpu_cores_online_n"] == 2 and state["cpu_cores_below_max_n"] == 1
    assert state["gpu"]["max_freq_mhz"] == 624.75 and state["gpu_at_max"] is False
    assert state["jetson_clocks_on"] is False
    assert read_clocks_from_sysfs(str(tmp_path / "nothing")) == {}


# -- running the commands ----------------------------------------------------------------------------
def _fake_runner(outputs: dict, calls: list):
    def run(command, **kwargs):
        calls.append(command)
        key = Path(command[0]).name
        value = outputs[key]
        if isinstance(value, BaseException):
            raise value
        text, code = value
        return subprocess.CompletedProcess(command, code, stdout=text, stderr="")
    return run


def test_read_power_state_as_root(tmp_path):
    calls = []
    runner = _fake_runner({"nvpmodel": (_text("nvpmodel_q_orin_nano_maxn_super.txt"), 0),
                           "jetson_clocks": (_text("jetson_clocks_show_orin_nano_on.txt"), 0)}, calls)
    state, reason = read_power_state(runner=runner, nvpmodel="/x/nvpmodel", jetson_clocks="/x/jetson_clocks",
                                     sysfs_root=str(tmp_path))
    assert reason is None
    assert calls == [["/x/nvpmodel", "-q"], ["/x/jetson_clocks", "--show"]]
    assert (state["power_mode"], state["power_mode_id"]) == ("MAXN_SUPER", 2)
    assert state["jetson_clocks_on"] is True and state["clocks_source"] == "jetson_clocks --show"
    assert clocks_warning(state) is None


def test_read_power_state_without_root_falls_back_to_sysfs(tmp_path):
    runner = _fake_runner({"nvpmodel": (_text("nvpmodel_q_nano_5w_nonroot.txt"), 0),
                           "jetson_clocks": (_text("jetson_clocks_show_nonroot.txt"), 1)}, [])
    state, reason = read_power_state(runner=runner, nvpmodel="/x/nvpmodel", jetson_clocks="/x/jetson_clocks",
                                     sysfs_root=str(_fake_sysfs(tmp_path)))
    assert state["power_mode"] == "5W"
    assert state["clocks_source"].startswith("sysfs")
    assert state["gpu_at_max"] is False and "emc_at_max" not in state
    assert "`/x/jetson_clocks --show` needs root" in reason and "exited with status 1" in reason
    assert "GPU below its maximum frequency (306 of 624.75 MHz)" in clocks_warning(state)


def test_read_power_state_never_raises(tmp_path):
    runner = _fake_runner({"nvpmodel": subprocess.TimeoutExpired(["nvpmodel"], 3),
                           "jetson_clocks": PermissionError(13, "Permission denied")}, [])
    state, reason = read_power_state(runner=runner, nvpmodel="/x/nvpmodel", jetson_clocks="/x/jetson_clocks",
                                     sysfs_root=str(tmp_path), timeout_s=3)
    assert state is None
    assert "did not finish within 3 s" in reason
    assert "cannot run `/x/jetson_clocks --show`" in reason
    assert "no CPU/GPU frequency files in sysfs" in reason

    def explode(*args, **kwargs):
        raise RuntimeError("boom")
    state, reason = read_power_state(runner=explode, nvpmodel="/x/nvpmodel", jetson_clocks="/x/jetson_clocks",
                                     sysfs_root=str(tmp_path))
    assert state is None and "RuntimeError: boom" in reason


def test_read_power_state_on_a_machine_without_the_tools(tmp_path, monkeypatch):
    monkeypatch.setattr(jps, "find_executable", lambda binary, fallbacks=(): None)
    state, reason = read_power_state(sysfs_root=str(tmp_path))
    assert state is None
    assert reason == ("nvpmodel is not on this machine; jetson_clocks is not on this machine; "
                      "no CPU/GPU frequency files in sysfs")


def test_read_power_state_takes_jtops_fields_first(tmp_path):
    calls = []
    runner = _fake_runner({"jetson_clocks": (_text("jetson_clocks_show_nonroot.txt"), 1)}, calls)
    state, reason = read_power_state(runner=runner, jtop_fields={"power_mode": "15W", "jetson_clocks_on": False},
                                     nvpmodel="/x/nvpmodel", jetson_clocks="/x/jetson_clocks",
                                     sysfs_root=str(_fake_sysfs(tmp_path, gpu_cur_hz=624750000)))
    assert [c[0] for c in calls] == ["/x/jetson_clocks"]  # nvpmodel not run: jtop said the mode
    assert state["power_mode"] == "15W" and state["power_state_source"] == "jtop"
    assert state["jetson_clocks_on"] is False  # jtop's verdict wins over the sysfs reading
    assert clocks_warning(state).startswith("Clocks are not at their maximum in power mode 15W: jetson_clocks is off")


def _script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def test_read_power_state_runs_the_real_commands(tmp_path):
    nvp = _script(tmp_path / "nvpmodel", f'[ "$1" = "-q" ] && cat "{DATA / "nvpmodel_q_thor_maxn.txt"}"\n')
    jc = _script(tmp_path / "jetson_clocks", f'[ "$1" = "--show" ] && cat "{DATA / "jetson_clocks_show_agx_orin_off.txt"}"\n')
    state, reason = read_power_state(nvpmodel=nvp, jetson_clocks=jc, sysfs_root=str(tmp_path))
    assert reason is None
    assert (state["power_mode"], state["power_mode_id"]) == ("MAXN", 0)  # nvpmodel's answer, not the show's copy
    assert state["jetson_clocks_on"] is False and state["cpu_cores_below_max_n"] == 6
    slow = _script(tmp_path / "slow_nvpmodel", "sleep 5\n")
    state, reason = read_power_state(nvpmodel=slow, jetson_clocks=jc, sysfs_root=str(tmp_path), timeout_s=0.3)
    assert state["power_mode"] == "MAXN"  # from jetson_clocks --show, which prints nvpmodel's line too
    assert "did not finish within 0.3 s" in reason
