"""Loading a torch.save file without running code from it: an unpickler that builds only an allow-list.

A pickle is a small program: its GLOBAL opcodes import any name and its REDUCE opcodes call it, so a model file
can carry ``os.system("...")``. This unpickler (Python's own pure-Python one, with its opcodes narrowed) gives:

- **values** that may be called while unpickling: torch's tensor and parameter rebuild helpers, plain containers
  (OrderedDict, set, slice, ...), numpy scalars and dtypes, paths, Ultralytics' IterableSimpleNamespace, enum
  members, torch dtypes and layouts;
- **model classes** that may only be *allocated* (``cls.__new__``, NEWOBJ) and filled from their pickled
  ``__dict__``, never constructed: a subclass of ``torch.nn.Module`` defined in torch.nn, torchvision or
  ultralytics.nn, and the plain classes of Ultralytics' loss and assigner modules that training checkpoints hold.
  Calling one (REDUCE, INST, OBJ) would run its ``__init__`` with the file's arguments, so it is refused;
- nothing else: any other global (``os.system``, ``subprocess.Popen``, ``builtins.eval``, a user's own class) ends
  the load with :class:`RefusedGlobal`, which names the global. ``builtins.getattr`` is replaced by a version
  that only reads a method of a model class or an enum member (older Ultralytics checkpoints pickle
  ``getattr(Detect, "forward")``).

torch.load drives it through its ``pickle_module`` argument, so storages are read by torch as usual. Older
Ultralytics module paths are mapped to today's the way Ultralytics' own loader maps them.
"""

from __future__ import annotations

import _compat_pickle
import enum
import importlib
import pickle
import types

TORCH_REBUILD = {f"torch._utils.{name}" for name in (
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
    "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass")} | {"torch._tensor._rebuild_from_type", "torch._tensor._rebuild_from_type_v2"}
PLAIN_VALUES = {
    "collections.OrderedDict", "collections.Counter", "builtins.set", "builtins.frozenset", "builtins.slice",
    "builtins.range", "builtins.complex", "builtins.bytearray", "builtins.list", "builtins.dict", "builtins.tuple",
    "builtins.int", "builtins.float", "builtins.bool", "builtins.str", "builtins.bytes", "_codecs.encode",
    "torch.Size", "torch.device", "datetime.datetime", "datetime.date", "datetime.timedelta",
    "types.SimpleNamespace", "ultralytics.utils.IterableSimpleNamespace",
    "numpy.dtype", "numpy.ndarray", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
}
# Older names of what a checkpoint may reference, as Ultralytics' own loader maps them.
ALIASES = {
    "ultralytics.yolo.utils.IterableSimpleNamespace": "ultralytics.utils.IterableSimpleNamespace",
    "ultralytics.nn.modules.block.Silence": "torch.nn.modules.linear.Identity",
    "ultralytics.nn.tasks.YOLOv10DetectionModel": "ultralytics.nn.tasks.DetectionModel",
    "ultralytics.utils.loss.v10DetectLoss": "ultralytics.utils.loss.E2EDetectLoss",
    "pathlib.WindowsPath": "pathlib.PosixPath", "pathlib.PurePosixPath": "pathlib.PosixPath",
    "pathlib.PureWindowsPath": "pathlib.PosixPath", "pathlib._local.PosixPath": "pathlib.PosixPath",
    "pathlib._local.WindowsPath": "pathlib.PosixPath",
}
MODEL_MODULES = ("torch.nn.", "torchvision.", "ultralytics.nn.")             # nn.Module subclasses defined here
PLAIN_CLASS_MODULES = ("ultralytics.utils.loss", "ultralytics.utils.tal",     # plain classes training pickles
                       "torchvision.transforms.")
TORCH_CONSTANT_TYPES = ("dtype", "layout", "memory_format")


class RefusedGlobal(pickle.UnpicklingError):
    """The file asked for something outside the allow-list; ``ref`` names it ("os.system")."""

    def __init__(self, ref: str, why: str):
        super().__init__(f"{ref}: {why}")
        self.ref, self.why = ref, why


def _resolve(ref: str):
    module, _, name = ref.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _is_model_class(obj, module: str) -> bool:
    import torch

    if not isinstance(obj, type):
        return False
    if module.startswith(MODEL_MODULES) and issubclass(obj, torch.nn.Module):
        return True
    return module.startswith(PLAIN_CLASS_MODULES) and obj.__module__ == module


