"""A JSON sidecar beside every exported or built artifact (``model.onnx`` -> ``model.onnx.json``).

It records what the artifact was made from and with (source weights hash, imgsz, batch, precision, tool
versions, and for engines the platform). An artifact whose sidecar matches what we would build now is
reused instead of rebuilt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

from harness.files.atomic_io import atomic_write_json, read_json


def sidecar_path(artifact: str | Path) -> Path:
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".json")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sidecar(artifact: str | Path) -> Optional[dict]:
    try:
        data = read_json(sidecar_path(artifact))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_sidecar(artifact: str | Path, info: dict) -> Path:
    """Store ``info`` plus the artifact's own size and hash (so a replaced file is noticed)."""
    artifact = Path(artifact)
    payload = {**info, "artifact_sha256": file_sha256(artifact), "artifact_bytes": artifact.stat().st_size}
    return atomic_write_json(sidecar_path(artifact), payload)


def reusable(artifact: str | Path, wanted: dict) -> bool:
    """True when the artifact exists, is the file its sidecar describes, and every wanted field matches."""
    artifact = Path(artifact)
    if not artifact.is_file():
        return False
    stored = read_sidecar(artifact)
    if not stored or stored.get("artifact_bytes") != artifact.stat().st_size:
        return False
    if any(stored.get(key) != value for key, value in wanted.items()):
        return False
    return stored.get("artifact_sha256") == file_sha256(artifact)
