"""The saved setup config: what Phase A prepared, the only thing Phase B reads besides the frames."""

from __future__ import annotations

from pathlib import Path

from harness.files.atomic_io import atomic_write_json, read_json
from harness.errors import UserError

SCHEMA_VERSION = 2  # 2: typed run modes, per-model sizes, input specs and task settings
FILENAME = "setup_config.json"
METADATA_FILENAME = "metadata.json"


def setup_config_path(preprocessed_dir: str) -> Path:
    return Path(preprocessed_dir).resolve() / FILENAME


def write_setup_config(path: Path, payload: dict) -> Path:
    return atomic_write_json(path, {"schema_version": SCHEMA_VERSION, **payload})


def read_setup_config(path: Path) -> dict:
    """Load and check the schema version; a missing or foreign file is a one-line user error."""
    hint = "run setup first (drop --skip_setup)"
    if not path.is_file():
        raise UserError(f"no saved setup in {path.parent}: {hint}")
    try:
        config = read_json(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"saved setup {path} is unreadable ({exc}): {hint}")
    version = config.get("schema_version") if isinstance(config, dict) else None
    if version != SCHEMA_VERSION:
        raise UserError(f"saved setup {path} has schema version {version}, this harness reads {SCHEMA_VERSION}: {hint}")
    return config


def resolve_path(config_path: Path, stored: str) -> Path:
    """Paths inside the config are stored relative to its folder, so the folder can move."""
    candidate = Path(stored)
    return candidate if candidate.is_absolute() else (config_path.parent / candidate)
