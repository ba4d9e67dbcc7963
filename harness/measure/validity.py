"""Whether a run's numbers can be trusted: a verdict (``valid`` true / false, with reasons and warnings) from the
conditions Phase B recorded before, during and after the run (``harness/phase_b/run_conditions.py``).

What makes a run invalid, always: the GPU slowed down (NVML power or thermal slowdown) in the measured window;
swap grew during the run (pages moved to swap while measuring: latency and memory figures are not the model's);
another process computed on the same GPU; other processes (or a hypervisor's steal) took more than
``max_host_interference_pct`` of the host's CPU in a slice of the measured window (a default, not a flag: a busy
host stretches a CPU run's latency and starves a launch-bound GPU run's submitting thread alike).
What makes it invalid only when asked for: the power mode is not ``require_power_mode``; the clocks are not at
their maximum (``require_max_clocks``); the latency's coefficient of variation above ``max_cv_pct``. Without those
flags they are warnings (noise from CV_LIMIT_PCT on): measured on an H200, batch-1 runs of small models are
launch-bound with a CV of 5-16 %, a property of the workload that the confidence bounds already carry, not a
broken measurement. A requirement that
cannot be checked here (no nvpmodel, clocks unreadable) makes the run invalid with that reason: a requirement
is a promise about the number, not a hope.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from harness.telemetry.jetson_power_state import clocks_warning

CV_LIMIT_PCT = 5.0  # the noisy warning's limit and --max_cv_pct's default
SWAP_GROWTH_LIMIT_MB = 16.0
HOST_INTERFERENCE_LIMIT_PCT = 10.0  # of the host's CPU capacity in the worst 0.5 s slice (docs/validation.md)  # below it, the kernel's own bookkeeping; above it, pages of a process moved out


@dataclass(frozen=True)
class Requirements:
    require_max_clocks: bool = False
    require_power_mode: Optional[str] = None
    max_cv_pct: Optional[float] = None  # None: a CV above CV_LIMIT_PCT is a warning, not a verdict
    max_host_interference_pct: float = HOST_INTERFERENCE_LIMIT_PCT

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> "Requirements":
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


def _power_findings(conditions: dict, req: Requirements) -> tuple:
    """(reasons, warnings) about the power mode and clocks, from the states before and after the run."""
    reasons, warnings = [], []
    states = [s for s in (conditions.get("power_before"), conditions.get("power_after")) if s]
    why_not = conditions.get("power_before_unavailable") or conditions.get("power_after_unavailable")
    modes = sorted({s["power_mode"] for s in states if s.get("power_mode")})
    if req.require_power_mode:
        if not modes:
            reasons.append(f"power mode {req.require_power_mode} required, but it could not be read "
                           f"({why_not or 'not a Jetson'})")
        elif modes != [req.require_power_mode]:
            reasons.append(f"power mode {' then '.join(modes)}, required {req.require_power_mode}")
    if len(modes) > 1 and not req.require_power_mode:
        warnings.append(f"the power mode changed during the run ({' then '.join(modes)})")
    notes = [clocks_warning(s) for s in states]
    slow = next((n for n in notes if n), None)
    known = any(s.get(k) is not None for s in states for k in ("cpu_at_max", "gpu_at_max", "jetson_clocks_on"))
    if req.require_max_clocks and slow:
        reasons.append(f"--require_max_clocks: {slow}")
    elif req.require_max_clocks and not known:
        reasons.append(f"--require_max_clocks, but the clocks could not be read ({why_not or 'not a Jetson'})")
    elif slow:
        warnings.append(slow)
    return reasons, warnings


def _swap_findings(conditions: dict) -> tuple:
    before, after = conditions.get("swap_used_mb_before"), conditions.get("swap_used_mb_after")
    if before is None or after is None:
        return [], []
    if after - before > SWAP_GROWTH_LIMIT_MB:
        return [f"swap grew by {after - before:.0f} MiB during the run ({before:.0f} -> {after:.0f} MiB): memory ran "
                "short and pages moved out while measuring"], []
    return [], ([f"{after:.0f} MiB of swap in use (not growing during the run)"] if after > SWAP_GROWTH_LIMIT_MB else [])


def _gpu_findings(conditions: dict, req: Requirements) -> list:
    reasons = []
    throttled = conditions.get("gpu_throttled_fraction")
    if throttled:
        reasons.append(f"the GPU slowed down (NVML power or thermal slowdown) in {throttled * 100:.0f} % of the "
                       "measured window's telemetry samples")
    others = sorted(set(conditions.get("gpu_other_processes_before") or []) |
                    set(conditions.get("gpu_other_processes_after") or []))
    if others:
        reasons.append(f"other processes computed on this GPU (pids {', '.join(map(str, others))})")
    cv = conditions.get("latency_cv_pct")
    if cv is not None and req.max_cv_pct is not None and cv > req.max_cv_pct:
        reasons.append(f"the latency's coefficient of variation is {cv:.1f} % (> --max_cv_pct {req.max_cv_pct:g})")
    return reasons


def _host_findings(conditions: dict, req: Requirements) -> list:
    share = conditions.get("host_interference_pct")
    if share is None or share <= req.max_host_interference_pct:
        return []
    cores = conditions.get("host_cores_n")
    worst = conditions.get("host_other_cpu_core_pct_max")
    steal = conditions.get("host_steal_core_pct")
    stolen = f", the hypervisor stole {steal:.0f} % of a core" if steal else ""
    return [f"host busy: other processes used {worst:.0f} % of a core during the measurement (at worst, in a 0.5 s "
            f"slice; {conditions.get('host_other_cpu_core_pct') or 0:.0f} % over the whole window{stolen}): "
            f"{share:.0f} % of the host's {cores} cores, above {req.max_host_interference_pct:g} %"]


def _noise_warnings(conditions: dict, req: Requirements) -> list:
    cv = conditions.get("latency_cv_pct")
    if cv is None or req.max_cv_pct is not None or cv <= CV_LIMIT_PCT:
        return []
    return [f"noisy: the latency's coefficient of variation is {cv:.1f} % (> {CV_LIMIT_PCT:g} %; --max_cv_pct makes "
            "that a verdict)"]


def unchecked(conditions: dict) -> dict:
    """What could not be checked for this run, with why (so a true verdict says what it rests on)."""
    out = {}
    if conditions.get("swap_used_mb_before") is None:
        out["swap"] = "swap could not be read"
    if conditions.get("gpu_processes_unavailable"):
        out["gpu_processes"] = conditions["gpu_processes_unavailable"]
    if conditions.get("gpu_throttled_fraction") is None:
        out["gpu_slowdown"] = conditions.get("gpu_slowdown_unavailable") or "no NVML slowdown reasons in the telemetry"
    if conditions.get("host_interference_pct") is None:
        out["host_load"] = conditions.get("host_load_unavailable") or "the host's load was not read"
    if not (conditions.get("power_before") or conditions.get("power_after")):
        out["power_state"] = conditions.get("power_before_unavailable") or "not a Jetson"
    return out


def judge(conditions: dict, req: Requirements) -> dict:
    """``{"valid", "reasons", "warnings", "unchecked", "requirements"}`` for one run."""
    power_reasons, power_warnings = _power_findings(conditions, req)
    swap_reasons, swap_warnings = _swap_findings(conditions)
    reasons = power_reasons + swap_reasons + _gpu_findings(conditions, req) + _host_findings(conditions, req)
    return {"valid": not reasons, "reasons": reasons,
            "warnings": power_warnings + swap_warnings + _noise_warnings(conditions, req),
            "unchecked": unchecked(conditions), "requirements": req.to_dict()}


def rejudged(result: dict, req: Requirements) -> Optional[dict]:
    """The verdict of a stored result under other requirements (None when it has no recorded conditions, or the
    verdict already used these requirements)."""
    validity = result.get("validity") or {}
    if "conditions" not in validity or validity.get("requirements") == req.to_dict():
        return None
    return {**judge(validity["conditions"], req), "conditions": validity["conditions"]}
