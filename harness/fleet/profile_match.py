"""A node's own check of the profile it advertises: a board that claims to be an Orin Nano and is not would put
wrong labels on every figure it measures. Pure functions over the facts detection reads."""

from __future__ import annotations

from typing import Optional

from harness.hardware.device_profiles import builtin_profiles, detect_profile, is_jetson


def _custom_mismatch(profile: dict, facts: dict, cuda: bool) -> Optional[str]:
    """A user's profile says what it runs on in ``detect``: device tree names, a MemTotal range (GiB) and whether a
    CUDA device is needed (``"cuda": true|false``); a condition it leaves out is not checked."""
    detect = profile.get("detect") or {}
    names = detect.get("device_tree_contains")
    model = facts.get("device_tree_model") or ""
    if names and not any(n.lower() in model.lower() for n in names):
        return f"its device tree model {model or 'is absent'!r} contains none of {names}"
    memory = facts.get("mem_total_gb")
    low, high = detect.get("mem_total_gb", [0, float("inf")])
    if memory is not None and not low <= memory < high:
        return f"its MemTotal {memory:.1f} GiB is outside [{low}, {high})"
    if "cuda" in detect and bool(detect["cuda"]) != cuda and not is_jetson(facts):
        return "it has a CUDA device" if cuda else "it has no CUDA device"
    return None


def profile_mismatch(profile: dict, facts: dict, cuda: bool) -> Optional[str]:
    """None when the node is what ``profile`` says, else why not (one line)."""
    builtins = builtin_profiles()
    if profile["name"] in builtins and builtins[profile["name"]] == profile:
        detected, evidence = detect_profile(facts, cuda, builtins)
        if detected["name"] == profile["name"]:
            return None
        return f"it is detected as {detected['name']} ({evidence})"
    return _custom_mismatch(profile, facts, cuda)
