"""JetPack 5 runs Python 3.8 (TensorRT 8.5.2): the package and its scripts must not need a newer Python. vermin
reads every file and names what needs more; the test fails on any such use (and is shown to catch one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = [sys.executable, "-c", "import sys, vermin; sys.exit(vermin.main())", "--target=3.8-", "--no-tips",
         "--violations", "-q"]


def test_nothing_in_the_package_needs_more_than_python_3_8():
    proc = subprocess.run([*CHECK, "harness", "runners", "jetson_benchmark.py", "bench", "weights"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_check_catches_a_python_3_9_call(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text('print("jetson_".removeprefix("j"))\n')
    proc = subprocess.run([*CHECK, str(newer)], capture_output=True, text=True)
    assert proc.returncode != 0 and "str.removeprefix" in proc.stdout
