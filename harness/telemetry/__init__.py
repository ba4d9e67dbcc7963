"""Telemetry that runs beside a run's measured passes: utilization, memory, temperature, power, energy.

Phase B starts a :class:`~harness.telemetry.recorder.TelemetryRecorder` over the sources that
:func:`~harness.telemetry.sources.detect_sources` picks for the device (psutil everywhere, NVML on a
desktop GPU, jtop or else ``tegrastats`` on a Jetson). The recorder appends one JSON line per sample to
``<out_dir>/metrics.jsonl``, records each source that cannot work here once with the reason, and
integrates the power samples over the measured window (trapezoid rule) for energy figures.
On a Jetson, :mod:`~harness.telemetry.jetson_power_state` reads the power mode and whether the clocks are
at their maximum, and words a warning when they are not.

Nothing here imports torch or any inference library; every module is safe to import on any machine.
"""
