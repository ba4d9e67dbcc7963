"""Per-run memory figures, measured inside the Phase B process only.

Sequence inside a run: ``baseline()`` after imports and device initialization but before the model
loads -> ``begin_load()`` / ``end_load()`` around the model load -> ``begin_measure()`` just before the
measured passes (peak counters reset) -> ``end_measure()``. Each source is reported separately, as an
absolute peak and as peak minus baseline; sources are never summed. A figure this platform cannot give
is None, with the reason in ``unavailable``.
"""

from __future__ import annotations

from typing import Any, Optional

from harness.measure import host_memory
from harness.measure.host_memory import BYTES_PER_MB


class MemoryTracker:
    def __init__(self, torch_module: Any = None, device: str = "cpu"):
        self.torch = torch_module
        self.device = device
        self.on_cuda = bool(torch_module is not None and device.startswith("cuda"))
        self.figures: dict[str, Optional[float]] = {}
        self.unavailable: dict[str, str] = {}
        self.notes: dict[str, Any] = {}

    # -- torch allocator ---------------------------------------------------------------------------
    def _torch_reset(self) -> None:
        if self.on_cuda:
            self.torch.cuda.synchronize(self.device)
            self.torch.cuda.reset_peak_memory_stats(self.device)

    def _torch_peaks(self) -> tuple:
        self.torch.cuda.synchronize(self.device)
        return (
            self.torch.cuda.max_memory_allocated(self.device) / BYTES_PER_MB,
            self.torch.cuda.max_memory_reserved(self.device) / BYTES_PER_MB,
        )

    def _torch_now(self) -> tuple:
        return (
            self.torch.cuda.memory_allocated(self.device) / BYTES_PER_MB,
            self.torch.cuda.memory_reserved(self.device) / BYTES_PER_MB,
        )

    # -- phases ------------------------------------------------------------------------------------
    def baseline(self) -> None:
        self.notes["rss_peak_reset"] = host_memory.reset_peak_rss()
        self.figures["baseline_rss_mb"] = host_memory.rss_mb()
        if self.on_cuda:
            alloc, reserved = self._torch_now()
            self.figures["baseline_torch_alloc_mb"] = alloc
            self.figures["baseline_torch_reserved_mb"] = reserved

    def begin_load(self) -> None:
        self._torch_reset()

    def end_load(self) -> None:
        self.figures["load_peak_rss_mb"] = host_memory.peak_rss_mb()
        if self.on_cuda:
            alloc, reserved = self._torch_peaks()
            self.figures["load_peak_torch_alloc_mb"] = alloc
            self.figures["load_peak_torch_reserved_mb"] = reserved

    def begin_measure(self) -> None:
        self.notes["rss_peak_reset"] = host_memory.reset_peak_rss() and self.notes.get("rss_peak_reset", False)
        self._torch_reset()

    def end_measure(self) -> None:
        peak_rss = host_memory.peak_rss_mb()
        self.figures["peak_rss_mb"] = peak_rss
        self.figures["end_uss_mb"] = host_memory.uss_mb()
        if self.figures["end_uss_mb"] is None:
            self.unavailable["end_uss_mb"] = "psutil could not read this process's smaps"
        if self.on_cuda:
            alloc, reserved = self._torch_peaks()
            self.figures["peak_torch_alloc_mb"] = alloc
            self.figures["peak_torch_reserved_mb"] = reserved
        else:
            reason = "torch allocator counters exist only on CUDA devices"
            for name in ("peak_torch_alloc_mb", "peak_torch_reserved_mb", "load_peak_torch_alloc_mb",
                         "load_peak_torch_reserved_mb"):
                self.figures[name] = None
                self.unavailable[name] = reason
        self._deltas()
        if not self.notes.get("rss_peak_reset"):
            self.notes["rss_peak_scope"] = "process lifetime (VmHWM could not be reset on this kernel)"
        else:
            self.notes["rss_peak_scope"] = "measured passes (VmHWM reset just before them)"

    def _deltas(self) -> None:
        pairs = {
            "peak_rss_delta_mb": ("peak_rss_mb", "baseline_rss_mb"),
            "peak_torch_alloc_delta_mb": ("peak_torch_alloc_mb", "baseline_torch_alloc_mb"),
            "peak_torch_reserved_delta_mb": ("peak_torch_reserved_mb", "baseline_torch_reserved_mb"),
        }
        for name, (peak, base) in pairs.items():
            p, b = self.figures.get(peak), self.figures.get(base)
            self.figures[name] = (p - b) if (p is not None and b is not None) else None
            if self.figures[name] is None:
                self.unavailable.setdefault(name, self.unavailable.get(peak, f"{peak} or {base} unavailable"))
