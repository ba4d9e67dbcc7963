import json

import pytest

from conftest import REPO
from harness.hardware.device_profiles import (builtin_profiles, detect_profile, load_profile, matching_skip_rule, model_scale,
                                     read_platform_facts, resolve_budget_mb)
from harness.errors import UserError

BOARDS = REPO / "tests" / "data" / "platforms"


def test_builtin_profiles_are_all_there():
    assert set(builtin_profiles()) == {"orin-nano-8gb", "orin-nx-8gb", "orin-nx-16gb", "agx-orin-32gb", "agx-orin-64gb",
                                       "desktop-gpu", "cpu"}


@pytest.mark.parametrize("board,cuda,expected", [
    ("orin_nano_super_jp6", True, "orin-nano-8gb"),
    ("agx_orin_64_jp7", True, "agx-orin-64gb"),
    ("orin_nx_16", True, "orin-nx-16gb"),
    ("desktop", True, "desktop-gpu"),
    ("desktop", False, "cpu"),
])
def test_detection_from_recorded_files(board, cuda, expected):
    facts = read_platform_facts(BOARDS / board)
    profile, evidence = detect_profile(facts, cuda)
    assert profile["name"] == expected, evidence


def test_recorded_orin_nano_facts():
    facts = read_platform_facts(BOARDS / "orin_nano_super_jp6")
    assert facts["device_tree_model"] == "NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super"  # NUL gone
    assert facts["l4t_release"].startswith("# R36 (release), REVISION: 4.3")
    assert 7.4 < facts["mem_total_gb"] < 7.5 and facts["nvmap_present"]


def test_unknown_jetson_falls_back_to_closest_memory(tmp_path):
    (tmp_path / "proc" / "device-tree").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "proc" / "device-tree" / "model").write_text("NVIDIA Jetson Future Board\x00")
    (tmp_path / "etc" / "nv_tegra_release").write_text("# R40 (release)\n")
    (tmp_path / "proc" / "meminfo").write_text("MemTotal:       31000000 kB\n")
    profile, evidence = detect_profile(read_platform_facts(tmp_path), True)
    assert profile["name"] == "agx-orin-32gb" and "closest by memory" in evidence


@pytest.mark.parametrize("name,scale", [("yolo11n", "n"), ("yolov8s", "s"), ("yolo11l_rgb", "l"),
                                         ("yolo11x-seg", "x"), ("YOLO11M", "m"), ("resnet50", None), ("my_model", None)])
def test_model_scale(name, scale):
    assert model_scale(name) == scale


@pytest.mark.parametrize("model,imgsz,batch,skipped", [
    ("yolo11l", 640, 16, True), ("yolo11l", 640, 32, True), ("yolo11x", 640, 16, True), ("yolo11l", 640, 8, False),
    ("yolo11l", 1280, 8, True), ("yolo11l", 1280, 4, False),
    ("yolo11m", 1280, 16, True), ("yolo11m", 1280, 8, False), ("yolo11m", 640, 64, False),
    ("yolo11s", 1280, 256, False), ("custom", 1280, 256, False),
])
def test_orin_nano_skip_rules(model, imgsz, batch, skipped):
    rule = matching_skip_rule(load_profile("orin-nano-8gb"), model, imgsz, batch)
    assert (rule is not None) == skipped


def test_user_profile_file(tmp_path):
    path = tmp_path / "my_board.json"
    path.write_text(json.dumps({"name": "my-board", "memory_budget_gb": 4, "unified_memory": True,
                                "skip_rules": [{"batch_min": 4, "reason": "tiny board"}]}))
    profile = load_profile(str(path))
    assert matching_skip_rule(profile, "anything", 64, 4)["reason"] == "tiny board"
    assert matching_skip_rule(profile, "anything", 64, 2) is None
    (tmp_path / "bad.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(UserError, match="missing"):
        load_profile(str(tmp_path / "bad.json"))
    with pytest.raises(UserError, match="not a built-in profile"):
        load_profile("no-such-board")


def test_budget_resolution():
    nano, desktop, cpu = load_profile("orin-nano-8gb"), load_profile("desktop-gpu"), load_profile("cpu")
    assert resolve_budget_mb(nano, None, 143771.0, True) == (8192.0, "profile orin-nano-8gb")
    assert resolve_budget_mb(desktop, None, 24000.0, True)[0] == 24000.0
    assert resolve_budget_mb(desktop, 4.0, 24000.0, True) == (4096.0, "--gpu_mem_limit_gb 4.0")
    budget, why = resolve_budget_mb(desktop, 64.0, 24000.0, True)
    assert budget == 24000.0 and "capped" in why
    assert resolve_budget_mb(cpu, None, None, False)[0] is None
