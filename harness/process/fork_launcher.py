"""The parent's side of ``--isolation fork``: the launcher process it starts once, and each run's process, forked by
the launcher, handled as if the parent had started it (harness/process/launcher.py reads it like a ``Popen``).

Why: every Phase B process imports torch (about 1 s on a 2-core x86 host, several on a Jetson), and that import is
the largest part of a run's life outside its measurement. The launcher (harness/process/fork_server.py) pays it once
per command; each run still gets a process of its own, created for it and ended after it, with the launcher's
library pages mapped in so its resident memory reads as a fresh process's would. docs/isolation.md says what is the
same as ``--isolation run`` and what is not.

The launcher is started after Phase A (it would disturb Phase A's memory probes) and closed when the runs are done;
one that dies is started again for the next run, and a run in flight when it died is told as such.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Optional

from harness.process.fork_server import MESSAGE_BYTES, send_with_fd

READY_TIMEOUT_S = 300.0
LAUNCHER_LOST = ("the fork launcher this run's process was forked from ended while the run was in it (the process "
                 "ends with it); the next run gets a new launcher")


def fork_available() -> bool:
    """Whether this host can run ``--isolation fork``: Linux (fork, /proc/self/pagemap, PR_SET_PDEATHSIG)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class LauncherFailed(RuntimeError):
    """The launcher could not give a run its process: its pid, exit status (None while it lives) and what the parent
    saw of its memory, so the run's ending is classified as a process's (a launcher the OOM killer took while it
    imported torch is out of memory, with the same evidence)."""

    def __init__(self, message: str, pid: int = 0, returncode: Optional[int] = None, memory=None):
        super().__init__(message)
        self.pid, self.returncode, self.memory = pid, returncode, memory


class ForkedChild:
    """One run's process, forked by the launcher: what ``run_phase`` uses of a ``Popen`` (pid, stdout, wait,
    returncode), with its wait status relayed by the launcher."""

    def __init__(self, launcher: "ForkLauncher", argv: list, pid: int, stdout):
        self.launcher, self.args, self.pid, self.stdout = launcher, argv, pid, stdout
        self.returncode: Optional[int] = None
        self.launcher_lost = False

    def wait(self, timeout: Optional[float] = None) -> int:
        if self.returncode is not None or self.launcher_lost:
            return self.returncode
        message = self.launcher.receive(timeout, self.args)
        if message is None:  # the launcher is gone, and the process with it (it dies with its parent)
            self.launcher_lost = True
            _wait_gone(self.pid)
            return None
        self.returncode = int(message["returncode"])
        return self.returncode


def _wait_gone(pid: int, limit_s: float = 5.0) -> None:
    """Until the process ``pid`` has ended (it dies with its launcher); killed with its group after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ForkLauncher:
    """The launcher process: :meth:`start_child` asks it for a run's process."""

    def __init__(self, env: dict):
        self.env = dict(env)
        self.process: Optional[subprocess.Popen] = None
        self.ready: dict = {}
        self.control: Optional[socket.socket] = None
        self.lost = False      # its socket closed: it ended (or is ending)
        self.started_s = 0.0   # seconds this command waited for launchers to be ready, over all starts
        self.starts = 0
        self.import_s = 0.0    # the launchers' torch imports, over all starts
        self._log = None

    def start(self) -> None:
        """Launch the launcher process (it imports torch while the parent goes on)."""
        self.close()
        self.lost = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.process.fork_server", "--control", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),),
            start_new_session=True, env=self.env, cwd=os.getcwd())
        theirs.close()
        self.control = ours
        self.starts += 1

    def wait_ready(self) -> dict:
        if self.process is None or self.lost or self.process.poll() is not None:
            self.start()
        if not self.ready:
            from harness.process.oom_evidence import MemoryWitness

            begun = time.perf_counter()
            witness = MemoryWitness(self.process.pid)
            try:
                message = self.receive(READY_TIMEOUT_S, ["fork launcher"])
            except subprocess.TimeoutExpired:
                message = None
            self.started_s += time.perf_counter() - begun
            if message is None or message.get("event") != "ready":
                raise self._failed_start(witness)
            witness.finish(killed=False)
            self.ready = message
            self.import_s += float(message.get("import_s") or 0.0)
        return self.ready

    def _failed_start(self, witness) -> LauncherFailed:
        """Why the launcher gave no ``ready``: it ended (its exit status), or it hangs (stopped here)."""
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            returncode = None
        memory = witness.finish(killed=returncode == -signal.SIGKILL)
        self.lost = True
        how = "it was stopped" if returncode is None else f"it ended with {returncode}"
        return LauncherFailed(f"the fork launcher did not start ({how}): {self.output_tail() or 'no output'}",
                              self.process.pid, returncode, memory)

    def ready_or_not(self) -> bool:
        """Wait until the launcher is ready; False if it could not start (each run will then say why)."""
        try:
            self.wait_ready()
            return True
        except LauncherFailed:
            return False

    def receive(self, timeout: Optional[float], argv: list) -> Optional[dict]:
        """The launcher's next message; None when it is gone. A timeout raises ``subprocess.TimeoutExpired``."""
        self.control.settimeout(timeout)
        try:
            data = self.control.recv(MESSAGE_BYTES)
        except socket.timeout:
            raise subprocess.TimeoutExpired(argv, timeout) from None
        except OSError:
            data = b""
        if not data:
            self.lost = True
            return None
        return json.loads(data)

    def start_child(self, argv: list, env: dict) -> ForkedChild:
        """A process for ``argv`` (``[sys.executable, "-m", module, *args]``), with its output on a new pipe."""
        self.wait_ready()
        from harness.process.child_environment import LAUNCHED_AT

        env = {**env, LAUNCHED_AT: repr(time.time())}  # its life starts now, not while the launcher was starting
        read_end, write_end = os.pipe()
        request = {"module": argv[2], "args": argv[3:], "env": env, "cwd": os.getcwd()}
        try:
            send_with_fd(self.control, json.dumps(request).encode(), write_end)
            message = self.receive(READY_TIMEOUT_S, argv)
        finally:
            os.close(write_end)
        if message is None or message.get("event") != "started":
            os.close(read_end)
            try:
                returncode = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                returncode = None
            raise LauncherFailed(f"the fork launcher ended before starting the run: {self.output_tail() or 'no output'}",
                                 self.process.pid, returncode)
        stdout = os.fdopen(read_end, "r", buffering=1, errors="replace")
        return ForkedChild(self, argv, int(message["pid"]), stdout)

    def output_tail(self, chars: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:].strip()

    def close(self) -> None:
        self.ready = {}
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def record(self) -> dict:
        """What the command's time account says of the launcher: its starts, its torch import, the parent's wait."""
        return {"starts": self.starts, "import_s": self.import_s, "waited_s": round(self.started_s, 3)}


@contextlib.contextmanager
def launcher_for(isolation: str):
    """A started fork launcher under ``--isolation fork`` (closed on the way out), else None."""
    if isolation != "fork":
        yield None
        return
    from harness.process.child_environment import child_environment

    launcher = ForkLauncher(child_environment())
    launcher.start()
    try:
        yield launcher
    finally:
        launcher.close()
