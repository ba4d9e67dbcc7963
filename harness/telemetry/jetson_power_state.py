"""A Jetson's power mode and whether its clocks are at their maximum, and a warning when they are not.

Sources, each parsed from the real output format (samples in tests/data/telemetry/, origins in its README):

- ``nvpmodel -q``: ``NV Power Mode: <name>`` then the mode's id on the next line (NVPM ERROR/WARN lines
  that a non-root query may add are ignored);
- ``jetson_clocks --show`` (needs root): ``cpuN: Online=1 Governor=... MinFreq=... MaxFreq=... CurrentFreq=...``
  in kHz (the TX1 form has no ``Online=`` and spells ``Gonvernor``), ``GPU MinFreq=... MaxFreq=...
  CurrentFreq=...`` and ``EMC MinFreq=... MaxFreq=... CurrentFreq=... FreqOverride=...`` in Hz,
  ``NV Power Mode: <name>``; other lines (SOC family, DLA, PVA, FAN) are skipped;
- without root, the same CPU and GPU frequencies straight from sysfs (cpufreq ``scaling_*_freq`` and the
  GPU's devfreq ``min_freq``/``max_freq``/``cur_freq``); EMC is then unknown;
- jtop's own ``jetson_clocks`` (ON/OFF) and ``nvp model`` fields, when the jtop source runs.

``jetson_clocks`` pins each clock's minimum to its maximum; the state says, per domain, whether the clock
is at its maximum now (``<d>_at_max``) and whether it is pinned there (``<d>_locked``);
``jetson_clocks_on`` is CPU and GPU pinned at their maximum (jtop's test; EMC is reported but not part of it).
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from typing import Callable, Optional

from harness.telemetry.executables import find_executable

_POWER_MODE = re.compile(r"NV Power Mode:\s*(\S.*?)\s*$")
_CPU = re.compile(r"^\s*cpu(\d+):\s*(?:Online=(\d)\s+)?Go?n?vernor=(\S+)\s+MinFreq=(\d+)\s+MaxFreq=(\d+)\s+CurrentFreq=(\d+)")
_GPU = re.compile(r"^\s*GPU\s+MinFreq=(\d+)\s+MaxFreq=(\d+)\s+CurrentFreq=(\d+)")
_EMC = re.compile(r"^\s*EMC\s+MinFreq=(\d+)\s+MaxFreq=(\d+)\s+CurrentFreq=(\d+)(?:\s+FreqOverride=(\d+))?")
_SOC = re.compile(r"^\s*SOC family:\s*(\S+)\s+Machine:\s*(.*?)\s*$")
_IGPU_COMPATIBLE = re.compile(r"nvidia,g[a-z]\d+b")

Runner = Callable[..., "subprocess.CompletedProcess"]


def _mhz(value: int, per_mhz: float) -> float:
    return value / per_mhz


def parse_nvpmodel_query(text: str) -> dict:
    """``{"power_mode": "MAXN_SUPER", "power_mode_id": 2}`` from ``nvpmodel -q``; ``{}`` when absent."""
    lines = (text or "").splitlines()
    for index, line in enumerate(lines):
        match = _POWER_MODE.search(line)
        if not match:
            continue
        out = {"power_mode": match.group(1)}
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        out["power_mode_id"] = int(following) if following.isdigit() else None
        return out
    return {}


def _domain(min_v: int, max_v: int, cur_v: int, per_mhz: float) -> dict:
    return {"min_freq_mhz": _mhz(min_v, per_mhz), "max_freq_mhz": _mhz(max_v, per_mhz),
            "cur_freq_mhz": _mhz(cur_v, per_mhz), "at_max": cur_v >= max_v, "locked": min_v >= max_v}


def summarize_clocks(cpu_cores: list, gpu: Optional[dict], emc: Optional[dict]) -> dict:
    """The flat verdicts from per-core / GPU / EMC frequency records."""
    out: dict = {}
    online = [c for c in cpu_cores if c.get("online", True)]
    if online:
        out["cpu_at_max"] = all(c["at_max"] for c in online)
        out["cpu_locked"] = all(c["locked"] for c in online)
        out["cpu_cores_below_max_n"] = sum(1 for c in online if not c["at_max"])
        out["cpu_cores_online_n"] = len(online)
        out["cpu_max_freq_mhz"] = max(c["max_freq_mhz"] for c in online)
    if gpu:
        out["gpu_at_max"] = gpu["at_max"]
        out["gpu_locked"] = gpu["locked"]
        out["gpu_cur_freq_mhz"] = gpu["cur_freq_mhz"]
        out["gpu_max_freq_mhz"] = gpu["max_freq_mhz"]
    if emc:
        out["emc_at_max"] = emc["at_max"]
        out["emc_cur_freq_mhz"] = emc["cur_freq_mhz"]
        out["emc_max_freq_mhz"] = emc["max_freq_mhz"]
        if emc.get("freq_override") is not None:
            out["emc_locked"] = emc["freq_override"] == 1
    if "cpu_locked" in out and "gpu_locked" in out:
        out["jetson_clocks_on"] = (out["cpu_locked"] and out["cpu_at_max"]
                                   and out["gpu_locked"] and out["gpu_at_max"])
    return out


def parse_jetson_clocks_show(text: str) -> dict:
    """Per-domain frequencies (MHz) and verdicts from ``jetson_clocks --show``; ``{}`` when none found."""
    cpu_cores, gpu, emc, out = [], None, None, {}
    for line in (text or "").splitlines():
        match = _CPU.match(line)
        if match:
            core, online, governor, low, high, cur = match.groups()
            record = {"cpu": int(core), "online": online != "0", "governor": governor}
            record.update(_domain(int(low), int(high), int(cur), 1000.0))  # kHz
            cpu_cores.append(record)
            continue
        match = _GPU.match(line)
        if match:
            gpu = _domain(*(int(v) for v in match.groups()), 1e6)  # Hz
            continue
        match = _EMC.match(line)
        if match:
            low, high, cur, override = match.groups()
            emc = _domain(int(low), int(high), int(cur), 1e6)
            emc["freq_override"] = int(override) if override is not None else None
            continue
        match = _SOC.match(line)
        if match:
            out["soc_family"], out["machine"] = match.group(1), match.group(2)
            continue
        match = _POWER_MODE.search(line)
        if match:
            out["power_mode"] = match.group(1)
    if not (cpu_cores or gpu or emc):
        return {}
    cpu_cores.sort(key=lambda c: c["cpu"])
    out.update(summarize_clocks(cpu_cores, gpu, emc))
    out["cpu_cores"] = cpu_cores
    if gpu:
        out["gpu"] = gpu
    if emc:
        out["emc"] = emc
    return out


def _read_int(path: str) -> Optional[int]:
    try:
        with open(path, "r") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def read_clocks_from_sysfs(root: str = "/") -> dict:
    """CPU (cpufreq) and GPU (devfreq) frequencies read without root; ``{}`` when neither is there."""
    cpu_cores = []
    for folder in sorted(glob.glob(os.path.join(root, "sys/devices/system/cpu/cpu[0-9]*"))):
        core = os.path.basename(folder)[3:]
        if not core.isdigit():
            continue
        values = [_read_int(os.path.join(folder, "cpufreq", f"scaling_{k}_freq")) for k in ("min", "max", "cur")]
        if None in values:
            continue
        online = _read_int(os.path.join(folder, "online"))
        record = {"cpu": int(core), "online": online != 0}
        record.update(_domain(*values, 1000.0))
        cpu_cores.append(record)
    gpu = None
    for devfreq in sorted(glob.glob(os.path.join(root, "sys/class/devfreq/*"))):
        try:
            with open(os.path.join(devfreq, "device", "of_node", "compatible"), "rb") as handle:
                compatible = handle.read().replace(b"\0", b" ").decode("ascii", "replace")
        except OSError:
            continue
        if not _IGPU_COMPATIBLE.search(compatible):
            continue
        values = [_read_int(os.path.join(devfreq, f"{k}_freq")) for k in ("min", "max", "cur")]
        if None not in values:
            gpu = _domain(*values, 1e6)
            break
    if not (cpu_cores or gpu):
        return {}
    cpu_cores.sort(key=lambda c: c["cpu"])
    out = summarize_clocks(cpu_cores, gpu, None)
    out["cpu_cores"] = cpu_cores
    if gpu:
        out["gpu"] = gpu
    return out


def power_state_from_jtop(fields: dict) -> dict:
    """The power state jtop reports (``power_mode``, ``jetson_clocks_on``) from a jtop sample's fields."""
    out = {}
    if fields.get("power_mode") is not None:
        out["power_mode"] = fields["power_mode"]
    if fields.get("jetson_clocks_on") is not None:
        out["jetson_clocks_on"] = bool(fields["jetson_clocks_on"])
    return out


