"""``--config FILE.yaml``: the flags kept in a file, and the resolved ``config.yaml`` every results folder gets.

A config file holds the flags' names without the dashes, at the top level or under the sections of ``--help``
(``matrix:``, ``models:``, ...), with YAML values: a list or a comma-separated string for a list flag, true/false for
a switch. A flag given on the command line wins over the file. ``<out_dir>/config.yaml`` holds every flag the
command was given (on its command line or in its own config file), resolved and sectioned: the flags it was not given
took their defaults, and some defaults depend on not being given (a model runs at its own size when ``--imgsz`` is
not given), so writing them out would change the matrix. ``--config <out_dir>/config.yaml`` measures it again.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UserError
from harness.settings.flag_sections import FLAG_SECTIONS, section_of

CONFIG_NAME = "config.yaml"
NOT_KEPT = ("config", "skip_setup", "skip_inference", "force", "verbose")  # how to run, not what to measure


def _flatten(data: dict, path: str) -> dict:
    """{flag: value}: sections (their names, or any mapping) flattened, flag names checked."""
    from harness.settings.options import FLAG_TABLE

    flat = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if isinstance(value, dict):  # a section (no flag takes a mapping)
            flat.update(_flatten(value, path))
        elif name in FLAG_TABLE:
            flat[name] = value
        else:
            raise UserError(f"--config {path}: {key!r} is not a flag (see --help) nor a section of them")
    return flat


def _raw(kind, value):
    """A config value as the command line would have given it (a string), or None for "not set"."""
    if kind == "flag":
        return True if value is True else None
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join("gpu" if v is None else str(v) for v in value)
    return str(value)


def config_values(path: str) -> dict:
    """{flag: raw string} from the YAML file at ``path``. Raises UserError for a missing or bad file."""
    import yaml

    from harness.settings.options import FLAG_TABLE

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UserError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise UserError(f"--config {path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise UserError(f"--config {path}: a mapping of flag names to values is expected")
    values = {name: _raw(FLAG_TABLE[name][0], value) for name, value in _flatten(data, path).items()}
    return {name: raw for name, raw in values.items() if raw is not None}


def fill_from_config(namespace, path: str) -> None:
    """Every flag the command line left unset takes the file's value."""
    for name, raw in config_values(path).items():
        if getattr(namespace, name, None) is None:
            setattr(namespace, name, raw)


def resolved_config(opts) -> dict:
    """{section: {flag: value}} of every flag the command was given, as resolved, in the form a config file takes."""
    from harness.settings.options import FLAG_TABLE

    sections: dict = {name: {} for name in FLAG_SECTIONS}
    for name, (kind, _) in FLAG_TABLE.items():
        value = getattr(opts, name, None)
        if name in NOT_KEPT or name not in opts.explicit or value is None or (kind == "flag" and not value):
            continue
        if isinstance(value, (list, tuple)):
            value = ["gpu" if v is None else v for v in value]
        sections.setdefault(section_of(name), {})[name] = value
    return {section: flags for section, flags in sections.items() if flags}


def write_resolved_config(out_dir: Path, opts) -> Path:
    import yaml

    from harness.files.atomic_io import atomic_write_text

    from harness import __version__

    text = (f"# the flags this results folder's last command was given, resolved (jetson_benchmark {__version__}; the\n"
            "# others took their defaults); measure the same matrix again with\n"
            f"#   python3 jetson_benchmark.py --config {Path(out_dir) / CONFIG_NAME}\n")
    return atomic_write_text(Path(out_dir) / CONFIG_NAME, text + yaml.safe_dump(resolved_config(opts), sort_keys=False))
