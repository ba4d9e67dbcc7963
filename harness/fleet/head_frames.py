"""The head's share of the setup: decode and letterbox the data once (frames are platform-independent), in a
Phase A subprocess that builds nothing device-specific, and pack what the nodes need (frames, metadata, the
files the metadata points to) into one checksummed shipment. Source media travel only for --e2e, which
letterboxes from the original frames."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from harness.files.atomic_io import atomic_write_json, read_json
from harness.fleet.folder_shipment import Shipment, pack
from harness.fleet.node_work import PLACEHOLDER
from harness.settings.options import Options


def head_setup_options(opts: Options) -> Options:
    """Phase A on the head: the frames every model needs, nothing the nodes would rebuild (no engines, no
    references, no probes, no int8 models); on the CPU so a head without a GPU works."""
    return dataclasses.replace(opts, device="cpu", precision=["fp32"], batch=[min(opts.batch)], fidelity_frames=0,
                               probe_batch="off", enable_cudnn_tuning=False, backend=["auto"], profile="cpu",
                               gpu_mem_limit_gb=None, cuda_graph=False, trtexec_check=False, layer_profile=False,
                               cluster=None)


def _shipped_name(path: str) -> str:
    return f"shipped/{hashlib.sha1(path.encode()).hexdigest()[:10]}_{Path(path).name}"


def with_placeholders(value, files: dict, with_media: bool, key: str = ""):
    """The metadata with every absolute path to a file replaced by a placeholder, that file added to ``files``
    (source media left as they are unless ``with_media``)."""
    if isinstance(value, dict):
        return {k: with_placeholders(v, files, with_media, k) for k, v in value.items()}
    if isinstance(value, list):
        return [with_placeholders(v, files, with_media, key) for v in value]
    if isinstance(value, str) and value.startswith("/") and Path(value).is_file():
        if key == "source_path" and not with_media:
            return value
        name = _shipped_name(value)
        files[name] = value
        return PLACEHOLDER + name
    return value


def frames_shipment(pre_dir: Path, with_media: bool) -> Shipment:
    meta = read_json(pre_dir / "metadata.json")
    files: dict = {}
    for seq in meta["sequences"]:
        for rel in seq.get("frames", {}).values():
            files[rel] = pre_dir / rel
    shipped_meta = with_placeholders(meta, files, with_media)
    files["metadata.json"] = atomic_write_json(pre_dir / "fleet_metadata.json", shipped_meta)
    return pack(files)


def weights_shipment(weights_dir) -> Shipment:
    """Every file of --weights_dir (top level, as model discovery reads it), or None without one."""
    if not weights_dir:
        return None
    return pack({p.name: p for p in sorted(Path(weights_dir).iterdir()) if p.is_file()})
