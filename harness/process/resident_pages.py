"""The library pages a forked process maps in again, so that its resident memory is what a fresh process's would be.

A process forked from the launcher (harness/process/fork_server.py) shares the launcher's memory, but the kernel
copies only the page-table entries of anonymous memory at ``fork``: the pages of the shared libraries that the
launcher's ``import torch`` touched (about 200 MiB on x86_64 with a CUDA build) are in memory, yet not mapped in
the child until it touches them. Its RSS, and so ``peak_rss_mb``, would read that much lower than the RSS of a
process that imported torch itself, though the same bytes serve it. The launcher lists the file-backed pages it has
resident (``/proc/self/pagemap``'s present bit, readable by the process itself) once; the child maps exactly those
in before it does anything else (``madvise(MADV_POPULATE_READ)``, Linux 5.14, else one read per page). Nothing is
read from disk: the pages are in the page cache, the launcher holds them.
"""

from __future__ import annotations

import ctypes
import os
from typing import Iterable

MADV_POPULATE_READ = 22


def _file_mappings(maps_text: str) -> list:
    """(start, end) of each readable mapping of a file in a /proc/<pid>/maps text."""
    found = []
    for line in maps_text.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 6 or not fields[5].startswith("/") or not fields[1].startswith("r"):
            continue
        start, end = (int(address, 16) for address in fields[0].split("-"))
        found.append((start, end))
    return found


def present_runs(entries, start: int, page: int) -> list:
    """(address, length) of each run of consecutive present pages, from a mapping's pagemap entries (uint64)."""
    import numpy as np

    present = (np.asarray(entries, dtype=np.uint64) >> np.uint64(63)).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], present, [0]))))
    return [(start + int(first) * page, int(last - first) * page) for first, last in zip(edges[::2], edges[1::2])]


def resident_file_ranges() -> list:
    """(address, length) runs of this process's file-backed pages that are mapped and resident now."""
    import numpy as np

    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/maps") as handle:
        mappings = _file_mappings(handle.read())
    ranges: list = []
    with open("/proc/self/pagemap", "rb") as pagemap:
        for start, end in mappings:
            pagemap.seek(start // page * 8)
            entries = np.frombuffer(pagemap.read((end - start) // page * 8), dtype=np.uint64)
            ranges += present_runs(entries, start, page)
    return ranges


def map_in(ranges: Iterable[tuple], populate: bool = True) -> str:
    """Map the pages of ``ranges`` (inherited from the launcher) into this process; how it was done. Only pages the
    launcher had present are read, so none lies past the end of its file (no SIGBUS). ``populate=False``: the
    one-read-per-page way, as on a kernel before 5.14."""
    ranges = list(ranges)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if populate and ranges and libc.madvise(ranges[0][0], ranges[0][1], MADV_POPULATE_READ) == 0:
        for address, length in ranges[1:]:
            libc.madvise(address, length, MADV_POPULATE_READ)
        return "madvise(MADV_POPULATE_READ)"
    import numpy as np

    page = os.sysconf("SC_PAGE_SIZE")
    for address, length in ranges:
        np.frombuffer((ctypes.c_uint8 * length).from_address(address), dtype=np.uint8)[::page].sum()
    return "one read per page"
