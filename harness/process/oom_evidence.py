"""Whether a child that died by SIGKILL ran out of memory: what the kernel and the child's memory say.

A SIGKILL nobody in the harness sent is the kernel OOM killer's signature, but also that of a user's ``kill -9``,
a watchdog or a container runtime. It is called out of memory only with evidence, gathered by the parent while
the child lives (:class:`MemoryWitness`):

- the memory cgroup's OOM-kill counter rose during the child's life (cgroup v2 ``memory.events`` ``oom_kill``,
  v1 ``memory.oom_control`` ``oom_kill``), or
- the kernel log names the child's pid in an OOM kill (``dmesg``, where it may be read), or
- at the last sample before the kill (every 0.25 s) the host had less than 5 % of its memory available, or the
  child's process tree held at least 90 % of the run's memory budget.

Otherwise the kill is told as it was: "killed by SIGKILL (no sign of memory pressure: ...)".
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

SAMPLE_S = 0.25
HOST_AVAILABLE_FLOOR = 0.05
BUDGET_CEILING = 0.90
MB = 2**20


def _cgroup_files() -> list:
    """The OOM counter files of this process's memory cgroup (v2 first), those that exist."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        path = path.lstrip("/")
        if controllers == "":
            found += [Path("/sys/fs/cgroup") / path / "memory.events",
                      Path("/sys/fs/cgroup/unified") / path / "memory.events"]
        elif "memory" in controllers.split(","):
            found.append(Path("/sys/fs/cgroup/memory") / path / "memory.oom_control")
    return [p for p in found if p.is_file()]


def oom_kill_count() -> tuple:
    """(file, count) of the first readable cgroup OOM-kill counter, or (None, None)."""
    for path in _cgroup_files():
        try:
            for line in path.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return str(path), int(value)
        except (OSError, ValueError):
            continue
    return None, None


def kernel_log_names(pid: int) -> Optional[str]:
    """The kernel log line of an OOM kill of ``pid``, None when there is none or the log cannot be read."""
    try:
        text = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=3).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in reversed(text.splitlines()):
        if (f"Killed process {pid} " in line or f",pid={pid}," in line) and ("memory" in line.lower() or "oom" in line):
            return line.strip()
    return None


@dataclass
class MemorySample:
    at: float                      # time.time() of the sample
    tree_rss_mb: float             # the child and its descendants
    host_available_mb: float
    host_total_mb: float


def sample(pid: int) -> Optional[MemorySample]:
    import psutil

    try:
        root = psutil.Process(pid)
        if root.status() == psutil.STATUS_ZOMBIE:  # dead, not yet reaped: its memory is gone, not measured
            return None
        rss = root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True))
    except (psutil.Error, OSError):
        return None
    host = psutil.virtual_memory()
    return MemorySample(time.time(), rss / MB, host.available / MB, host.total / MB)


@dataclass
class MemoryRecord:
    counter_file: Optional[str] = None
    oom_kills_before: Optional[int] = None
    oom_kills_after: Optional[int] = None
    last_sample: Optional[MemorySample] = None
    peak_tree_rss_mb: Optional[float] = None
    kernel_log: Optional[str] = None
    ended_at: Optional[float] = None

    def to_dict(self) -> dict:
        return asdict(self)


class MemoryWitness:
    """Watches one child from the parent: the cgroup counter before and after, its memory every SAMPLE_S."""

    def __init__(self, pid: int):
        self.pid = pid
        self.record = MemoryRecord()
        self.record.counter_file, self.record.oom_kills_before = oom_kill_count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"memory-{pid}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            seen = sample(self.pid)
            if seen is None:
                return
            self.record.last_sample = seen
            self.record.peak_tree_rss_mb = max(self.record.peak_tree_rss_mb or 0.0, seen.tree_rss_mb)

    def finish(self, killed: bool) -> MemoryRecord:
        self._stop.set()
        self._thread.join(timeout=2)
        self.record.ended_at = time.time()
        self.record.oom_kills_after = oom_kill_count()[1]
        if killed:
            self.record.kernel_log = kernel_log_names(self.pid)
        return self.record


@dataclass(frozen=True)
class OomJudgement:
    out_of_memory: bool
    seen: str                       # what was seen, one line
    facts: dict = field(default_factory=dict)


def judge_kill(record: Optional[MemoryRecord], budget_mb: Optional[float] = None) -> OomJudgement:
    """Whether a SIGKILLed child ran out of memory, from its MemoryRecord."""
    if record is None:
        return OomJudgement(False, "nothing was recorded about its memory")
    facts = record.to_dict()
    before, after = record.oom_kills_before, record.oom_kills_after
    if before is not None and after is not None and after > before:
        return OomJudgement(True, f"the memory cgroup's OOM-kill count rose from {before} to {after} "
                                  f"({record.counter_file})", facts)
    if record.kernel_log:
        return OomJudgement(True, f"the kernel log: {record.kernel_log}", facts)
    last = record.last_sample
    if last is not None:
        ago = (record.ended_at or last.at) - last.at
        if last.host_available_mb < HOST_AVAILABLE_FLOOR * last.host_total_mb:
            return OomJudgement(True, f"the host had {last.host_available_mb:.0f} of {last.host_total_mb:.0f} MiB "
                                      f"available {ago:.1f} s before the kill", facts)
        if budget_mb and last.tree_rss_mb >= BUDGET_CEILING * budget_mb:
            return OomJudgement(True, f"the process held {last.tree_rss_mb:.0f} MiB of its {budget_mb:.0f} MiB budget "
                                      f"{ago:.1f} s before the kill", facts)
    return OomJudgement(False, _no_pressure(record, budget_mb), facts)


def _no_pressure(record: MemoryRecord, budget_mb: Optional[float]) -> str:
    parts = []
    if record.oom_kills_before is not None:
        parts.append(f"cgroup OOM-kill count unchanged at {record.oom_kills_before}")
    last = record.last_sample
    if last is not None:
        parts.append(f"at the last sample the process held {last.tree_rss_mb:.0f} MiB"
                     + (f" of a {budget_mb:.0f} MiB budget" if budget_mb else "")
                     + f" and the host had {100 * last.host_available_mb / last.host_total_mb:.0f} % available")
    return "; ".join(parts) or "no memory counter or sample could be read"
