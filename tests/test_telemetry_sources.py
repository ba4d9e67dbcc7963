"""Each telemetry source present or absent: psutil, NVML, jtop, tegrastats; and which ones a run gets."""

from __future__ import annotations

import stat
import sys
import time
import types
from pathlib import Path

import pytest

from harness.telemetry import jtop_source as jtop_module
from harness.telemetry.jtop_source import JtopSource, _SharedJtop, map_jtop_stats
from harness.telemetry.nvml_source import NvmlSource, nvml_device_for_cuda_index
from harness.telemetry.psutil_source import PsutilSource
from harness.telemetry.sources import cuda_index, detect_sources
from harness.telemetry.tegrastats_source import TegrastatsSource

DATA = Path(__file__).parent / "data" / "telemetry"
ORIN_NANO_LINE = (DATA / "tegrastats_orin_nano_jp6.txt").read_text().strip()


# -- psutil -------------------------------------------------------------------------------------------
def test_psutil_source_is_present_and_reads_host_figures():
    source = PsutilSource()
    source.start()
    sample = source.sample()
    source.stop()
    assert source.available and source.reason is None
    assert set(sample) == {"cpu_util_pct", "ram_used_mb", "ram_total_mb", "swap_used_mb"}
    assert 0.0 <= sample["cpu_util_pct"] <= 100.0
    assert 0 < sample["ram_used_mb"] < sample["ram_total_mb"]
    assert sample["swap_used_mb"] >= 0


def test_psutil_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "psutil", None)
    source = PsutilSource()
    assert not source.available and "psutil is not installed" in source.reason
    assert source.sample() == {}


# -- NVML ---------------------------------------------------------------------------------------------
def test_nvml_source_says_why_without_a_gpu_or_reads_the_gpu():
    source = NvmlSource(0)
    source.start()
    try:
        if source.available:  # a machine with an NVIDIA GPU and driver
            sample = source.sample()
            assert {"gpu_util_pct", "gpu_mem_used_mb", "temp_gpu_c", "gpu_sm_clock_mhz"} <= set(sample)
            assert source.mapping.startswith("cuda:0 -> NVML")
        else:
            assert source.reason.startswith(("NVML unavailable", "nvidia-ml-py is not installed", "no NVML device"))
            assert source.sample() == {}
    finally:
        source.stop()


def test_nvml_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    source = NvmlSource(0)
    source.start()
    assert not source.available
    assert source.reason == "nvidia-ml-py is not installed (pip install 'jetson-benchmark[nvml]')"


