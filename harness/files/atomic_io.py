"""Atomic file writes: a reader (or a kill) never sees half a file.

Every result, config and report goes through here. The data is written to a temporary file in the same
folder (so the rename stays on one filesystem), flushed and fsync'ed, then renamed over the target,
which POSIX makes atomic. A process killed mid-write leaves at most a ``.*.tmp`` file, which
:func:`remove_stale_temps` deletes on the next start; readers only ever look at the final names.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.files.disk_errors import with_path

TEMP_SUFFIX = ".tmp"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    target = Path(path)
    try:
        return _write_replace(target, data)
    except OSError as exc:
        raise with_path(exc, target) from exc


def _write_replace(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; results are meant to be shared and read
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def json_safe(value: Any) -> Any:
    """Plain JSON values: NaN/inf become null (an unmeasurable float; its reason is stored beside it), numpy
    scalars become Python numbers, paths and anything else unknown become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return json_safe(value.item())
    return str(value)


def atomic_write_json(path: str | os.PathLike, payload: Any) -> Path:
    text = json.dumps(json_safe(payload), indent=2, sort_keys=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete temp files a killed writer left behind in ``folder`` (not recursive)."""
    removed = []
    base = Path(folder)
    if not base.is_dir():
        return removed
    for candidate in base.glob(f".*{TEMP_SUFFIX}"):
        try:
            candidate.unlink()
            removed.append(candidate)
        except FileNotFoundError:
            pass
    return removed
