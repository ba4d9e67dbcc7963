"""Ultralytics checkpoints loaded without running code from them.

Ultralytics' own loader (``ultralytics.nn.tasks.torch_safe_load``, behind ``YOLO(path)``, ``load_checkpoint``, the
exporter, the trainer and the validators) unpickles with ``weights_only=False``: a checkpoint with one extra key
holding ``os.system`` would run it. :func:`guard_ultralytics_loading` replaces that loader, for the life of the
process, by one that reads the file through :mod:`runners.restricted_unpickler`; every phase process that may
touch a user's checkpoint calls it first. A file the allow-list refuses loads only inside
:func:`ultralytics_loading` with ``trusted=True``, which the harness uses only for a file the user vouched for
with ``--trust_pickle``.
"""

from __future__ import annotations

import contextlib
import os

from runners.restricted_unpickler import RefusedGlobal, restricted_torch_load

_ORIGINAL: dict = {}
_STATE = {"trusted": False}
TRUST_HINT = "pass --trust_pickle only for a file you trust"


class UntrustedCheckpoint(Exception):
    """A checkpoint the allow-list refused. One line: the file, the global it asked for, the way out."""

    def __init__(self, path, refused: RefusedGlobal):
        self.path, self.ref = os.fspath(path), refused.ref
        super().__init__(f"{self.path} asks for {refused.ref} ({refused.why}): loading it could run code from the "
                         f"file, so it is refused; {TRUST_HINT}")


def restricted_checkpoint(path) -> dict:
    """The checkpoint dict in ``path``, unpickled through the allow-list. Raises UntrustedCheckpoint."""
    try:
        ckpt = restricted_torch_load(path)
    except RefusedGlobal as exc:
        raise UntrustedCheckpoint(path, exc) from None
    if not isinstance(ckpt, dict):
        raise TypeError(f"{os.fspath(path)} holds a {type(ckpt).__name__}, not an Ultralytics checkpoint dict")
    return ckpt


def _restricted_torch_safe_load(weight, safe_only=None):
    """``torch_safe_load``'s contract (checkpoint dict, file name) through the allow-list, unless trusted."""
    if _STATE["trusted"]:
        return _ORIGINAL["torch_safe_load"](weight)
    return restricted_checkpoint(str(weight)), str(weight)


def guard_ultralytics_loading() -> None:
    """From now on, every checkpoint Ultralytics loads in this process goes through the allow-list."""
    import ultralytics.nn.tasks as tasks

    if "torch_safe_load" not in _ORIGINAL:
        _ORIGINAL["torch_safe_load"] = tasks.torch_safe_load
        tasks.torch_safe_load = _restricted_torch_safe_load


@contextlib.contextmanager
def ultralytics_loading(trusted: bool):
    """Ultralytics loads inside the block: through the allow-list, or (trusted) Ultralytics' own unpickling."""
    guard_ultralytics_loading()
    before, _STATE["trusted"] = _STATE["trusted"], bool(trusted)
    try:
        yield
    finally:
        _STATE["trusted"] = before


def load_ultralytics_checkpoint(path, fuse: bool, trusted: bool = False) -> tuple:
    """(model in eval mode on the CPU, checkpoint dict) by Ultralytics' ``load_checkpoint``, guarded."""
    from ultralytics.nn.tasks import load_checkpoint

    with ultralytics_loading(trusted):
        return load_checkpoint(path, device="cpu", fuse=fuse)
