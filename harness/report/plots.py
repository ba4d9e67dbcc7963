"""Plots (PNG) for the report, from result files and metrics.jsonl.

- one latency histogram per run, with p50 and p99 marked;
- latency vs throughput across the matrix, the Pareto front marked;
- p50 / p99 bars per run;
- memory over time per run, from the telemetry in metrics.jsonl, with the run's windows shaded.
Labels name only what differs between runs (e.g. "yolo11s torch fp16 b8 cudagraph"), so they stay short.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.report.figure_files import pyplot, save
from harness.measure.latency_stats import headline_img_per_s
from harness.records.results import STATUS_OK
from harness.files.unique_names import safe_name
from runners.backends import backend_colour

WINDOW_COLORS = {"load": "#f2f2f2", "warmup": "#fde9c9", "measure": "#d9ecd9", "after": "#f2f2f2"}


def short_labels(results: list) -> dict:
    """run_id -> a label with only the parts that vary across ``results``."""
    parts = {}
    for r in results:
        run = r["run"]
        variant = r["run_id"].split("__")[5] if r["run_id"].count("__") >= 5 else ""
        parts[r["run_id"]] = [run["model"], run["backend"], run["precision"], f"img{run['imgsz']}", f"b{run['batch']}", variant]
    varying = [i for i in range(6) if len({tuple([p[i]]) for p in parts.values()}) > 1] or [0, 1]
    return {rid: " ".join(p[i] for i in varying if p[i]) for rid, p in parts.items()}


def pareto_front(points: list) -> list:
    """Indices of points (latency, throughput) that no other point beats on both: lower latency (or equal)
    and higher throughput (or equal), one of them strictly."""
    front = []
    for i, (lat, thr) in enumerate(points):
        dominated = any((l2 <= lat and t2 >= thr) and (l2 < lat or t2 > thr) for j, (l2, t2) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return front


LABEL_OFFSETS = ((5, 4), (5, -11), (5, 15), (5, -22), (5, 26), (5, -33), (5, 37), (5, -44))


def place_labels(ax, fig, points: list, texts: list, fontsize: int = 7) -> None:
    """Annotate each point, nudging a label up or down when it would overlap one already placed."""
    fig.canvas.draw()
    placed = []
    char_w, line_h = fontsize * 0.62, fontsize * 1.35  # points, close enough for a sans-serif font
    for (x, y), text in sorted(zip(points, texts), key=lambda item: (item[0][1], item[0][0])):
        px, py = ax.transData.transform((x, y)) * 72.0 / fig.dpi
        width = char_w * len(text)
        for dx, dy in LABEL_OFFSETS:
            box = (px + dx, py + dy, px + dx + width, py + dy + line_h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        placed.append(box)
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=fontsize,
                    arrowprops=None if (dx, dy) == LABEL_OFFSETS[0] else {"arrowstyle": "-", "color": "#999", "lw": 0.5})


def latency_histogram(result: dict, label: str, path: Path) -> Path:
    plt = pyplot()
    samples = result["samples"]["latency_ms"]
    m = result["metrics"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.hist(samples, bins=min(60, max(10, len(samples) // 5)), color=backend_colour(result["run"]["backend"]),
            alpha=0.8)
    for name, style in (("latency_ms_p50", "-"), ("latency_ms_p99", "--")):
        ax.axvline(m[name], color="black", linestyle=style, linewidth=1,
                   label=f"{name.split('_')[-1]} {m[name]:.3g} ms")
    ax.set_title(f"Latency per batch: {result['run_id']}  ({len(samples)} measured passes)")
    ax.set_xlabel("host end-to-end latency per batch (ms)")
    ax.set_ylabel("passes")
    ax.legend(loc="upper right")
    return save(plt, fig, path)


def latency_vs_throughput(results: list, labels: dict, path: Path) -> Path:
    plt = pyplot()
    results = [r for r in results if headline_img_per_s(r["metrics"]) is not None]
    points = [(r["metrics"]["latency_ms_p50"], headline_img_per_s(r["metrics"])) for r in results]
    front = set(pareto_front(points))
    fig, ax = plt.subplots(figsize=(8, 5))
    for backend in sorted({r["run"]["backend"] for r in results}):
        idx = [i for i, r in enumerate(results) if r["run"]["backend"] == backend]
        ax.scatter([points[i][0] for i in idx], [points[i][1] for i in idx], s=36,
                   color=backend_colour(backend), label=backend, zorder=3)
    ordered = sorted(front, key=lambda i: points[i][0])
    ax.plot([points[i][0] for i in ordered], [points[i][1] for i in ordered], color="black", linewidth=1,
            drawstyle="steps-post", zorder=2, label="Pareto front")
    ax.scatter([points[i][0] for i in ordered], [points[i][1] for i in ordered], s=90, facecolors="none",
               edgecolors="black", zorder=4)
    lat = [p[0] for p in points]
    if lat and max(lat) / max(min(lat), 1e-9) > 20:
        ax.set_xscale("log")
    place_labels(ax, fig, points, [labels[r["run_id"]] for r in results])
    ax.set_title("p50 latency vs throughput (circled: Pareto front, nothing is both faster and higher throughput)")
    ax.set_xlabel("p50 host end-to-end latency per batch (ms)")
    ax.set_ylabel("throughput (images/s; sustained for --pipeline runs)")
    ax.legend(loc="best")
    return save(plt, fig, path)


def percentile_bars(results: list, labels: dict, path: Path) -> Path:
    plt = pyplot()
    order = sorted(results, key=lambda r: r["metrics"]["latency_ms_p50"])
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * len(order)))
    y = range(len(order))
    ax.barh([i + 0.18 for i in y], [r["metrics"]["latency_ms_p99"] for r in order], height=0.36, color="#bbbbbb", label="p99")
    ax.barh([i - 0.18 for i in y], [r["metrics"]["latency_ms_p50"] for r in order], height=0.36,
            color=[backend_colour(r["run"]["backend"]) for r in order], label="p50")
    ax.set_yticks(list(y))
    ax.set_yticklabels([labels[r["run_id"]] for r in order])
    ax.invert_yaxis()
    values = [r["metrics"]["latency_ms_p50"] for r in order] + [r["metrics"]["latency_ms_p99"] for r in order]
    log = max(values) / max(min(values), 1e-9) > 20
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("host end-to-end latency per batch (ms" + (", log scale)" if log else ")"))
    ax.set_title("p50 (colour = backend) and p99 (grey) per run, fastest first")
    ax.legend(loc="lower right")
    return save(plt, fig, path)


def latency_per_device(section: dict, path: Path) -> Path:
    """The fleet's plot: p50 of each configuration, one bar per device."""
    plt = pyplot()
    rows, devices = section["rows"], section["devices"]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.3 * len(rows) * len(devices)))
    height = 0.8 / len(devices)
    for j, device in enumerate(devices):
        values = [row.get(f"{device}|latency_ms_p50") or 0.0 for row in rows]
        ax.barh([i + (j - (len(devices) - 1) / 2) * height for i in range(len(rows))], values, height=height,
                label=device)
    ax.set_yticks(list(range(len(rows))))
    ax.set_yticklabels([f"{r['model']} {r['backend']} {r['precision']} {r['imgsz']} b{r['batch']} {r.get('variant') or ''}".strip()
                        for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("p50 host end-to-end latency per batch (ms); no bar: not measured there")
    ax.set_title("Latency per device")
    ax.legend(loc="best")
    return save(plt, fig, path)


MEMORY_SERIES = (("nvml", "gpu_mem_used_mb", "GPU memory used, whole device (NVML)"),
                 ("jtop", "ram_shared_mb", "GPU-mapped memory, NvMap (jtop)"),
                 ("psutil", "ram_used_mb", "system RAM used (psutil)"),
                 ("tegrastats", "ram_used_mb", "RAM used (tegrastats)"))


def read_metrics(path: Path) -> dict:
    """run_id -> (samples, marks) of its latest recording in metrics.jsonl; unreadable lines are skipped."""
    runs: dict = {}
    latest: dict = {}
    if not path.is_file():
        return runs
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        run_id, instance = record.get("run_id"), record.get("instance")
        if latest.get(run_id) != instance:  # a newer recording of this run replaces the older one
            latest[run_id] = instance
            runs[run_id] = ([], [])
        samples, marks = runs[run_id]
        if "mark" in record:
            marks.append((record["t_monotonic_s"], record["mark"]))
        elif "t_monotonic_s" in record:
            samples.append(record)
    return runs


def memory_timeline(run_id: str, label: str, samples: list, marks: list, path: Path) -> Path:
    plt = pyplot()
    t0 = samples[0]["t_monotonic_s"]
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    edges = [(t - t0, name) for t, name in marks] + [(samples[-1]["t_monotonic_s"] - t0, None)]
    shaded = set()
    for (start, name), (end, _) in zip(edges, edges[1:]):
        if name:
            ax.axvspan(start, end, color=WINDOW_COLORS.get(name, "#eeeeee"), alpha=0.9, zorder=0,
                       label=None if name in shaded else f"window: {name}")
            shaded.add(name)
    for source, field, name in MEMORY_SERIES:
        points = [(s["t_monotonic_s"] - t0, s[source][field]) for s in samples if field in s.get(source, {})]
        if points:
            ax.plot(*zip(*points), marker=".", linewidth=1.2, label=name, zorder=3)
    ax.set_title(f"Memory over time: {run_id}\n(telemetry, system-wide; the clean per-process peaks are in the run's result)")
    ax.set_xlabel("time since the run's first sample (s)")
    ax.set_ylabel("MiB")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    return save(plt, fig, path)


def memory_by_frame(result: dict, label: str, path: Path) -> Path:
    """A video model's run: the memory figure after each frame against the frame index, one line per video (a video
    that stopped out of memory: its frames before the stop, labelled with the frame)."""
    from harness.report.video_plots import by_frame_plot

    figure = (result.get("memory_notes") or {}).get("per_frame_figure", "rss_mb")
    return by_frame_plot({"": result}, "memory_by_frame_mb", f"{figure.replace('_mb', '')} (MiB)",
                         f"memory against frame index: {label}", path)


def make_plots(results: list, out_dir: Path) -> dict:
    """Writes the PNGs under out_dir/plots; returns {"histograms": {run_id: path}, "scatter": path, ...}."""
    plots_dir = Path(out_dir) / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    measured = [r for r in results if r.get("status") == STATUS_OK and r.get("samples", {}).get("latency_ms")]
    labels = short_labels(measured) if measured else {}
    made: dict = {"histograms": {}, "memory": {}, "memory_by_frame": {}}
    for r in measured:
        made["histograms"][r["run_id"]] = latency_histogram(r, labels[r["run_id"]], plots_dir / f"hist__{safe_name(r['run_id'])}.png")
    timed = [r for r in measured if (r.get("process") or {}).get("parts_s")]
    if timed:
        from harness.report.time_plot import process_time_bars

        made["process_time"] = process_time_bars(timed, labels, plots_dir / "process_time.png")
    if measured:
        made["scatter"] = latency_vs_throughput(measured, labels, plots_dir / "latency_vs_throughput.png")
        made["bars"] = percentile_bars(measured, labels, plots_dir / "latency_p50_p99.png")
    from harness.report.video_plots import latency_by_frame

    made["latency_by_frame"] = {}
    for r in measured:
        if r.get("videos"):
            made["memory_by_frame"][r["run_id"]] = memory_by_frame(r, labels[r["run_id"]],
                                                                   plots_dir / f"frames__{safe_name(r['run_id'])}.png")
            made["latency_by_frame"][r["run_id"]] = latency_by_frame(
                r, labels[r["run_id"]], plots_dir / f"latency_frames__{safe_name(r['run_id'])}.png")
    from harness.report.cross_device import cross_device_section
    from harness.report.summary import summary_frame

    section = cross_device_section(summary_frame(results).to_dict("records")) if results else {"rows": []}
    if section["rows"]:
        made["devices"] = latency_per_device(section, plots_dir / "latency_per_device.png")
    telemetry = read_metrics(Path(out_dir) / "metrics.jsonl")
    for r in measured:
        samples, marks = telemetry.get(r["run_id"], ([], []))
        if len(samples) >= 2:
            made["memory"][r["run_id"]] = memory_timeline(r["run_id"], labels[r["run_id"]], samples, marks,
                                                          plots_dir / f"memory__{safe_name(r['run_id'])}.png")
    return made
