"""PyTorch model files: which kind a file is, loading it, an Ultralytics checkpoint's metadata, output tensors.

Kinds: "ultralytics" (an Ultralytics checkpoint the restricted unpickler accepts), "ultralytics_trusted" (one it
refuses, accepted only with trust_pickle and then loaded by Ultralytics' own unpickling), "torchscript" (an archive
from torch.jit.trace/script + save), "torch_export" (a torch.export program saved with torch.export.save, .pt2)
and "pickled_module" (torch.save of a whole nn.Module, only when the caller trusts the file). Telling them apart
never runs code from an untrusted file: zip entries are listed, a pickle's global references are read with
pickletools, an Ultralytics checkpoint is read through runners.restricted_unpickler, a .pt2's pickled members are
checked before torch.export.load, and torch.load runs with weights_only=True unless trust_pickle is set.
TorchScript archives are loaded as they are: torch.jit.load rebuilds only TorchScript-compiled code and torch
classes, never an arbitrary Python global.
"""

from __future__ import annotations

import io
import os
import zipfile

from runners.pickle_scan import pickle_refs, stream_refs

SUPPORTED = ("supported: Ultralytics checkpoints, TorchScript archives (torch.jit.trace/script + save), "
             "torch.export programs saved as .pt2, ONNX")
CONVERT = ("convert with torch.jit.trace(model, example).save('m.pt'), "
           "torch.export.save(torch.export.export(model, (example,)), 'm.pt2') or "
           "torch.onnx.export(model, (example,), 'm.onnx')")
ULTRALYTICS_MODELS = "ultralytics.nn.tasks."  # the module of the nn.Module types Ultralytics checkpoints pickle
ULTRALYTICS_KINDS = ("ultralytics", "ultralytics_trusted")


