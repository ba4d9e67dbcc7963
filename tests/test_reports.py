"""Reports from fixture result files (real runs): every file written, plots are valid PNGs, the Markdown has
its tables, the HTML opens offline; and the pieces they are built from."""

import json
import shutil

from conftest import REPO, run_cli
from harness.report.plots import pareto_front, read_metrics, short_labels
from harness.report.report_data import measured_ids, run_warnings, runs_text, unmeasured_notes

FIXTURES = REPO / "tests" / "data" / "report_fixtures"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report(tmp_path, name):
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    proc = run_cli("report", out, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _valid_png(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 400


def test_report_from_gpu_results(tmp_path):
    out = _report(tmp_path, "h200")
    plots = sorted((out / "plots").glob("*.png"))
    names = {p.name for p in plots}
    assert {"latency_vs_throughput.png", "latency_p50_p99.png"} <= names
    assert len([n for n in names if n.startswith("hist__")]) == 4  # the four ok runs
    assert not [n for n in names if n.startswith("memory__")]     # no telemetry in this folder
    for path in plots:
        _valid_png(path)
    md = (out / "report.md").read_text()
    for heading in ("## Platform", "## Versions", "## Profile and memory budget", "## Runs", "## Memory Safety Summary",
                    "## System metrics during the measured passes", "## Plots", "## Notes: figures that could not be measured"):
        assert heading in md, heading
    assert "| model | backend | mode | precision |" in md and "cudagraph" in md and "NVIDIA H200" in md
    assert "ok 4, skipped_oom 1, skipped 1, failed 0." in md
    assert "![Latency vs throughput](plots/latency_vs_throughput.png)" in md
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html and "<link" not in html and "<script" not in html
    assert html.count("data:image/png;base64,") == len(plots)
    assert "Memory Safety Summary" in html and 'class="l status-skipped_oom">skipped_oom<' in html
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 2 and report["counts"] == {"ok": 4, "failed": 0, "skipped_oom": 1, "skipped": 1}
    assert report["platform"]["device_name"] == "NVIDIA H200"
    assert any("fidelity_box_match_pct" in n["figures"] for n in report["notes"])
    reasons = [n["reason"] for n in report["notes"]]
    assert len(reasons) == len(set(reasons))  # one line per reason, whatever figures and runs it covers
    csv = (out / "jetson_benchmark_summary.csv").read_text().splitlines()[0]
    for column in ("variant", "avg_power_w", "energy_j_per_img", "gpu_util_pct_mean", "fidelity_max_abs_err"):
        assert column in csv


def test_report_with_telemetry(tmp_path):
    out = _report(tmp_path, "cpu")
    memory = sorted((out / "plots").glob("memory__*.png"))
    assert len(memory) == 2
    for path in memory:
        _valid_png(path)
    md = (out / "report.md").read_text()
    assert "CPU % mean" in md and "RAM MiB max" in md
    assert "no source here reports power" in md  # energy on a CPU-only machine is empty, with the reason


def test_report_of_an_empty_folder_is_a_one_line_error(tmp_path):
    proc = run_cli("report", tmp_path, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "no results" in proc.stderr and "Traceback" not in proc.stderr


def test_pareto_front():
    points = [(1.0, 100.0), (2.0, 300.0), (2.0, 250.0), (3.0, 300.0), (0.5, 50.0), (4.0, 500.0)]
    assert pareto_front(points) == [0, 1, 4, 5]  # (2,250) and (3,300) are beaten by (2,300)


def test_short_labels_keep_only_what_varies():
    def r(run_id):
        model, backend, precision, img, batch, *rest = run_id.split("__")
        return {"run_id": run_id, "run": {"model": model, "backend": backend, "precision": precision,
                                          "imgsz": int(img[3:]), "batch": int(batch[1:])}}

    labels = short_labels([r("yolo11n__torch__fp16__img640__b1"), r("yolo11n__torch__fp16__img640__b1__cudagraph"),
                           r("yolo11n__onnxruntime__fp16__img640__b8")])
    assert labels == {"yolo11n__torch__fp16__img640__b1": "torch b1",
                      "yolo11n__torch__fp16__img640__b1__cudagraph": "torch b1 cudagraph",
                      "yolo11n__onnxruntime__fp16__img640__b8": "onnxruntime b8"}


def test_metrics_reader_keeps_the_latest_recording(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"run_id": "a", "instance": "1@1", "t_monotonic_s": 1.0, "window": "measure", "psutil": {"ram_used_mb": 1}},
             {"run_id": "a", "instance": "1@1", "t_monotonic_s": 1.5, "mark": "after"},
             {"run_id": "b", "instance": "2@2", "t_monotonic_s": 2.0, "window": "measure", "psutil": {"ram_used_mb": 2}},
             {"run_id": "a", "instance": "3@3", "t_monotonic_s": 9.0, "window": "measure", "psutil": {"ram_used_mb": 3}}]
    path.write_text("\n".join(json.dumps(l) for l in lines) + "\n{not json\n")
    runs = read_metrics(path)
    assert [s["psutil"]["ram_used_mb"] for s in runs["a"][0]] == [3] and runs["a"][1] == []
    assert [s["psutil"]["ram_used_mb"] for s in runs["b"][0]] == [2]


def test_unmeasured_notes_group_reasons_and_runs():
    results = [{"run_id": "r1", "status": "ok", "unavailable": {"avg_power_w": "no power source", "x": "y",
                                                                "energy_j": "no power source"}},
               {"run_id": "r2", "status": "ok", "unavailable": {"avg_power_w": "no power source"}},
               {"run_id": "r3", "status": "skipped", "unavailable": {"avg_power_w": "ignored: not measured at all"}}]
    assert unmeasured_notes(results) == [
        {"reason": "no power source", "figures": ["avg_power_w", "energy_j"], "runs": ["r1", "r2"]},
        {"reason": "y", "figures": ["x"], "runs": ["r1"]}]
    report = {"runs": [{"run_id": "r1", "status": "ok"}, {"run_id": "r2", "status": "ok"}]}
    assert runs_text(["r1", "r2"], measured_ids(report)) == "every measured run (2)" and runs_text(["r1"], ["r1", "r2"]) == "r1"


def test_each_warning_names_its_runs():
    results = [{"run_id": "a", "warnings": ["noisy"]}, {"run_id": "b", "warnings": ["noisy", "swap in use"]}]
    assert run_warnings(results) == [{"warning": "noisy", "runs": ["a", "b"]}, {"warning": "swap in use", "runs": ["b"]}]


# --- what each output shows: reasons, accuracy, weights, source, OOM evidence, shared processes --------------------

OOM_RUN = "yolo11s__torch__fp16__img1280__b128"
SKIPPED_RUN = "yolo11n__onnxruntime__fp16__img640__b1"
TORCH_RUN = "yolo11n__torch__fp16__img640__b1"
GRAPH_RUN = "yolo11n__torch__fp16__img640__b1__cudagraph"


def _results_copy(tmp_path, name="h200"):
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    return out


def _edit(out, run_id, change, new_run_id=None):
    """Apply ``change(result)`` to a stored result; with ``new_run_id`` write the change as another run."""
    result = json.loads((out / "runs" / f"{run_id}.json").read_text())
    change(result)
    if new_run_id:
        result["run_id"] = result["run"]["run_id"] = new_run_id
    (out / "runs" / f"{new_run_id or run_id}.json").write_text(json.dumps(result))


def _set(**fields):
    return lambda result: result.update(fields)


def _set_metrics(**metrics):
    return lambda result: result["metrics"].update(metrics)


def _written(out):
    from harness.report.writer import write_reports
    from harness.report.summary import write_summary

    write_summary(out)
    write_reports(out)
    return {"md": (out / "jetson_benchmark_summary.md").read_text(), "report": (out / "report.md").read_text(),
            "html": (out / "report.html").read_text(), "csv": _csv_rows(out)}


def _csv_rows(out):
    import csv

    with open(out / "jetson_benchmark_summary.csv") as handle:
        return {row["run_id"]: row for row in csv.DictReader(handle)}


def _md_rows(text):
    """The first Markdown table of ``text`` as {first cells joined: {header: cell}}; ``|`` inside cells is not used."""
    lines = [l for l in text.splitlines() if l.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip() for c in l.strip("|").split("|")] for l in lines[2:]]
    return [dict(zip(header, cells)) for cells in rows]


def _row(rows, **match):
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def _runs_section(report_md):
    return report_md.split("## Runs", 1)[1].split("## Memory Safety Summary", 1)[0]


def test_console_table_and_summary_show_a_short_reason_instead_of_nan(tmp_path):
    from harness.report.summary import markdown_table, write_summary

    out = _results_copy(tmp_path)
    _edit(out, SKIPPED_RUN, _set(reason="first line of a reason\n  and its second line, long enough to be cut " * 3))
    _, md_path, frame = write_summary(out)
    for text in (md_path.read_text(), markdown_table(frame)):
        rows = _md_rows(text)
        assert "nan" not in [cell for row in rows for cell in row.values()]
        oom = _row(rows, status="skipped_oom")
        assert oom["reason"].startswith("out of memory during measure: OutOfMemoryError") and len(oom["reason"]) <= 60
        assert oom["p50 ms"] == "" and oom["img/s"] == ""
        skipped = _row(rows, status="skipped")["reason"]
        assert skipped.startswith("first line of a reason and its second line") and "\n" not in skipped
        assert all(r["reason"] == "" for r in rows if r["status"] == "ok")


def test_a_table_of_ok_rows_has_no_reason_column(tmp_path):
    out = _results_copy(tmp_path, "cpu")
    md = _written(out)["md"]
    assert "| model" in md and "reason" not in _md_rows(md)[0]


def test_accuracy_figures_appear_where_measured(tmp_path):
    out = _results_copy(tmp_path)
    before = _written(out)
    assert "mAP50" not in before["md"] and "mAP50" not in before["report"]  # empty in every row: dropped
    _edit(out, TORCH_RUN, _set_metrics(map50=0.5, map50_95=0.25))
    after = _written(out)
    for text in (after["md"], _runs_section(after["report"])):
        row = _row(_md_rows(text), model="yolo11n", backend="torch", mode="", batch="1")
        assert row["mAP50"] == "0.5" and row["mAP50-95"] == "0.25"
    assert ">mAP50<" in after["html"] and ">0.5<" in after["html"]
    assert after["csv"][TORCH_RUN]["map50"] == "0.5"


def test_accuracy_columns_are_catalog_metrics():
    from harness.measure.metric_catalog import metric_names
    from harness.report.summary import ACCURACY_COLUMNS

    names = {key for key, _ in ACCURACY_COLUMNS}
    assert names <= set(metric_names())
    assert {"map50", "map50_95", "mask_map50", "pose_map50", "obb_map50", "top1_acc", "top5_acc", "depth_abs_rel",
            "depth_delta1"} <= names


def test_int8_columns_are_defined_in_the_catalog():
    """The summary's int8 columns come from two results, so they are no result's metrics; the catalog defines them
    and gives their order, and each is computed by harness/report/int8_deltas.py or read from the int8 result."""
    from harness.report.int8_deltas import COLUMNS
    from harness.measure.metric_catalog import INT8_AGAINST_FP32, metric_names
    from harness.report.summary import summary_frame

    names = [m.name for m in INT8_AGAINST_FP32]
    assert set(names) == {*COLUMNS, "int8_max_accuracy_drop"}
    assert not set(names) & set(metric_names())
    columns = list(summary_frame([]).columns)
    assert len(columns) == len(set(columns))
    assert columns[columns.index(names[0]):][:len(names)] == names


def test_random_init_weights_are_named_and_their_accuracy_labelled_meaningless(tmp_path):
    out = _results_copy(tmp_path)
    _edit(out, TORCH_RUN, _set(weights={"kind": "random-init", "file": None}))
    _edit(out, TORCH_RUN, _set_metrics(map50=0.0123))
    _edit(out, GRAPH_RUN, _set(weights={"kind": "file", "file": "yolo11n.pt"}))
    _edit(out, GRAPH_RUN, _set_metrics(map50=0.61))
    written = _written(out)
    assert written["csv"][TORCH_RUN]["weights"] == "random-init"
    assert written["csv"][GRAPH_RUN]["weights"] == "yolo11n.pt" and written["csv"][SKIPPED_RUN]["weights"] == ""
    summary_rows = _md_rows(written["md"])
    assert _row(summary_rows, mode="", backend="torch", batch="1")["weights"] == "random-init"
    assert _row(summary_rows, mode="cudagraph")["weights"] == "yolo11n.pt"
    report_rows = _md_rows(_runs_section(written["report"]))
    random_row = _row(report_rows, mode="", backend="torch", batch="1")
    assert random_row["weights"] == "random-init" and random_row["mAP50"] == "0.0123 (random-init: meaningless)"
    assert _row(report_rows, mode="cudagraph")["mAP50"] == "0.61"
    assert "accuracy figures (mAP, top-k, depth, J&F) are meaningless" in written["report"]
    assert ">0.0123 (random-init: meaningless)<" in written["html"] and ">0.61<" in written["html"]
    assert "random-init: the model&#x27;s weights are random" in written["html"]


def test_results_without_weights_show_no_weights_column(tmp_path):
    written = _written(_results_copy(tmp_path))
    assert "weights" not in _md_rows(written["md"])[0] and "weights" not in _md_rows(_runs_section(written["report"]))[0]
    assert "random-init" not in written["report"] and "random-init" not in written["html"]


def _with_setup_config(out, source, sequences):
    config = out / "setup_config.json"
    config.write_text(json.dumps({"source": source, "dataset": {
        "frames": sum(s["num_frames"] for s in sequences), "sequences": sequences, "skipped": [],
        "fingerprint": "0123456789abcdef0123"}}))
    for path in (out / "runs").glob("*.json"):
        _edit(out, path.stem, lambda r: r.setdefault("setup", {}).update(config=str(config)))


def test_report_names_the_source_in_words(tmp_path):
    out = _results_copy(tmp_path)
    _with_setup_config(out, {"kind": "synthetic", "path": None, "frames": None},
                       [{"name": "images", "kind": "images", "num_frames": 16, "frames": {}},
                        {"name": "clip0", "kind": "video", "num_frames": 48, "frames": {}}])
    written = _written(out)
    assert "- source: generated synthetic dataset (16 images, 1 video)\n" in written["report"]
    assert "- frames: 64 in 2 sequence(s)" in written["report"]
    assert "{" not in written["report"].split("## Input", 1)[1].split("## Runs", 1)[0]
    assert "<td>generated synthetic dataset (16 images, 1 video)</td>" in written["html"]


def test_source_text_of_each_kind():
    from harness.report.report_data import source_text

    images = [{"name": "a", "kind": "images", "num_frames": 5}]
    assert source_text({"kind": "synthetic", "path": None}, images) == "generated synthetic dataset (5 images)"
    assert source_text({"kind": "image_dir", "path": "/data/imgs"}, images) == "image folder /data/imgs"
    assert source_text({"kind": "video", "path": "/data/a.mp4"}, []) == "video /data/a.mp4"
    assert source_text({"kind": "split_dir", "path": "/data/val"}, images) == "split /data/val"
    assert source_text({"kind": "camera", "path": "0", "frames": 30}, []) == "camera 0 (30 frames captured)"
    assert source_text(None, []) == "not recorded"


def test_skipped_oom_rows_name_their_evidence(tmp_path):
    out = _results_copy(tmp_path)
    _edit(out, OOM_RUN, _set(oom_evidence="rule"))
    _edit(out, OOM_RUN, _set(oom_evidence="probe"), new_run_id=OOM_RUN + "__probe")
    _edit(out, OOM_RUN, _set(oom_evidence="observed"), new_run_id=OOM_RUN + "__observed")
    _edit(out, OOM_RUN, _set(oom_evidence=None), new_run_id=OOM_RUN + "__old")
    written = _written(out)
    assert written["csv"][OOM_RUN]["oom_evidence"] == "rule"
    assert written["csv"][OOM_RUN + "__observed"]["oom_evidence"] == "observed"
    assert written["csv"][OOM_RUN + "__old"]["oom_evidence"] == ""
    for text in (written["md"], _runs_section(written["report"])):
        statuses = sorted(r["status"] for r in _md_rows(text) if r["status"].startswith("skipped_oom"))
        assert statuses == ["skipped_oom", "skipped_oom (observed)", "skipped_oom (probe)", "skipped_oom (rule)"]
    assert "ok 4, skipped_oom 4 (rule 1, probe 1, observed 1, not recorded 1), skipped 1, failed 0." in written["report"]
    assert "<p>ok 4, skipped_oom 4 (rule 1, probe 1, observed 1, not recorded 1), skipped 1, failed 0</p>" in written["html"]
    assert 'class="l status-skipped_oom">skipped_oom (probe)<' in written["html"]
    assert json.loads((out / "report.json").read_text())["skipped_oom_evidence"] == {
        "rule": 1, "probe": 1, "observed": 1, "not recorded": 1}


def test_runs_after_others_in_a_phase_process_are_marked(tmp_path):
    out = _results_copy(tmp_path)
    _edit(out, TORCH_RUN, lambda r: r["process"].update(isolation="phase", run_index_in_process=1))
    _edit(out, GRAPH_RUN, lambda r: r["process"].update(isolation="phase", run_index_in_process=0))
    _edit(out, "yolo11s__torch__fp32__img640__b8", lambda r: r["process"].update(run_index_in_process=1))  # isolation run
    written = _written(out)
    for text in (written["md"], _runs_section(written["report"])):
        rows = _md_rows(text)
        assert _row(rows, backend="torch", mode="", batch="1")["status"] == "ok †"
        assert _row(rows, mode="cudagraph")["status"] == "ok"  # first of its process: a clean baseline
        assert _row(rows, model="yolo11s", batch="8")["status"] == "ok"  # not --isolation phase
        assert sum("†" in r["status"] for r in rows) == 1
        assert "† --isolation phase: this run ran after other runs in the same Phase B process" in text
    assert 'class="l status-ok">ok †<' in written["html"] and "<p class=muted>† --isolation phase" in written["html"]


def test_no_mark_without_a_shared_process(tmp_path):
    written = _written(_results_copy(tmp_path))
    assert "†" not in written["md"] and "†" not in written["report"] and "†" not in written["html"]


def test_the_mode_column_shows_pacing_beside_the_other_modes():
    from harness.report.summary import variant_text

    paced = {"run_id": "m__torch__fp16__img64__b1__cudagraph__fps30", "run": {"variant": "cudagraph"},
             "identity": {"run": {"modes": {"cuda_graph": True, "arrival_fps": 30.0}}}}
    assert variant_text(paced) == "cudagraph fps30"
    piped = {"run_id": "m__torch__fp16__img64__b1__pipeline2", "run": {"variant": "pipeline2"},
             "identity": {"run": {"modes": {"pipeline": 2}}}}
    assert variant_text(piped) == "pipeline2"
    old = {"run_id": "m__torch__fp16__img64__b1__streams2", "run": {}}
    assert variant_text(old) == "streams2"
