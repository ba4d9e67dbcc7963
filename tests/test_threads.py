"""Threads are a recorded, settable fact: --threads is a matrix dimension (run ids end __th<N>), Phase B sets
torch's and ONNX Runtime's intra-op threads from it and records them (and the inter-op ones) in the result and
identity; the console says when the runs' threads exceed the cores free at the start; a fleet's phases get the
OMP_NUM_THREADS the user gave, not Ray's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TINY, load_json, run_cli, write_conv_onnx
from harness.records.planned_run import RunSpec
from harness.settings.matrix import expand_matrix
from harness.parent.thread_check import busy_cores_now, oversubscription_line

TESTS = Path(__file__).resolve().parent


def test_threads_are_a_matrix_dimension_and_end_the_run_id():
    specs = expand_matrix(["m"], ["torch", "onnxruntime"], ["fp32"], [64], [1],
                          {"threads_list": [1, 2], "arrival_fps_list": [30]})
    assert [s.run_id for s in specs] == ["m__torch__fp32__img64__b1__fps30__th1", "m__torch__fp32__img64__b1__fps30__th2",
                                         "m__onnxruntime__fp32__img64__b1__fps30__th1",
                                         "m__onnxruntime__fp32__img64__b1__fps30__th2"]
    (default,) = expand_matrix(["m"], ["torch"], ["fp32"], [64], [1])
    assert default.run_id == "m__torch__fp32__img64__b1" and "threads" not in default.modes.to_dict()
    assert RunSpec.from_dict(specs[1].to_dict()).modes.threads == 2


def test_the_console_line_when_threads_exceed_the_free_cores():
    runs = [{"modes": {"threads": 2}}, {"modes": {}}]
    line = oversubscription_line(runs, busy_cores=1.6, cores=2)
    assert line.startswith("threads: runs compute with up to 2 intra-op thread(s) (as --threads asked), but only 0.4 "
                           "of this host's 2 cores were free at the start (other processes kept 1.6 busy)")
    assert oversubscription_line([{"modes": {"threads": 1}}], busy_cores=0.2, cores=2) is None
    assert oversubscription_line(runs, busy_cores=None, cores=2) is None


def test_a_busy_process_is_counted_against_the_free_cores():
    """The hog is started through a shell that exits at once, so it is nobody's child here: a child's CPU time would
    count as this process's own, which is not what another process on the host is."""
    hogs = TESTS / "cpu_hogs.py"
    started = subprocess.run(["sh", "-c", f'"{sys.executable}" "{hogs}" python --seconds 4 >/dev/null 2>&1 & echo $!'],
                             capture_output=True, text=True, check=True)
    pid = int(started.stdout.strip())
    try:
        time.sleep(0.5)
        busy, cores = busy_cores_now(1.0)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert cores == os.cpu_count() and busy >= 0.5  # the hog had a core to itself, or shared one with others


@pytest.mark.slow
def test_threads_are_set_and_recorded_per_run(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "convnet.onnx")
    proc = run_cli("--weights_dir", weights, *TINY, "--threads", "1,2", "--fidelity_frames", "0", "--accuracy_images",
                   "0", "--isolation", "phase", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = {p.stem: load_json(p) for p in (tmp_path / "jetson_results" / "runs").glob("*.json")}
    assert set(runs) == {"convnet__onnxruntime__fp32__img64__b1__th1", "convnet__onnxruntime__fp32__img64__b1__th2"}
    for n in (1, 2):
        result = runs[f"convnet__onnxruntime__fp32__img64__b1__th{n}"]
        threads = result["threads"]
        assert (threads["requested"], threads["torch_intra_op"], threads["onnxruntime_intra_op"]) == (n, n, n)
        assert threads["onnxruntime_intra_op_source"] == "--threads" and threads["torch_inter_op"] >= 1
        assert result["runner"]["onnxruntime_threads"]["intra_op"] == n
        assert result["identity"]["threads"]["requested"] == n
    proc = run_cli("--weights_dir", weights, *TINY, "--fidelity_frames", "0", "--accuracy_images", "0",
                   "--out_dir", tmp_path / "default", cwd=tmp_path)
    (result,) = [load_json(p) for p in (tmp_path / "default" / "runs").glob("*.json")]
    assert result["run_id"] == "convnet__onnxruntime__fp32__img64__b1"
    threads = result["threads"]
    assert threads["requested"] is None and threads["onnxruntime_intra_op_source"].startswith("ONNX Runtime's default")
    assert threads["torch_intra_op"] >= 1 and threads["cores_logical"] == os.cpu_count()
    csv = (tmp_path / "default" / "jetson_benchmark_summary.csv").read_text().splitlines()
    assert "onnxruntime_intra_op_threads" in csv[0].split(",")


def test_a_fleet_node_gives_its_phases_the_users_omp_setting_not_rays(monkeypatch):
    from harness.fleet.node_work import threads_as_on_one_host
    from harness.process.child_environment import USER_OMP_NUM_THREADS, child_environment

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Ray gives its workers
    monkeypatch.delenv(USER_OMP_NUM_THREADS, raising=False)
    threads_as_on_one_host({"user_omp_num_threads": ""})
    try:
        assert "OMP_NUM_THREADS" not in child_environment()  # as on one host without OMP_NUM_THREADS
        threads_as_on_one_host({"user_omp_num_threads": "3"})
        assert child_environment()["OMP_NUM_THREADS"] == "3"
    finally:
        os.environ.pop(USER_OMP_NUM_THREADS, None)
