"""generic: any other model. Timing and memory are measured as for every task; fidelity is the max abs error
and cosine similarity of every output; there is no accuracy figure."""

from __future__ import annotations

from harness.tasks.base import Task


class GenericTask(Task):
    name = "generic"
    default_resize = "stretch"
