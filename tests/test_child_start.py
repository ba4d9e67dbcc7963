"""Every child process starts and ends through harness.process.child_start.child_main: a real child per case, its request
read from a file, and what escapes its body turned into one protocol event and the exit code the parent expects."""

import json
import subprocess
import sys

import pytest

from conftest import REPO
from harness.process import child_protocol
from harness.errors import EXIT_INTERNAL, EXIT_USAGE

BODY = '''
import errno, sys
from harness.process.child_start import child_main
from harness.errors import UserError

def body(request, args):
    kind = request["raise"]
    if kind == "user":
        raise UserError("the model file is refused", 2)
    if kind == "disk":
        raise OSError(errno.ENOSPC, "No space left on device", "/full/out/runs/x.json")
    if kind == "bug":
        raise RuntimeError("a bug")
    print("flag", args.flag, "request", request["value"])
    return 0

sys.exit(child_main("tests.child", "B", body, extra_flags=[("--flag", {"default": "none"})]))
'''


def _child(tmp_path, request: dict, *flags):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    proc = subprocess.run([sys.executable, "-c", BODY, "--request", str(path), *flags], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    events = [e for e in map(child_protocol.parse, proc.stdout.splitlines()) if e]
    return proc, events


@pytest.mark.parametrize("kind, code, event, text", [
    ("user", 2, "user_error", "the model file is refused"),
    ("disk", EXIT_USAGE, "user_error", "Phase B"),
    ("bug", EXIT_INTERNAL, "internal_error", "RuntimeError: a bug"),
])
def test_what_escapes_a_childs_body_is_one_event_and_its_exit_code(tmp_path, kind, code, event, text):
    proc, events = _child(tmp_path, {"raise": kind})
    assert proc.returncode == code, proc.stderr
    assert [e["event"] for e in events] == [event] and text in events[0]["message"]
    if kind == "disk":
        assert "/full/out/runs/x.json" in events[0]["message"] and "Traceback" not in proc.stderr
    if kind == "bug":
        assert "Traceback" in proc.stderr  # the traceback goes to the log, the event says it in a line


def test_a_child_reads_its_request_and_its_own_flags(tmp_path):
    proc, events = _child(tmp_path, {"raise": None, "value": 7}, "--flag", "yes")
    assert proc.returncode == 0 and "flag yes request 7" in proc.stdout and not events


def test_every_child_entry_point_starts_through_child_main():
    entry_points = ("harness/phase_a/setup_main.py", "harness/phase_b/inference_main.py", "harness/phase_b/probe_attempt.py",
                    "harness/train/train_child.py", "harness/engines/trt_build.py", "harness/engines/trtexec_child.py")
    for path in entry_points:
        text = (REPO / path).read_text()
        assert "child_main(" in text and "die_with_parent()" not in text and "ArgumentParser(" not in text, path
