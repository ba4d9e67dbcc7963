"""Per-run memory figures, measured inside the Phase B process only.

Sequence inside a run: ``baseline()`` after imports and device initialization but before the model
loads -> ``begin_load()`` / ``end_load()`` around the model load -> ``begin_measure()`` just before the
measured passes (peak counters reset) -> ``end_measure()``. Each source is reported on its own, as an
absolute figure and as peak minus baseline; sources are never summed (on unified memory the same bytes
can appear in several). A figure this platform cannot give is None, with the reason in ``unavailable``.

Sources: torch's allocator counters (exact peaks), /proc VmHWM/VmRSS and USS (host), and a background
sampler for process GPU memory (NVML) and device used memory (NVML, or NvMapMemUsed on a Jetson); on a Jetson's
unified memory it also samples the system's memory in use for ``budget_headroom_mb``
(:mod:`harness.measure.budget_headroom`).
"""

from __future__ import annotations

from typing import Any, Optional

from harness.measure import host_memory
from harness.measure.budget_headroom import NOT_UNIFIED, budget_headroom, in_use_mb, read_meminfo_mb
from harness.measure.gpu_memory_sources import NvmlMemory, cuda_device_uuid, nvmap_used_mb
from harness.measure.host_memory import BYTES_PER_MB
from harness.measure.memory_sampler import MemorySampler

SAMPLED = {"process_gpu": "process GPU memory", "device_used": "device used memory"}
SYSTEM_IN_USE = "system_in_use"  # unified memory: MemTotal - MemAvailable, for the budget headroom
HEADROOM = "budget_headroom_mb"


def device_is_cuda(torch, device: str) -> bool:
    return torch is not None and device.startswith("cuda")


