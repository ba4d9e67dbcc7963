"""Tables say what ran: the weights column names the artifact the run loaded; compare treats where a setting came
from as provenance, not a difference; the --repeats spread is a CSV and table column."""

from __future__ import annotations

import copy

import pytest

from conftest import TINY, run_cli, write_conv_onnx
from harness.report.compare import comparability
from harness.parent.repeats import spread_figures
from harness.report.summary import weights_label


def _result(artifact: str, files: list) -> dict:
    return {"run": {"artifact": artifact}, "weights": {"kind": "file", "file": files[0], "files": files}}


def test_the_weights_column_names_the_loaded_artifact():
    given = ["onet.pt", "onet.onnx"]
    assert weights_label(_result("/w/onet.onnx", given)) == "onet.onnx"  # the user's own ONNX, not onet.pt
    assert weights_label(_result("/pre/artifacts/onet/onet.pt", given)) == "onet.pt"
    assert weights_label(_result("/pre/artifacts/onet/onet_img64.onnx", ["onet.pt"])) == "onet_img64.onnx (from onet.pt)"
    assert weights_label(_result("/pre/artifacts/onet/onet_dynamic_dims.onnx", given)) == \
        "onet_dynamic_dims.onnx (from onet.onnx)"
    assert weights_label({"run": {"artifact": "/a/x.onnx"}, "weights": {"kind": "random-init", "file": None}}) == \
        "random-init"
    assert weights_label({"weights": {"kind": "file", "file": "old.pt"}}) == "old.pt"  # an older result


def test_where_a_setting_came_from_is_provenance_not_a_difference():
    identity = {"input": {"resize": "stretch", "sources": {"resize": "--resize"}}, "dataset": "d", "device": "cpu"}
    other = copy.deepcopy(identity)
    other["input"]["sources"]["resize"] = "default"
    assert comparability({"identity": identity}, {"identity": other}) == ([], "")
    other["input"]["resize"] = "letterbox"
    assert comparability({"identity": identity}, {"identity": other})[0] == ["input.resize changed stretch → letterbox"]


def test_the_spread_of_the_per_process_p50s():
    spread = spread_figures([{"latency_ms_p50": 10.0}, {"latency_ms_p50": 12.0}, {"latency_ms_p50": 14.0}])
    assert spread == {"repeats_n": 3, "repeat_p50_cv_pct": pytest.approx(100 * 2.0 / 12.0), "repeat_p50_ms_min": 10.0,
                      "repeat_p50_ms_max": 14.0}
    assert spread_figures([{"latency_ms_p50": 10.0}]) == {}


@pytest.mark.slow
def test_repeats_put_their_spread_in_the_csv_and_the_table(tmp_path):
    weights = tmp_path / "w"
    write_conv_onnx(weights / "convnet.onnx")
    proc = run_cli("--weights_dir", weights, *TINY, "--repeats", "2", "--fidelity_frames", "0", "--accuracy_images",
                   "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import pandas as pd

    (row,) = pd.read_csv(tmp_path / "jetson_results" / "jetson_benchmark_summary.csv").to_dict("records")
    assert row["repeats_n"] == 2 and row["repeat_p50_ms_min"] <= row["latency_ms_p50"] <= row["repeat_p50_ms_max"]
    assert row["repeat_p50_cv_pct"] >= 0 and row["weights"] == "convnet.onnx"
    assert "p50 CV % between processes" in proc.stdout and "p50 min ms" in proc.stdout
