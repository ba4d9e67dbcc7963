"""Telemetry around one run: a recorder sampling the platform's sources into ``<out_dir>/metrics.jsonl``,
window marks at the run's phase edges, and the measured window's energy and summary as figures."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

# figure name -> (source preference, field, statistic over the measured window)
SUMMARY_FIGURES = {
    "gpu_util_pct_mean": (("nvml", "jtop", "tegrastats"), "gpu_util_pct", "mean"),
    "gpu_sm_clock_mhz_mean": (("nvml",), "gpu_sm_clock_mhz", "mean"),
    "temp_gpu_c_max": (("nvml", "jtop", "tegrastats"), "temp_gpu_c", "max"),
    "cpu_util_pct_mean": (("psutil", "jtop", "tegrastats"), "cpu_util_pct", "mean"),
    "ram_used_mb_max": (("psutil", "jtop", "tegrastats"), "ram_used_mb", "max"),
    "swap_used_mb_max": (("psutil", "jtop", "tegrastats"), "swap_used_mb", "max"),
}
ENERGY_FIGURES = ("avg_power_w", "energy_j", "energy_j_per_img", "img_per_s_per_w")


class RunTelemetry:
    def __init__(self, path: Optional[Path], run_id: str, device: str, jetson: bool, interval_s: float,
                 cuda_uuid: Optional[str] = None):
        self.recorder = None
        self.disabled_reason = None
        if path is None or interval_s <= 0:
            self.disabled_reason = "telemetry is off for this process (--metrics_interval 0, or a Phase A probe)"
            return
        from harness.telemetry.recorder import TelemetryRecorder
        from harness.telemetry.sources import detect_sources

        sources = detect_sources(device, jetson, interval_s, cuda_uuid=cuda_uuid)
        self.recorder = TelemetryRecorder(path, run_id, sources, interval_s).start()
        self.sources_info = {s.name: s.describe() for s in sources if s.available and hasattr(s, "describe")}

    def mark(self, window: str) -> None:
        if self.recorder is not None:
            self.recorder.mark(window)

    def stop(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()

    def figures(self, images: int, busy_s: float) -> tuple:
        """(metrics, details, unavailable) for the measured window."""
        names = tuple(SUMMARY_FIGURES) + ENERGY_FIGURES
        if self.recorder is None:
            return {n: None for n in names}, {}, {n: self.disabled_reason for n in names}
        measured = self.recorder.measured_figures(images, busy_s)
        energy, efficiency, summary = measured["energy"], measured["efficiency"], measured["summary"]
        metrics = {"avg_power_w": energy.get("avg_power_w"), "energy_j": energy.get("energy_j"),
                   "energy_j_per_img": efficiency.get("energy_j_per_img"),
                   "img_per_s_per_w": efficiency.get("img_per_s_per_w")}
        unavailable = {}
        for name in ENERGY_FIGURES:
            if metrics[name] is None:
                unavailable[name] = energy.get("reason") or efficiency.get("reason") or "no power source"
        missing = "; ".join(f"{s}: {why}" for s, why in measured["unavailable"].items())
        for name, (preference, field, statistic) in SUMMARY_FIGURES.items():
            source = next((s for s in preference if field in summary.get(s, {})), None)
            metrics[name] = summary[source][field][statistic] if source else None
            if source is None:
                unavailable[name] = f"no telemetry source here reports {field}" + (f" ({missing})" if missing else "")
        details = {"power_source": energy.get("power_source"), "energy": energy, "samples_n": measured["samples_n"],
                   "summary": summary, "unavailable_sources": measured["unavailable"], "sources_info": self.sources_info}
        return metrics, details, unavailable
