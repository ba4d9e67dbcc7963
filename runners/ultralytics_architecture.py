"""A user's Ultralytics model YAML, checked before Ultralytics builds it.

Ultralytics' ``parse_model`` runs ``eval()`` on the YAML's ``activation`` string and calls whatever name of its
own module a layer names, with the YAML's arguments (``torch_safe_load`` is such a name): building a model from
an untrusted YAML can run code. A YAML from ``--weights_dir`` is built only when its activation is a literal
``nn.<Module>(literals)`` call and every layer names an ``nn.Module`` class (of ``torch.nn``, ``torchvision.ops``
or Ultralytics' model modules); otherwise the model is refused with the offending entry named. Ultralytics' own
architecture files (``yolo11n.yaml``) are not checked: they ship with the library.
"""

from __future__ import annotations

import ast


class UnsafeArchitecture(Exception):
    """One line: the file and the entry that could run code."""


def _is_module_class(obj) -> bool:
    import torch

    return isinstance(obj, type) and issubclass(obj, torch.nn.Module)


def _literal_activation(text: str) -> bool:
    """``nn.SiLU()`` / ``torch.nn.LeakyReLU(0.1)``: a torch.nn module class called with literal arguments."""
    import torch

    try:
        call = ast.parse(str(text).strip(), mode="eval").body
        if not isinstance(call, ast.Call):
            return False
        parts, node = [], call.func
        while isinstance(node, ast.Attribute):
            parts.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or [node.id] + parts[:-1] not in (["nn"], ["torch", "nn"]):
            return False
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            ast.literal_eval(arg)
        return _is_module_class(getattr(torch.nn, parts[-1], None))
    except (SyntaxError, ValueError, TypeError):
        return False


def _layer_class(name: str):
    import importlib

    import torch

    if name.startswith("nn."):
        return getattr(torch.nn, name[3:], None)
    if name.startswith("torchvision.ops."):
        return getattr(importlib.import_module("torchvision.ops"), name[16:], None)
    return getattr(importlib.import_module("ultralytics.nn.tasks"), name, None)


def check_architecture(path: str) -> None:
    """Raise UnsafeArchitecture when building the YAML at ``path`` could run code (see the module docstring)."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    if not isinstance(spec, dict):
        raise UnsafeArchitecture(f"{path}: not a model architecture (a YAML mapping with backbone and head)")
    act = spec.get("activation")
    if act is not None and not _literal_activation(act):
        raise UnsafeArchitecture(f"{path}: activation {act!r} is not a torch.nn module with literal arguments; "
                                 "Ultralytics would eval() it, so the file is refused")
    for layer in list(spec.get("backbone") or []) + list(spec.get("head") or []):
        name = layer[2] if isinstance(layer, (list, tuple)) and len(layer) > 2 else None
        if not isinstance(name, str) or not _is_module_class(_layer_class(name)):
            raise UnsafeArchitecture(f"{path}: layer {layer!r} does not name an nn.Module class; Ultralytics would "
                                     "call it with the file's arguments, so the file is refused")
