"""Command-line flags: one table, parsing, validation and defaults. Pure Python, no heavy imports.

Flag names follow the tools users already know (the two-phase Jetson guide, the 4-slot YOLO benchmark,
trtexec). List-valued flags take comma-separated values; the run matrix is their cross product.
Every flag defaults to ``None`` at parse time so we can tell what the user set explicitly (that matters
for ``--skip_setup``, which reuses the saved setup unless told otherwise); :func:`resolve` fills the
defaults afterwards.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Union

from harness.records.measurement_request import frames_in_mem
from harness.data.image_size import canonical
from harness.errors import UserError
from harness.settings.matrix import BACKENDS, PRECISIONS
from runners.backends import names_taking, names_with, spoken_list

FAIL_ON = ("invalid", "fidelity", "accuracy_drop", "skipped")  # --fail_on: what else makes the exit 3 (harness/parent/exit_status.py)

DEFAULT_MODELS = ("yolo11n", "yolov8n")
ISOLATIONS = ("fork", "run", "phase")
ARRIVALS = ("fixed", "poisson")


@dataclass
class Options:
    # what to benchmark
    source: Optional[str] = None
    split_dir: Optional[str] = None
    models: list = field(default_factory=list)
    weights_dir: Optional[str] = None
    imgsz: list = field(default_factory=lambda: [640])   # size labels: 640 (square) or "480x640" (H x W)
    batch: list = field(default_factory=lambda: [1])
    backend: list = field(default_factory=lambda: ["auto"])
    precision: list = field(default_factory=lambda: ["fp32"])
    device: str = "auto"
    # backend modes and engine builds
    cuda_graph: bool = False
    streams: list = field(default_factory=lambda: [1])
    e2e: bool = False
    channels_last: bool = False
    compile_cache: str = "warm"
    workspace_mb: float = 1024.0
    engine_batch: str = "static"
    int8_calibration: str = "minmax"
    int8_max_map_drop: float = 0.02
    calib_images: int = 500
    calib_batch: int = 8
    int8_random_calibration: bool = False
    trtexec_check: bool = False
    builder_opt_level: Optional[int] = None
    sparsity: bool = False
    timing_cache: str = "on"
    dla_core: list = field(default_factory=lambda: [None])   # tensorrt: DLA cores, None = the GPU alone
    threads: list = field(default_factory=lambda: [None])    # intra-op threads of torch and ONNX Runtime, None = default
    layer_profile: bool = False
    require_max_clocks: bool = False
    require_power_mode: Optional[str] = None
    max_cv_pct: Optional[float] = None
    fail_on: list = field(default_factory=list)  # FAIL_ON: conditions that make the exit 3
    max_host_interference_pct: float = 10.0  # harness/measure/validity.py HOST_INTERFERENCE_LIMIT_PCT
    fidelity_frames: int = 4
    accuracy_images: int = 500
    dense_gt: Optional[str] = None
    accuracy_hook: Optional[str] = None
    # what the model is and takes (None: detected from the model, else the task's default)
    task: Optional[str] = None
    input_norm: Optional[str] = None
    color: Optional[str] = None
    layout: Optional[str] = None
    resize: Optional[str] = None
    output_format: Optional[str] = None
    trust_pickle: bool = False
    prompt: list = field(default_factory=lambda: ["points"])   # vos: a matrix dimension
    save_masks: bool = False
    prompt_points: int = 1
    conf: float = 0.25
    iou: float = 0.45
    depth_scale: Optional[float] = None
    depth_median_scaling: bool = False
    # training (the train subcommand, or --train before setup)
    train: bool = False
    train_approach: list = field(default_factory=lambda: ["scratch"])
    train_data: Optional[str] = None
    epochs: int = 10
    train_imgsz: int = 320
    train_batch: int = 16
    train_device: str = "auto"
    train_timeout_s: float = 7200.0
    # how to measure
    warmup: int = 10
    iters: int = 50
    min_duration_s: float = 3.0
    isolation: str = "fork"
    repeats: int = 1
    pipeline: list = field(default_factory=lambda: [1])
    arrival_fps: list = field(default_factory=list)      # empty: back to back
    arrival: str = "fixed"
    max_frames_in_mem: Union[int, str] = "auto"   # N, or auto / all (frames_in_mem gives the image path's N)
    limit_videos: int = 0
    max_frames: int = 300
    # memory: budget, profile, probing
    profile: Optional[str] = None
    gpu_mem_limit_gb: Optional[float] = None
    enable_cudnn_tuning: bool = False
    probe_batch: str = "auto"
    memory_sample_ms: float = 20.0
    metrics_interval: float = 0.5
    # where things go
    out_dir: str = "jetson_results"
    preprocessed_dir: str = "preprocessed_data"
    # the fleet (docs/fleet.md)
    cluster: Optional[str] = None
    devices: list = field(default_factory=lambda: ["all"])
    fleet_dir: str = "~/.cache/jetson_benchmark/fleet"
    shipped_frames: bool = False  # not a flag: a node's Phase A takes the frames the head shipped as they are
    # control
    skip_setup: bool = False
    skip_inference: bool = False
    force: bool = False
    verbose: bool = False
    setup_timeout_s: float = 3600.0
    run_timeout_s: float = 1800.0
    probe_timeout_s: float = 300.0
    build_timeout_s: float = 1800.0
    config: Optional[str] = None   # --config FILE.yaml (harness.settings.config_file), read before the flags are resolved
    # which flags the user set explicitly (not a flag)
    explicit: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def declared_model_settings(self) -> dict:
        """What the flags declare about every model (a <stem>.model.json wins over them)."""
        return {"task": self.task, "input_norm": self.input_norm, "color": self.color, "layout": self.layout,
                "resize": self.resize, "output_format": self.output_format}

    def task_run_settings(self) -> dict:
        """The task settings that come from flags and apply to every model."""
        return {"conf": self.conf, "iou": self.iou, "depth_scale": self.depth_scale,
                "depth_median_scaling": self.depth_median_scaling, "dense_gt": self.dense_gt}

    @classmethod
    def from_dict(cls, data: dict) -> "Options":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# name -> (kind, help). kind: "str", "int", "float", "ints", "strs", "flag", or a tuple of choices.
FLAG_TABLE: dict[str, tuple[Any, str]] = {
    "source": ("str", "input: image_dir=PATH | video=PATH | camera=INDEX[:FRAMES] (a plain folder or video path "
                      "also works). Default: a small synthetic dataset generated offline"),
    "split_dir": ("str", "SA-V style split: one folder per video holding JPEG frames, or video files"),
    "models": ("strs", "model names, comma-separated: stems of files in --weights_dir, or Ultralytics "
                       "architecture names built with random weights (yolo11n, yolov8s, ...). "
                       f"Default: {','.join(DEFAULT_MODELS)} when --weights_dir is not given, with their shipped "
                       "weights trained on the generated shapes (weights/default/)"),
    "weights_dir": ("str", "folder of *.pt, *.onnx, *.engine, *.yaml model files; <model>.model.json beside one "
                           "declares its task, input and output format (docs/tasks.md)"),
    "imgsz": ("sizes", "input size(s): S (square) or HxW, e.g. 320,640 or 480x640,48x320 (default 640; a model with a "
                       "fixed input or its own imgsz uses that when --imgsz is not given)"),
    "batch": ("ints", "batch size(s), e.g. 1,8 (default 1)"),
    "backend": ("strs", f"backend(s): auto or {', '.join(BACKENDS)} (default auto: a model given as files runs on its "
                        "best artifact, .engine > .onnx > .pt; built-in architectures run on "
                        f"{spoken_list(names_with(lambda b: b.harness_default))})"),
    "precision": ("strs", f"precision(s): {', '.join(PRECISIONS)} (default fp32; fp16 only where the device supports it)"),
    "device": ("str", "auto | cpu | cuda | cuda:N (default auto: the first CUDA device, else the CPU)"),
    "cuda_graph": ("flag", f"{spoken_list(names_taking('cuda_graph'))} runs replay a captured CUDA graph (run ids end "
                           "in __cudagraph)"),
    "channels_last": ("flag", f"{spoken_list(names_taking('channels_last'))} runs use the channels-last memory format"),
    "streams": ("ints", "concurrent CUDA streams, e.g. 1,2,4: each pass submits one batch per stream (torch; run ids end "
                        "in __streamsN); throughput counts every stream's images, latency is for all to complete"),
    "e2e": ("flag", "also time what an application sees: letterbox from the original frame, inference and NMS, each "
                    "separately (run ids end in __e2e)"),
    "compile_cache": (("warm", "cold"), f"{spoken_list(names_taking('cold_cache'))} in Phase B: warm = the cache Phase "
                                        "A filled (default); cold = an empty cache, to measure compilation from scratch"),
    "workspace_mb": ("float", "TensorRT builder workspace to start from, MiB (default 1024; capped at half the budget, "
                              "halved on allocation failure)"),
    "engine_batch": (("static", "dynamic"), "TensorRT engines: one per batch size (static, default) or one dynamic "
                                            "engine per model, precision and imgsz"),
    "int8_calibration": (("minmax", "entropy", "percentile"), "INT8 calibration method of ONNX Runtime's static "
                         "quantization, which writes the Q/DQ model for onnxruntime and tensorrt int8 runs (default "
                         "minmax; TensorRT 8.x builds minmax / entropy with its own calibrators)"),
    "int8_max_map_drop": ("float", "largest accuracy drop of an int8 run against the fp32 run of the same model, backend, "
                                   "imgsz and batch before its row is flagged: absolute mAP50-95 (top-1 for classifiers; "
                                   "default 0.02)"),
    "builder_opt_level": ("int", "TensorRT builder optimization level 0-5 (TensorRT 8.6+; default: TensorRT's, 3); "
                                 "higher builds longer and may find faster kernels"),
    "sparsity": ("flag", "TensorRT: allow 2:4 structured-sparse kernels for weights that are sparse (SPARSE_WEIGHTS)"),
    "timing_cache": (("on", "off"), "TensorRT's timing cache shared by the builds in <preprocessed_dir>/artifacts "
                                    "(default on: later builds reuse the kernel timings; off: every build times "
                                    "from scratch)"),
    "dla_core": ("dla_cores", "TensorRT on a DLA core, a matrix dimension of tensorrt runs: e.g. 0,1 or gpu,0,1 (gpu: "
                              "the GPU alone, the default), with GPU fallback; fp16 and int8 only; a core the board's "
                              "profile lacks is skipped with the reason (run ids end in __dla<N>)"),
    "threads": ("ints", "intra-op threads of torch and ONNX Runtime in Phase B, e.g. 1,2: a matrix dimension of every "
                        "run (run ids end in __th<N>; default: the libraries' own, torch's intra-op = the cores, ONNX "
                        "Runtime's = the physical cores); a run's threads are in its result either way"),
    "calib_images": ("int", "most preprocessed frames used for INT8 calibration (default 500; fewer than 300 warns)"),
    "calib_batch": ("int", "frames per INT8 calibration batch, independent of the run's --batch (default 8: a batch-64 "
                           "run does not calibrate at 64 on an 8 GB board)"),
    "int8_random_calibration": ("flag", "calibrate INT8 on random data when no real frames should be used; every "
                                        "result of such an engine is marked: speed only, accuracy meaningless"),
    "trtexec_check": ("flag", "after the runs, run trtexec (PATH, /usr/src/tensorrt/bin, or $JETSON_BENCHMARK_TRTEXEC) on "
                              "each ok tensorrt run's engine with the same batch, shapes and CUDA-graph setting, for "
                              "--min_duration_s, and put its figures beside the harness's (docs/metrics.md)"),
    "layer_profile": ("flag", "after the measured passes, 10 untimed passes under the backend's profiler (torch.profiler, "
                              "ONNX Runtime's session profiling, TensorRT's IProfiler): the top 15 layers or operators "
                              "with their share of the time, in the result and the report"),
    "require_max_clocks": ("flag", "a run whose clocks are not at their maximum (jetson_clocks, cpufreq / devfreq), or "
                                   "cannot be read, is valid: false (default: a warning)"),
    "require_power_mode": ("str", "a run measured in another nvpmodel power mode (e.g. MAXN_SUPER), or where it cannot "
                                  "be read, is valid: false (default: any mode)"),
    "max_cv_pct": ("float", "a run whose latency varies with a coefficient of variation above this is valid: false "
                            "(default: none; above 5 percent it is a warning)"),
    "fail_on": ("strs", "for CI: any of invalid,fidelity,accuracy_drop,skipped makes the exit code 3 when a run has "
                        "it (not valid, below the fidelity gate, over the int8 accuracy-drop limit, skipped), named on "
                        "the last line"),
    "max_host_interference_pct": ("float", "a run during whose measurement other processes (or steal) took more than "
                                           "this share of the host's CPU in a 0.5 s slice is valid: false (default "
                                           "10; docs/validation.md)"),
    "fidelity_frames": ("int", "fixed frames on which outputs are compared with the FP32 reference (default 4; 0 = off)"),
    "accuracy_images": ("int", "most still images scored per run for mAP (YOLO labels) or --dense_gt (default 500; 0 = off)"),
    "dense_gt": ("str", "folder of depth ground truth per image: <image stem>.npy (metres) or .png (16-bit mm): "
                        "AbsRel, RMSE, delta1"),
    "depth_scale": ("float", "ground truth x this = metres (default: 1 for .npy, 0.001 for .png)"),
    "depth_median_scaling": ("flag", "depth: scale each prediction by median(gt)/median(pred) before scoring "
                                     "(for scale-free monocular models)"),
    "task": (("detect", "segment", "pose", "obb", "classify", "depth", "generic"),
             "what the models do when their files do not say (Ultralytics models carry it; default generic). This "
             "flag and --input_norm, --color, --layout, --resize, --output_format apply to every model; a "
             "<model>.model.json beside a model's file in --weights_dir declares them for that model and wins, "
             "with imgsz, stride, names, extra_inputs, kpt_shape too (docs/tasks.md)"),
    "input_norm": ("str", "input normalization: unit (/255, default), imagenet, none, or mean=R,G,B;std=R,G,B "
                          "(one value for all channels too) in 0-255 or 0-1 units: ;unit=0-1 or ;unit=0-255 says which, "
                          "else all values <= 1 are read as 0-1"),
    "color": (("rgb", "bgr", "gray"), "colour the model takes: rgb, bgr or gray (OpenCV's luminance; default rgb, "
                                      "gray for a model with one input channel)"),
    "layout": (("nchw", "nhwc"), "input layout when the model file cannot say (ONNX files say; default nchw)"),
    "resize": ("str", "how frames are resized to the input: letterbox (centred, grey 114), stretch, crop[:F] (shorter "
                      "side to size/F, centre crop; crop:0.875 = resize 256, crop 224), pad[:V] (keep ratio, top-left, "
                      "pad right/bottom with V, default 0) (default: the task's: letterbox for YOLO tasks, crop for "
                      "classify, stretch for depth and generic)"),
    "output_format": (("auto", "ultralytics", "yolov5", "yolox", "end2end", "boxes_scores_labels"),
                      "detect: the model's output format (default auto: recognised from the shapes): ultralytics "
                      "N x (4+classes) x anchors, yolov5 / yolox N x anchors x (5+classes) with objectness, end2end "
                      "N x K x 6 (x1 y1 x2 y2 score class), boxes_scores_labels (three outputs)"),
    "prompt": ("strs", "video models (sam2.1_hiera_tiny, edgetam, ...): prompt(s) given on each object's first annotated "
                       "frame, a matrix dimension: points, bbox, mask (default points; the seed's names sam2_base_points "
                       "etc. carry their own)"),
    "prompt_points": ("int", "video models, --prompt points: positive clicks per object (default 1: the mask pixel "
                             "farthest from its border, then seeded samples inside the mask)"),
    "save_masks": ("flag", "video models: write each run's predicted masks to <out_dir>/masks/<run id>/ in SA-V's "
                           "per-object layout (score them with evaluate-vos)"),
    "conf": ("float", "confidence threshold of the detection-family NMS for detections per frame and --e2e "
                      "(default 0.25; mAP uses the validator's 0.001)"),
    "iou": ("float", "IoU threshold of that NMS (default 0.45; mAP uses the validator's 0.7)"),
    "trust_pickle": ("flag", "load model files that can run code: a pickled nn.Module, an Ultralytics checkpoint or "
                             ".pt2 asking for anything outside the allow-list of tensors, plain values and model "
                             "classes (docs/security.md). Only for files you trust"),
    "accuracy_hook": ("str", "package.module:function called with each scored frame's output and metadata; returns "
                             "{figure: value}. Imports and runs that code in Phase B: name only code you trust "
                             "(docs/security.md)"),
    "train": ("flag", "first train --models with Ultralytics' trainer (one child process each, resumable), then set up and "
                      "measure the trained weights (<out_dir>/weights)"),
    "train_approach": ("strs", "training: scratch (from the architecture), finetune (from <weights_dir>/<model>.pt) or "
                               "both (default scratch)"),
    "train_data": ("str", "training data: a dataset YAML, an ImageFolder tree for -cls models, or (default) the generated "
                          "data for each model's task"),
    "epochs": ("int", "training epochs (default 10)"),
    "train_imgsz": ("int", "training image size (default 320)"),
    "train_batch": ("int", "training batch size (default 16)"),
    "train_device": ("str", "training device: auto | cpu | cuda | cuda:N (default auto)"),
    "train_timeout_s": ("float", "time limit per training process in seconds (default 7200)"),
    "warmup": ("int", "warm-up passes per run, discarded (default 10)"),
    "iters": ("int", "measured passes (batches) per run, at least (default 50)"),
    "min_duration_s": ("float", "measure until both --iters passes and this many seconds are done, as trtexec does "
                                "(default 3; 0 = --iters only)"),
    "isolation": (ISOLATIONS, "fork: a fresh Phase B process per run, forked by a launcher that imported torch once "
                              "(default on Linux; docs/isolation.md); run: a fresh interpreter per run, importing torch "
                              "itself (the default elsewhere); phase: every run in one Phase B process"),
    "repeats": ("int", "measure each run in this many fresh Phase B processes and keep each process's figures; the "
                       "result is the median-p50 process, and compare tests changes against the spread (default 1)"),
    "pipeline": ("ints", "in-flight batches, e.g. 1,2,4: >1 overlaps the copy of batch i+1 with the compute of batch i "
                         "on separate CUDA streams from pinned host buffers (torch on CUDA; mode pipeline<N>); "
                         "reports sustained throughput and end-to-end latency with queueing (default 1: serial)"),
    "arrival_fps": ("floats", "release frames at a camera's rate instead of back to back, e.g. 0,15,30,60 (0 = back to "
                              "back): latency is measured from each frame's scheduled arrival (run ids end __fps<F>; "
                              "default: back to back)"),
    "arrival": (ARRIVALS, "fixed: frames arrive every 1/F s like a camera (default); poisson: exponential gaps at the same "
                          "mean rate (MLPerf Server style)"),
    "max_frames_in_mem": ("frames_window", "most preprocessed frames Phase B holds in memory at once: N, auto or all "
                          "(default auto). Video models: the frames a session keeps besides its prompted ones (auto: "
                          "those the model attends to, from its config; all: every frame). Image models: N, else 600"),
    "limit_videos": ("int", "use only the first N videos of the source (default 0 = all)"),
    "max_frames": ("int", "most frames decoded per video, and captured from camera=INDEX without :FRAMES (default 300)"),
    "profile": ("str", "device profile: orin-nano-8gb, orin-nx-8gb, orin-nx-16gb, agx-orin-32gb, agx-orin-64gb, "
                       "desktop-gpu, cpu, or a JSON file of the same shape (default: detected). A Jetson profile on a "
                       "bigger GPU emulates its budget"),
    "gpu_mem_limit_gb": ("float", "GPU memory budget in GiB (default: the profile's budget; a desktop GPU's whole memory)"),
    "enable_cudnn_tuning": ("flag", "Phase A tries cudnn.benchmark=True under the budget and keeps it where it fits"),
    "probe_batch": (("auto", "on", "off"), "Phase A finds the largest batch that fits the budget: on, off, or auto "
                                           "(default: on when a constrained budget is in force on a CUDA device and a "
                                           "batch > 1 is requested)"),
    "memory_sample_ms": ("float", "interval of the background GPU-memory sampler in ms (default 20; 0 = only at phase edges)"),
    "metrics_interval": ("float", "telemetry interval in s for metrics.jsonl (default 0.5; 0 = no telemetry)"),
    "out_dir": ("str", "results folder (default ./jetson_results)"),
    "preprocessed_dir": ("str", "Phase A's folder for the setup config, frames and artifacts (default ./preprocessed_data)"),
    "cluster": ("str", "spread the matrix over a Ray cluster: its address (ray://HOST:10001 or HOST:6379), or local to "
                       "start Ray on this host with one run per GPU; each node measures the device profile it "
                       "advertises (docs/fleet.md). Needs the fleet extra"),
    "devices": ("strs", "with --cluster: the device profiles to measure on (names or profile JSON files), or all "
                        "(default: every profile the nodes advertise)"),
    "fleet_dir": ("str", "with --cluster: each node's own work folder for its frames, engines and logs (default "
                         "~/.cache/jetson_benchmark/fleet)"),
    "skip_setup": ("flag", "skip Phase A: reuse the saved setup config and preprocessed data"),
    "skip_inference": ("flag", "run Phase A only and print what it prepared"),
    "force": ("flag", "redo finished runs and rebuild preprocessed data and artifacts"),
    "verbose": ("flag", "show the phases' full logs on the console (always kept in run.log)"),
    "setup_timeout_s": ("float", "Phase A time limit in seconds (default 3600)"),
    "run_timeout_s": ("float", "time limit per Phase B process in seconds (default 1800)"),
    "probe_timeout_s": ("float", "time limit per Phase A probe process in seconds (default 300)"),
    "config": ("str", "a YAML file of flags (names without dashes, at the top level or under the sections of this help; "
                      "flags on the command line win); every results folder gets config.yaml, the resolved flags "
                      "that --config takes to measure the same matrix again"),
    "build_timeout_s": ("float", f"time limit per TensorRT engine build attempt and per compile warm-up "
                                 f"({', '.join(names_with(lambda b: b.warms_compile_cache))}) "
                                 "in Phase A, in seconds (default 1800)"),
}


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _parse_value(name: str, kind: Any, raw: Any) -> Any:
    if kind == "flag":
        return bool(raw)
    if isinstance(kind, tuple):
        value = str(raw).strip()
        if value not in kind:
            raise UserError(f"--{name} {raw!r}: choose one of {', '.join(kind)}")
        return value
    if kind == "str":
        return str(raw)
    if kind == "frames_window":
        text = str(raw).strip()
        if text in ("auto", "all"):
            return text
        kind = "int"
    if kind == "dla_cores":
        from harness.hardware.dla_cores import parse_dla_cores

        return parse_dla_cores(raw)
    if kind == "sizes":
        try:
            values = [canonical(v) for v in _split_list(raw)]
        except ValueError as exc:
            raise UserError(f"--{name} {raw}: {exc}") from None
        if not values:
            raise UserError(f"--{name} is empty")
        return values
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind in ("ints", "floats"):
            values = [(int if kind == "ints" else float)(v) for v in _split_list(raw)]
            if not values:
                raise ValueError
            return values
    except ValueError:
        expected = {"int": "a number", "float": "a number", "ints": "comma-separated integers"}.get(kind,
                                                                                                "comma-separated numbers")
        raise UserError(f"--{name} {raw!r}: expected {expected}")
    if kind == "strs":
        values = _split_list(raw)
        if not values:
            raise UserError(f"--{name} is empty")
        return values
    raise AssertionError(kind)


def flag_help(kind: Any, help_text: str) -> str:
    """A flag's help; a choice flag's ends with its values."""
    return f"{help_text} [values: {', '.join(kind)}]" if isinstance(kind, tuple) else help_text


def add_flags(parser: argparse.ArgumentParser, table: Optional[dict] = None) -> None:
    """Every flag of ``table`` (default: all of FLAG_TABLE) on ``parser``, in the sections of harness.settings.flag_sections."""
    from harness.settings.flag_sections import FLAG_SECTIONS

    table = table or FLAG_TABLE
    for section, names in FLAG_SECTIONS.items():
        wanted = [name for name in names if name in table]
        group = parser.add_argument_group(section) if wanted else None
        for name in wanted:
            kind, help_text = table[name]
            if kind == "flag":
                group.add_argument(f"--{name}", action="store_true", default=None, help=help_text)
            else:
                group.add_argument(f"--{name}", default=None, metavar=name.upper(), help=flag_help(kind, help_text))


def _resolve_isolation(opts: Options) -> None:
    """--isolation fork needs Linux; by default elsewhere each run gets a new interpreter (--isolation run)."""
    from harness.process.fork_launcher import fork_available

    if opts.isolation != "fork" or fork_available():
        return
    if "isolation" in opts.explicit:
        raise UserError("--isolation fork needs Linux (fork, /proc/self/pagemap); use --isolation run here")
    opts.isolation = "run"


def resolve(namespace: argparse.Namespace) -> Options:
    """Parse, validate and fill defaults. Raises :class:`UserError` with a one-line message."""
    opts = Options()
    explicit = []
    for name, (kind, _) in FLAG_TABLE.items():
        raw = getattr(namespace, name, None)
        if raw is None:
            continue
        explicit.append(name)
        setattr(opts, name, _parse_value(name, kind, raw))
    opts.explicit = explicit
    validate(opts)
    return opts


def validate(opts: Options) -> None:
    _resolve_isolation(opts)
    stray = [f"--{name}" for name in ("devices", "fleet_dir") if name in opts.explicit]
    if stray and not opts.cluster:
        raise UserError(f"{' and '.join(stray)} apply only with --cluster (docs/fleet.md)")
    if not 0 < opts.conf < 1 or not 0 < opts.iou < 1:
        raise UserError("--conf and --iou must be between 0 and 1")
    if opts.depth_scale is not None and opts.depth_scale <= 0:
        raise UserError(f"--depth_scale {opts.depth_scale}: must be positive")
    if opts.resize is not None:
        from harness.data.resize_mode import parse_resize

        try:
            parse_resize(opts.resize)
        except ValueError as exc:
            raise UserError(f"--resize: {exc}") from None
    if opts.input_norm is not None:
        from harness.model_input.input_spec import parse_norm

        try:
            parse_norm(opts.input_norm)
        except ValueError as exc:
            raise UserError(f"--input_norm {exc}") from None
    for batch in opts.batch:
        if batch <= 0:
            raise UserError(f"--batch {batch}: must be at least 1")
    for backend in opts.backend:
        if backend not in BACKENDS and backend != "auto":
            raise UserError(f"--backend {backend!r}: unknown backend; choose from auto, {', '.join(BACKENDS)}")
    if "auto" in opts.backend and len(opts.backend) > 1:
        raise UserError("--backend auto cannot be combined with named backends")
    if any(n is not None and n < 1 for n in opts.threads):
        raise UserError(f"--threads {','.join(map(str, opts.threads))}: at least 1 thread per run")
    if min(opts.streams) < 1:
        raise UserError(f"--streams {min(opts.streams)}: must be at least 1")
    if opts.workspace_mb <= 0:
        raise UserError(f"--workspace_mb {opts.workspace_mb}: must be positive")
    if opts.calib_batch <= 0:
        raise UserError(f"--calib_batch {opts.calib_batch}: must be at least 1")
    if opts.repeats < 1:
        raise UserError(f"--repeats {opts.repeats}: must be at least 1")
    if min(opts.pipeline) < 1:
        raise UserError(f"--pipeline {min(opts.pipeline)}: must be at least 1 in-flight batch")
    if opts.arrival_fps and min(opts.arrival_fps) < 0:
        raise UserError(f"--arrival_fps {min(opts.arrival_fps):g}: a frame rate must be positive (0 = back to back)")
    if opts.calib_images <= 0:
        raise UserError(f"--calib_images {opts.calib_images}: must be at least 1")
    if opts.builder_opt_level is not None and not 0 <= opts.builder_opt_level <= 5:
        raise UserError(f"--builder_opt_level {opts.builder_opt_level}: TensorRT's levels are 0 to 5")
    if opts.max_cv_pct is not None and opts.max_cv_pct <= 0:
        raise UserError(f"--max_cv_pct {opts.max_cv_pct}: must be positive")
    unknown = [name for name in opts.fail_on if name not in FAIL_ON]
    if unknown:
        raise UserError(f"--fail_on {','.join(unknown)}: choose from {','.join(FAIL_ON)}")
    if not 0 <= opts.max_host_interference_pct <= 100:
        raise UserError(f"--max_host_interference_pct {opts.max_host_interference_pct}: a share between 0 and 100")
    if not 0 <= opts.int8_max_map_drop < 1:
        raise UserError(f"--int8_max_map_drop {opts.int8_max_map_drop}: an absolute drop between 0 and 1")
    if opts.accuracy_images < 0:
        raise UserError(f"--accuracy_images {opts.accuracy_images}: must be 0 or more")
    if opts.dense_gt is not None and not Path(opts.dense_gt).is_dir():
        raise UserError(f"--dense_gt {opts.dense_gt}: no such folder")
    if opts.accuracy_hook is not None and ":" not in opts.accuracy_hook:
        raise UserError(f"--accuracy_hook {opts.accuracy_hook}: use package.module:function")
    if opts.fidelity_frames < 0:
        raise UserError(f"--fidelity_frames {opts.fidelity_frames}: must be 0 or more")
    if opts.fidelity_frames > frames_in_mem(opts):
        raise UserError(f"--fidelity_frames {opts.fidelity_frames} is more than --max_frames_in_mem "
                        f"{opts.max_frames_in_mem}: the fidelity check holds its frames at once")
    for precision in opts.precision:
        if precision not in PRECISIONS:
            raise UserError(f"--precision {precision!r}: unknown precision; choose from {', '.join(PRECISIONS)}")
    if opts.warmup < 0:
        raise UserError(f"--warmup {opts.warmup}: must be 0 or more")
    if opts.min_duration_s < 0:
        raise UserError(f"--min_duration_s {opts.min_duration_s}: must be 0 or more")
    if opts.iters <= 0:
        raise UserError(f"--iters {opts.iters}: must be at least 1")
    if frames_in_mem(opts) <= 0:
        raise UserError(f"--max_frames_in_mem {opts.max_frames_in_mem}: must be at least 1, auto or all")
    if max(opts.batch) > frames_in_mem(opts):
        raise UserError(f"--batch {max(opts.batch)} is larger than --max_frames_in_mem {opts.max_frames_in_mem}")
    if opts.limit_videos < 0:
        raise UserError(f"--limit_videos {opts.limit_videos}: must be 0 (all) or more")
    if opts.max_frames <= 0:
        raise UserError(f"--max_frames {opts.max_frames}: must be at least 1")
    if opts.gpu_mem_limit_gb is not None and opts.gpu_mem_limit_gb <= 0:
        raise UserError(f"--gpu_mem_limit_gb {opts.gpu_mem_limit_gb}: must be a positive number of GiB")
    if opts.metrics_interval < 0:
        raise UserError(f"--metrics_interval {opts.metrics_interval}: must be 0 or more")
    if opts.memory_sample_ms < 0:
        raise UserError(f"--memory_sample_ms {opts.memory_sample_ms}: must be 0 or more")
    if min(opts.setup_timeout_s, opts.run_timeout_s, opts.probe_timeout_s, opts.build_timeout_s) <= 0:
        raise UserError("timeouts must be positive numbers of seconds")
    if opts.skip_setup and opts.skip_inference:
        raise UserError("--skip_setup and --skip_inference together would do nothing")
    bad_approaches = [a for a in opts.train_approach if a not in ("scratch", "finetune")]
    if bad_approaches:
        raise UserError(f"--train_approach {','.join(bad_approaches)}: choose from scratch, finetune")
    for name in ("epochs", "train_imgsz", "train_batch"):
        if getattr(opts, name) < 1:
            raise UserError(f"--{name} {getattr(opts, name)}: must be 1 or more")
    if opts.train and opts.skip_setup:
        raise UserError("--train makes new weights, which need a new setup: drop --skip_setup")
    if opts.prompt_points < 1:
        raise UserError(f"--prompt_points {opts.prompt_points}: must be 1 or more")
    bad_prompts = [p for p in opts.prompt if p not in ("points", "bbox", "mask")]
    if bad_prompts:
        raise UserError(f"--prompt {','.join(bad_prompts)}: choose from points, bbox, mask")
    if opts.source and opts.split_dir:
        raise UserError("give either --source or --split_dir, not both")
    dev = opts.device
    if not (dev in ("auto", "cpu", "cuda") or (dev.startswith("cuda:") and dev[5:].isdigit())):
        raise UserError(f"--device {dev!r}: use auto, cpu, cuda or cuda:N")
    if opts.weights_dir is not None:
        wdir = Path(opts.weights_dir)
        if not wdir.is_dir():
            raise UserError(f"--weights_dir {opts.weights_dir}: no such folder")


def check_writable_dir(path: str, flag: str) -> Path:
    """Create ``path`` if needed and prove we can write there (one-line error otherwise)."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write_probe_{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        from harness.files.disk_errors import disk_error_message, with_path

        told = disk_error_message(with_path(exc, folder / ".write_probe"))
        raise UserError(f"--{flag} {path}: {told or f'cannot write there ({exc.strerror or exc})'}")
    return folder.resolve()
