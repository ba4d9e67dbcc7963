"""Before Phase B starts: do the runs' threads fit the cores that are free? One console line when they do not.

A run computes with its --threads, else the libraries' default (torch's and ONNX Runtime's intra-op pools: one
thread per physical core). The cores free at the start are the host's logical cores minus what other processes
kept busy over half a second (the same readings as the measured window's host-interference check). Parent only:
psutil, no torch."""

from __future__ import annotations

import time
from typing import Optional

SAMPLE_S = 0.5


def default_threads() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


def busy_cores_now(sample_s: float = SAMPLE_S) -> tuple:
    """(cores other processes kept busy over ``sample_s``, logical cores), or (None, cores) when unreadable."""
    import psutil

    from harness.measure.host_interference import HostLoad, read_cpu

    cores = psutil.cpu_count() or 1
    try:
        process = psutil.Process()
        first = read_cpu(process)
        time.sleep(sample_s)
        load = HostLoad(cores=cores)
        load.add(first, read_cpu(process))
    except Exception:  # noqa: BLE001 - /proc unreadable: nothing to say
        return None, cores
    return (load.other_cpu_s + load.steal_s) / load.window_s, cores


def run_threads(runs: list) -> int:
    """The most intra-op threads a run of ``runs`` computes with."""
    requested = [(r.get("modes") or {}).get("threads") for r in runs]
    return max((n or default_threads()) for n in requested) if requested else 0


def oversubscription_line(runs: list, busy_cores: Optional[float], cores: int) -> Optional[str]:
    threads = run_threads(runs)
    if busy_cores is None or not threads:
        return None
    free = max(0.0, cores - busy_cores)
    if threads <= free + 0.5:  # half a core of slack: a shell or a daemon waking up is not a competitor
        return None
    how = "as --threads asked" if any((r.get("modes") or {}).get("threads") for r in runs) else "the libraries' default"
    return (f"threads: runs compute with up to {threads} intra-op thread(s) ({how}), but only {free:.1f} of this "
            f"host's {cores} cores were free at the start (other processes kept {busy_cores:.1f} busy): the threads "
            "will compete with them, and a run measured while they do is valid: false (host busy); --threads 1 or a "
            "quieter host")
