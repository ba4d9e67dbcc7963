"""Files shipped from the head to the nodes through Ray's object store: packed once, checksummed, unpacked on
each node and checked there. Pure Python (tarfile + hashlib)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shipment:
    data: bytes          # an uncompressed tar: frames are already dense, compressing them costs the head time
    sha256: str
    files: int

    @property
    def mib(self) -> float:
        return len(self.data) / 2**20


def pack(files: dict) -> Shipment:
    """``files``: {name inside the shipment: path on the head}. A symbolic link is shipped as the file it points to
    (a node has no use for a link to a path on the head)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", dereference=True) as tar:
        for name, path in sorted(files.items()):
            tar.add(str(path), arcname=name, recursive=False)
    data = buffer.getvalue()
    return Shipment(data, hashlib.sha256(data).hexdigest(), len(files))


def unpack(shipment: Shipment, destination: Path) -> list:
    """Checks the checksum, then writes every file under ``destination``; returns their names."""
    digest = hashlib.sha256(shipment.data).hexdigest()
    if digest != shipment.sha256:
        raise ValueError(f"shipment corrupted in transit: sha256 {digest[:12]} != {shipment.sha256[:12]}")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(shipment.data), mode="r") as tar:
        members = tar.getmembers()
        for member in members:
            target = (destination / member.name).resolve()
            if destination.resolve() not in target.parents or not member.isfile():
                raise ValueError(f"shipment member {member.name!r} is not a plain file inside the destination")
        for member in members:
            target = destination / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src:
                target.write_bytes(src.read())
    return [m.name for m in members]
