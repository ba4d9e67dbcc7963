"""The fork launcher: a process that imports torch once, then forks one fresh process per Phase B run.

``python -m harness.process.fork_server --control FD`` is started by the parent (harness/process/fork_launcher.py)
with one end of a Unix socket pair. It imports torch and nothing else of the harness's work (no model, no CUDA
context, no torch operation: the intra-op thread pool and CUDA start only in the child), lists its resident library
pages (harness/process/resident_pages.py) and says ``ready``. Then, for each request (a module, its arguments, the
environment and folder, and the write end of the pipe its output goes to), it forks: the child becomes the run's
process (harness/process/forked_start.py) and the launcher reports its pid, waits for it, and reports how it ended,
in ``Popen.returncode``'s convention. It serves one child at a time, holds no thread, and ends when the parent
closes the socket or dies.
"""

from __future__ import annotations

import argparse
import array
import json
import os
import socket
import sys
import time

MESSAGE_BYTES = 1 << 20


def send(control: socket.socket, **message) -> None:
    control.send(json.dumps(message).encode())


def send_with_fd(control: socket.socket, data: bytes, fd: int) -> None:
    """One message with one file descriptor attached (SCM_RIGHTS; ``socket.send_fds`` is Python 3.9+)."""
    control.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])


def receive_with_fds(control: socket.socket) -> tuple:
    """(data, [file descriptors]) of the next message; ``socket.recv_fds`` is Python 3.9+."""
    fds = array.array("i")
    data, ancillary, _, _ = control.recvmsg(MESSAGE_BYTES, socket.CMSG_LEN(4 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def exit_code(status: int) -> int:
    """A wait status as ``Popen.returncode`` has it: the exit code, or minus the signal that ended the process
    (``os.waitstatus_to_exitcode`` is Python 3.9+)."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def serve(control: socket.socket, ranges: list, import_s: float) -> None:
    from harness.process.forked_start import become_run_process, unique_kb

    while True:
        data, fds = receive_with_fds(control)
        if not data:
            return
        request = json.loads(data)
        before_kb = unique_kb()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            become_run_process(request, fds[0], control, ranges,
                               {"pid": os.getppid(), "uss_kb": before_kb, "import_s": import_s})
        for fd in fds:
            os.close(fd)
        send(control, event="started", pid=pid)
        _, status = os.waitpid(pid, 0)
        send(control, event="ended", pid=pid, returncode=exit_code(status))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.process.fork_server")
    parser.add_argument("--control", type=int, required=True, help="file descriptor of the control socket")
    args = parser.parse_args(argv)
    from harness.process.lifeline import die_with_parent, name_process

    die_with_parent()
    name_process("fork_launcher")
    control = socket.socket(fileno=args.control)
    started = time.perf_counter()
    import torch  # noqa: F401  - the one thing every Phase B process imports and the launcher imports for it

    from harness.process.resident_pages import resident_file_ranges

    import_s = round(time.perf_counter() - started, 3)
    ranges = resident_file_ranges()
    send(control, event="ready", pid=os.getpid(), import_s=import_s, torch=torch.__version__,
         resident_mb=round(sum(length for _, length in ranges) / 2**20, 1))
    try:
        serve(control, ranges, import_s)
    except (ConnectionError, OSError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
