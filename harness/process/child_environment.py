"""The environment every child process of the harness gets: the parent's, with the user's own OMP_NUM_THREADS
restored, unbuffered output, the parent's pid (its lifeline), the moment it was launched (the start of its timeline)
and the project on its import path. The spawned children (harness/process/launcher.py) and the fork launcher's
children (harness/process/fork_launcher.py) get the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

USER_OMP_NUM_THREADS = "JETSON_BENCHMARK_USER_OMP_NUM_THREADS"
LAUNCHED_AT = "JETSON_BENCHMARK_LAUNCHED_AT"


def user_omp_num_threads() -> str:
    """The OMP_NUM_THREADS the user gave this command ("" when none): what every phase process gets."""
    return os.environ.get(USER_OMP_NUM_THREADS, os.environ.get("OMP_NUM_THREADS", ""))


def child_environment() -> dict:
    """The parent's environment for a phase process, minus what a library set behind the user's back.

    Ultralytics sets OMP_NUM_THREADS=1 on import when it is unset ("reduced CPU utilization during
    training"). Inherited by our child processes that would make their CPU work single-threaded and key
    torch.compile's CPU kernels for one thread. The top-level parent records the user's own value (or
    its absence) once, and every child gets exactly that.
    """
    env = dict(os.environ)
    if USER_OMP_NUM_THREADS not in env:  # the top-level parent: nothing has imported Ultralytics yet
        env[USER_OMP_NUM_THREADS] = user_omp_num_threads()
    if env[USER_OMP_NUM_THREADS]:
        env["OMP_NUM_THREADS"] = env[USER_OMP_NUM_THREADS]
    else:
        env.pop("OMP_NUM_THREADS", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["JETSON_BENCHMARK_PARENT_PID"] = str(os.getpid())
    env[LAUNCHED_AT] = repr(time.time())  # the child's life starts here (harness.measure.process_timeline)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + existing if existing else "")
    return env
