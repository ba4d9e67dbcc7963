"""A test runner that really runs out of its own memory budget (used by the probe tests).

Each pass allocates and touches ``batch x per_item_mb`` MiB. Its budget is enforced for real with
``RLIMIT_AS`` (address space = what is already mapped + the budget), so past it numpy's allocation fails
with a genuine MemoryError. Past ``sigkill_above_batch`` it SIGKILLs itself, as the kernel OOM killer
does to a process on a Jetson: the caller sees exit -9 with no message.
"""

from __future__ import annotations

import os
import resource
import signal

import numpy as np

from runners.base import Runner

MB = 2**20


def _vm_size_bytes() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize")


class MemoryHungryRunner(Runner):
    backend = "memory_hungry"

    def load(self) -> None:
        self.per_item_mb = float(self.options.get("per_item_mb", 64))
        self.kill_above = self.options.get("sigkill_above_batch")
        if self.memory_budget_mb is not None:
            limit = _vm_size_bytes() + int(self.memory_budget_mb * MB)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            self.memory_limit = {"limit_mb": self.memory_budget_mb, "limit_type": "hard",
                                 "mechanism": "RLIMIT_AS", "note": "test runner"}

    def prepare(self, frames_nchw_uint8):
        return frames_nchw_uint8

    def infer(self, inputs):
        if self.kill_above is not None and self.batch > int(self.kill_above):
            os.kill(os.getpid(), signal.SIGKILL)
        buffer = np.ones(int(self.batch * self.per_item_mb * MB // 8), dtype=np.float64)
        return float(buffer[:: 4096 // 8].sum())

    def to_numpy(self, outputs):
        return np.asarray([outputs], dtype=np.float32)

    def release(self) -> None:
        pass
