"""Reports from fixture result files (real runs): every file written, plots are valid PNGs, the Markdown has
its tables, the HTML opens offline; and the pieces they are built from."""

import json
import shutil

from conftest import REPO, run_cli
from harness.report.plots import pareto_front, read_metrics, short_labels
from harness.report.report_data import unmeasured_notes

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
    assert report["schema_version"] == 1 and report["counts"] == {"ok": 4, "failed": 0, "skipped_oom": 1, "skipped": 1}
    assert report["platform"]["device_name"] == "NVIDIA H200"
    assert any(n["figure"] == "fidelity_box_match_pct" for n in report["notes"])
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
    results = [{"run_id": "r1", "status": "ok", "unavailable": {"avg_power_w": "no power source", "x": "y"}},
               {"run_id": "r2", "status": "ok", "unavailable": {"avg_power_w": "no power source"}},
               {"run_id": "r3", "status": "skipped", "unavailable": {"avg_power_w": "ignored: not measured at all"}}]
    assert unmeasured_notes(results) == [{"figure": "avg_power_w", "reason": "no power source", "runs": ["r1", "r2"]},
                                         {"figure": "x", "reason": "y", "runs": ["r1"]}]
