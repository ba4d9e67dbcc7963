"""The fleet's plain logic: which node is which device, the node's own profile check, the checksummed shipment,
the head's metadata placeholders, how a failed Ray task is recorded, the flags a fleet refuses. No Ray here."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, cli_env
from harness.hardware.device_profiles import builtin_profiles, load_profile, read_platform_facts
from harness.fleet.folder_shipment import Shipment, pack, unpack
from harness.fleet.head_frames import with_placeholders
from harness.fleet.node_inventory import FleetNode, advertised_profile, chosen_profiles, fleet_nodes, lost_nodes
from harness.fleet.node_work import PLACEHOLDER, localized
from harness.fleet.profile_match import profile_mismatch
from harness.fleet.task_ending import NODE_LOST, retryable, task_failure

BOARDS = REPO / "tests" / "data" / "platforms"
FAKE_A = REPO / "tests" / "data" / "fleet" / "fake-a.json"


def ray_node(node_id, address, resources, alive=True):
    """A record shaped like ``ray.nodes()`` returns it."""
    return {"NodeID": node_id, "NodeManagerAddress": address, "Alive": alive, "Resources": resources}


def test_nodes_are_read_from_their_advertised_resources():
    records = [
        ray_node("h" * 56, "10.0.0.1", {"CPU": 8.0, "node:10.0.0.1": 1.0}),  # a head that only schedules
        ray_node("n" * 56, "10.0.0.2", {"CPU": 6.0, "jb-device:orin-nano-8gb": 1.0}),
        ray_node("g" * 56, "10.0.0.3", {"CPU": 32.0, "GPU": 2.0, "jb-device:desktop-gpu": 2.0}),
        ray_node("d" * 56, "10.0.0.4", {"jb-device:orin-nano-8gb": 1.0}, alive=False),
        ray_node("x" * 56, "10.0.0.5", {"jb-device:orin-nano-8gb": 1.0, "jb-device:desktop-gpu": 1.0}),
    ]
    nodes, notes = fleet_nodes(records)
    assert [(n.address, n.profile, n.slots, n.gpus) for n in nodes] == [
        ("10.0.0.2", "orin-nano-8gb", 1, 0), ("10.0.0.3", "desktop-gpu", 2, 2)]
    assert len(notes) == 1 and "10.0.0.5" in notes[0] and "one per node" in notes[0]
    assert advertised_profile({"CPU": 1.0}) == (None, 0)
    assert chosen_profiles(nodes, ["all"]) == ["desktop-gpu", "orin-nano-8gb"]
    assert chosen_profiles(nodes, ["orin-nano-8gb", "orin-nano-8gb"]) == ["orin-nano-8gb"]


def test_lost_nodes_are_those_gone_since_submission():
    a, b, c = (FleetNode(i * 8, "ip", p, 1, 0) for i, p in (("a", "p1"), ("b", "p2"), ("c", "p2")))
    assert lost_nodes([a, b, c], [a, c]) == [b]
    assert lost_nodes([a, b, c], [c], profile="p2") == [b]
    assert lost_nodes([a, b], [a, b]) == []


def test_runs_are_pinned_to_set_up_nodes_only_when_another_node_of_the_profile_is_not():
    from harness.fleet.node_inventory import pinned_node

    a, b, c = (FleetNode(i * 8, "ip", "p", 1, 0) for i in "abc")
    assert pinned_node([a, b], [a, b], turn=0) is None  # every alive node is set up: Ray balances by free slots
    assert [pinned_node([a, b], [a, b, c], turn=t) for t in range(3)] == [a, b, a]  # c refused or joined later
    assert pinned_node([a, b], [b, c], turn=0) == b  # a was lost
    assert pinned_node([], [a], turn=0) is None


def test_builtin_profiles_are_checked_against_what_the_node_detects():
    nano = builtin_profiles()["orin-nano-8gb"]
    desktop_facts = read_platform_facts(BOARDS / "desktop")
    assert profile_mismatch(builtin_profiles()["desktop-gpu"], desktop_facts, cuda=True) is None
    why = profile_mismatch(nano, desktop_facts, cuda=True)
    assert why and "detected as desktop-gpu" in why
    assert profile_mismatch(nano, read_platform_facts(BOARDS / "orin_nano_super_jp6"), cuda=True) is None
    why = profile_mismatch(nano, read_platform_facts(BOARDS / "agx_orin_64_jp7"), cuda=True)
    assert why and "agx-orin-64gb" in why


def test_a_users_profile_says_what_it_runs_on():
    fake = load_profile(str(FAKE_A))  # detect: {"cuda": false}
    assert profile_mismatch(fake, read_platform_facts(BOARDS / "desktop"), cuda=False) is None
    assert profile_mismatch(fake, read_platform_facts(BOARDS / "desktop"), cuda=True) == "it has a CUDA device"
    board = dict(fake, detect={"device_tree_contains": ["Orin NX"], "mem_total_gb": [12, 20]})
    assert "contains none of" in profile_mismatch(board, read_platform_facts(BOARDS / "orin_nano_super_jp6"), True)
    assert profile_mismatch(board, read_platform_facts(BOARDS / "orin_nx_16"), True) is None


def test_a_shipment_round_trips_and_a_corrupted_one_is_refused(tmp_path):
    (tmp_path / "src" / "frames").mkdir(parents=True)
    (tmp_path / "src" / "frames" / "a.npy").write_bytes(os.urandom(4096))
    (tmp_path / "src" / "meta.json").write_text("{}")
    shipment = pack({"frames/a.npy": tmp_path / "src" / "frames" / "a.npy", "metadata.json": tmp_path / "src" / "meta.json"})
    assert shipment.files == 2 and len(shipment.sha256) == 64
    assert sorted(unpack(shipment, tmp_path / "dst")) == ["frames/a.npy", "metadata.json"]
    assert (tmp_path / "dst" / "frames" / "a.npy").read_bytes() == (tmp_path / "src" / "frames" / "a.npy").read_bytes()
    flipped = bytearray(shipment.data)
    flipped[700] ^= 0xFF
    with pytest.raises(ValueError, match="corrupted in transit"):
        unpack(Shipment(bytes(flipped), shipment.sha256, 2), tmp_path / "dst2")
    assert not (tmp_path / "dst2").exists()


def test_a_symlinked_weights_file_is_shipped_as_the_file_it_points_to(tmp_path):
    from harness.fleet.head_frames import weights_shipment

    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "real.onnx").write_bytes(b"onnx bytes")
    (tmp_path / "w").mkdir()
    os.symlink(tmp_path / "store" / "real.onnx", tmp_path / "w" / "model.onnx")
    assert unpack(weights_shipment(tmp_path / "w"), tmp_path / "node") == ["model.onnx"]
    shipped = tmp_path / "node" / "model.onnx"
    assert not shipped.is_symlink() and shipped.read_bytes() == b"onnx bytes"


def test_a_shipment_cannot_write_outside_its_destination(tmp_path):
    outside = pack({"../escape.txt": REPO / "README.md"})
    with pytest.raises(ValueError, match="not a plain file inside"):
        unpack(outside, tmp_path / "dst")
    assert not (tmp_path / "escape.txt").exists()


def test_metadata_paths_become_placeholders_and_resolve_on_the_node(tmp_path):
    label = tmp_path / "labels" / "000.txt"
    label.parent.mkdir()
    label.write_text("0 0.5 0.5 0.1 0.1\n")
    image = tmp_path / "000.jpg"
    image.write_bytes(b"jpg")
    meta = {"fingerprint": "f", "sequences": [{"frames": {"64": "frames/img64/images.npy"},
                                               "items": [{"source_path": str(image), "label_path": str(label),
                                                          "missing_path": str(tmp_path / "gone.txt")}]}]}
    files = {}
    shipped = with_placeholders(meta, files, with_media=False)
    item = shipped["sequences"][0]["items"][0]
    assert item["source_path"] == str(image)  # media travel only with --e2e
    assert item["label_path"].startswith(PLACEHOLDER) and list(files.values()) == [str(label)]
    assert item["missing_path"] == str(tmp_path / "gone.txt")
    assert shipped["sequences"][0]["frames"] == {"64": "frames/img64/images.npy"}
    node_root = tmp_path / "node"
    assert localized(shipped, node_root)["sequences"][0]["items"][0]["label_path"] == str(node_root / list(files)[0])
    files = {}
    with_placeholders(meta, files, with_media=True)
    assert sorted(files.values()) == sorted([str(image), str(label)])


class NodeDiedError(Exception):
    """Named as Ray names it: classification goes by the exception's type name."""


