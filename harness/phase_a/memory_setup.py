"""Phase A: which device profile applies, what the memory budget is, and whether memory is unified."""

from __future__ import annotations

from harness.hardware.device_profiles import detect_profile, is_jetson, load_profile, read_platform_facts, resolve_budget_mb


def memory_setup(profile_option, limit_gb, device: dict, facts: dict | None = None) -> dict:
    facts = facts if facts is not None else read_platform_facts()
    jetson = is_jetson(facts)
    detected, why_detected = detect_profile(facts, bool(device.get("cuda")))
    if profile_option:
        profile, detection = load_profile(profile_option), f"--profile {profile_option}"
    else:
        profile, detection = detected, why_detected
    budget_mb, budget_source = resolve_budget_mb(profile, limit_gb, device.get("total_memory_mb"), bool(device.get("cuda")))
    device_total = device.get("total_memory_mb")
    constrained = budget_mb is not None and (
        profile.get("unified_memory") or limit_gb is not None or (device_total is not None and budget_mb < device_total))
    return {
        "profile": profile,
        "profile_name": profile["name"],
        "detection": detection,
        "platform_facts": facts,
        "jetson": jetson,
        "unified_memory": jetson,  # physically shared pool: a real Jetson, not an emulated profile
        "emulated": bool(profile.get("unified_memory")) and not jetson,
        "budget_mb": budget_mb,
        "budget_source": budget_source,
        "budget_constrained": bool(constrained),
        "rules_apply": profile["name"] == detected["name"],
    }


def rules_profile(memory: dict):
    """The profile whose skip rules the planner applies: only on the device they were written for (a profile
    emulated elsewhere, or forced onto a CPU host, predicts nothing there: its runs are measured instead)."""
    return memory["profile"] if memory.get("rules_apply", True) else None
