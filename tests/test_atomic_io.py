import json
import math
import os
import signal
import subprocess
import sys
import time


from harness.files.atomic_io import atomic_write_json, read_json, remove_stale_temps


def test_write_read_and_nan_becomes_null(tmp_path):
    path = atomic_write_json(tmp_path / "r.json", {"a": 1.5, "b": float("nan"), "c": [math.inf]})
    assert read_json(path) == {"a": 1.5, "b": None, "c": [None]}
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert list(tmp_path.iterdir()) == [path]


def test_stale_temps_removed(tmp_path):
    (tmp_path / ".r.json.abc.tmp").write_text("{half")
    (tmp_path / "keep.json").write_text("{}")
    removed = remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [".r.json.abc.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_killed_writer_never_leaves_a_partial_target(tmp_path):
    """A real process rewriting a large JSON in a loop is SIGKILLed; the target is always whole."""
    target = tmp_path / "big.json"
    code = (
        "import sys; from harness.files.atomic_io import atomic_write_json\n"
        "i = 0\n"
        "while True:\n"
        "    atomic_write_json(sys.argv[1], {'i': i, 'pad': 'x' * 2_000_000}); i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], cwd=os.getcwd())
    deadline = time.time() + 30
    while not target.exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data = json.loads(target.read_text())  # must parse: never half-written
    assert data["i"] >= 0 and len(data["pad"]) == 2_000_000
    remove_stale_temps(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["big.json"]
