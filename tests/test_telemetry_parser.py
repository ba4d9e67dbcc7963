"""tegrastats lines -> figures: the real lines and fragments in tests/data/telemetry, exact values."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.telemetry.tegrastats_parser import parse_tegrastats_line, total_power, total_power_w

DATA = Path(__file__).parent / "data" / "telemetry"


def _lines(name: str) -> list:
    return [line.rstrip("\n") for line in (DATA / name).read_text().splitlines() if line.strip() and not line.startswith("#")]


ORIN_NANO = _lines("tegrastats_orin_nano_jp6.txt")[0]
AGX_ORIN = _lines("tegrastats_agx_orin_jp7.txt")[0]
FRAGMENTS = _lines("tegrastats_fragments.txt")

ORIN_NANO_EXPECTED = {
    "ram_used_mb": 2147, "ram_total_mb": 7620, "swap_used_mb": 1476, "swap_total_mb": 3810,
    "cpu_core_util_pct": [0, 0, 0, 0, 0, 0], "cpu_freq_mhz": [729] * 6, "cpu_cores_online_n": 6, "cpu_util_pct": 0.0,
    "gpu_util_pct": 0,
    "temp_cpu_c": 47.687, "temp_soc2_c": 46.718, "temp_soc0_c": 47.468, "temp_gpu_c": 48.625, "temp_tj_c": 48.625,
    "temp_soc1_c": 48.25,
    "power_VDD_IN_mw": 4556, "power_VDD_IN_avg_mw": 4556,
    "power_VDD_CPU_GPU_CV_mw": 483, "power_VDD_CPU_GPU_CV_avg_mw": 483,
    "power_VDD_SOC_mw": 1451, "power_VDD_SOC_avg_mw": 1451,
    "power_rails": ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"],
}

AGX_ORIN_EXPECTED = {
    "ram_used_mb": 20642, "ram_total_mb": 62817,
    "cpu_core_util_pct": [23, 10, 4, 14, 30, 18, 10, 10, 33, 7, 5, 27], "cpu_freq_mhz": [2201] * 12,
    "cpu_cores_online_n": 12, "cpu_util_pct": pytest.approx(191 / 12),
    "emc_util_pct": 3, "emc_freq_mhz": 3199,
    "gpu_util_pct": 12, "gpu_freq_mhz": [1300, 1300],
    "temp_cpu_c": 52.968, "temp_soc2_c": 48.406, "temp_soc0_c": 49.531, "temp_gpu_c": 47.625,
    "power_VDD_GPU_SOC_mw": 5139, "power_VDD_GPU_SOC_avg_mw": 5139, "power_VDD_GPU_SOC_max_mw": 5139,
    "power_VDD_CPU_CV_mw": 3268, "power_VDD_CPU_CV_avg_mw": 3268, "power_VDD_CPU_CV_max_mw": 3268,
    "power_VIN_SYS_5V0_mw": 5500, "power_VIN_SYS_5V0_avg_mw": 5500, "power_VIN_SYS_5V0_max_mw": 5500,
    "power_rails": ["VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"],
}


def test_orin_nano_jetpack6_line():
    assert parse_tegrastats_line(ORIN_NANO) == ORIN_NANO_EXPECTED


def test_agx_orin_jetpack7_line():
    assert parse_tegrastats_line(AGX_ORIN) == AGX_ORIN_EXPECTED


def test_fragment_thor_gpc_clocks_without_utilization():
    assert parse_tegrastats_line(FRAGMENTS[0]) == {
        "ram_used_mb": 4722, "ram_total_mb": 7844, "emc_util_pct": 2, "emc_freq_mhz": 1866,
        "gpu_util_pct": None, "gpu_freq_mhz": [1000, 1000, 1000],
    }


def test_fragment_orin_one_utilization_at_frequency():
    assert parse_tegrastats_line(FRAGMENTS[1]) == {
        "ram_used_mb": 4722, "ram_total_mb": 7844, "emc_util_pct": 2, "emc_freq_mhz": 1866,
        "gpu_util_pct": 10, "gpu_freq_mhz": [1300],
    }


def test_fragment_zero_load_keeps_frequencies():
    assert parse_tegrastats_line(FRAGMENTS[2]) == {"gpu_util_pct": 0, "gpu_freq_mhz": [1300, 1300]}


def test_jetpack4_line_off_cores_uppercase_gpu_temperature_and_bare_emc():
    # Quoted from jetson-stats issue #187 (Nano-class board, JetPack 4.6).
    line = ("RAM 1689/3825MB (lfb 339x4MB) SWAP 0/1913MB (cached 0MB) CPU [3%@345,off,off,0%@345,1%@345,1%@345] "
            "EMC_FREQ 0% GR3D_FREQ 0% PLL@50.5C MCPU@50.5C PMIC@50C GPU@50C BCPU@50.5C thermal@50.3C")
    assert parse_tegrastats_line(line) == {
        "ram_used_mb": 1689, "ram_total_mb": 3825, "swap_used_mb": 0, "swap_total_mb": 1913,
        "cpu_core_util_pct": [3, None, None, 0, 1, 1], "cpu_freq_mhz": [345, None, None, 345, 345, 345],
        "cpu_cores_online_n": 4, "cpu_util_pct": 1.25,
        "emc_util_pct": 0, "gpu_util_pct": 0,
        "temp_pll_c": 50.5, "temp_mcpu_c": 50.5, "temp_pmic_c": 50.0, "temp_gpu_c": 50.0, "temp_bcpu_c": 50.5,
        "temp_thermal_c": 50.3,
    }


def test_tx1_form_with_one_frequency_after_the_cpu_list():
    line = "RAM 3468/3983MB (lfb 48x4MB) SWAP 873/8192MB (cached 295MB) cpu [17%,13%,29%,5%]@408 EMC 1%@408 APE 25 GR3D 3%@76"
    parsed = parse_tegrastats_line(line)
    assert parsed["cpu_core_util_pct"] == [17, 13, 29, 5]
    assert parsed["cpu_freq_mhz"] == [408, 408, 408, 408]
    assert parsed["cpu_util_pct"] == 16.0
    assert (parsed["emc_util_pct"], parsed["emc_freq_mhz"]) == (1, 408)
    assert (parsed["gpu_util_pct"], parsed["gpu_freq_mhz"]) == (3, [76])


def test_rail_names_are_discovered_not_listed():
    line = "VDD_FOO 100mW/90mW SOME_RAIL_5V0 200mW/180mW/250mW GPU 0/0 SYS5V 1733/1700"
    parsed = parse_tegrastats_line(line)
    assert parsed["power_rails"] == ["VDD_FOO", "SOME_RAIL_5V0", "GPU", "SYS5V"]
    assert (parsed["power_VDD_FOO_mw"], parsed["power_VDD_FOO_avg_mw"]) == (100, 90)
    assert "power_VDD_FOO_max_mw" not in parsed
    assert (parsed["power_SOME_RAIL_5V0_mw"], parsed["power_SOME_RAIL_5V0_avg_mw"],
            parsed["power_SOME_RAIL_5V0_max_mw"]) == (200, 180, 250)
    assert (parsed["power_GPU_mw"], parsed["power_SYS5V_avg_mw"]) == (0, 1700)
    watts, how = total_power(parsed)
    assert watts == pytest.approx((100 + 200 + 0 + 1733) / 1000)
    assert how == "sum of rails VDD_FOO+SOME_RAIL_5V0+GPU+SYS5V"


def test_both_power_forms_and_the_jetpack4_form_without_units():
    two = parse_tegrastats_line("VDD_IN 4556mW/4400mW")
    three = parse_tegrastats_line("VDD_IN 4556mW/4400mW/6000mW")
    bare = parse_tegrastats_line("POM_5V_IN 3456/3400 POM_5V_GPU 123/120")
    assert two == {"power_VDD_IN_mw": 4556, "power_VDD_IN_avg_mw": 4400, "power_rails": ["VDD_IN"]}
    assert three == {**two, "power_VDD_IN_max_mw": 6000}
    assert bare["power_rails"] == ["POM_5V_IN", "POM_5V_GPU"]
    assert total_power(bare) == (pytest.approx(3.456), "rail POM_5V_IN")


def test_whole_board_rail_or_sum():
    assert total_power(parse_tegrastats_line(ORIN_NANO)) == (pytest.approx(4.556), "rail VDD_IN")
    # AGX Orin has no input rail: the three supplies together are the board (5139 + 3268 + 5500 mW).
    assert total_power(parse_tegrastats_line(AGX_ORIN)) == (
        pytest.approx(13.907), "sum of rails VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0")
    assert total_power_w(parse_tegrastats_line(AGX_ORIN), whole_board_rails=("VIN_SYS_5V0",)) == pytest.approx(5.5)
    assert total_power({}) == (None, None)
    assert total_power_w(parse_tegrastats_line(FRAGMENTS[0])) is None


def test_minus_256_degrees_is_an_absent_sensor():
    parsed = parse_tegrastats_line("CV0@-256C CV1@-256C gpu@48.6C tj@-256.0C soc0@-25.5C")
    assert parsed == {"temp_gpu_c": 48.6, "temp_soc0_c": -25.5}


@pytest.mark.parametrize("line, expected", [
    ("", {}),
    ("   \n", {}),
    ("garbage that is not tegrastats", {}),
    ("07-14-2025 10:29:36", {}),
    ("RAM 2147/76", {}),                       # no unit: cut off
    ("VDD_IN 4556mW/45", {}),                  # mW on one number only: cut off
    ("VDD_IN 4556mW/4556m", {}),
    ("CPU [0%@729,0%@7", {}),                  # no closing bracket
    ("CPU [0%@729,x%@729]", {}),               # a malformed core: no CPU figures rather than wrong ones
    ("GR3D_FREQ 12%@[1300,13", {}),
    ("GR3D_FREQ 0", {}),
    ("GR3D_FREQ", {}),
    ("EMC_FREQ @[100", {}),
    ("cpu@47.6", {}),
    ("gpu@C tj@48.625C", {"temp_tj_c": 48.625}),
    ("RAM 1/2MB", {"ram_used_mb": 1, "ram_total_mb": 2}),
    ("IRAM 0/252kB (lfb 252kB)", {}),
    ("RAM 512/1024kB", {"ram_used_mb": 0.5, "ram_total_mb": 1.0}),
    ("SWAP 1/2GB (cached 0MB)", {"swap_used_mb": 1024.0, "swap_total_mb": 2048.0}),
    (b"RAM 1/2MB", {"ram_used_mb": 1, "ram_total_mb": 2}),
    (None, {}),
    (12345, {}),
])
def test_malformed_and_truncated_lines(line, expected):
    assert parse_tegrastats_line(line) == expected


def _consistent_with(part: dict, full: dict) -> bool:
    for key, value in part.items():
        if key == "power_rails":
            if full[key][: len(value)] != value:
                return False
        elif full.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("line", [ORIN_NANO, AGX_ORIN, *FRAGMENTS])
def test_every_prefix_parses_without_raising_and_whole_tokens_parse_alike(line):
    full = parse_tegrastats_line(line)
    for cut in range(len(line) + 1):
        part = parse_tegrastats_line(line[:cut])
        assert isinstance(part, dict)
        if cut == len(line) or line[cut] == " ":  # cut between tokens: every complete token gives its value
            assert _consistent_with(part, full), (cut, line[:cut], part)
