"""Progress on the terminal: a bar over the matrix and one over the current run's passes, with ETAs.

Shown only when stderr is a terminal (silent in CI, pipes and files; run.log has everything anyway). Phase B
reports its passes through throttled event lines; the bars live in the parent, which owns the terminal.
"""

from __future__ import annotations

import os
import sys

# Phase B reports at most once a second and the bars redraw at most once a second, so the display costs
# next to nothing on a small board. Checked on the 2-core CPU machine, same terminal, bars on vs off
# (JETSON_BENCHMARK_PROGRESS=1/0), yolo11n imgsz 64, 1000 passes: p50 6.49 / 6.43 ms and 5.14 / 5.47 ms —
# no difference beyond the machine's own run-to-run swing.
MIN_REDRAW_S = 1.0


class Progress:
    def __init__(self, total_runs: int, enabled: bool = None):
        if enabled is None:
            forced = os.environ.get("JETSON_BENCHMARK_PROGRESS")  # "0" / "1" overrides the terminal check
            enabled = sys.stderr.isatty() if forced not in ("0", "1") else forced == "1"
        self.enabled = enabled
        self.matrix = None
        self.run = None
        if self.enabled and total_runs:
            from tqdm import tqdm

            self.tqdm = tqdm
            self.matrix = tqdm(total=total_runs, desc="matrix", unit="run", position=0, dynamic_ncols=True,
                               mininterval=MIN_REDRAW_S)

    def restart_clock(self) -> None:
        """Start the matrix bar's clock now (no run done yet): a one-time wait before the first run, such as the fork
        launcher's import, would otherwise be read as part of every run and inflate the first ETAs."""
        if self.matrix is not None and self.matrix.n == 0:
            self.matrix.reset(total=self.matrix.total)

    def write(self, text: str) -> None:
        """Print a line without tearing the bars."""
        if self.matrix is not None:
            self.tqdm.write(text)
        else:
            print(text, flush=True)  # a closed pipe is caught by the caller (harness.parent.console_output)

    def on_event(self, event: dict) -> None:
        if self.matrix is None:
            return
        kind = event.get("event")
        if kind == "run_start":
            self._close_run()
            self.run = self.tqdm(total=None, desc=event["run_id"][:60], unit="pass", position=1, leave=False,
                                 dynamic_ncols=True, mininterval=MIN_REDRAW_S)
        elif kind == "pass" and self.run is not None:
            self.run.total = event["total"]
            self.run.set_postfix_str("warm-up" if event.get("warmup") else "measuring", refresh=False)
            self.run.update(event["done"] - self.run.n)
        elif kind == "run_end":
            self._close_run()
            self.matrix.update(1)

    def _close_run(self) -> None:
        if self.run is not None:
            self.run.close()
            self.run = None

    def close(self) -> None:
        self._close_run()
        if self.matrix is not None:
            self.matrix.close()
