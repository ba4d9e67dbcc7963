"""What a process forked by the launcher does before it runs its module: become what ``python -m <module>`` started
by the parent would be, short of importing torch again.

In order: its own session (a timeout kills it and what it starts, as for a spawned child); standard output and
error to the pipe the parent reads; the control socket closed; the parent's environment and folder for this run
(the launcher as the parent it dies with, and the launcher's memory before the fork, for the unique-set
figure: harness/measure/host_memory.py); the launcher's resident library pages mapped in
(harness/process/resident_pages.py); fresh random seeds. Then the module runs as ``__main__`` and the process ends
with its exit code, never returning to the launcher's loop.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

# {"pid": the launcher's pid, "uss_kb": its unique set size before the fork, "import_s": its torch import's seconds}
LAUNCHER_ENV = "JETSON_BENCHMARK_LAUNCHER"


def become_run_process(request: dict, out_fd: int, control, ranges: list, launcher: dict) -> None:
    code = 1
    try:
        os.setsid()
        control.close()
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JETSON_BENCHMARK_PARENT_PID"] = str(launcher["pid"])
        os.environ[LAUNCHER_ENV] = json.dumps(launcher)
        from harness.process.lifeline import die_with_parent, name_process

        die_with_parent()  # a fork does not inherit it: this process ends when the launcher does
        name_process(request["module"][-15:])
        from harness.process.resident_pages import map_in

        map_in(ranges)
        reseed_numpy()
        code = run_module(request["module"], request["args"])
    except BaseException:  # noqa: BLE001 - whatever happens, this process never returns to the launcher's loop
        traceback.print_exc()
    finally:
        from harness.process.lifeline import end_process

        end_process(code)


def reseed_numpy() -> None:
    """numpy's global generator, seeded once in the launcher, would start every child in the same state; a fresh
    process seeds it from the operating system's entropy (Python's ``random`` reseeds itself after a fork)."""
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def run_module(module: str, args: list) -> int:
    """``python -m module args``: run it as ``__main__``; its exit code."""
    import runpy

    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def unique_kb(pid="self") -> int:
    """A process's unique set size in KiB (private pages, /proc/<pid>/smaps_rollup, Linux 4.14); 0 where unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            text = handle.read()
    except OSError:
        return 0
    fields = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            fields[name] = int(value.split()[0])
    return fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


def launcher_record():
    """{"pid", "uss_kb"} of the launcher this process was forked from (its unique set before the fork); None when
    this process was not forked by one."""
    raw = os.environ.get(LAUNCHER_ENV)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def shared_with_launcher_kb():
    """KiB this process shares with the launcher it was forked from and with no other process: the pages that were
    the launcher's alone before the fork (its unique set then) and are no longer (its unique set now). A process that
    imported torch itself would hold them alone, so they belong in its unique set size. None when not forked."""
    launcher = launcher_record()
    if launcher is None:
        return None
    try:
        now = unique_kb(int(launcher["pid"]))
        return max(0, int(launcher["uss_kb"]) - now) if now else None
    except (KeyError, TypeError, ValueError):
        return None