class WorkerCrashedError(Exception):
    pass


class OutOfMemoryError(Exception):
    pass


def test_a_failed_task_is_recorded_by_what_happened_to_its_node():
    gone = [FleetNode("b" * 56, "10.0.0.2", "fake-b", 1, 0)]
    status, reason, evidence = task_failure(WorkerCrashedError("The worker died unexpectedly\nmore"), gone)
    assert (status, reason) == ("failed", NODE_LOST) and evidence["lost_nodes"] == ["fake-b node 10.0.0.2 (bbbbbbbb)"]
    assert evidence["ray_error"] == "WorkerCrashedError" and evidence["message"] == "The worker died unexpectedly"
    assert task_failure(NodeDiedError("x"), [])[1] == NODE_LOST
    status, reason, _ = task_failure(WorkerCrashedError("killed"), [])
    assert status == "failed" and "worker process died" in reason and retryable(reason)
    status, reason, _ = task_failure(OutOfMemoryError("memory monitor"), [])
    assert status == "skipped_oom" and "memory monitor" in reason and not retryable(reason)
    assert retryable(NODE_LOST)


def run_parent(*args, env=None):
    return subprocess.run([sys.executable, "jetson_benchmark.py", *args], cwd=REPO, capture_output=True, text=True,
                          env=env or cli_env(), timeout=120)