class MemoryTracker:
    def __init__(self, torch_module: Any = None, device: str = "cpu", sample_interval_s: float = 0.02,
                 budget_mb: Optional[float] = None, unified_memory: bool = False, jetson: bool = False):
        self.torch = torch_module
        self.device = device
        # GPU figures only for a process that holds a CUDA context (an ONNX Runtime run on the CPU provider on a
        # CUDA machine has none, and its GPU memory is genuinely zero, not unknown).
        self.on_cuda = bool(torch_module is not None and device.startswith("cuda") and torch_module.cuda.is_initialized())
        self.unified_memory = unified_memory
        self.figures: dict = {}
        self.unavailable: dict = {}
        self.notes: dict = {"unified_memory": unified_memory}
        self.sources: dict = {}
        self._window_max: dict = {}   # peaks of the measured window kept across per-video resets
        self.no_context = None
        readers = self._gpu_readers(jetson)
        if unified_memory:
            readers[SYSTEM_IN_USE] = in_use_mb
        self.mem_total_mb: Optional[float] = None
        budget_source = "process_gpu" if "process_gpu" in readers else ("device_used" if "device_used" in readers else None)
        self.notes["budget_figure"] = budget_source and f"{budget_source}_mb ({self.sources[budget_source]})"
        self.sampler = MemorySampler(readers, sample_interval_s, budget_mb, budget_source) if readers else None

    def _gpu_readers(self, jetson: bool) -> dict:
        readers = {}
        if jetson:
            if nvmap_used_mb() is not None:
                readers["device_used"] = nvmap_used_mb
                self.sources["device_used"] = "/proc/meminfo NvMapMemUsed (system-wide GPU-mapped memory)"
            else:
                self.unavailable["peak_device_used_mb"] = "no NvMapMemUsed line in /proc/meminfo on this Jetson"
            self.unavailable["peak_process_gpu_mb"] = "NVML per-process memory is not supported on Jetson"
        elif device_is_cuda(self.torch, self.device) and not self.on_cuda:
            self.no_context = ("this process holds no CUDA context: the run executed on the CPU, so its GPU memory "
                               "is 0 by construction")
            self.nvml = NvmlMemory(self.torch.device(self.device).index or 0,
                                   uuid=cuda_device_uuid(self.torch, self.device))
            if self.nvml.available:
                readers["device_used"] = self.nvml.device_used_mb
                self.sources["device_used"] = "NVML nvmlDeviceGetMemoryInfo.used (whole device, all processes)"
        elif self.on_cuda:
            index = self.torch.device(self.device).index or 0
            self.nvml = NvmlMemory(index, uuid=cuda_device_uuid(self.torch, self.device))
            if self.nvml.process_available:
                readers["process_gpu"] = self.nvml.process_used_mb
                self.sources["process_gpu"] = "NVML nvmlDeviceGetComputeRunningProcesses (this pid)"
            else:
                self.unavailable["peak_process_gpu_mb"] = self.nvml.process_reason or self.nvml.reason
            if self.nvml.available:
                readers["device_used"] = self.nvml.device_used_mb
                self.sources["device_used"] = "NVML nvmlDeviceGetMemoryInfo.used (whole device, all processes)"
            else:
                self.unavailable["peak_device_used_mb"] = self.nvml.reason
        else:
            reason = "no GPU: the run is on the CPU"
            self.unavailable["peak_process_gpu_mb"] = reason
            self.unavailable["peak_device_used_mb"] = reason
        return readers

    # -- torch allocator ---------------------------------------------------------------------------
    def _torch_reset(self) -> None:
        if self.on_cuda:
            self.torch.cuda.synchronize(self.device)
            self.torch.cuda.reset_peak_memory_stats(self.device)

    def _torch_peaks(self) -> tuple:
        self.torch.cuda.synchronize(self.device)
        return (self.torch.cuda.max_memory_allocated(self.device) / BYTES_PER_MB,
                self.torch.cuda.max_memory_reserved(self.device) / BYTES_PER_MB)

    # -- phases ------------------------------------------------------------------------------------
    def baseline(self) -> None:
        if self.unified_memory:
            self.mem_total_mb = read_meminfo_mb()["mem_total_mb"]
        self.notes["rss_peak_reset"] = host_memory.reset_peak_rss()
        self.figures["baseline_rss_mb"] = host_memory.rss_mb()
        if self.on_cuda:
            self.figures["baseline_torch_alloc_mb"] = self.torch.cuda.memory_allocated(self.device) / BYTES_PER_MB
            self.figures["baseline_torch_reserved_mb"] = self.torch.cuda.memory_reserved(self.device) / BYTES_PER_MB
        if self.sampler:
            self.sampler.start()

    def begin_load(self) -> None:
        self._torch_reset()
        if self.sampler:
            self.sampler.enter("load")

    def end_load(self) -> None:
        self.figures["load_peak_rss_mb"] = host_memory.peak_rss_mb()
        if self.on_cuda:
            self.figures["load_peak_torch_alloc_mb"], self.figures["load_peak_torch_reserved_mb"] = self._torch_peaks()
        if self.sampler:
            self.sampler.enter("between")

    def begin_measure(self) -> None:
        self.notes["rss_peak_reset"] = host_memory.reset_peak_rss() and self.notes.get("rss_peak_reset", False)
        self._torch_reset()
        if self.sampler:
            self.sampler.enter("measure")

    def begin_video(self, name: str) -> dict:
        """One video inside the measured window: its own peaks from here (its start-of-video memory is returned).
        The measured window's peaks stay the largest over its videos."""
        self._fold_measure_peaks()
        self._torch_reset()
        host_memory.reset_peak_rss()
        if self.sampler:
            self.sampler.enter_sub(f"video:{name}")
        return self.current()

    def end_video(self, name: str) -> dict:
        """The video's peaks, from every source the run has."""
        peaks = {"peak_rss_mb": host_memory.peak_rss_mb()}
        if self.on_cuda:
            peaks["peak_torch_alloc_mb"], peaks["peak_torch_reserved_mb"] = self._torch_peaks()
        if self.sampler:
            self.sampler.enter_sub(None)
            for source in SAMPLED:
                if source in self.sampler.sources:
                    peaks[f"peak_{source}_mb"] = self.sampler.peak(f"video:{name}", source)
        self._fold_measure_peaks(peaks)
        return peaks

    def current(self) -> dict:
        """Memory now: RSS, and the torch allocator's counters on CUDA."""
        now = {"rss_mb": host_memory.rss_mb()}
        if self.on_cuda:
            now["torch_alloc_mb"] = self.torch.cuda.memory_allocated(self.device) / BYTES_PER_MB
            now["torch_reserved_mb"] = self.torch.cuda.memory_reserved(self.device) / BYTES_PER_MB
        return now

    def _fold_measure_peaks(self, peaks: Optional[dict] = None) -> None:
        """Keep the measured window's RSS and torch peaks across the per-video resets."""
        if peaks is None:
            peaks = {"peak_rss_mb": host_memory.peak_rss_mb()}
            if self.on_cuda:
                peaks["peak_torch_alloc_mb"], peaks["peak_torch_reserved_mb"] = self._torch_peaks()
        for name in ("peak_rss_mb", "peak_torch_alloc_mb", "peak_torch_reserved_mb"):
            if peaks.get(name) is not None:
                self._window_max[name] = max(self._window_max.get(name, float("-inf")), peaks[name])

    def begin_checks(self) -> None:
        """The checks after the measured passes (e2e, fidelity, accuracy) get their own peaks, read by
        :meth:`end_checks`; the measured passes' peaks were read before and never include them."""
        self.notes["checks_rss_peak_reset"] = host_memory.reset_peak_rss()
        self._torch_reset()

    def end_checks(self) -> None:
        if self.notes.get("checks_rss_peak_reset"):
            self.figures["checks_peak_rss_mb"] = host_memory.peak_rss_mb()
        else:
            self.figures["checks_peak_rss_mb"] = None
            self.unavailable["checks_peak_rss_mb"] = ("the kernel refused to reset the resident-memory peak "
                                                      "(/proc/self/clear_refs), so it would include the passes'")
        if self.on_cuda:
            self.figures["checks_peak_torch_alloc_mb"] = self._torch_peaks()[0]
        else:
            self.figures["checks_peak_torch_alloc_mb"] = None
            self.unavailable["checks_peak_torch_alloc_mb"] = "torch allocator counters exist only on CUDA devices"

    def end_measure(self) -> None:
        if self.sampler:
            self.sampler.stop()
        self.figures["peak_rss_mb"] = self._with_window_max("peak_rss_mb", host_memory.peak_rss_mb())
        self.figures["end_uss_mb"] = host_memory.uss_mb()
        launcher_mb = host_memory.launcher_unique_mb()
        if launcher_mb is not None:  # --isolation fork: docs/isolation.md
            self.notes["launcher_unique_mb"] = round(launcher_mb, 1)
        if self.figures["end_uss_mb"] is None:
            self.unavailable["end_uss_mb"] = ("psutil could not read this process's smaps (or, under --isolation fork, "
                                              "the launcher's smaps_rollup)")
        if self.on_cuda:
            alloc, reserved = self._torch_peaks()
            self.figures["peak_torch_alloc_mb"] = self._with_window_max("peak_torch_alloc_mb", alloc)
            self.figures["peak_torch_reserved_mb"] = self._with_window_max("peak_torch_reserved_mb", reserved)
        else:
            reason = "torch allocator counters exist only on CUDA devices"
            for name in ("baseline_torch_alloc_mb", "baseline_torch_reserved_mb", "peak_torch_alloc_mb",
                         "peak_torch_reserved_mb", "load_peak_torch_alloc_mb", "load_peak_torch_reserved_mb"):
                self.figures[name] = None
                self.unavailable[name] = reason
        self._sampled_figures()
        self._deltas()
        self._headroom()
        self.notes["rss_peak_scope"] = ("measured passes (VmHWM reset just before them)" if self.notes.get("rss_peak_reset")
                                        else "process lifetime (VmHWM could not be reset on this kernel)")
        if self.unified_memory:
            self.notes["unified_memory_warning"] = (
                "CPU and GPU share one memory pool here: the host (RSS) and GPU (device used) figures can hold the "
                "same bytes, so they are never added together")

    def _headroom(self) -> None:
        """budget_headroom_mb: MemTotal - memory in use at the baseline - the run's peak (load and measured passes)."""
        if not self.unified_memory:
            self.figures[HEADROOM], self.unavailable[HEADROOM] = None, NOT_UNIFIED
            return
        sampler = self.sampler
        peaks = [p for p in (sampler.peak(w, SYSTEM_IN_USE) for w in ("load", "measure")) if p is not None] if sampler else []
        record, why = budget_headroom(self.mem_total_mb, sampler.baseline(SYSTEM_IN_USE) if sampler else None,
                                      max(peaks) if peaks else None)
        self.figures[HEADROOM] = record[HEADROOM] if record else None
        if why:
            self.unavailable[HEADROOM] = why
            return
        every = f"every {sampler.interval_s * 1000:g} ms and " if sampler.interval_s > 0 else ""
        self.notes["budget_headroom"] = {**{k: v for k, v in record.items() if k != HEADROOM},
                                         "run_peak": (f"largest MemTotal - MemAvailable sampled {every}at each phase "
                                                      "edge from the model load to the end of the measured passes, "
                                                      "minus the baseline")}

    def _with_window_max(self, name: str, value: Optional[float]) -> Optional[float]:
        kept = self._window_max.get(name)
        return value if kept is None else (kept if value is None else max(kept, value))

    def _sampled_figures(self) -> None:
        for source in SAMPLED:
            names = [f"baseline_{source}_mb", f"load_peak_{source}_mb", f"peak_{source}_mb"]
            if source == "process_gpu" and self.no_context:
                self.figures.update({name: 0.0 for name in names})
                self.notes["process_gpu"] = self.no_context
                continue
            if self.sampler is None or source not in self.sampler.sources:
                reason = self.unavailable.get(f"peak_{source}_mb", "not measured")
                for name in names:
                    self.figures[name] = None
                    self.unavailable[name] = reason
                continue
            self.figures[names[0]] = self.sampler.baseline(source)
            self.figures[names[1]] = self.sampler.peak("load", source)
            self.figures[names[2]] = self.sampler.peak("measure", source)
        if self.sampler:
            self.notes["memory_sources"] = dict(self.sources)
            self.notes["sampler"] = {"interval_ms": self.sampler.interval_s * 1000, "samples_n": self.sampler.samples_n,
                                     "max_gap_ms": round(self.sampler.max_gap_s * 1000, 3)}
            self.figures["budget_violations_n"] = self.sampler.violations_n if self.sampler.budget_mb else None

    def _deltas(self) -> None:
        for source in ("rss", "torch_alloc", "torch_reserved", *SAMPLED):
            name, peak, base = f"peak_{source}_delta_mb", f"peak_{source}_mb", f"baseline_{source}_mb"
            p, b = self.figures.get(peak), self.figures.get(base)
            self.figures[name] = (p - b) if (p is not None and b is not None) else None
            if self.figures[name] is None:
                self.unavailable.setdefault(name, self.unavailable.get(peak, f"{peak} or {base} unavailable"))

    def close(self) -> None:
        """Stop the sampler (if a failure skipped end_measure) and release NVML."""
        if self.sampler:
            self.sampler.stop()
        nvml = getattr(self, "nvml", None)
        if nvml is not None:
            nvml.close()

    def budget_peak_mb(self) -> Optional[float]:
        """The peak of the figure checked against the budget during the measured passes."""
        if not self.sampler or not self.sampler.budget_source:
            return None
        return self.sampler.peak("measure", self.sampler.budget_source)
