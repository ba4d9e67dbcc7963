"""The parent's user-facing lines: printed (through the progress bars when they show) and copied into run.log, and
the one status line each run gets."""

from __future__ import annotations

import time

from harness.parent.console_output import safe_print
from harness.files.disk_errors import with_path
from harness.measure.latency_stats import headline_img_per_s


class Console:
    """User-facing lines: printed (through the progress bars when they are showing), and copied into run.log."""

    def __init__(self, log_file):
        self.log_file = log_file
        self.progress = None
        self.phase_a_s = None      # Phase A's process wall time when this command ran it
        self.phase_a_steps = None  # its steps' seconds (setup config's phase_a.timings_s)
        self.launcher = None       # the fork launcher's record (harness.process.fork_launcher) under --isolation fork

    def say(self, text: str = "") -> None:
        safe_print(text, self.progress.write if self.progress is not None else None)
        try:
            self.log_file.write(f"[parent {time.strftime('%H:%M:%S')}] {text}\n")
            self.log_file.flush()
        except OSError as exc:  # a full disk: the line was shown; the error names run.log
            raise with_path(exc, self.log_file.name) from exc

def _number(value, fmt: str = ".2f") -> str:
    return "n/a" if value is None else format(value, fmt)

def status_line(index: int, total: int, run_id: str, result: dict) -> str:
    status = result.get("status")
    metrics = result.get("metrics") or {}
    if status == "ok" and metrics.get("fps") is not None:  # a video model: per-frame figures
        detail = (f"frame p50 {_number(metrics.get('latency_ms_p50'))} ms, p99 {_number(metrics.get('latency_ms_p99'))} "
                  f"ms, prompt frame {_number(metrics.get('prompt_latency_ms_p50'))} ms, {_number(metrics['fps'], '.1f')} "
                  f"fps, J&F {_number(metrics.get('j_and_f'), '.3f')}")
    elif status == "ok":
        rate = headline_img_per_s(metrics)
        detail = (f"p50 {_number(metrics.get('latency_ms_p50'))} ms, p99 {_number(metrics.get('latency_ms_p99'))} ms, "
                  f"{_number(rate, '.1f')} img/s" + (" sustained" if metrics.get("throughput_img_per_s") is None else ""))
    else:
        detail = result.get("reason") or ""
    return f"[{index}/{total}] {run_id}: {status} {detail}".rstrip()