def is_torch_constant(ref: str, kinds: tuple = TORCH_CONSTANT_TYPES) -> bool:
    """``torch.float32``, ``torch.strided``, ...: a torch constant of one of ``kinds`` (type names)."""
    import torch

    module, _, name = ref.rpartition(".")
    value = getattr(torch, name, None) if module == "torch" else None
    return value is not None and type(value).__name__ in kinds


def _model_attribute(obj, name: str):
    """``builtins.getattr`` as model checkpoints use it: a method of a model class, an enum member."""
    import torch

    if name.startswith("__"):
        raise RefusedGlobal(f"getattr(..., {name!r})", "reads a private attribute")
    if isinstance(obj, type) and issubclass(obj, (torch.nn.Module, enum.Enum)):
        return getattr(obj, name)
    if isinstance(obj, torch.nn.Module) and name in ("forward", "forward_fuse"):
        return getattr(type(obj), name).__get__(obj)
    raise RefusedGlobal(f"getattr({type(obj).__name__}, {name!r})", "reads an attribute of something not a model")


class RestrictedUnpickler(pickle._Unpickler):  # the pure-Python unpickler: its opcodes can be narrowed
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.callables: set = set()   # ids of what REDUCE may call
        self.allocatable: set = set()  # ids of classes NEWOBJ may allocate

    def find_class(self, module: str, name: str):
        if self.proto < 3 and self.fix_imports:  # Python 2 names, as pickle's own find_class maps them
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        ref = ALIASES.get(f"{module}.{name}", f"{module}.{name}")
        if "." in name or name.startswith("__"):
            raise RefusedGlobal(ref, "a nested or private name, which no model checkpoint holds")
        if ref == "builtins.getattr":
            self.callables.add(id(_model_attribute))
            return _model_attribute
        if ref in TORCH_REBUILD or ref in PLAIN_VALUES:
            return self._allow(_resolve(ref), callable_=True)
        if is_torch_constant(ref):
            return _resolve(ref)
        module_name = ref.rpartition(".")[0]
        if module_name.startswith(MODEL_MODULES + PLAIN_CLASS_MODULES):
            obj = _resolve(ref)
            if isinstance(obj, type) and issubclass(obj, enum.Enum):
                return self._allow(obj, callable_=True)
            if _is_model_class(obj, module_name):
                return self._allow(obj, callable_=False)
        raise RefusedGlobal(ref, "not a tensor, a plain value or a model class")

    def _allow(self, obj, callable_: bool):
        self.allocatable.add(id(obj))
        if callable_:
            self.callables.add(id(obj))
        return obj

    def load_reduce(self):
        func = self.stack[-2]
        if id(func) not in self.callables:
            raise RefusedGlobal(_name_of(func), "calling it would run its constructor with the file's arguments")
        super().load_reduce()

    def load_newobj(self):
        self._check_allocatable(self.stack[-2])
        super().load_newobj()

    def load_newobj_ex(self):
        self._check_allocatable(self.stack[-3])
        super().load_newobj_ex()

    def _instantiate(self, klass, args):  # INST and OBJ call the class: only plain values may be called
        if id(klass) not in self.callables:
            raise RefusedGlobal(_name_of(klass), "calling it would run its constructor with the file's arguments")
        super()._instantiate(klass, args)

    def load_build(self):
        if isinstance(self.stack[-2], (type, types.ModuleType)):
            raise RefusedGlobal(_name_of(self.stack[-2]), "the file sets attributes of a class, not of an object")
        super().load_build()

    def _check_allocatable(self, cls):
        if id(cls) not in self.allocatable:
            raise RefusedGlobal(_name_of(cls), "not a class the allow-list builds")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build


def _name_of(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def _restricted_load(file, **kwargs):
    return RestrictedUnpickler(file, **kwargs).load()


# What torch.load's ``pickle_module`` argument needs: a module with Unpickler and load.
restricted_pickle = types.ModuleType("restricted_pickle")
restricted_pickle.Unpickler = RestrictedUnpickler
restricted_pickle.load = _restricted_load
restricted_pickle.UnpicklingError = pickle.UnpicklingError


def restricted_torch_load(path):
    """torch.load of ``path`` on the CPU through the restricted unpickler. Raises RefusedGlobal when the file asks
    for anything outside the allow-list (nothing it asked for before that was outside it either)."""
    import torch

    return torch.load(path, map_location="cpu", pickle_module=restricted_pickle, weights_only=False)