def test_cluster_without_ray_is_one_line_saying_what_to_install(tmp_path):
    shim = tmp_path / "shim" / "ray"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('no ray in this environment')\n")
    env = dict(cli_env(), PYTHONPATH=f"{shim.parent}{os.pathsep}{REPO}")
    out = run_parent("--cluster", "local", "--out_dir", str(tmp_path / "o"), "--preprocessed_dir", str(tmp_path / "p"),
                     env=env)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'jetson-benchmark[fleet]'" in lines[0] and "Traceback" not in out.stderr


@pytest.mark.parametrize("flag", [["--repeats", "2"], ["--isolation", "phase"], ["--skip_setup"], ["--skip_inference"]])
def test_flags_a_fleet_does_not_take_are_refused_before_connecting(tmp_path, flag):
    out = run_parent("--cluster", "127.0.0.1:1", *flag, "--out_dir", str(tmp_path / "o"),
                     "--preprocessed_dir", str(tmp_path / "p"))
    assert out.returncode == 2 and "--cluster does not combine with" in out.stderr, out.stderr


def test_fleet_flags_without_a_cluster_are_refused(tmp_path):
    out = run_parent("--devices", "all", "--out_dir", str(tmp_path / "o"))
    assert out.returncode == 2 and "--devices apply only with --cluster" in out.stderr, out.stderr


def test_the_fake_profiles_load_as_profiles():
    for name in ("fake-a", "fake-b"):
        profile = load_profile(str(REPO / "tests" / "data" / "fleet" / f"{name}.json"))
        assert profile["name"] == name and json.loads((REPO / "tests" / "data" / "fleet" / f"{name}.json").read_text())


def test_compare_between_devices_pairs_runs_by_their_id_without_the_device():
    from harness.report.compare import of_device

    results = {"m__torch__fp32__img64__b1__on-fake-a": 1, "m__torch__fp32__img64__b1__on-fake-b": 2,
               "m__torch__fp32__img64__b2__on-fake-a": 3, "m__torch__fp32__img64__b1": 4}
    assert of_device(results, "fake-a") == {"m__torch__fp32__img64__b1": 1, "m__torch__fp32__img64__b2": 3}
    assert of_device(results, "fake-b") == {"m__torch__fp32__img64__b1": 2}
    assert of_device(results, "fake-c") == {}


def test_the_cross_device_table_puts_each_devices_figures_side_by_side():
    from harness.report.cross_device import cross_device_section

    def row(device, p50, status="ok", batch=1):
        return {"device_profile": device, "model": "m", "backend": "torch", "variant": "", "precision": "fp32",
                "imgsz": "64", "batch": batch, "status": status, "latency_ms_p50": p50, "throughput_img_per_s": 1000 / p50}

    section = cross_device_section([row("a", 5.0), row("b", 2.0), row("a", 9.0, batch=2), row("b", 1.0, "failed", 2),
                                    row(None, 7.0)])
    assert section["devices"] == ["a", "b"]
    by_batch = {r["batch"]: r for r in section["rows"]}
    assert by_batch[1]["a|latency_ms_p50"] == 5.0 and by_batch[1]["b|latency_ms_p50"] == 2.0
    assert by_batch[2]["a|latency_ms_p50"] == 9.0 and "b|latency_ms_p50" not in by_batch[2]  # not ok: empty
    assert ["a|latency_ms_p50", "a p50 ms"] in section["columns"]
    assert cross_device_section([row("a", 5.0), row(None, 3.0)])["rows"] == []  # one device: no table


def test_the_local_gpu_count_follows_cuda_visible_devices(monkeypatch):
    from harness.fleet.ray_connection import local_gpu_count

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert local_gpu_count(present=2) == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert local_gpu_count(present=2) == 2
    assert local_gpu_count(present=0) == 0  # a CPU host told CUDA_VISIBLE_DEVICES=0 still has no GPU
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert local_gpu_count(present=2) == 0
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert local_gpu_count(present=2) == 2
