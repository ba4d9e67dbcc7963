"""--isolation fork: a real launcher process (it imports torch once) forks a real process per run, and the parent
reads each as it reads a process it started itself: output, events, exit code, signal, timeout, and a launcher that
dies mid-run. The forked process must look like a fresh one: its own session, the parent's environment and folder,
and the launcher's library pages mapped in so its resident and unique memory read as a fresh process's would."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from harness.process.child_ending import DIED, classify_ending
from harness.process.fork_launcher import LAUNCHER_LOST, ForkLauncher, fork_available, launcher_for
from harness.process.child_environment import child_environment
from harness.process.launcher import run_phase
from harness.process.resident_pages import _file_mappings, map_in, present_runs, resident_file_ranges

pytestmark = pytest.mark.skipif(not fork_available(), reason="--isolation fork needs Linux")

CHILD = textwrap.dedent('''
    import json, os, signal, sys, time
    what = sys.argv[1]
    print("child says", what, flush=True)
    if what == "exit":
        sys.exit(int(sys.argv[2]))
    if what == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "sleep":
        time.sleep(float(sys.argv[2]))
    if what == "raise":
        raise RuntimeError("a bug in the child")
    if what == "facts":
        from harness.measure import host_memory
        from harness.process.lifeline import die_with_parent
        status = host_memory.proc_status_kb()
        print("@@jetson_benchmark " + json.dumps({
            "event": "facts", "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "cwd": os.getcwd(),
            "marker": os.environ.get("FORK_TEST_MARKER"), "launched_at": os.environ.get("JETSON_BENCHMARK_LAUNCHED_AT"),
            "torch_imported": "torch" in sys.modules, "rss_file_mb": status.get("RssFile", 0) / 1024,
            "uss_mb": host_memory.uss_mb(), "dies_with_parent": die_with_parent()}), flush=True)
''')

FRESH = ("import json, torch, sys; from harness.measure import host_memory; "
         "print(json.dumps({'rss_file_mb': host_memory.proc_status_kb().get('RssFile', 0) / 1024, "
         "'uss_mb': host_memory.uss_mb()}))")


@pytest.fixture(scope="module")
def child_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fork_children")
    (folder / "fork_test_child.py").write_text(CHILD)
    return folder


@pytest.fixture(scope="module")
def launcher(child_module):
    env = child_environment()
    env["PYTHONPATH"] = f"{child_module}{os.pathsep}{env['PYTHONPATH']}"
    started = ForkLauncher(env)
    started.start()
    yield started
    started.close()


def _run(launcher, *args, timeout_s=120.0, log=None):
    log = log or open(os.devnull, "w")
    return run_phase("fork_test_child", list(args), timeout_s, log, launcher=launcher)


def test_the_parent_gets_a_forked_runs_output_and_exit_code(launcher, tmp_path):
    log = open(tmp_path / "run.log", "w")
    outcome = _run(launcher, "exit", "3", log=log)
    log.close()
    assert outcome.returncode == 3 and not outcome.timed_out and outcome.lost is None
    assert "child says exit" in outcome.tail
    assert "child says exit" in (tmp_path / "run.log").read_text()
    assert launcher.ready["pid"] != outcome.pid


def test_a_signal_a_timeout_and_an_exception_end_a_forked_run_as_they_end_a_spawned_one(launcher):
    killed = _run(launcher, "kill")
    assert killed.returncode == -signal.SIGKILL and killed.signal_name == "SIGKILL"
    assert classify_ending(killed, "run_end").kind == DIED
    slow = _run(launcher, "sleep", "60", timeout_s=2.0)
    assert slow.timed_out and slow.returncode == -signal.SIGKILL and slow.wall_s < 30
    with pytest.raises(ProcessLookupError):
        os.kill(slow.pid, 0)
    broken = _run(launcher, "raise")
    assert broken.returncode == 1 and any("RuntimeError: a bug in the child" in line for line in broken.tail)
    assert _run(launcher, "exit", "0").returncode == 0  # the launcher still serves


def test_a_forked_run_is_a_fresh_process_of_its_own(launcher, tmp_path, monkeypatch):
    monkeypatch.setenv("FORK_TEST_MARKER", "from the parent")
    monkeypatch.chdir(tmp_path)
    first, second = _run(launcher, "facts"), _run(launcher, "facts")
    facts = [outcome.last_event("facts") for outcome in (first, second)]
    assert facts[0]["pid"] != facts[1]["pid"] and all(f["pid"] == f["sid"] for f in facts)  # own process, own session
    assert all(f["ppid"] == launcher.ready["pid"] and f["dies_with_parent"] for f in facts)
    assert all(f["cwd"] == str(tmp_path) and f["marker"] == "from the parent" for f in facts)
    assert all(f["torch_imported"] for f in facts)  # what the launcher imported once
    assert float(facts[0]["launched_at"]) > 0


def test_a_forked_process_reads_the_memory_a_fresh_one_would(launcher, child_module):
    # The fresh process is measured while no launcher lives (the module's is stopped for it): a launcher would share
    # torch's pages with it too and lower its unique set, as any other process that maps them does.
    launcher.close()
    fresh = json.loads(subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, check=True,
                                      env=child_environment()).stdout)
    forked = _run(launcher, "facts").last_event("facts")  # a new launcher starts for it
    # Without the launcher's pages mapped in, RssFile would read ~7 MiB against ~200; without the pages shared with
    # the launcher added, the unique set would read ~130 MiB against ~500.
    assert forked["rss_file_mb"] > 0.8 * fresh["rss_file_mb"]
    assert forked["uss_mb"] == pytest.approx(fresh["uss_mb"], rel=0.15)


def _kill_once_it_forked(launcher_pid: int, limit_s: float = 120.0) -> None:
    """SIGKILL the launcher once its run's process exists and has had a moment to report it (no fixed delay: a busy
    host may take seconds to fork)."""
    import time

    import psutil

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not psutil.Process(launcher_pid).children():
        time.sleep(0.05)
    time.sleep(1.0)  # the launcher sends "started" right after the fork
    os.kill(launcher_pid, signal.SIGKILL)


def test_a_launcher_that_dies_mid_run_is_told_and_replaced(child_module):
    env = child_environment()
    env["PYTHONPATH"] = f"{child_module}{os.pathsep}{env['PYTHONPATH']}"
    launcher = ForkLauncher(env)
    launcher.start()
    try:
        launcher.wait_ready()
        first_pid = launcher.ready["pid"]
        import threading

        threading.Thread(target=_kill_once_it_forked, args=(first_pid,), daemon=True).start()
        outcome = _run(launcher, "sleep", "60")
        assert outcome.lost == LAUNCHER_LOST and outcome.returncode is None
        ending = classify_ending(outcome, "run_end")
        assert ending.kind == DIED and ending.detail == LAUNCHER_LOST
        with pytest.raises(ProcessLookupError):
            os.kill(outcome.pid, 0)  # it died with its launcher
        assert _run(launcher, "exit", "0").returncode == 0
        assert launcher.starts == 2 and launcher.ready["pid"] != first_pid
    finally:
        launcher.close()


def test_only_fork_isolation_starts_a_launcher():
    with launcher_for("run") as none:
        assert none is None
    with launcher_for("phase") as none:
        assert none is None


def test_present_pages_become_address_runs():
    page = 4096
    present, absent = 1 << 63, 0
    entries = [present, present, absent, present, absent, absent, present]
    assert present_runs(entries, 0x1000, page) == [(0x1000, 2 * page), (0x1000 + 3 * page, page),
                                                   (0x1000 + 6 * page, page)]
    assert present_runs([absent, absent], 0, page) == []


def test_a_launcher_that_cannot_start_gives_the_run_its_ending(tmp_path):
    env = child_environment()
    env["PYTHONHOME"] = str(tmp_path)  # no standard library there: the launcher's interpreter cannot start
    launcher = ForkLauncher(env)
    launcher.start()
    try:
        outcome = _run(launcher, "exit", "0")
        assert outcome.returncode == 1 and outcome.lost is None and outcome.pid == launcher.process.pid
        assert "the fork launcher did not start (it ended with 1)" in outcome.tail[0]
        assert "Fatal Python error" in outcome.tail[0]
        assert classify_ending(outcome, "run_end").detail == "died (exit code 1) without a verdict"
    finally:
        launcher.close()


def test_the_launchers_file_pages_are_listed_and_mapped_in_either_way():
    maps = ("7f00-7f02 r-xp 00000000 08:01 42 /usr/lib/libtorch.so\n"
            "7f02-7f03 ---p 00002000 08:01 42 /usr/lib/libtorch.so\n"
            "7f03-7f04 rw-p 00000000 00:00 0 \n"
            "7f04-7f05 r--p 00000000 00:00 0 [vvar]\n")
    assert _file_mappings(maps) == [(0x7F00, 0x7F02)]  # readable, backed by a file
    ranges = resident_file_ranges()
    assert ranges and all(length > 0 for _, length in ranges)
    assert map_in(ranges[:50], populate=False) == "one read per page"  # a kernel before 5.14
    assert map_in(ranges[:50]) in ("madvise(MADV_POPULATE_READ)", "one read per page")
