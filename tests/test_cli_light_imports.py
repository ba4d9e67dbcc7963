"""The parent path must not import torch, ultralytics or tensorrt (they belong to the phases)."""

import subprocess
import sys

from conftest import REPO

HEAVY = ("torch", "ultralytics", "tensorrt", "onnxruntime", "cv2", "ray")  # ray: only under --cluster


def test_cli_modules_import_light():
    code = (
        "import sys, harness.cli, harness.orchestrator, harness.parent.setup_reuse, harness.report.summary\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_every_flag_and_both_entry_points_agree():
    from harness.settings.options import FLAG_TABLE

    script = subprocess.run([sys.executable, "jetson_benchmark.py", "--help"], cwd=REPO, capture_output=True, text=True)
    module = subprocess.run([sys.executable, "-m", "harness", "--help"], cwd=REPO, capture_output=True, text=True)
    assert script.returncode == 0 and script.stdout.replace("jetson-benchmark", "") == module.stdout.replace("jetson-benchmark", "")
    for flag in FLAG_TABLE:
        assert f"--{flag}" in script.stdout


def test_console_script_installed():
    import shutil

    exe = shutil.which("jetson-benchmark")
    assert exe, "pip install -e . should provide the jetson-benchmark console script"
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--skip_setup" in out.stdout


def test_children_get_the_users_thread_setting_not_ultralytics(monkeypatch):
    """Ultralytics sets OMP_NUM_THREADS=1 on import; that must not reach our phase processes."""
    import os

    from harness.process import child_environment as launcher

    monkeypatch.delenv(launcher.USER_OMP_NUM_THREADS, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    top = launcher.child_environment()  # the parent, before anything imported Ultralytics
    assert "OMP_NUM_THREADS" not in top and top[launcher.USER_OMP_NUM_THREADS] == ""
    monkeypatch.setenv(launcher.USER_OMP_NUM_THREADS, "")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what `import ultralytics` does inside Phase A
    assert "OMP_NUM_THREADS" not in launcher.child_environment()
    monkeypatch.setenv(launcher.USER_OMP_NUM_THREADS, "3")  # a user who chose 3 keeps 3
    assert launcher.child_environment()["OMP_NUM_THREADS"] == "3"
    assert os.environ["OMP_NUM_THREADS"] == "1"  # the current process is left alone
