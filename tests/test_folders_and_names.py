"""Nothing mixes or merges behind the user's back: one command per folder (real processes, real locks), names that
never collide (spaces, punctuation, unicode, case), odd entries in a weights folder each told, a full disk and a
read-only folder told in one line with the results kept, and unreadable result files listed by report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import CLI, cli_env, load_json, phase_b_processes, random_image, run_cli, write_conv_onnx, write_image

FAST = ["--warmup", "1", "--iters", "3", "--min_duration_s", "0", "--metrics_interval", "0"]


# --- unique names (pure) ---------------------------------------------------------------------------------------

def test_names_that_differ_in_punctuation_unicode_or_case_stay_apart():
    from harness.files.unique_names import unique_safe_names

    names = ["a b", "a-b", "a;b", "Model", "model", "modèle", "mod-le", "plain"]
    chosen = unique_safe_names(names)
    assert len({v.casefold() for v in chosen.values()}) == len(names)  # unique even on a case-insensitive disk
    assert chosen["a-b"] == "a-b" and chosen["plain"] == "plain" and chosen["Model"] == "Model"
    assert chosen["a b"].startswith("a-b-") and chosen == unique_safe_names(list(reversed(names)))  # stable


def test_two_videos_whose_names_collide_keep_their_own_frames(tmp_path):
    from harness.data.source_scan import scan_split_dir
    from harness.data.source_spec import parse_source
    from harness.phase_a.preprocess import preprocess

    split = tmp_path / "split"
    for name, value in (("v 1", 40), ("v-1", 200)):
        for k in range(2):
            write_image(split / name / f"{k:05d}.jpg", np.full((16, 16, 3), value, dtype=np.uint8))
    spec = parse_source(None, str(split), 10)
    meta = preprocess(scan_split_dir(split, 0), spec, ["32"], tmp_path / "pre", "fp", 10, True)
    files = {s["name"]: s["frames"]["32"] for s in meta["sequences"]}
    assert files["v 1"] != files["v-1"] and meta["renamed"] and "v 1" in meta["renamed"][0]
    means = {name: float(np.load(tmp_path / "pre" / rel).mean()) for name, rel in files.items()}
    assert means["v 1"] < 100 < means["v-1"]  # each sequence's frames are its own


# --- one command per folder (real commands) -------------------------------------------------------------------

def _start(args, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CLI), *map(str, args)], cwd=cwd, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for_phase_b(process: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if phase_b_processes(process.pid):
            return
        time.sleep(0.05)
    raise AssertionError("no Phase B process appeared")


@pytest.mark.slow
def test_a_second_command_on_a_busy_folder_is_refused_and_a_dead_ones_lock_never_blocks(shared_setup, tmp_path):
    out = tmp_path / "out"
    slow = ["--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", out, "--backend", "onnxruntime",
            "--warmup", "0", "--iters", "100000", "--min_duration_s", "0"]
    first = _start(slow, tmp_path)
    try:
        _wait_for_phase_b(first)
        begun = time.perf_counter()
        second = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", out, *FAST, cwd=tmp_path)
        assert second.returncode == 2 and time.perf_counter() - begun < 30
        line = second.stderr.strip()
        assert "\n" not in line and f"--out_dir {out} is in use by another jetson_benchmark command" in line
        assert f"pid {first.pid}, started " in line
        # readers of one --preprocessed_dir share it; a command that would rewrite it (Phase A) is refused
        reader = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", tmp_path / "other",
                         "--backend", "onnxruntime", *FAST, cwd=tmp_path)
        assert reader.returncode == 0, reader.stdout + reader.stderr
        writer = run_cli("--preprocessed_dir", shared_setup, "--out_dir", tmp_path / "third", *FAST, cwd=tmp_path)
        assert writer.returncode == 2 and f"--preprocessed_dir {shared_setup} is in use" in writer.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the command dies holding its locks: the kernel releases them
        first.wait()
    third = run_cli("--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", out, "--backend", "onnxruntime",
                    *FAST, cwd=tmp_path)
    assert third.returncode == 0, third.stdout + third.stderr
    assert not list((out / "requests").glob("*.json"))  # the command's own request files go with it


# --- a weights folder with odd entries ----------------------------------------------------------------------

def _payload_checkpoint(path: Path, marker: Path) -> Path:
    import torch
    from ultralytics import YOLO

    YOLO("yolo11n.yaml").save(str(path))
    ckpt = torch.load(path, map_location="cpu", weights_only=False)  # our own file, built just now

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    ckpt["extra"] = Payload()
    torch.save(ckpt, path)
    return path


@pytest.mark.slow
def test_odd_weights_folder_every_model_measured_every_entry_told(tmp_path):
    import torch
    from ultralytics.nn.tasks import DetectionModel

    weights = tmp_path / "w"
    names = ["a b", "a-b", "a;b", "Model", "model", "modèle"]
    for seed, name in enumerate(names):
        write_conv_onnx(weights / f"{name}.onnx", seed=seed)
    (weights / "notes.txt").write_text("not a model")
    os.symlink(weights / "loop_a.onnx", weights / "loop_b.onnx")
    os.symlink(weights / "loop_b.onnx", weights / "loop_a.onnx")
    os.symlink(weights / "missing.onnx", weights / "dangling.onnx")
    torch.save({"model": DetectionModel, "note": "a class, no model"}, weights / "notamodel.pt")
    marker = tmp_path / "PAYLOAD_RAN"
    _payload_checkpoint(weights / "evil.pt", marker)
    images = tmp_path / "images"
    for k in range(2):
        write_image(images / f"{k}.jpg", random_image(40, 40, seed=k))
    proc = run_cli("--weights_dir", weights, "--source", images, "--imgsz", "32", "--task", "generic", *FAST,
                   cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out  # two refused model files are bad input; every other model was measured
    assert not marker.exists(), "a payload ran"
    for told in ("loop_a.onnx: a symbolic link loop", "dangling.onnx: a link to", "notes.txt: not a model file",
                 "3 model files would share the name a-b", "2 model files would share the name Model",
                 "asks for posix.system", "holds no model"):
        assert told in out, told
    results = [load_json(p) for p in (tmp_path / "jetson_results" / "runs").glob("*.json")]
    measured = {r["run"]["model"] for r in results if r["status"] == "ok"}
    assert len(measured) == len(names), measured  # six models, none merged into another
    assert len({r["run_id"].casefold() for r in results}) == len(results)


# --- full disk, read-only folder, unreadable results ----------------------------------------------------------

def _tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'mount failed'}): the full-disk "
                    "case needs root in a container that allows mounts")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.slow
def test_a_full_disk_and_a_read_only_folder_are_told_in_one_line_and_results_are_kept(shared_setup, tmp_path):
    out = tmp_path / "disk"
    _tmpfs(out, "40m")
    try:
        args = ["--skip_setup", "--preprocessed_dir", shared_setup, "--out_dir", out, "--backend", "onnxruntime",
                "--batch", "1,2", *FAST]
        first = run_cli(*args, cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        kept = {p.name: p.read_bytes() for p in (out / "runs").glob("*.json")}
        assert len(kept) == 2
        filler = out / "filler"  # leaves ~30 KB: the command starts, then a result (~20 KB) and the reports do not fit
        free_kb = os.statvfs(out).f_bavail * os.statvfs(out).f_frsize // 1024
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1K", f"count={free_kb - 30}"], capture_output=True)
        full = run_cli(*args, "--force", cwd=tmp_path)
        line = full.stderr.strip().splitlines()[-1]
        assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr
        assert f"cannot write {out}" in line and "the disk is full (ENOSPC, No space left on device)" in line
        assert {p.name: p.read_bytes() for p in (out / "runs").glob("*.json")} == kept  # nothing lost or cut
        report = run_cli("report", out, cwd=tmp_path)
        assert report.returncode == 2 and "ENOSPC" in report.stderr and "Traceback" not in report.stderr
        filler.unlink()
        again = run_cli("report", out, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        read_only = run_cli("report", out, cwd=tmp_path)
        assert read_only.returncode == 2 and "read-only (EROFS" in read_only.stderr and "internal" not in read_only.stderr
    finally:
        _umount(out)


def test_report_lists_result_files_it_cannot_use_and_reports_the_rest(tmp_path):
    from harness.records.planned_run import PlannedRun
    from harness.records.results import new_result, write_result

    out = tmp_path / "out"
    run = {"run_id": "m__onnxruntime__fp32__img32__b1", "model": "m", "backend": "onnxruntime", "precision": "fp32",
           "imgsz": 32, "batch": 1}
    good = new_result(PlannedRun.from_dict(run), "ok", None)
    good["metrics"] = {"latency_ms_p50": 1.0}
    write_result(out, good)
    (out / "runs" / "cut.json").write_text(json.dumps(good)[:40])
    (out / "runs" / "wrong.json").write_text(json.dumps({**good, "run_id": "w", "metrics": [1, 2]}))
    done = run_cli("report", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 result file(s) left out" in done.stderr
    assert "runs/cut.json is not whole JSON" in done.stderr and "runs/wrong.json its metrics is a JSON list" in done.stderr
    report = (out / "report.md").read_text()
    assert "## Result files left out" in report and "`runs/cut.json`" in report and "m__onnxruntime" in report
