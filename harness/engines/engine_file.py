"""Reading a ``.engine`` file: a plain TensorRT plan, or the Ultralytics layout.

Ultralytics writes ``<int32 little-endian L><L bytes of UTF-8 JSON metadata><plan>``. A plain plan is
just the bytes ``build_serialized_network`` returned. The layout is detected, never assumed: the first
four bytes are read as a length only when 0 < L <= 1 MiB, the metadata leaves at least one byte of plan,
and those L bytes parse as a JSON object. Anything else is a plain plan (TensorRT itself says whether the
bytes are a valid engine when they are deserialized).
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.files.atomic_io import atomic_write_bytes

FORMAT_ULTRALYTICS = "ultralytics"
FORMAT_PLAIN = "plain"
MAX_METADATA_BYTES = 1 << 20  # an Ultralytics header longer than 1 MiB is not one
_LENGTH = struct.Struct("<i")


class EngineFileError(Exception):
    """The engine file is missing, unreadable or empty."""


@dataclass
class EngineFile:
    """plan: the serialized TensorRT engine; metadata: the Ultralytics JSON header (None for a plain
    plan); format: ``"ultralytics"`` or ``"plain"``."""

    plan: bytes
    metadata: Optional[dict]
    format: str


def split_engine_bytes(data: bytes) -> EngineFile:
    """Split file contents into metadata and plan (see the module docstring for the detection rule)."""
    if len(data) > _LENGTH.size:
        (length,) = _LENGTH.unpack_from(data, 0)
        end = _LENGTH.size + length
        if 0 < length <= MAX_METADATA_BYTES and end < len(data):
            try:
                metadata = json.loads(data[_LENGTH.size:end].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                metadata = None
            if isinstance(metadata, dict):
                return EngineFile(plan=data[end:], metadata=metadata, format=FORMAT_ULTRALYTICS)
    return EngineFile(plan=data, metadata=None, format=FORMAT_PLAIN)


def read_engine_file(path: str | os.PathLike) -> EngineFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EngineFileError(f"cannot read engine file {path}: {exc.strerror or exc}") from exc
    if not data:
        raise EngineFileError(f"engine file {path} is empty (a build that was interrupted?)")
    return split_engine_bytes(data)


def write_ultralytics_engine(path: str | os.PathLike, plan: bytes, metadata: dict) -> Path:
    """Write ``plan`` with a JSON metadata header in the Ultralytics layout (atomically)."""
    header = json.dumps(metadata).encode("utf-8")
    if not 0 < len(header) <= MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be 1 byte to 1 MiB of JSON, got {len(header)} bytes")
    return atomic_write_bytes(path, _LENGTH.pack(len(header)) + header + bytes(plan))
