"""Launching a phase as a child process: the mechanics of isolation (which runs share a process is
decided by :func:`harness.settings.matrix.group_runs`).

The parent waits on the child with ``Popen.wait(timeout)`` (no polling loop), copies every line the
child prints into run.log, hands event lines to a callback, and keeps the last lines as evidence in case
the child dies without writing a result. The child runs in its own session, so a timeout kills it and
anything it started.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, TextIO

from harness.process import child_protocol
from harness.process.child_environment import child_environment
from harness.files.disk_errors import with_path
from harness.process.oom_evidence import MemoryRecord, MemoryWitness


@dataclass
class ChildOutcome:
    argv: list
    pid: int
    returncode: Optional[int]
    timed_out: bool
    wall_s: float
    events: list = field(default_factory=list)
    tail: list = field(default_factory=list)
    memory: Optional[MemoryRecord] = None   # what the parent saw of its memory (harness.process.oom_evidence)
    ended_at: Optional[float] = None        # time.time() when the parent saw it exit
    lost: Optional[str] = None              # why no exit status is known (its fork launcher failed or ended)

    @property
    def signal_name(self) -> Optional[str]:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return None

    def last_event(self, *names: str) -> Optional[dict]:
        for event in reversed(self.events):
            if event.get("event") in names:
                return event
        return None


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_phase(
    module: str,
    args: list,
    timeout_s: float,
    log_file: TextIO,
    echo: bool = False,
    on_event: Optional[Callable[[dict], None]] = None,
    tail_lines: int = 40,
    launcher=None,
) -> ChildOutcome:
    """``python -m module args`` as a child process, started afresh, or forked by ``launcher`` (a
    harness.process.fork_launcher.ForkLauncher, for ``--isolation fork``)."""
    argv = [sys.executable, "-m", module, *args]
    started = time.perf_counter()
    if launcher is not None:
        from harness.process.fork_launcher import LauncherFailed

        try:
            proc = launcher.start_child(argv, child_environment())
        except LauncherFailed as exc:  # no process for this run: the launcher's own ending is the run's
            return ChildOutcome(argv=argv, pid=exc.pid, returncode=exc.returncode, timed_out=False,
                                ended_at=time.time(), wall_s=time.perf_counter() - started, tail=[str(exc)],
                                memory=exc.memory, lost=None if exc.returncode is not None else str(exc))
    else:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            bufsize=1, errors="replace", start_new_session=True, env=child_environment(), cwd=os.getcwd(),
        )
    outcome = ChildOutcome(argv=argv, pid=proc.pid, returncode=None, timed_out=False, wall_s=0.0)
    witness = MemoryWitness(proc.pid)
    tail: collections.deque = collections.deque(maxlen=tail_lines)
    lock = threading.Lock()
    log_errors: list = []  # a full disk under run.log: the pipe is still drained, the error raised after

    def pump() -> None:
        for line in proc.stdout:
            event = child_protocol.parse(line)
            if event is not None:
                outcome.events.append(event)
                if on_event is not None:
                    on_event(event)
                if event.get("event") == "pass":
                    continue  # progress ticks are not worth a log line each
            with lock:
                tail.append(line.rstrip("\n"))
                if not log_errors:
                    try:
                        log_file.write(line)
                    except OSError as exc:
                        log_errors.append(with_path(exc, getattr(log_file, "name", "run.log")))
            if echo and event is None:
                sys.stderr.write(line)

    reader = threading.Thread(target=pump, name=f"pump-{proc.pid}", daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
        _kill_group(proc, signal.SIGKILL)
        proc.wait()
    except BaseException:  # Ctrl-C or a kill of the parent: take the child down with us
        _kill_group(proc, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        exited_at = time.time()
        reader.join(timeout=10)
        if launcher is not None and not reader.is_alive():
            proc.stdout.close()  # a Popen's pipe is closed with it; this one is ours
        if not log_errors:
            try:
                log_file.flush()
            except OSError as exc:
                log_errors.append(with_path(exc, getattr(log_file, "name", "run.log")))
    if log_errors:
        raise log_errors[0]
    outcome.returncode = proc.returncode
    if getattr(proc, "launcher_lost", False):
        from harness.process.fork_launcher import LAUNCHER_LOST

        outcome.lost = LAUNCHER_LOST
    outcome.wall_s = time.perf_counter() - started
    outcome.ended_at = exited_at
    outcome.memory = witness.finish(killed=proc.returncode == -signal.SIGKILL and not outcome.timed_out)
    outcome.tail = list(tail)
    return outcome
