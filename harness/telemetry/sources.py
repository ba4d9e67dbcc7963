"""Which telemetry sources a run uses on this machine.

- psutil, always (host CPU and memory);
- NVML for a CUDA device on a desktop GPU (not on a Jetson, whose NVML has no memory or power figures);
- on a Jetson, jtop when its service answers, else ``tegrastats`` as a subprocess.

Sources that cannot work are still returned (unavailable, with the reason), so the recorder notes each
once in metrics.jsonl; none of this raises.
"""

from __future__ import annotations

from typing import Optional

from .jtop_source import JtopSource, map_jtop_stats
from .nvml_source import NvmlSource
from .psutil_source import PsutilSource
from .source_base import TelemetrySource
from .tegrastats_source import TegrastatsSource

__all__ = ["TelemetrySource", "PsutilSource", "NvmlSource", "JtopSource", "TegrastatsSource", "detect_sources",
           "cuda_index", "map_jtop_stats"]


def cuda_index(device: str) -> Optional[int]:
    """``"cuda"`` -> 0, ``"cuda:1"`` -> 1; None for anything that is not a CUDA device."""
    device = (device or "").strip().lower()
    if device == "cuda":
        return 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    return None


def detect_sources(device: str, jetson: bool, interval_s: float, cuda_uuid: Optional[str] = None,
                   tegrastats_binary: Optional[str] = None) -> list:
    """The sources for a run on ``device`` (``cpu``, ``cuda``, ``cuda:N``), in the order they are sampled.

    On a Jetson the jtop source is started here, because whether its service answers decides between
    jtop and tegrastats; the others start with the recorder.
    """
    sources: list = [PsutilSource()]
    index = cuda_index(device)
    if index is not None and not jetson:
        sources.append(NvmlSource(index, uuid=cuda_uuid))
    if jetson:
        jtop_source = JtopSource(interval_s)
        jtop_source.start()
        sources.append(jtop_source)
        if not jtop_source.available:
            sources.append(TegrastatsSource(interval_s, binary=tegrastats_binary))
    return sources
