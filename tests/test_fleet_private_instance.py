"""--cluster local starts a Ray instance of its own even when another Ray instance runs on this host and RAY_ADDRESS
names it (before, ray.init joined that one and refused its own resource settings)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]

OTHER = """
import sys, time, ray
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
try:
    time.sleep(300)
finally:
    ray.shutdown()
"""
OURS = """
from harness.fleet.ray_connection import connect
ray = connect("local")
print("ours", ray.get_runtime_context().gcs_address, sorted(k for k in ray.cluster_resources() if k.startswith("jb-device")))
ray.shutdown()
"""


def test_cluster_local_starts_its_own_instance_beside_another(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", OTHER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             cwd=tmp_path)
    try:
        other_address = other.stdout.readline().strip()
        assert ":" in other_address, "the other Ray instance did not start"
        env = {**os.environ, "RAY_ADDRESS": other_address, "PYTHONPATH": str(REPO)}
        ours = subprocess.run([sys.executable, "-c", OURS], capture_output=True, text=True, timeout=240, env=env,
                              cwd=tmp_path)
        assert ours.returncode == 0, ours.stderr[-2000:]
        line = next(line for line in ours.stdout.splitlines() if line.startswith("ours "))
        address = line.split()[1]
        assert address != other_address and "jb-device:cpu" in line
    finally:
        other.send_signal(signal.SIGINT)
        try:
            other.wait(timeout=60)
        except subprocess.TimeoutExpired:
            other.kill()
