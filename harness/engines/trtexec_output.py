"""What trtexec prints and writes, parsed into plain records: the "=== Performance summary ===" block of its log
(TensorRT 8.5 / 8.6 / 10.x line shapes, and the one-line averages of 7.x), ``--exportTimes`` (one record per
query) and ``--exportProfile`` (per-layer times). Tolerant by design: a malformed or truncated line is counted
and kept as evidence, never fatal, and a JSON file cut short by a killed trtexec keeps its complete records.

Units as trtexec gives them: every time in ms, throughput in queries per second (multiply by the batch for
images per second), walltimes in s.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Optional

FIGURE_NAMES = {"Latency": "latency", "Enqueue Time": "enqueue_time", "H2D Latency": "h2d_latency",
                "GPU Compute Time": "gpu_compute_time", "D2H Latency": "d2h_latency"}
_LOG_PREFIX = re.compile(r"^\[[^\]]*\]\s*\[(?P<level>[A-Z])\]\s?(?P<text>.*)$")
_FIGURE = re.compile(r"^(?P<name>[A-Za-z0-9 ]+?):\s*(?P<stats>(?:min|max|mean|median|percentile).*)$")
_STAT = re.compile(r"(?P<key>min|max|mean|median|percentile\((?P<pct>[0-9.]+)%\))\s*=\s*(?P<value>[-+0-9.eE]+)\s*ms")
_VERSION = re.compile(r"\[TensorRT v(?P<digits>\d+)\]")
_OLD_AVERAGE = re.compile(r"Average on (?P<runs>\d+) runs - GPU latency: (?P<gpu>[0-9.eE+-]+) ms - Host latency: "
                          r"(?P<host>[0-9.eE+-]+) ms")


@dataclass
class FigureStats:
    min: Optional[float] = None
    max: Optional[float] = None
    mean: Optional[float] = None
    median: Optional[float] = None
    percentiles: dict = field(default_factory=dict)   # "90" -> ms


@dataclass
class PerfSummary:
    figures: dict = field(default_factory=dict)       # latency, gpu_compute_time, ... -> FigureStats
    throughput_qps: Optional[float] = None
    host_walltime_s: Optional[float] = None
    gpu_compute_total_s: Optional[float] = None
    warnings: list = field(default_factory=list)
    passed: Optional[bool] = None
    tensorrt_version: Optional[str] = None
    command: Optional[str] = None
    malformed_lines: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def tensorrt_version(digits: str) -> str:
    """trtexec's "v100300" -> "10.3.0", "v8502" -> "8.5.2", "v8601" -> "8.6.1"."""
    if len(digits) >= 6:
        return f"{int(digits[:-4])}.{int(digits[-4:-2])}.{int(digits[-2:])}"
    return f"{int(digits[0])}.{int(digits[1])}.{int(digits[2:])}"


def parse_figure_stats(stats: str) -> Optional[FigureStats]:
    """``min = X ms, max = X ms, mean = ..., percentile(99%) = X ms`` -> FigureStats; None when nothing parses."""
    found = FigureStats()
    for match in _STAT.finditer(stats):
        value = float(match.group("value"))
        if match.group("pct"):
            found.percentiles[f"{float(match.group('pct')):g}"] = value
        else:
            setattr(found, match.group("key"), value)
    return found if (found.median is not None or found.mean is not None) else None


def _summary_line(summary: PerfSummary, text: str) -> bool:
    """Reads one summary line into ``summary``; False when it looked like a figure and did not parse."""
    figure = _FIGURE.match(text)
    if figure and figure.group("name") in FIGURE_NAMES:
        stats = parse_figure_stats(figure.group("stats"))
        if stats is None:
            return False
        summary.figures[FIGURE_NAMES[figure.group("name")]] = stats
        return True
    for prefix, attribute, unit in (("Throughput:", "throughput_qps", "qps"),
                                    ("Total Host Walltime:", "host_walltime_s", "s"),
                                    ("Total GPU Compute Time:", "gpu_compute_total_s", "s")):
        if text.startswith(prefix):
            number = re.match(rf"^\s*([-+0-9.eE]+)\s*{unit}\b", text[len(prefix):])
            if not number:
                return False
            setattr(summary, attribute, float(number.group(1)))
    return True


