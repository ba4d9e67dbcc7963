"""The pickled members of a torch.export archive (.pt2), checked before torch.export.load unpickles them.

torch.export.load reads most of an archive as JSON and raw tensor bytes, but a weight or constant whose config
entry says ``use_pickle: true`` goes through ``torch.load(weights_only=False)``, and opaque constants through
``pickle.loads``: a crafted archive runs code there. Every member that torch may unpickle is read here with the
opcode scan (nothing runs), and any global outside tensor rebuilding is reported:

- members named by a ``*_config.json`` entry with ``use_pickle: true``,
- members under ``data/constants/`` named ``custom_obj_*`` / ``opaque_obj_*``,
- any member that is itself a torch.save zip (its ``data.pkl``), at any depth,
- any other member that starts like a pickle, except raw tensor payloads a config declares ``use_pickle: false``.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from typing import Optional

from runners.pickle_scan import PICKLE_PROTO, pickle_refs, stream_refs
from runners.restricted_unpickler import TORCH_REBUILD, is_torch_constant

PICKLED_CONSTANT_PREFIXES = ("custom_obj_", "opaque_obj_")
TENSOR_VALUES = TORCH_REBUILD | {"collections.OrderedDict", "torch.Size", "builtins.set", "__builtin__.set",
                                 "_codecs.encode"}


def _allowed(ref: str) -> bool:
    module, _, name = ref.rpartition(".")
    if ref in TENSOR_VALUES:
        return True
    return module == "torch" and (name.endswith("Storage") or is_torch_constant(ref, ("dtype", "layout")))


def _config_entries(archive: zipfile.ZipFile) -> dict:
    """member name -> use_pickle, from every payload config in the archive."""
    declared = {}
    for name in archive.namelist():
        if not name.endswith("_config.json"):
            continue
        try:
            config = json.loads(archive.read(name)).get("config") or {}
        except (ValueError, AttributeError):
            continue
        for entry in config.values():
            if isinstance(entry, dict) and entry.get("path_name"):
                declared[posixpath.join(posixpath.dirname(name), entry["path_name"])] = bool(entry.get("use_pickle"))
    return declared


def _member_refs(data: bytes, must_be_pickle: bool) -> Optional[set]:
    """The globals a member would import when unpickled; None for a member that is not a pickle."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            refs: set = set()
            for name in inner.namelist():
                refs |= _member_refs(inner.read(name), name.endswith(".pkl")) or set()
            return refs
    if not data or (data[0] != PICKLE_PROTO and not must_be_pickle):
        return None
    if data[0] != PICKLE_PROTO:  # declared a pickle, written in protocol 0 or 1
        refs = set()
        try:
            pickle_refs(io.BytesIO(data), refs)
        except Exception:  # noqa: BLE001 - what was read before the break still counts
            pass
        return refs
    try:
        return stream_refs(data)
    except ValueError:
        return None


def untrusted_pt2_member(path) -> Optional[str]:
    """"member <name> asks for <global>" for the first member torch would unpickle with a global outside tensor
    rebuilding, else None."""
    if not zipfile.is_zipfile(path):
        return None  # not an archive: torch.export.load refuses it with its own reason
    with zipfile.ZipFile(path) as archive:
        declared = _config_entries(archive)
        for name in archive.namelist():
            base = posixpath.basename(name)
            pickled = declared.get(name, False) or base.startswith(PICKLED_CONSTANT_PREFIXES)
            if declared.get(name) is False:
                continue  # a raw tensor payload, read with torch.frombuffer
            refs = _member_refs(archive.read(name), pickled) or set()
            bad = sorted(r for r in refs if not _allowed(r))
            if bad:
                return f"member {name} asks for {bad[0]}"
    return None