class UnsupportedModelFile(Exception):
    """A file no torch runner can load. The message is one line: the path as given, what the file is, what is
    supported and how to convert a model."""

    def __init__(self, path, what: str):
        self.path, self.what = os.fspath(path), what
        message = f"{self.path} is {what}; {SUPPORTED}; {CONVERT}"
        super().__init__(message.replace("\r", " ").replace("\n", " "))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _zip_names(path) -> list | None:
    """The entry names of a zip archive, or None when the file is not one."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _is_torchscript(names: list) -> bool:
    """torch.jit's archives hold constants.pkl and a code/ folder; torch.save's hold neither."""
    return any(n.rsplit("/", 1)[-1] == "constants.pkl" or "code" in n.split("/")[:-1] for n in names)


def pickle_globals(path, names: list | None) -> set:
    """'module.name' of every global a torch.save file's pickle imports (its <name>/data.pkl, or the pickles of
    a legacy file), without unpickling it. Raises UnsupportedModelFile when the file holds no readable pickle."""
    try:
        if names is None:
            with open(path, "rb") as handle:
                return stream_refs(handle.read())
        entry = next((n for n in names if n.rsplit("/", 1)[-1] == "data.pkl"), None)
        if entry is None:
            raise UnsupportedModelFile(path, "a zip archive with no data.pkl: not a torch.save file, TorchScript "
                                             "archive or torch.export program")
        refs: set = set()
        with zipfile.ZipFile(path) as archive:
            pickle_refs(io.BytesIO(archive.read(entry)), refs)
        return refs
    except UnsupportedModelFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure means: not a file torch.save wrote
        what = f"neither a zip archive torch writes nor a pickle ({_first_line(exc)})"
        raise UnsupportedModelFile(path, what) from None


def _is_tensor_map(obj) -> bool:
    import torch

    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def is_state_dict(obj) -> bool:
    """A mapping of tensors, possibly nested under "state_dict" or "model" keys (a training checkpoint)."""
    if _is_tensor_map(obj):
        return True
    return isinstance(obj, dict) and any(is_state_dict(obj.get(key)) for key in ("state_dict", "model"))


def _weights_only_load(path):
    """(True, object) when torch.load(weights_only=True) accepts the file, else (False, None)."""
    import torch

    try:
        return True, torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - weights_only refuses any type outside its allow-list
        return False, None


def _untrusted_pickle(path, refs: set) -> UnsupportedModelFile:
    """The refusal of an untrusted pickle, naming the types it references (not torch's own rebuild helpers)."""
    internal = ("torch._utils.", "collections.", "__builtin__.", "builtins.")
    types = sorted(r for r in refs if not r.startswith(internal) and not r.endswith("Storage"))
    shown = ", ".join(types[:3]) + (", ..." if len(types) > 3 else "")
    return UnsupportedModelFile(path, f"a pickled Python object ({shown}), e.g. torch.save(model) of a whole "
                                      "nn.Module: loading it runs code from the file, so it is refused unless the "
                                      "file is trusted (trust_pickle, --trust_pickle)")


def _pickled_module_kind(path) -> str:
    """"pickled_module" when the trusted file unpickles to an nn.Module."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - e.g. a type whose module cannot be imported here
        raise UnsupportedModelFile(path, f"a pickle that cannot be loaded ({_first_line(exc)})") from None
    if not isinstance(obj, torch.nn.Module):
        raise UnsupportedModelFile(path, f"a pickled {type(obj).__name__}, not an nn.Module")
    return "pickled_module"


def _ultralytics_kind(path, trust_pickle: bool) -> str:
    """"ultralytics" when the allow-list reads a checkpoint holding a model; "ultralytics_trusted" when only
    trust_pickle lets it through. Raises UnsupportedModelFile otherwise."""
    import torch

    from runners.ultralytics_checkpoints import UntrustedCheckpoint, restricted_checkpoint

    if not os.fspath(path).lower().endswith(".pt"):
        raise UnsupportedModelFile(path, "an Ultralytics checkpoint, which Ultralytics loads only from a file "
                                         "named *.pt: rename it")
    try:
        ckpt = restricted_checkpoint(path)
    except UntrustedCheckpoint as exc:
        if trust_pickle:
            return "ultralytics_trusted"
        raise UnsupportedModelFile(path, f"a checkpoint that asks for {exc.ref}, outside what a model checkpoint "
                                         "holds: loading it could run code from the file, so it is refused unless "
                                         "the file is trusted (trust_pickle, --trust_pickle)") from None
    except Exception as exc:  # noqa: BLE001 - a damaged or cut file
        raise UnsupportedModelFile(path, f"a checkpoint that cannot be read ({_first_line(exc)})") from None
    if not isinstance(ckpt.get("ema") or ckpt.get("model"), torch.nn.Module):
        keys = ", ".join(sorted(map(str, ckpt))[:6]) or "none"
        raise UnsupportedModelFile(path, f"a file that names Ultralytics model classes but holds no model (its keys: "
                                         f"{keys})")
    return "ultralytics"


def _pickle_kind(path, names: list | None, trust_pickle: bool) -> str:
    """The kind of a torch.save file, from its global references and a weights_only load."""
    import torch

    refs = pickle_globals(path, names)
    if any(r.startswith(ULTRALYTICS_MODELS) for r in refs):
        return _ultralytics_kind(path, trust_pickle)
    loaded, obj = _weights_only_load(path)
    if loaded and is_state_dict(obj):
        raise UnsupportedModelFile(path, "a state_dict (weights without the architecture): save the model itself")
    if loaded and not isinstance(obj, torch.nn.Module):
        raise UnsupportedModelFile(path, f"a pickled {type(obj).__name__} holding no model")
    if trust_pickle:
        return _pickled_module_kind(path)
    raise _untrusted_pickle(path, refs)


def _export_kind(path, trust_pickle: bool) -> str:
    import torch

    from runners.pt2_pickles import untrusted_pt2_member

    if not hasattr(torch, "export") or not hasattr(torch.export, "load"):
        raise UnsupportedModelFile(path, f"a torch.export program, which torch {torch.__version__} cannot load")
    refused = None if trust_pickle else untrusted_pt2_member(path)
    if refused:
        raise UnsupportedModelFile(path, f"a torch.export program whose {refused}: loading it could run code from "
                                         "the file, so it is refused unless the file is trusted (trust_pickle, "
                                         "--trust_pickle)")
    try:
        torch.export.load(path)
    except Exception as exc:  # noqa: BLE001 - e.g. an AOTInductor package or another torch's archive
        raise UnsupportedModelFile(path, f"a .pt2 file torch.export.load cannot read ({_first_line(exc)})") from None
    return "torch_export"


def pt_file_kind(path, trust_pickle: bool = False) -> str:
    """"ultralytics", "torchscript", "torch_export", or with trust_pickle=True also "ultralytics_trusted" and
    "pickled_module".

    Raises UnsupportedModelFile for a state_dict, a file asking for globals outside the allow-list (without
    trust_pickle) and anything else; FileNotFoundError when the path does not exist. Only the restricted
    unpickler, torch.export.load (after its pickles are checked) and, with trust_pickle, torch.load
    (weights_only=False) deserialize the file.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    names = _zip_names(path)
    if os.fspath(path).lower().endswith(".pt2") or (names and any(n.endswith("/archive_format") for n in names)):
        return _export_kind(path, trust_pickle)
    if names is not None and _is_torchscript(names):
        return "torchscript"
    return _pickle_kind(path, names, trust_pickle)


def _export_heads(model) -> None:
    """What Ultralytics' exporter sets on the heads for format="onnx", as far as an eager forward needs it:
    export=True (return the exported output tensors, not (output, raw feature maps)) and format="onnx"."""
    for module in model.modules():
        if isinstance(getattr(module, "export", None), bool):
            module.export = True
            module.format = "onnx"


def _load_module(path, kind: str, device: str):
    import torch

    if kind in ULTRALYTICS_KINDS:
        from runners.ultralytics_checkpoints import load_ultralytics_checkpoint

        model, _ = load_ultralytics_checkpoint(path, fuse=True, trusted=kind == "ultralytics_trusted")
        _export_heads(model)
        return model
    if kind == "torchscript":
        return torch.jit.load(path, map_location=device)
    if kind == "torch_export":
        return torch.export.load(path).module()  # traced in eval mode; .eval() is not supported on it
    if kind == "pickled_module":
        return torch.load(path, map_location="cpu", weights_only=False)
    raise ValueError(f"unknown model file kind {kind!r}: expected ultralytics, ultralytics_trusted, torchscript, "
                     "torch_export or pickled_module")


def load_torch_model(path, kind: str, device: str = "cpu"):
    """The model in `path` (of the kind pt_file_kind gave) on `device`: a callable in eval mode whose
    parameters do not require grad. An Ultralytics model returns the tensors its ONNX export returns."""
    model = _load_module(path, kind, device).to(device)
    if kind != "torch_export":
        model = model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def _int_list(value) -> list | None:
    return [int(v) for v in value] if value is not None else None


def checkpoint_metadata(path, trusted: bool = False) -> dict:
    """An Ultralytics checkpoint's task, imgsz (its train_args', None when absent), stride (the largest),
    names ({"0": name, ...}), kpt_shape (None when absent) and nc; JSON-serializable values."""
    from runners.ultralytics_checkpoints import load_ultralytics_checkpoint

    model, ckpt = load_ultralytics_checkpoint(path, fuse=False, trusted=trusted)
    yaml = getattr(model, "yaml", None) or {}
    names = {str(int(k)): str(v) for k, v in dict(getattr(model, "names", None) or {}).items()}
    imgsz = ((ckpt or {}).get("train_args") or {}).get("imgsz")
    kpt_shape = yaml.get("kpt_shape") or getattr(model, "kpt_shape", None)
    nc = getattr(model, "nc", None) or yaml.get("nc") or len(names) or None
    return {"task": str(model.task), "imgsz": imgsz if isinstance(imgsz, int) else _int_list(imgsz),
            "stride": int(max(float(s) for s in model.stride)), "names": names,
            "kpt_shape": _int_list(kpt_shape), "nc": int(nc) if nc is not None else None}


def flatten_outputs(out) -> list:
    """The tensors in a model's output, depth first: a tensor as [tensor], tuples and lists in order, dicts'
    values in key order; anything that is not a tensor is dropped."""
    import torch

    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for value in out.values() for t in flatten_outputs(value)]
    if isinstance(out, (list, tuple)):
        return [t for item in out for t in flatten_outputs(item)]
    return []
