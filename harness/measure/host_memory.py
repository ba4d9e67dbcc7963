"""Host (CPU-side) memory of this process, from /proc and psutil. "MB" is MiB (2**20 bytes) everywhere."""

from __future__ import annotations

import functools

import re
from typing import Optional

BYTES_PER_MB = 1024 * 1024
_FIELD = re.compile(r"^(\w+):\s+(\d+)\s*kB", re.MULTILINE)


def proc_status_kb(pid: str = "self") -> dict:
    """The ``kB`` fields of /proc/<pid>/status (VmRSS, VmHWM, ...); empty where /proc is absent."""
    try:
        with open(f"/proc/{pid}/status", "r") as handle:
            text = handle.read()
    except OSError:
        return {}
    return kb_fields(text)


def kb_fields(text: str) -> dict:
    """The ``Name:   N kB`` lines of a /proc file (status, meminfo) as {name: kB}."""
    return {name: int(value) for name, value in _FIELD.findall(text)}


def rss_mb() -> Optional[float]:
    kb = proc_status_kb().get("VmRSS")
    if kb is not None:
        return kb / 1024
    try:
        import psutil

        return psutil.Process().memory_info().rss / BYTES_PER_MB
    except Exception:
        return None


def peak_rss_mb() -> Optional[float]:
    """VmHWM: the largest RSS since the process started or since :func:`reset_peak_rss`."""
    kb = proc_status_kb().get("VmHWM")
    return kb / 1024 if kb is not None else None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0, ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def uss_mb() -> Optional[float]:
    """Unique set size: memory that would be freed if this process exited (psutil, reads smaps). A process forked
    by the launcher (--isolation fork) adds the pages it shares only with the launcher (torch's import): it would
    hold them alone had it imported torch itself (harness.process.forked_start.shared_with_launcher_kb)."""
    try:
        import psutil

        own = psutil.Process().memory_full_info().uss / BYTES_PER_MB
    except Exception:
        return None
    from harness.process.forked_start import launcher_record, shared_with_launcher_kb

    if launcher_record() is not None:
        shared = shared_with_launcher_kb()
        return None if shared is None else own + shared / 1024
    return own


def launcher_unique_mb() -> Optional[float]:
    """Under --isolation fork, the memory the launcher holds alone now (what it adds to the host's use while this
    process runs: its pages this process has rewritten, kept as they were for the next fork); None otherwise."""
    from harness.process.forked_start import launcher_record, unique_kb

    launcher = launcher_record()
    if launcher is None:
        return None
    kb = unique_kb(int(launcher["pid"]))
    return kb / 1024 if kb else None


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, looked up once (finding libc runs ldconfig); None where there is no glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the kernel (glibc ``malloc_trim(0)``), so RSS read after a cleanup shows
    what is still in use rather than what the allocator kept; False where there is no glibc."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True

