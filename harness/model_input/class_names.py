"""Class names, from the first place that has them: the model's ``.model.json`` (``names``), the model's own
metadata, then (for classify scoring) the sorted folder names of an ImageFolder tree. Pure Python.

In an ONNX model's metadata_props the names are read under these keys, first found wins: Ultralytics' ``names``
(a dict literal ``{0: 'person', ...}`` or a list), then ``labels``, ``classes``, ``class_names``, ``label_list``
and ``names`` as text: a newline-separated list when it has a newline, else comma-separated.
"""

from __future__ import annotations

import ast
from typing import Optional

LABEL_KEYS = ("names", "labels", "classes", "class_names", "label_list")


def _as_list(value) -> Optional[list]:
    """A label list from a dict / list literal or from text (newline- or comma-separated); None when not one."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            separator = "\n" if "\n" in value else ","
            value = [part.strip() for part in value.strip().split(separator)]
    if isinstance(value, dict):
        try:
            by_index = {int(k): str(v) for k, v in value.items()}
        except (TypeError, ValueError):
            return None
        return [by_index[i] for i in range(len(by_index))] if sorted(by_index) == list(range(len(by_index))) else None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, int)) and str(v) for v in value):
        return [str(v) for v in value]
    return None


def names_dict(value) -> dict:
    """{"0": name, ...} of a names value (dict, list or text); {} when it is not a label list."""
    return {str(i): name for i, name in enumerate(_as_list(value) or [])}


def names_from_metadata(meta: dict) -> tuple:
    """({"0": name, ...}, the key they came from) from a model's metadata, or ({}, None)."""
    for key in LABEL_KEYS:
        if meta.get(key) is None:
            continue
        names = names_dict(meta[key])
        if names:
            return names, key
    return {}, None


def names_line(names: dict, source: str, shown: int = 10) -> str:
    """"names: 4 from m.model.json (0 cat, 1 dog, ...)" or "names: none (...)"."""
    if not names:
        return "names: none in the model or its .model.json (classify scores in sorted folder order)"
    pairs = [f"{k} {v}" for k, v in sorted(names.items(), key=lambda kv: int(kv[0]))]
    more = f", ... {len(pairs) - shown} more" if len(pairs) > shown else ""
    return f"names: {len(pairs)} from {source} ({', '.join(pairs[:shown])}{more})"
