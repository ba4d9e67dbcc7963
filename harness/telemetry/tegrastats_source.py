"""``tegrastats`` run as a subprocess: a thread reads its lines and keeps the latest parsed one.

Used on a Jetson when jtop's service does not answer. ``tegrastats --interval <ms>`` prints one line per
interval; each is parsed by :func:`~harness.telemetry.tegrastats_parser.parse_tegrastats_line` and
stamped with the ``time.monotonic()`` at which it arrived (``reading_t_monotonic_s``). ``power_w`` is the
board power (the whole-board rail, else the sum of the rails; :meth:`TegrastatsSource.describe` says which).
``stop()`` terminates the process (then kills it if it does not exit), closes its pipe and joins the thread.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import deque
from typing import Optional

from .source_base import TelemetrySource
from .tegrastats_parser import parse_tegrastats_line, total_power

from harness.telemetry.executables import find_executable, is_executable

DEFAULT_BINARY = "tegrastats"
FALLBACK_PATHS = ("/usr/bin/tegrastats", "/usr/sbin/tegrastats")


def find_tegrastats(binary: Optional[str] = None) -> Optional[str]:
    if binary:
        return binary if is_executable(binary) else shutil.which(binary)
    return find_executable(DEFAULT_BINARY, FALLBACK_PATHS)


class TegrastatsSource(TelemetrySource):
    name = "tegrastats"

    def __init__(self, interval_s: float = 0.5, binary: Optional[str] = None, first_line_timeout_s: float = 5.0):
        super().__init__()
        self.interval_ms = max(1, int(round(interval_s * 1000)))
        self.first_line_timeout_s = first_line_timeout_s
        self.binary = find_tegrastats(binary)
        self.power_how: Optional[str] = None
        self.lines_n = 0
        self._proc: Optional[subprocess.Popen] = None
        self._thread: Optional[threading.Thread] = None
        self._err_thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._first_line = threading.Event()
        self._latest: dict = {}
        self._stderr_tail: deque = deque(maxlen=5)
        if self.binary is None:
            self.mark_unavailable(f"the {binary or DEFAULT_BINARY} binary is not on this machine (not a Jetson, or "
                                  "JetPack's tools are not installed)")

    def start(self) -> None:
        if not self.available or self._proc is not None:
            return
        command = [self.binary, "--interval", str(self.interval_ms)]
        try:
            self._proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL, text=True, bufsize=1)
        except OSError as exc:
            self.mark_unavailable(f"cannot run {' '.join(command)}: {exc}")
            return
        self._thread = threading.Thread(target=self._read_lines, name="tegrastats-reader", daemon=True)
        self._thread.start()
        self._err_thread = threading.Thread(target=self._read_stderr, name="tegrastats-stderr", daemon=True)
        self._err_thread.start()
        if not self._first_line.wait(self.first_line_timeout_s):
            code = self._proc.poll()
            why = (f"exited with status {code}" if code is not None
                   else f"printed no line within {self.first_line_timeout_s:g} s")
            tail = " | ".join(self._stderr_tail)
            self.stop()
            self.mark_unavailable(f"{' '.join(command)} {why}" + (f": {tail}" if tail else ""))

    def _read_lines(self) -> None:
        proc = self._proc
        try:
            for line in proc.stdout:
                if not line.endswith("\n"):
                    continue  # the last line of a process that died mid-line: its last figure may be cut
                parsed = parse_tegrastats_line(line)
                if not parsed:
                    continue
                parsed["reading_t_monotonic_s"] = time.monotonic()
                watts, how = total_power(parsed)
                if watts is not None:
                    parsed["power_w"] = watts
                with self._lock:
                    self._latest = parsed
                    self.lines_n += 1
                    if how:
                        self.power_how = how
                self._first_line.set()
        except (ValueError, OSError):  # the pipe was closed by stop()
            pass

    def _read_stderr(self) -> None:
        proc = self._proc
        try:
            for line in proc.stderr:
                if line.strip():
                    self._stderr_tail.append(line.strip())
        except (ValueError, OSError, AttributeError):
            pass

    def sample(self) -> dict:
        if not self.available:
            return {}
        with self._lock:
            return dict(self._latest)

    def describe(self) -> dict:
        return {"command": f"{self.binary} --interval {self.interval_ms}",
                "power_w": self.power_how or "no power rail seen yet"}

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
        for thread in (self._thread, self._err_thread):  # the process has ended: both readers meet EOF
            if thread is not None:
                thread.join(timeout=2)
        self._thread = self._err_thread = None
        for pipe in (proc.stdout, proc.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except Exception:  # noqa: BLE001
                pass