@pytest.mark.parametrize("index, visible, expected", [
    (0, None, ("index", 0)),
    (1, "", ("index", 1)),
    (1, "3,2", ("index", 2)),
    (0, "GPU-8f3e", ("uuid", "GPU-8f3e")),
    (0, " 8f3e ,1", ("uuid", "GPU-8f3e")),
    (0, "MIG-abc", ("mig", "MIG-abc")),
])
def test_cuda_index_to_nvml_device(index, visible, expected, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert nvml_device_for_cuda_index(index, visible) == expected


def test_cuda_index_beyond_visible_devices():
    with pytest.raises(ValueError, match="not among CUDA_VISIBLE_DEVICES"):
        nvml_device_for_cuda_index(2, "0,1")


@pytest.mark.parametrize("device, expected", [("cuda", 0), ("cuda:3", 3), ("CUDA:1", 1), ("cpu", None), ("", None),
                                              ("cuda:x", None), (None, None)])
def test_cuda_index_of_a_device_string(device, expected):
    assert cuda_index(device) == expected


# -- jtop ---------------------------------------------------------------------------------------------
# A jtop 4.x ``stats`` dict, keys as jetson-stats documents and builds them (jtop.py, ``stats``).
JTOP_STATS = {
    "time": "2025-07-14 10:29:36", "uptime": 1234.5,
    "CPU1": 12, "CPU2": 8, "CPU3": "OFF", "CPU4": 4, "CPU10": 6,
    "RAM": 0.2817, "SWAP": 0.387, "EMC": 3, "GPU": 42.5, "APE": 174, "NVENC": "OFF",
    "Fan pwmfan0": 30.2,
    "Temp cpu": 47.687, "Temp gpu": 48.625, "Temp tj": 48.625, "Temp CV0": -256,
    "Power VDD_CPU_GPU_CV": 483, "Power VDD_SOC": 1451, "Power TOT": 4556,
    "jetson_clocks": "OFF", "nvp model": "MAXN_SUPER",
}
JTOP_MEMORY = {"RAM": {"tot": 7802880, "used": 2198528, "shared": 824389}, "SWAP": {"tot": 3901440, "used": 1511424}}


def test_map_jtop_stats_exactly():
    assert map_jtop_stats(JTOP_STATS, JTOP_MEMORY) == {
        "cpu_core_util_pct": [12.0, 8.0, None, 4.0, 6.0], "cpu_cores_online_n": 4, "cpu_util_pct": 7.5,
        "gpu_util_pct": 42.5, "emc_util_pct": 3.0,
        "temp_cpu_c": 47.687, "temp_gpu_c": 48.625, "temp_tj_c": 48.625,
        "power_VDD_CPU_GPU_CV_mw": 483.0, "power_VDD_SOC_mw": 1451.0, "power_total_mw": 4556.0, "power_w": 4.556,
        "jetson_clocks_on": False, "power_mode": "MAXN_SUPER",
        "ram_used_mb": 2147.0, "ram_total_mb": 7620.0, "ram_shared_mb": 824389 / 1024,
        "swap_used_mb": 1476.0, "swap_total_mb": 3810.0,
    }
    assert map_jtop_stats({}, None) == {}
    assert map_jtop_stats({"GPU": "n/a", "Power TOT": None}) == {}


@pytest.fixture
def fresh_jtop(monkeypatch):
    """A process-wide jtop handle of the test's own, so remembered failures do not leak between tests."""
    shared = _SharedJtop()
    monkeypatch.setattr(jtop_module, "SHARED_JTOP", shared)
    yield shared
    shared.reset()


def _fake_jtop_module(monkeypatch, start=None, stats=JTOP_STATS):
    module = types.ModuleType("jtop")

    class JtopException(Exception):
        pass

    class jtop:  # noqa: N801 - the real class is lower case
        opened = 0

        def __init__(self, interval=0.5):
            type(self).opened += 1
            self.interval = interval
            self.observers = set()
            self.closed = False

        def start(self):
            if start is not None:
                start(JtopException)

        @property
        def stats(self):
            return dict(stats)

        memory = JTOP_MEMORY

        def attach(self, observer):
            self.observers.add(observer)

        def detach(self, observer):
            self.observers.discard(observer)

        def ok(self, spin=False):
            return not self.closed

        def close(self):
            self.closed = True

    module.jtop, module.JtopException = jtop, JtopException
    monkeypatch.setitem(sys.modules, "jtop", module)
    return module


def test_jtop_not_installed(fresh_jtop, monkeypatch):
    monkeypatch.setitem(sys.modules, "jtop", None)
    source = JtopSource(0.5, shared=fresh_jtop)
    source.start()
    assert not source.available
    assert source.reason == "jetson-stats (jtop) is not installed (pip install 'jetson-benchmark[jetson]')"
    assert source.sample() == {}


def test_jtop_service_not_answering_is_remembered(fresh_jtop, monkeypatch):
    def refuse(error):
        raise error("The jtop.service is not active. Please run:\nsudo systemctl restart jtop.service")
    module = _fake_jtop_module(monkeypatch, start=refuse)
    first, second = JtopSource(0.5, shared=fresh_jtop), JtopSource(0.5, shared=fresh_jtop)
    first.start()
    second.start()
    assert first.reason == ("the jtop service does not answer: The jtop.service is not active. Please run: "
                            "sudo systemctl restart jtop.service")
    assert second.reason == first.reason and not second.available
    assert module.jtop.opened == 1  # the dead service is asked once per process


def test_jtop_service_that_hangs(fresh_jtop, monkeypatch):
    _fake_jtop_module(monkeypatch, start=lambda error: time.sleep(3))
    source = JtopSource(0.5, start_timeout_s=0.2, shared=fresh_jtop)
    began = time.monotonic()
    source.start()
    assert time.monotonic() - began < 2
    assert source.reason == "the jtop service did not answer within 0.2 s"


def test_jtop_other_failure_is_a_reason_not_a_traceback(fresh_jtop, monkeypatch):
    def broken(error):
        raise PermissionError(13, "Permission denied")
    _fake_jtop_module(monkeypatch, start=broken)
    source = JtopSource(0.5, shared=fresh_jtop)
    source.start()
    assert source.reason == "jtop could not start: PermissionError: [Errno 13] Permission denied"


def test_jtop_one_client_per_process_and_its_readings(fresh_jtop, monkeypatch):
    module = _fake_jtop_module(monkeypatch)
    first, second = JtopSource(0.5, shared=fresh_jtop), JtopSource(0.25, shared=fresh_jtop)
    first.start()
    second.start()
    assert module.jtop.opened == 1
    client = fresh_jtop.client
    assert client.interval == 0.5 and len(client.observers) == 2
    sample = first.sample()
    assert sample["power_w"] == pytest.approx(4.556) and sample["gpu_util_pct"] == 42.5
    assert isinstance(sample["reading_t_monotonic_s"], float)
    assert first.describe()["interval_s"] == 0.5
    first.stop()
    second.stop()
    assert client.observers == set() and not client.closed  # kept open for the next run in this process
    fresh_jtop.close()
    assert client.closed


def test_jtop_that_stops_answering_becomes_unavailable(fresh_jtop, monkeypatch):
    _fake_jtop_module(monkeypatch)
    source = JtopSource(0.5, shared=fresh_jtop)
    source.start()
    fresh_jtop.client.closed = True
    assert source.sample() == {}
    assert source.reason == "jtop stopped answering (its connection to the service closed)"


# -- tegrastats ---------------------------------------------------------------------------------------
def _fake_tegrastats(path: Path, body: str) -> str:
    path.write_text(f"#!{sys.executable}\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_tegrastats_binary_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("harness.telemetry.tegrastats_source.FALLBACK_PATHS", ())
    source = TegrastatsSource(0.5)
    assert not source.available
    assert source.reason.startswith("the tegrastats binary is not on this machine")
    source.start()
    source.stop()
    assert source.sample() == {}
    named = TegrastatsSource(0.5, binary=str(tmp_path / "no" / "tegrastats"))
    assert not named.available and str(tmp_path / "no" / "tegrastats") in named.reason


def test_tegrastats_subprocess_lines_are_parsed_and_it_stops_cleanly(tmp_path):
    # Prints the real Orin Nano line at the interval it is given, like tegrastats --interval <ms>.
    binary = _fake_tegrastats(tmp_path / "tegrastats", f"""
import sys, time
interval = int(sys.argv[sys.argv.index("--interval") + 1]) / 1000
while True:
    print({ORIN_NANO_LINE!r}, flush=True)
    time.sleep(interval)
""")
    source = TegrastatsSource(0.05, binary=binary)
    source.start()
    try:
        assert source.available, source.reason
        time.sleep(0.3)
        sample = source.sample()
        proc = source._proc
    finally:
        source.stop()
    assert sample["power_w"] == pytest.approx(4.556)
    assert sample["ram_used_mb"] == 2147 and sample["power_rails"] == ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]
    assert sample["reading_t_monotonic_s"] <= time.monotonic()
    assert source.lines_n >= 2
    assert source.describe() == {"command": f"{binary} --interval 50", "power_w": "rail VDD_IN"}
    assert proc.returncode is not None  # terminated and reaped
    source.stop()  # idempotent


def test_tegrastats_that_exits_at_once_is_unavailable_with_its_message(tmp_path):
    binary = _fake_tegrastats(tmp_path / "tegrastats", """
import sys
print("tegrastats: permission denied reading /sys/kernel/debug", file=sys.stderr, flush=True)
sys.exit(1)
""")
    source = TegrastatsSource(0.5, binary=binary, first_line_timeout_s=3)
    source.start()
    assert not source.available
    assert source.reason.startswith(f"{binary} --interval 500 exited with status 1")
    assert source.reason.endswith("tegrastats: permission denied reading /sys/kernel/debug")


def test_tegrastats_last_line_cut_off_is_dropped(tmp_path):
    # Two whole lines, then a line cut inside VDD_SOC's average with no newline, then the process ends.
    cut = ORIN_NANO_LINE.replace("VDD_SOC 1451mW/1451mW", "VDD_SOC 9999mW/14")
    binary = _fake_tegrastats(tmp_path / "tegrastats", f"""
import sys, time
sys.stdout.write({ORIN_NANO_LINE!r} + "\\n" + {ORIN_NANO_LINE!r} + "\\n" + {cut!r})
sys.stdout.flush()
time.sleep(0.3)
""")
    source = TegrastatsSource(0.5, binary=binary)
    source.start()
    time.sleep(0.6)
    sample = source.sample()
    source.stop()
    assert source.lines_n == 2
    assert sample["power_VDD_SOC_mw"] == 1451


# -- which sources a run gets -------------------------------------------------------------------------
def test_detect_sources_on_a_cpu():
    sources = detect_sources("cpu", jetson=False, interval_s=0.5)
    assert [s.name for s in sources] == ["psutil"]


def test_detect_sources_on_a_desktop_gpu():
    sources = detect_sources("cuda:1", jetson=False, interval_s=0.5, cuda_uuid="GPU-1234")
    assert [s.name for s in sources] == ["psutil", "nvml"]
    assert sources[1].cuda_index == 1 and sources[1].uuid == "GPU-1234"


def test_detect_sources_on_a_jetson_without_jtop(fresh_jtop, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "jtop", None)
    sources = detect_sources("cuda", jetson=True, interval_s=0.5, tegrastats_binary=str(tmp_path / "tegrastats"))
    assert [s.name for s in sources] == ["psutil", "jtop", "tegrastats"]
    assert not sources[1].available and "not installed" in sources[1].reason
    assert not sources[2].available and "not on this machine" in sources[2].reason


def test_detect_sources_on_a_jetson_with_jtop(fresh_jtop, monkeypatch):
    _fake_jtop_module(monkeypatch)
    sources = detect_sources("cuda:0", jetson=True, interval_s=0.5)
    assert [s.name for s in sources] == ["psutil", "jtop"]
    assert sources[1].available
    sources[1].stop()
