"""One command per folder: an OS file lock on ``--out_dir`` and ``--preprocessed_dir`` for the command's life.

The lock is ``fcntl.flock`` on ``<folder>/.jetson_benchmark.lock``: held by an open file, released by the kernel
when the holder exits or dies, so a lock left by a killed command never blocks the next one (the file stays, the
lock does not). The holder writes its pid, start time and command line into the file for the message another
command prints when it is refused.

Kinds: ``exclusive`` for a command that writes the folder (a measurement into ``--out_dir``; Phase A into
``--preprocessed_dir``; ``report`` regenerating files); ``shared`` for one that only reads it (``--skip_setup``
measuring from a ``--preprocessed_dir``): readers share, a writer waits for none and is refused at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

from harness.errors import UserError

LOCK_NAME = ".jetson_benchmark.lock"


class FolderLock:
    def __init__(self, folder, flag: str, shared: bool = False):
        self.folder, self.flag, self.shared = Path(folder), flag, shared
        self.handle = None

    def acquire(self) -> "FolderLock":
        path = self.folder / LOCK_NAME
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            handle.close()
            raise UserError(f"--{self.flag} {self.folder} is in use by another jetson_benchmark command ({holder}): "
                            f"wait for it to finish, or use another --{self.flag}") from None
        if not self.shared:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                                     "argv": sys.argv}))
            handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file releases the lock
            self.handle = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(path: Path) -> str:
    """"pid N, started T: command" of the command holding ``path``, as far as it wrote it."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    import psutil

    if not info.get("pid") or not psutil.pid_exists(int(info["pid"])):  # readers write nothing; a dead writer's note is stale
        return "a command reading it with --skip_setup, or one starting now"
    command = " ".join(info.get("argv") or [])
    return f"pid {info['pid']}, started {info.get('started_at')}" + (f": {command}" if command else "")


def lock_folders(*wanted) -> list:
    """Locks for (folder, flag, shared) triples, in order; the same folder twice is locked once, exclusively when
    any asks for it. Raises UserError (exit 2) at the first busy folder, releasing what it took."""
    chosen: dict = {}
    for folder, flag, shared in wanted:
        key = Path(folder).resolve()
        if key in chosen:
            chosen[key] = (chosen[key][0], chosen[key][1] and shared)
        else:
            chosen[key] = (flag, shared)
    held = []
    try:
        for folder, (flag, shared) in chosen.items():
            held.append(FolderLock(folder, flag, shared).acquire())
    except BaseException:
        for lock in held:
            lock.release()
        raise
    return held