def _run(command: list, timeout_s: float, runner: Runner) -> tuple:
    """(output text, reason if it failed) - never raises."""
    try:
        done = runner(command, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "", f"`{' '.join(command)}` did not finish within {timeout_s:g} s"
    except OSError as exc:
        return "", f"cannot run `{' '.join(command)}`: {exc}"
    except Exception as exc:  # noqa: BLE001
        return "", f"`{' '.join(command)}` failed: {type(exc).__name__}: {exc}"
    text = (done.stdout or "") + ("\n" + done.stderr if done.stderr else "")
    if done.returncode != 0:
        last = " ".join(text.split())[-200:]
        return text, f"`{' '.join(command)}` exited with status {done.returncode}" + (f": {last}" if last else "")
    return text, None


def read_power_state(timeout_s: float = 3.0, runner: Runner = subprocess.run, sysfs_root: str = "/",
                     jtop_fields: Optional[dict] = None,
                     nvpmodel: Optional[str] = None, jetson_clocks: Optional[str] = None) -> tuple:
    """``(state, reason)``: what could be read about the power mode and clocks, and why anything could not.

    ``state`` is None when nothing could be read. Runs ``nvpmodel -q`` and ``jetson_clocks --show`` with
    ``timeout_s`` each; reads sysfs when ``jetson_clocks --show`` gives no frequencies (it needs root);
    takes jtop's fields first when given. Never raises.
    """
    state: dict = {}
    reasons: list = []
    try:
        if jtop_fields:
            state.update(power_state_from_jtop(jtop_fields))
            if state:
                state["power_state_source"] = "jtop"
        nvp_bin = nvpmodel or find_executable("nvpmodel", ("/usr/sbin/nvpmodel", "/usr/bin/nvpmodel"))
        if "power_mode" not in state:
            if nvp_bin is None:
                reasons.append("nvpmodel is not on this machine")
            else:
                text, why = _run([nvp_bin, "-q"], timeout_s, runner)
                mode = parse_nvpmodel_query(text)
                if mode:
                    state.update(mode)
                else:
                    reasons.append(why or f"`{nvp_bin} -q` printed no power mode")
        jc_bin = jetson_clocks or find_executable("jetson_clocks", ("/usr/bin/jetson_clocks", "/usr/sbin/jetson_clocks"))
        clocks: dict = {}
        if jc_bin is None:
            reasons.append("jetson_clocks is not on this machine")
        else:
            text, why = _run([jc_bin, "--show"], timeout_s, runner)
            clocks = parse_jetson_clocks_show(text)
            if clocks:
                clocks["clocks_source"] = "jetson_clocks --show"
            else:
                needs_root = "root" in text.lower()
                reasons.append(why if not needs_root else f"`{jc_bin} --show` needs root ({why or 'no frequencies'})")
        if not clocks:
            clocks = read_clocks_from_sysfs(sysfs_root)
            if clocks:
                clocks["clocks_source"] = "sysfs (cpufreq, devfreq); EMC unknown"
            else:
                reasons.append("no CPU/GPU frequency files in sysfs")
        jtop_says = state.get("jetson_clocks_on")
        clock_mode = clocks.pop("power_mode", None)
        state.update(clocks)
        if jtop_says is not None:
            state["jetson_clocks_on"] = jtop_says  # jtop's service reads the clocks as root
        if "power_mode" not in state and clock_mode:
            state["power_mode"] = clock_mode
    except Exception as exc:  # noqa: BLE001 - a surprise here must not cost the run
        reasons.append(f"reading the power state failed: {type(exc).__name__}: {exc}")
    return (state or None), ("; ".join(reasons) or None)


def clocks_warning(state: Optional[dict]) -> Optional[str]:
    """A sentence when the clocks are known not to be at their maximum; None when they are, or unknown."""
    if not state:
        return None
    problems = []
    if state.get("jetson_clocks_on") is False:
        problems.append("jetson_clocks is off")
    if state.get("cpu_at_max") is False:
        below, online = state.get("cpu_cores_below_max_n"), state.get("cpu_cores_online_n")
        problems.append(f"{below} of {online} CPU cores below their maximum frequency" if below is not None
                        else "CPU below its maximum frequency")
    for domain in ("gpu", "emc"):
        if state.get(f"{domain}_at_max") is False:
            cur, top = state.get(f"{domain}_cur_freq_mhz"), state.get(f"{domain}_max_freq_mhz")
            detail = f" ({cur:g} of {top:g} MHz)" if cur is not None and top is not None else ""
            problems.append(f"{domain.upper()} below its maximum frequency{detail}")
    if not problems:
        return None
    mode = state.get("power_mode")
    where = f" in power mode {mode}" if mode else ""
    return (f"Clocks are not at their maximum{where}: " + "; ".join(problems) + ". Latency and throughput will "
            "vary with the load; for repeatable numbers run `sudo jetson_clocks` (the harness never changes clocks).")
