"""An SA-V split root goes through Phase A (real CLI): its JPEG frames are the frames, its masks never are, and
metadata.json records every object's prompt frame and prompts."""

import pytest

from conftest import TINY, load_json, run_cli
from harness.data.synthetic_vos import generate_vos_split

pytestmark = pytest.mark.slow


def test_an_sav_root_is_accepted_and_its_objects_are_recorded(tmp_path):
    root = generate_vos_split(tmp_path / "sav", videos=2, frames=8, size=(48, 64))
    proc = run_cli("--split_dir", root, "--models", "yolo11n", *TINY, "--backend", "torch", "--skip_inference",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "frames: 16 in 2 sequence(s)" in proc.stdout
    meta = load_json(tmp_path / "preprocessed_data" / "metadata.json")
    first = meta["sequences"][0]
    assert first["num_frames"] == 8 and all(i["source_path"].endswith(".jpg") for i in first["items"])
    objects = first["vos"]["objects"]
    assert [o["object_id"] for o in objects] == ["000", "001"]
    assert all(o["prompt_frame"] == 0 and len(o["prompts"]["points"]) == 1 for o in objects)
