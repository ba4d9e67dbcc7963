"""Device profiles: memory budget, unified memory, proactive skip rules. Data, not code.

The built-in profiles are JSON files in ``harness/profiles/``; ``--profile`` takes one of their names or
the path of a JSON file of the same shape, so users add their own boards without touching code.
Detection reads the board's own files (``/proc/device-tree/model``, ``/etc/nv_tegra_release``,
``/proc/meminfo``) and otherwise asks whether a CUDA device exists. Pure Python.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from harness.errors import UserError

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
_SCALE = re.compile(r"yolo(?:v)?\d+([nsmlx])(?![a-z])", re.IGNORECASE)


def builtin_profiles() -> dict:
    return {p.stem: _load(p) for p in sorted(PROFILES_DIR.glob("*.json"))}


def _load(path: Path) -> dict:
    try:
        profile = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"--profile {path}: not a readable JSON profile ({exc})")
    for key in ("name", "memory_budget_gb", "unified_memory", "skip_rules"):
        if key not in profile:
            raise UserError(f"--profile {path}: missing {key!r} (see harness/profiles/*.json for the shape)")
    return profile


def load_profile(name_or_path: str) -> dict:
    profiles = builtin_profiles()
    if name_or_path in profiles:
        return profiles[name_or_path]
    if Path(name_or_path).is_file():
        return _load(Path(name_or_path))
    raise UserError(f"--profile {name_or_path!r}: not a built-in profile ({', '.join(profiles)}) or a JSON file")


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text(errors="replace").replace("\x00", "").strip() or None
    except OSError:
        return None


def read_platform_facts(root: str | Path = "/") -> dict:
    """The files detection looks at. ``root`` lets tests point at recorded copies."""
    root = Path(root)
    meminfo = _read(root / "proc" / "meminfo") or ""
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo, re.MULTILINE)
    release = _read(root / "etc" / "nv_tegra_release")
    return {
        "device_tree_model": _read(root / "proc" / "device-tree" / "model"),
        "l4t_release": release.splitlines()[0] if release else None,
        "mem_total_gb": int(match.group(1)) / 1024 / 1024 if match else None,
        "nvmap_present": "NvMapMemUsed:" in meminfo,
    }


def is_jetson(facts: dict) -> bool:
    return bool(facts.get("l4t_release")) or "jetson" in (facts.get("device_tree_model") or "").lower()


def detect_profile(facts: dict, cuda_available: bool, profiles: Optional[dict] = None) -> tuple:
    """Returns (profile, evidence line)."""
    profiles = profiles or builtin_profiles()
    if is_jetson(facts):
        model = facts.get("device_tree_model") or ""
        memory = facts.get("mem_total_gb")
        for profile in profiles.values():
            detect = profile.get("detect", {})
            names = detect.get("device_tree_contains")
            if not names or not any(n.lower() in model.lower() for n in names):
                continue
            low, high = detect.get("mem_total_gb", [0, float("inf")])
            if memory is None or low <= memory < high:
                return profile, f"device tree model {model!r}, MemTotal {memory:.1f} GiB" if memory else f"device tree model {model!r}"
        jetsons = [p for p in profiles.values() if p.get("unified_memory") and p.get("memory_budget_gb")]
        if memory and jetsons:  # an unknown board: the unified-memory profile closest in size
            closest = min(jetsons, key=lambda p: abs(p["memory_budget_gb"] - memory))
            return closest, f"Jetson {model or facts.get('l4t_release')!r} not in any profile; closest by memory ({memory:.1f} GiB)"
    if cuda_available:
        return profiles["desktop-gpu"], "a CUDA device and no Jetson files"
    return profiles["cpu"], "no CUDA device"


def model_scale(model_name: str) -> Optional[str]:
    """yolo11n -> n, yolov8s -> s, yolo11l_rgb -> l; None when the name carries no scale."""
    match = _SCALE.search(model_name)
    return match.group(1).lower() if match else None


def matching_skip_rule(profile: dict, model_name: str, imgsz, batch: int) -> Optional[dict]:
    """The first rule that predicts this run does not fit; ``imgsz`` is a size label (640 or "480x640": the
    longer side is compared)."""
    from harness.data.image_size import parse_size

    scale = model_scale(model_name)
    imgsz = max(parse_size(imgsz))
    for rule in profile.get("skip_rules", []):
        scales = rule.get("model_scales")
        if scales and scale not in scales:
            continue
        if imgsz < rule.get("imgsz_min", 0) or batch < rule.get("batch_min", 0):
            continue
        return rule
    return None


def resolve_budget_mb(profile: dict, limit_gb: Optional[float], device_total_mb: Optional[float], cuda: bool) -> tuple:
    """The GPU memory budget in MiB and where it came from. GB in flags and profiles means GiB."""
    if not cuda and not profile.get("unified_memory"):
        return None, "no GPU: there is no GPU memory to budget"
    if limit_gb is not None:
        budget, source = limit_gb * 1024, f"--gpu_mem_limit_gb {limit_gb}"
    elif profile.get("memory_budget_gb"):
        budget, source = profile["memory_budget_gb"] * 1024, f"profile {profile['name']}"
    elif device_total_mb:
        budget, source = device_total_mb, "the whole device (profile has no budget)"
    else:
        return None, "no budget known"
    if device_total_mb and budget > device_total_mb:
        return device_total_mb, f"{source}, capped at the device's {device_total_mb / 1024:.1f} GiB"
    return budget, source
