"""Names made from file names that never collide: in file names, run ids and folders, on any file system.

``safe_name`` turns a file name into a token for paths and run ids (``a b`` and ``a;b`` both become ``a-b``), and a
Jetson's SD card or a macOS disk may not tell ``Model`` from ``model``. Among names whose safe forms are equal when
case is ignored, the first (in sorted order) whose name is already its safe form keeps it; every other gets a short
stable suffix from a hash of its own name (``a-b-3f9c2a``): the same files always get the same names.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file-name-safe token (model names come from user file names)."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned or "model"


def suffixed(name: str) -> str:
    return f"{safe_name(name)}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:6]}"


def _groups(names: list) -> list:
    """``names`` grouped by their safe form ignoring case, each group sorted."""
    groups: dict = {}
    for name in sorted(set(names)):
        groups.setdefault(safe_name(name).casefold(), []).append(name)
    return list(groups.values())


def unique_safe_names(names: list) -> dict:
    """name -> a safe name unique among ``names`` ignoring case (see the module docstring)."""
    chosen = {}
    for members in _groups(names):
        keeper = next((m for m in members if m == safe_name(m)), members[0] if len(members) == 1 else None)
        for member in members:
            chosen[member] = safe_name(member) if member == keeper else suffixed(member)
    return chosen


def collision_lines(names: list, chosen: dict, what: str) -> list:
    """One line per group of ``names`` that would have shared a safe name, saying what each is called now."""
    lines = []
    for members in _groups(names):
        if len(members) > 1:
            renamed = ", ".join(f"{m!r} as {chosen[m]}" for m in members)
            lines.append(f"{len(members)} {what} would share the name {safe_name(members[0])}: {renamed}")
    return lines