def parse_perf_summary(log_text: str) -> PerfSummary:
    """Every figure of trtexec's performance summary, its warnings and its verdict line, from its whole log."""
    summary = PerfSummary()
    in_summary = False
    for raw in log_text.splitlines():
        line = raw.rstrip()
        if line.startswith("&&&&"):
            summary.passed = " PASSED " in f" {line} " if ("PASSED" in line or "FAILED" in line) else None
            version = _VERSION.search(line)
            summary.tensorrt_version = tensorrt_version(version.group("digits")) if version else None
            summary.command = line.split(" # ", 1)[1] if " # " in line else None
            continue
        prefixed = _LOG_PREFIX.match(line)
        if not prefixed:
            continue
        level, text = prefixed.group("level"), prefixed.group("text").strip()
        old = _OLD_AVERAGE.search(text)
        if old:  # TensorRT 7.x: one line per averaging window; the last one wins
            summary.figures["gpu_compute_time"] = FigureStats(mean=float(old.group("gpu")))
            summary.figures["latency"] = FigureStats(mean=float(old.group("host")))
            continue
        if text.startswith("=== Performance summary ==="):
            in_summary = True
            continue
        if text.startswith("===") and in_summary:
            in_summary = False
        if level == "W" and text.startswith("*"):
            summary.warnings.append(text.lstrip("* ").strip())
        elif level == "W" and summary.warnings and in_summary:
            summary.warnings[-1] += " " + text
        elif in_summary and level == "I" and text and not _summary_line(summary, text):
            summary.malformed_lines.append(raw)
    return summary


def _complete_records(text: str) -> list:
    """The JSON array in ``text``; cut short, the records before the cut."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        end = text.rfind("}")
        if end < 0:
            return []
        try:
            data = json.loads(text[:end + 1].rstrip().rstrip(",") + "]")
        except json.JSONDecodeError:
            return []
    return data if isinstance(data, list) else []


def _first(record: dict, *names):
    for name in names:
        if isinstance(record.get(name), (int, float)):
            return float(record[name])
    return None


def parse_export_times(text: str) -> dict:
    """``--exportTimes``: per-query ms lists (h2d, compute, d2h, latency, end_to_end, enqueue), the count trtexec
    declared, and how many records were unusable. Both spellings of the copies (h2dMs / inMs, d2hMs / outMs)."""
    records = _complete_records(text)
    declared = next((r.get("count") for r in records if isinstance(r, dict) and set(r) == {"count"}), None)
    queries = [r for r in records if isinstance(r, dict) and set(r) != {"count"}]
    columns = {"h2d_ms": [], "compute_ms": [], "d2h_ms": [], "latency_ms": [], "end_to_end_ms": [], "enqueue_ms": []}
    skipped = 0
    for r in queries:
        compute = _first(r, "computeMs")
        if compute is None:
            skipped += 1
            continue
        start, end = _first(r, "startEnqMs"), _first(r, "endEnqMs")
        values = {"h2d_ms": _first(r, "h2dMs", "H2dMs", "H2DMs", "inMs"), "compute_ms": compute,
                  "d2h_ms": _first(r, "d2hMs", "D2hMs", "D2HMs", "outMs"), "latency_ms": _first(r, "latencyMs"),
                  "end_to_end_ms": _first(r, "endToEndMs"),
                  "enqueue_ms": end - start if start is not None and end is not None else None}
        for key, value in values.items():
            columns[key].append(value)
    return {**columns, "queries_n": len(queries) - skipped, "declared_count": declared, "records_skipped_n": skipped,
            "truncated": declared is not None and declared > len(queries)}


def parse_export_profile(text: str) -> list:
    """``--exportProfile``: [{"name", "time_ms" (total), "average_ms", "median_ms", "percentage"}] by total time,
    largest first; records without a name and a time are left out."""
    layers = []
    for r in _complete_records(text):
        if not isinstance(r, dict) or "name" not in r:
            continue
        total = _first(r, "timeMs")
        if total is None:
            continue
        layers.append({"name": str(r["name"]), "time_ms": total, "average_ms": _first(r, "averageMs"),
                       "median_ms": _first(r, "medianMs"), "percentage": _first(r, "percentage")})
    return sorted(layers, key=lambda layer: -layer["time_ms"])
