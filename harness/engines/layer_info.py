"""The engine inspector's layer information, read as data: which engine layers run on a DLA core and which on the
GPU. Pure Python over the JSON ``IEngineInspector.get_engine_information(LayerInformationFormat.JSON)`` returns
(the same document ``trtexec --exportLayerInfo`` writes); only :func:`engine_information_json` touches TensorRT.

The document is ``{"Layers": [...], "Bindings": [...]}``. Built with ``ProfilingVerbosity.DETAILED`` (the harness's
builds are), each layer is an object with ``Name``, ``LayerType``, ``Inputs``, ``Outputs`` and, from TensorRT 8.5,
``TacticName`` beside ``TacticValue``; built with the default ``LAYER_NAMES_ONLY`` (a user's engine), each layer is
only its name. A DLA core runs a whole subgraph as one engine layer named ``{ForeignNode[first...last]}`` whose
``LayerType`` names the DLA (``DLA``, ``DlaLayer``); copies between GPU memory and the DLA's are layers of their own
named ``<tensor> to nvm``, ``<tensor> from nvm`` and ``<tensor> copy finish``. A GPU engine can also hold
``{ForeignNode[...]}`` layers (Myelin's fused regions, ``LayerType`` ``Myelin``), so a name alone says DLA only in an
engine built for a DLA core.

Counted: the layers of the first optimization profile (other profiles repeat them with a ``[profile N]`` suffix);
``signal`` / ``wait`` layers (stream synchronisation, no compute) are left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Optional

FOREIGN_NODE = "{ForeignNode["
DLA_TRANSFER_SUFFIXES = (" to nvm", " from nvm", " copy finish")
SYNC_LAYER_TYPES = ("signal", "wait")
_OTHER_PROFILE = re.compile(r"\[profile +[1-9][0-9]*\]")
DLA, GPU, DLA_TRANSFER = "dla", "gpu", "dla_transfer"


class LayerInfoError(ValueError):
    """The text is not the engine inspector's JSON layer information."""


@dataclass(frozen=True)
class EngineLayer:
    name: str
    layer_type: Optional[str] = None   # None: the engine was built with names only
    tactic: Optional[str] = None       # TacticName, else TacticValue; None when not reported


def _entry(raw) -> EngineLayer:
    if isinstance(raw, str):
        return EngineLayer(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("Name"), str):
        raise LayerInfoError(f"a layer entry is neither a name nor an object with a Name: {str(raw)[:80]}")
    tactic = raw.get("TacticName") or raw.get("TacticValue")
    return EngineLayer(raw["Name"], raw.get("LayerType"), None if tactic is None else str(tactic))


def parse_layer_info(document) -> list:
    """The engine's layers (:class:`EngineLayer`) from the inspector's JSON (text or already parsed)."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise LayerInfoError(f"the layer information is not JSON ({exc})") from None
    layers = document.get("Layers") if isinstance(document, dict) else None
    if not isinstance(layers, list):
        raise LayerInfoError("the layer information has no \"Layers\" list")
    parsed = [_entry(raw) for raw in layers]
    return [layer for layer in parsed if not _OTHER_PROFILE.search(layer.name)
            and str(layer.layer_type or "").lower() not in SYNC_LAYER_TYPES]


def is_detailed(layers: list) -> bool:
    """Whether the engine reported layer types (built with ProfilingVerbosity.DETAILED), not only names."""
    return bool(layers) and all(layer.layer_type is not None for layer in layers)


def placement(layer: EngineLayer, built_for_dla: bool) -> str:
    """``dla``, ``dla_transfer`` (a copy between GPU memory and the DLA's) or ``gpu``."""
    if layer.name.endswith(DLA_TRANSFER_SUFFIXES):
        return DLA_TRANSFER
    if layer.layer_type is not None:
        return DLA if "dla" in layer.layer_type.lower() else GPU
    return DLA if built_for_dla and layer.name.startswith(FOREIGN_NODE) else GPU


def placement_counts(layers: list, built_for_dla: bool) -> dict:
    """How many engine layers run on a DLA core, on the GPU, and copy between them, and what the counts rest on."""
    kinds = [placement(layer, built_for_dla) for layer in layers]
    return {"dla_layers_n": kinds.count(DLA), "gpu_layers_n": kinds.count(GPU),
            "dla_transfer_layers_n": kinds.count(DLA_TRANSFER), "layers_n": len(layers),
            "basis": "layer types" if is_detailed(layers) else
                     "layer names ({ForeignNode[...]} counted as DLA only in an engine built for a DLA core)"}


def engine_information_json(trt, engine) -> str:
    """The engine inspector's layer information as JSON text (IEngineInspector exists from TensorRT 8.2)."""
    inspector = engine.create_engine_inspector()
    return str(inspector.get_engine_information(trt.LayerInformationFormat.JSON))


def layer_summary(layers: list) -> dict:
    """What an engine's sidecar keeps of its layer information: the count and each layer's name, type and tactic."""
    return {"layers_n": len(layers), "detailed": is_detailed(layers),
            "layers": [[layer.name, layer.layer_type, layer.tactic] for layer in layers]}


def _keyed(summary: dict) -> dict:
    """Layers by name, a repeated name numbered by its occurrence, so two engines' layers pair up."""
    seen: dict = {}
    keyed = {}
    for name, layer_type, tactic in summary.get("layers") or []:
        seen[name] = seen.get(name, 0) + 1
        keyed[name if seen[name] == 1 else f"{name} #{seen[name]}"] = (layer_type, tactic)
    return keyed


MAX_DIFFERENCES = 5


def _change(name: str, old: tuple, new: tuple) -> str:
    """``name: old tactic -> new tactic`` (or its layer types, when only they differ)."""
    which = 1 if old[1] != new[1] else 0
    return f"{name}: {old[which]} -> {new[which]}"


def compare_layers(previous: Optional[dict], current: Optional[dict]) -> dict:
    """Whether a rebuilt engine has the layers of the engine it replaced: the same names, types and tactics in the
    same count. ``same_layers`` is None (with ``reason``) when either side has no layer information."""
    if not previous or not current:
        side = "the replaced engine's sidecar" if not previous else "the new engine"
        return {"same_layers": None, "reason": f"{side} has no layer information to compare"}
    old, new = _keyed(previous), _keyed(current)
    changed = [_change(name, old[name], new[name]) for name in new if name in old and old[name] != new[name]]
    added = [f"added: {name}" for name in new if name not in old]
    removed = [f"removed: {name}" for name in old if name not in new]
    order_same = [row[0] for row in previous["layers"]] == [row[0] for row in current["layers"]]
    return {"same_layers": not (changed or added or removed) and order_same,
            "layers_n": current.get("layers_n"), "previous_layers_n": previous.get("layers_n"),
            "tactics_changed_n": len(changed), "layers_added_n": len(added), "layers_removed_n": len(removed),
            "differences": (changed + added + removed)[:MAX_DIFFERENCES]}
