"""The recorder writes a real metrics.jsonl from in-process sources; windows, summaries and energy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import datetime

import pytest

from conftest import REPO
from harness.telemetry.psutil_source import PsutilSource
from harness.telemetry.recorder import TelemetryRecorder
from harness.telemetry.source_base import TelemetrySource
from harness.telemetry.sources import detect_sources


class RampPower(TelemetrySource):
    """Power that rises linearly with time, P(t) = 2 + 3 (t - t0) W: the trapezoid rule is exact on it."""

    name = "ramp"

    def __init__(self, t0: float):
        super().__init__()
        self.t0 = t0
        self.started = self.stopped = 0

    def start(self):
        self.started += 1

    def sample(self):
        now = time.monotonic()
        return {"power_w": 2.0 + 3.0 * (now - self.t0), "reading_t_monotonic_s": now, "gpu_util_pct": 50.0,
                "label": "text is kept"}

    def stop(self):
        self.stopped += 1


class Absent(TelemetrySource):
    name = "absent"

    def __init__(self):
        super().__init__()
        self.mark_unavailable("no such sensor on this machine")

    def sample(self):
        raise AssertionError("an unavailable source is never sampled")


class Buffered(TelemetrySource):
    """Like tegrastats: one reading every 0.1 s, polled more often than it changes."""

    name = "buffered"

    def __init__(self):
        super().__init__()
        self.readings = 0
        self._last_t = None

    def sample(self):
        now = time.monotonic()
        if self._last_t is None or now - self._last_t >= 0.1:
            self._last_t = now
            self.readings += 1
        return {"reading_t_monotonic_s": self._last_t, "temp_gpu_c": 40.0 + self.readings}


class BreaksLater(TelemetrySource):
    name = "flaky"

    def __init__(self):
        super().__init__()
        self.calls = 0

    def sample(self):
        self.calls += 1
        if self.calls > 2:
            raise OSError("device went away")
        return {"temp_soc_c": 30.0}


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run(path, run_id, sources, measure_s=0.3, interval_s=0.02):
    recorder = TelemetryRecorder(path, run_id, sources, interval_s=interval_s)
    recorder.start()
    time.sleep(0.08)
    recorder.mark("warmup")
    time.sleep(0.05)
    recorder.mark("measure")
    time.sleep(measure_s)
    recorder.mark("release")
    time.sleep(0.05)
    recorder.stop()
    return recorder


def test_metrics_jsonl_lines_windows_and_energy(tmp_path):
    path = tmp_path / "out" / "metrics.jsonl"
    t0 = time.monotonic()
    ramp, absent = RampPower(t0), Absent()
    recorder = _run(path, "yolo11n__torch__fp32__img640__b1", [PsutilSource(), ramp, absent])
    lines = _lines(path)

    for line in lines:  # every line: the run id and an ISO 8601 timestamp with its offset
        assert line["run_id"] == "yolo11n__torch__fp32__img640__b1"
        assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None
    unavailable = [line for line in lines if "unavailable" in line]
    assert unavailable == [{"run_id": unavailable[0]["run_id"], "instance": recorder.instance,
                            "timestamp": unavailable[0]["timestamp"],
                            "source": "absent", "unavailable": "no such sensor on this machine"}]
    assert {line["instance"] for line in lines} == {recorder.instance}
    samples = [line for line in lines if "window" in line]
    marks = [line for line in lines if "mark" in line]
    assert [m["mark"] for m in marks] == ["warmup", "measure", "release"]
    assert len(samples) == recorder.samples_n >= 10
    assert all("absent" not in s for s in samples)
    assert all({"psutil", "ramp"} <= set(s) for s in samples)
    assert all(s["ramp"]["label"] == "text is kept" for s in samples)
    times = [s["t_monotonic_s"] for s in samples]
    assert times == sorted(times)

    # Window labels follow the marks: every sample between two marks carries the window opened by the first.
    edges = [(m["mark"], m["t_monotonic_s"]) for m in marks]
    for sample in samples:
        opened = [name for name, t in edges if t <= sample["t_monotonic_s"]]
        assert sample["window"] == (opened[-1] if opened else "start")
    assert {s["window"] for s in samples} == {"start", "warmup", "measure", "release"}
    # A mark samples on both sides of the edge: in the file, a warmup sample, the mark, a measure sample.
    m0 = dict(edges)["measure"]
    at = next(i for i, line in enumerate(lines) if line.get("mark") == "measure")
    assert (lines[at - 1]["window"], lines[at + 1]["window"]) == ("warmup", "measure")
    assert lines[at - 1]["t_monotonic_s"] <= m0 <= lines[at + 1]["t_monotonic_s"]

    # Energy: the integral of 2 + 3 (t - t0) over the measure span [a, b] is 2 (b - a) + 1.5 ((b-t0)^2 - (a-t0)^2).
    [(a, b)] = recorder.window_spans("measure")
    assert a == pytest.approx(m0, abs=1e-6)
    energy = recorder.energy()
    expected = 2 * (b - a) + 1.5 * ((b - t0) ** 2 - (a - t0) ** 2)
    assert energy["power_source"] == "ramp"
    assert energy["energy_j"] == pytest.approx(expected, rel=1e-9)
    assert energy["duration_s"] == pytest.approx(b - a)
    assert energy["edge_held_s"] == 0.0
    assert energy["samples_n"] >= 10

    summary = recorder.summary()
    ramp_power = summary["ramp"]["power_w"]
    measure_powers = [s["ramp"]["power_w"] for s in samples if s["window"] == "measure"]
    assert ramp_power["n"] == len(measure_powers)
    assert ramp_power["mean"] == pytest.approx(sum(measure_powers) / len(measure_powers))
    assert (ramp_power["min"], ramp_power["max"]) == (min(measure_powers), max(measure_powers))
    assert summary["ramp"]["gpu_util_pct"]["mean"] == 50.0
    assert "label" not in summary["ramp"]
    assert summary["psutil"]["ram_total_mb"]["min"] > 0
    assert recorder.summary("warmup")["ramp"]["power_w"]["max"] <= ramp_power["min"]

    figures = recorder.measured_figures(images=30, busy_s=0.25)
    assert figures["efficiency"]["energy_j_per_img"] == pytest.approx(expected / 30, rel=1e-9)
    assert figures["efficiency"]["img_per_s_per_w"] == pytest.approx((30 / 0.25) / (expected / (b - a)), rel=1e-9)
    assert figures["unavailable"] == {"absent": "no such sensor on this machine"}
    assert (ramp.started, ramp.stopped) == (1, 1)


def test_consecutive_runs_append_to_one_file_and_each_notes_its_unavailable_sources_once(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _run(path, "run-a", [RampPower(time.monotonic()), Absent()], measure_s=0.05)
    first_n = len(path.read_text().splitlines())
    _run(path, "run-b", [RampPower(time.monotonic()), Absent()], measure_s=0.05)
    lines = _lines(path)
    assert len(lines) > first_n
    assert [line["run_id"] for line in lines] == sorted(line["run_id"] for line in lines)  # a's lines, then b's
    notes = [(line["run_id"], line["source"]) for line in lines if "unavailable" in line]
    assert notes == [("run-a", "absent"), ("run-b", "absent")]


def test_buffered_readings_count_once_and_energy_uses_their_time(tmp_path):
    buffered = Buffered()
    recorder = _run(tmp_path / "metrics.jsonl", "run", [buffered], measure_s=0.35, interval_s=0.01)
    lines = [line for line in _lines(tmp_path / "metrics.jsonl") if "window" in line]
    polled = [line for line in lines if line["window"] == "measure"]
    distinct = {line["buffered"]["reading_t_monotonic_s"] for line in polled}
    assert len(polled) > len(distinct) >= 2
    assert recorder.summary()["buffered"]["temp_gpu_c"]["n"] <= len(distinct)
    assert "reading_t_monotonic_s" not in recorder.summary()["buffered"]


def test_a_source_that_breaks_is_noted_once_and_the_rest_go_on(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _run(path, "run", [BreaksLater(), RampPower(time.monotonic())], measure_s=0.1)
    lines = _lines(path)
    notes = [line for line in lines if "unavailable" in line]
    assert [(n["source"], n["unavailable"]) for n in notes] == [("flaky", "sample failed: OSError: device went away")]
    samples = [line for line in lines if "window" in line]
    assert sum("flaky" in s for s in samples) == 2
    assert all("ramp" in s for s in samples)


def test_without_a_power_source_energy_says_why(tmp_path):
    recorder = _run(tmp_path / "metrics.jsonl", "run", [PsutilSource(), Absent()], measure_s=0.05)
    energy = recorder.energy()
    assert energy["energy_j"] is None and energy["power_source"] is None
    assert energy["reason"] == ("no source here reports power (working: psutil); "
                                "unavailable: absent: no such sensor on this machine")
    assert recorder.measured_figures(10, 1.0)["efficiency"]["img_per_s_per_w"] is None


def test_detected_sources_on_this_machine_write_a_real_file(tmp_path):
    # On a machine without an NVIDIA driver the NVML source is noted as unavailable, once; psutil samples.
    sources = detect_sources("cuda", jetson=False, interval_s=0.05)
    path = tmp_path / "metrics.jsonl"
    with TelemetryRecorder(path, "run", sources, interval_s=0.05) as recorder:
        recorder.mark("measure")
        time.sleep(0.2)
    lines = _lines(path)
    assert all(line["run_id"] == "run" and "timestamp" in line for line in lines)
    nvml = sources[1]
    nvml_notes = [line for line in lines if line.get("source") == "nvml" and "unavailable" in line]
    if nvml.available:
        assert nvml_notes == [] and any("nvml" in line for line in lines if "window" in line)
    else:
        assert [n["unavailable"] for n in nvml_notes] == [nvml.reason]
    assert all("psutil" in line for line in lines if "window" in line)


def test_lines_from_two_processes_never_interleave(tmp_path):
    # Two runs append ~6 kB lines to the same file at once; every line must come back whole.
    path = tmp_path / "metrics.jsonl"
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from harness.telemetry.recorder import TelemetryRecorder
        from harness.telemetry.source_base import TelemetrySource

        class Wide(TelemetrySource):
            name = "wide"
            def sample(self):
                return {{"cpu_core_util_pct": [float(i) for i in range(600)]}}

        recorder = TelemetryRecorder({str(path)!r}, sys.argv[1], [Wide()], interval_s=0.001)
        recorder.start()
        time.sleep(1.0)
        recorder.stop()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, f"run-{i}"]) for i in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    raw = path.read_text().splitlines()
    lines = [json.loads(line) for line in raw]  # raises on a torn line
    counts = {run: sum(1 for line in lines if line["run_id"] == run) for run in ("run-0", "run-1")}
    assert min(counts.values()) > 20
    assert all(len(line["wide"]["cpu_core_util_pct"]) == 600 for line in lines if "window" in line)


def test_an_unwritable_metrics_file_costs_the_lines_not_the_figures(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the folder should be")
    recorder = _run(blocker / "metrics.jsonl", "run", [RampPower(time.monotonic())], measure_s=0.1)
    assert recorder.write_errors and recorder.write_errors[0].startswith(f"cannot open {blocker / 'metrics.jsonl'}")
    assert recorder.energy()["energy_j"] > 0
