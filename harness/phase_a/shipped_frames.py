"""A fleet node's Phase A takes the frames its head decoded (shipped into the preprocessed folder, checksummed
on arrival) instead of scanning and decoding a source the node does not have."""

from __future__ import annotations

from pathlib import Path

from harness.files.atomic_io import read_json
from harness.errors import UserError
from harness.phase_a.preprocess import existing_metadata
from harness.records.setup_config import METADATA_FILENAME


def shipped_fingerprint(root: Path) -> str:
    try:
        return read_json(Path(root) / METADATA_FILENAME)["fingerprint"]
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{root}: no shipped {METADATA_FILENAME} from the fleet's head ({exc})") from None


def shipped_metadata(root: Path, keys: list) -> dict:
    """The shipped metadata when it holds every frames key the models need and every frame file is there."""
    meta = existing_metadata(Path(root), shipped_fingerprint(root), keys)
    if meta is None:
        raise UserError(f"{root}: the frames shipped by the head lack one of the frames keys {sorted(map(str, keys))} "
                        "or a frame file (the head and this node resolved the models' inputs differently)")
    return {**meta, "reused": True, "shipped": True}
