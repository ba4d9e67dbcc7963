"""Parse one line of ``tegrastats`` output into a flat dict of figures, each with its unit in its key.

tegrastats fields vary by board and JetPack, so every field has its own pattern and anything not
recognised is ignored. A malformed or truncated line never raises: the fields that parse are returned, and
a line with nothing recognisable gives ``{}``. Formats handled (see tests/data/telemetry/):

- ``RAM 2147/7620MB (lfb 2x4MB)``, ``SWAP 1476/3810MB (cached 1MB)`` (kB / MB / GB units)
- ``CPU [23%@2201,off,...]`` per core load@MHz, ``off`` for an offline core; the older
  ``CPU [17%,13%]@408`` form with one frequency after the list
- ``EMC_FREQ 3%@3199`` or ``EMC_FREQ 0%``
- ``GR3D_FREQ 0%``, ``GR3D_FREQ 10%@1300``, ``GR3D_FREQ 12%@[1300,1300]`` (one frequency per GPC) and
  ``GR3D_FREQ @[1000,1000,1000]`` (no utilization: ``gpu_util_pct`` is None, frequencies kept)
- temperatures ``cpu@47.687C``, ``GPU@50C``, ``cpu@52.968C/52.968C`` (the first value is used); the
  zone name is lowercased into ``temp_<zone>_c``; -256 C (an offline sensor) is left out
- power rails ``NAME X/Y`` or ``NAME X/Y/Z`` in mW (current / average [/ max]), with or without the
  ``mW`` suffix; rail names are discovered, never listed here, and returned in ``power_rails``

Units: MB are what tegrastats prints (MiB), frequencies MHz, power mW, temperatures degrees C.

A cut-off token is dropped where the cut shows (a list without its ``]``, a value without its ``%``, ``C``,
``MB`` or with ``mW`` on one number only); a line cut inside a bare trailing number cannot be told from a
whole one, which is why the tegrastats source parses only lines that end with their newline.
"""

from __future__ import annotations

import re
from typing import Optional

ABSENT_TEMP_C = -256.0

# Rails that measure the whole module's input: the total when present (jtop makes the same choice).
# VDD_IN: Orin Nano / Orin NX / Xavier NX; POM_5V_IN: Nano / TX2. Boards without one (AGX Orin, AGX
# Xavier) report separate supplies whose sum is the total. On AGX Orin VIN_SYS_5V0 is the module's 5 V
# system supply, one rail among three, not its input: in the AGX Orin sample it reads 5500 mW while
# VDD_GPU_SOC + VDD_CPU_CV read 8407 mW, more than an input feeding them could carry.
WHOLE_BOARD_RAILS = ("VDD_IN", "POM_5V_IN")

_NOT_RAILS = {"RAM", "SWAP", "IRAM", "MTS", "LFB", "CACHED"}
_UNIT_TO_MB = {"k": 1.0 / 1024.0, "K": 1.0 / 1024.0, "M": 1.0, "G": 1024.0}

_MEMORY = re.compile(r"\b(RAM|SWAP) (\d+)/(\d+)([kKMG])B\b")
_CPU = re.compile(r"\bCPU \[([^\[\]]*)\](?:@(\d+))?", re.IGNORECASE)
_CPU_CORE = re.compile(r"^(\d+)%(?:@(\d+))?$")
_EMC = re.compile(r"\bEMC(?:_FREQ)? (?:(\d+)%)?(?:@(\d+))?(?=\s|$)")
_GPU = re.compile(r"\bGR3D(?:_FREQ)? (\S+)")
_GPU_VALUE = re.compile(r"^(?:(\d+)%)?(?:@(?:(\d+)|\[(\d+(?:,\d+)*)\]))?$")
_TEMP = re.compile(r"(?<![\w@])([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C(?![\w.])")
_NUM = r"(\d+(?:\.\d+)?)(mW)?"
_RAIL = re.compile(r"(?<![\w@/.])([A-Za-z][A-Za-z0-9_]*) " + _NUM + "/" + _NUM + "(?:/" + _NUM + ")?(?![\\w/.])")


def _number(text: str):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _parse_memory(line: str, out: dict) -> None:
    for name, used, total, unit in _MEMORY.findall(line):
        scale = _UNIT_TO_MB[unit]
        key = name.lower()
        out[f"{key}_used_mb"] = _scaled(int(used), scale)
        out[f"{key}_total_mb"] = _scaled(int(total), scale)


def _scaled(value: int, scale: float):
    return value if scale == 1.0 else value * scale


