"""Backend name -> runner class, imported only when asked for (the CLI never imports torch); the class a name
stands for is in its descriptor (runners/backends.py)."""

from __future__ import annotations

import importlib

from runners.backends import backend


def runner_class(name: str):
    """A built-in backend name, or ``package.module:Class`` for a runner of your own (a Runner subclass)."""
    module_name, class_name = backend(name).runner
    return getattr(importlib.import_module(module_name), class_name)
