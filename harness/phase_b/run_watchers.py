"""What watches a run from before its model exists, opened the same way for an image run
(harness/phase_b/run_executor.py) and a video run (harness/phase_b/video_executor.py): the memory tracker (its
baseline, peaks and budget) and the telemetry stream on the run's own GPU."""

from __future__ import annotations

from pathlib import Path

from harness.measure.memory_tracker import MemoryTracker
from harness.phase_b.run_telemetry import RunTelemetry
from harness.records.planned_run import PlannedRun


def telemetry_uuid(torch_module, device: str):
    """The CUDA device's uuid, so telemetry reads the GPU the run is on (NVML's index order may differ from
    CUDA's); None on the CPU."""
    from harness.measure.gpu_memory_sources import cuda_device_uuid

    return cuda_device_uuid(torch_module, device) if device.startswith("cuda") else None


def open_watchers(planned: PlannedRun, setup: dict, measurement: dict, torch_module, device: str,
                  telemetry_path: Path) -> tuple:
    """(tracker, telemetry) of one run; the caller takes the tracker's baseline when nothing of the run exists yet."""
    memory = setup.get("memory", {})
    tracker = MemoryTracker(torch_module, device, float(measurement.get("memory_sample_ms", 20)) / 1000.0,
                            memory.get("budget_mb"), bool(memory.get("unified_memory")), bool(memory.get("jetson")))
    telemetry = RunTelemetry(telemetry_path, planned.run_id, device, bool(memory.get("jetson")),
                             float(measurement.get("metrics_interval_s", 0.5)), telemetry_uuid(torch_module, device))
    return tracker, telemetry