def _parse_cpu(line: str, out: dict) -> None:
    match = _CPU.search(line)
    if not match:
        return
    shared_freq = int(match.group(2)) if match.group(2) else None
    utils: list = []
    freqs: list = []
    for entry in match.group(1).split(","):
        entry = entry.strip()
        if entry.lower() == "off":
            utils.append(None)
            freqs.append(None)
            continue
        core = _CPU_CORE.match(entry)
        if not core:
            return  # a malformed list: no CPU figures rather than wrong ones
        utils.append(int(core.group(1)))
        freqs.append(int(core.group(2)) if core.group(2) else shared_freq)
    if not utils:
        return
    out["cpu_core_util_pct"] = utils
    if any(f is not None for f in freqs):
        out["cpu_freq_mhz"] = freqs
    online = [u for u in utils if u is not None]
    out["cpu_cores_online_n"] = len(online)
    if online:
        out["cpu_util_pct"] = sum(online) / len(online)


def _parse_emc(line: str, out: dict) -> None:
    match = _EMC.search(line)
    if not match or (match.group(1) is None and match.group(2) is None):
        return
    if match.group(1) is not None:
        out["emc_util_pct"] = int(match.group(1))
    if match.group(2) is not None:
        out["emc_freq_mhz"] = int(match.group(2))


def _parse_gpu(line: str, out: dict) -> None:
    match = _GPU.search(line)
    if not match:
        return
    value = _GPU_VALUE.match(match.group(1))
    if not value or not any(value.groups()):
        return  # truncated or unknown form, e.g. "12%@[1300,13"
    util, single, many = value.groups()
    out["gpu_util_pct"] = int(util) if util is not None else None
    if single is not None:
        out["gpu_freq_mhz"] = [int(single)]
    elif many is not None:
        out["gpu_freq_mhz"] = [int(f) for f in many.split(",")]


def _parse_temps(line: str, out: dict) -> None:
    for zone, value in _TEMP.findall(line):
        temp = float(value)
        if temp == ABSENT_TEMP_C:
            continue
        out[f"temp_{zone.lower()}_c"] = temp


def _parse_rails(line: str, out: dict) -> None:
    rails = []
    for match in _RAIL.finditer(line):
        name = match.group(1)
        if name.upper() in _NOT_RAILS:
            continue
        cur, cur_unit, avg, avg_unit, peak, peak_unit = match.groups()[1:]
        units = [cur_unit, avg_unit] + ([peak_unit] if peak is not None else [])
        if len(set(units)) != 1:
            continue  # "1451mW/14": the unit is missing on one value, so the token was cut short
        if name in rails:
            continue
        rails.append(name)
        out[f"power_{name}_mw"] = _number(cur)
        out[f"power_{name}_avg_mw"] = _number(avg)
        if peak is not None:
            out[f"power_{name}_max_mw"] = _number(peak)
    if rails:
        out["power_rails"] = rails


def parse_tegrastats_line(line) -> dict:
    """Every figure one tegrastats line holds; ``{}`` when nothing is recognisable. Never raises."""
    if not isinstance(line, str):
        try:
            line = line.decode("utf-8", errors="replace")
        except Exception:  # noqa: BLE001 - not text at all: nothing to parse
            return {}
    out: dict = {}
    for parse in (_parse_memory, _parse_cpu, _parse_emc, _parse_gpu, _parse_temps, _parse_rails):
        try:
            parse(line, out)
        except Exception:  # noqa: BLE001 - one odd field must not cost the others
            continue
    return out


def total_power(parsed: dict, whole_board_rails=WHOLE_BOARD_RAILS) -> tuple:
    """``(watts, how)``: the whole-board rail when the board has one, else the sum of all rails.

    ``how`` names what was used, e.g. ``"rail VDD_IN"`` or ``"sum of rails VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0"``;
    ``(None, None)`` when the line had no power rail.
    """
    rails = [r for r in parsed.get("power_rails", []) if isinstance(parsed.get(f"power_{r}_mw"), (int, float))]
    if not rails:
        return None, None
    for name in whole_board_rails:
        if name in rails:
            return parsed[f"power_{name}_mw"] / 1000.0, f"rail {name}"
    return sum(parsed[f"power_{r}_mw"] for r in rails) / 1000.0, "sum of rails " + "+".join(rails)


def total_power_w(parsed: dict, whole_board_rails=WHOLE_BOARD_RAILS) -> Optional[float]:
    """Board power in W from a parsed line (see :func:`total_power` for which rails it uses)."""
    return total_power(parsed, whole_board_rails)[0]
