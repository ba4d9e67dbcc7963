"""Every figure a result can carry, defined once: name (with its unit), unit, where it comes from, and
what exactly it measures. The CSV's column order, the docs (docs/metrics.md) and the report's legend
all come from here; a test keeps docs/metrics.md in step with this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    source: str
    definition: str


_HOST_E2E = ("host end-to-end latency of one measured pass: perf_counter around copying the uint8 batch to "
             "the device, converting it to the model's input type, the forward pass and a device synchronize; for a "
             "video model (vos) one pass is one frame without a prompt: its copy and normalization, the model's step "
             "for every tracked object (image encoder, memory attention, mask decoder, memory encoder), a synchronize")
_PROMPT_FRAME = ("vos: host latency of a prompt frame (an object's first annotated frame): as a frame's pass, plus "
                 "giving that frame's prompts to the session")


def _latency_family(prefix: str, what: str) -> list:
    source = "CUDA events" if prefix.startswith("gpu") else "host clock"
    out = [Metric(f"{prefix}_p{p}", "ms", source, f"{p}th percentile (linear interpolation) of the {what}")
           for p in (50, 90, 95, 99)]
    out += [
        Metric(f"{prefix}_mean", "ms", source, f"arithmetic mean of the {what}"),
        Metric(f"{prefix}_std", "ms", source, f"sample standard deviation (n-1) of the {what}"),
        Metric(f"{prefix}_min", "ms", source, f"smallest {what}"),
        Metric(f"{prefix}_max", "ms", source, f"largest {what}"),
    ]
    return out


_GPU_COMPUTE = ("GPU compute time of one measured pass: CUDA events recorded on the runner's stream just before and "
                "after the model's work (the input copy is not inside), as trtexec's GPU Compute Time")


def _bounds(prefix: str, what: str) -> list:
    return [Metric(f"{prefix}_p{p}_ucb99", "ms", "order statistics",
                   f"99 % upper confidence bound for the true p{p} of the {what}: the k-th smallest sample, k the smallest "
                   f"index with P(Binomial(n, 0.{p}) <= k - 1) >= 0.99; empty when n is too small (p90: n < 44, p99: n < 459)")
            for p in (90, 99)]


METRICS: list = [
    Metric("latency_samples_n", "count", "host clock", "measured passes: at least --iters, more when --min_duration_s needed them"),
    *_latency_family("latency_ms", _HOST_E2E),
    Metric("latency_cv_pct", "%", "host clock", "coefficient of variation of the host end-to-end latency: std / mean x 100"),
    *_bounds("latency_ms", "host end-to-end latency"),
    *_latency_family("gpu_compute_ms", _GPU_COMPUTE),
    Metric("gpu_compute_cv_pct", "%", "CUDA events", "coefficient of variation of the GPU compute time"),
    *_bounds("gpu_compute_ms", "GPU compute time"),
    Metric("repeats_n", "processes", "--repeats", "Phase B processes that measured the run (empty without --repeats N >= 2)"),
    Metric("repeat_p50_cv_pct", "%", "--repeats", "between-process coefficient of variation of the per-process "
           "latency_ms_p50: sample std (n-1) / mean x 100 (empty without --repeats N >= 2)"),
    Metric("repeat_p50_ms_min", "ms", "--repeats", "smallest per-process latency_ms_p50 (empty without --repeats)"),
    Metric("repeat_p50_ms_max", "ms", "--repeats", "largest per-process latency_ms_p50 (empty without --repeats)"),
    Metric("prepare_ms_p50", "ms", "host clock", "median host time to copy the uint8 batch to the device and convert it"),
    Metric("prepare_ms_mean", "ms", "host clock", "mean of the same"),
    Metric("enqueue_ms_p50", "ms", "host clock",
           "median host time to submit the model's work (the call returns; on CUDA the kernels may still run)"),
    Metric("enqueue_ms_mean", "ms", "host clock", "mean of the same"),
    Metric("throughput_img_per_s", "images/s", "host clock",
           "images processed per second of measured pass time: batch x passes / sum of host end-to-end latencies "
           "(empty for a --pipeline run, whose passes overlap)"),
    Metric("sustained_img_per_s", "images/s", "host clock",
           "images delivered per second of the measured window: images / (first measured pass start or submit -> "
           "last result); for --pipeline N the throughput a pipelined application sustains"),
    Metric("arrival_fps_target", "frames/s", "schedule", "--arrival_fps: the camera rate the batches were released at"),
    *[Metric(f"arrival_latency_ms_{q}", "ms", "host clock",
             f"--arrival_fps: {q} of scheduled arrival -> result, per batch (queueing included)")
      for q in ("p50", "p90", "p99")],
    Metric("arrival_queue_ms_p99", "ms", "host clock",
           "--arrival_fps: p99 of scheduled arrival -> pass start (waiting behind the previous batch)"),
    Metric("deadline_misses_n", "batches", "host clock",
           "--arrival_fps: batches whose result came after the next batch's scheduled arrival"),
    Metric("deadline_miss_pct", "%", "host clock", "deadline_misses_n / measured batches x 100"),
    Metric("achieved_fps", "frames/s", "host clock",
           "--arrival_fps: frames delivered per second between the first and the last result: batch x (batches - 1) "
           "/ (last result - first result); below the target when the device falls behind"),
    *[Metric(f"{series}_{stat}", "ms", "host clock", f"--e2e: {stat} of {what}") for series, what in (
        ("e2e_ms", "the whole application pass: resize from the original frame + inference + post-processing"),
        ("preprocess_ms", "resizing the original frames as Phase A did (letterbox / stretch / crop) and stacking them (host)"),
        ("inference_ms", "the standard pass (copy in, convert, forward, synchronize) inside the e2e loop"),
        ("postprocess_ms", "the task's post-processing (NMS at --conf / --iou, 300 boxes, for the YOLO tasks; top-5 "
                           "for classify) and its result to the host"))
      for stat in ("p50", "p99", "mean")],
    Metric("e2e_img_per_s", "images/s", "host clock", "--e2e: images per second of whole application passes"),
    Metric("model_load_s", "s", "host clock",
           "time to load the artifact onto the device in Phase B (deserialize, move, fuse; first synchronize)"),
    Metric("compile_s", "s", "host clock", "torch_compile only: the first call at the run's shape in Phase B, which "
           "compiles or loads from the inductor cache (part of model_load_s); see the run's compile_cache (warm/cold)"),
    Metric("dla_layers_n", "layers", "TensorRT engine inspector (LayerInformationFormat.JSON)",
           "tensorrt: engine layers that run on a DLA core (--dla_core); a DLA core runs a whole subgraph as one "
           "{ForeignNode[...]} layer, so this counts subgraphs, not the ONNX nodes inside them; 0 for a GPU engine"),
    Metric("gpu_layers_n", "layers", "TensorRT engine inspector (LayerInformationFormat.JSON)",
           "tensorrt: engine layers that run on the GPU (for a DLA run: the GPU fallback); the copies between GPU and "
           "DLA memory (<tensor> to nvm / from nvm / copy finish) are in neither count (runner.layer_placement)"),
    Metric("fidelity_max_abs_err", "output units", "FP32 CPU reference",
           "largest absolute difference between this backend's raw output and the FP32 reference on the fixed frames"),
    Metric("fidelity_cos_sim_min", "1", "FP32 CPU reference",
           "smallest per-frame cosine similarity between this backend's flattened raw output and the reference (1 = same direction)"),
    Metric("fidelity_reference_spread", "output units", "FP32 CPU reference",
           "how much the reference's own outputs differ between the fixed frames: the largest |ref_k - ref_0| over "
           "frames and elements; set beside fidelity_max_abs_err"),
    Metric("fidelity_informative", "bool", "FP32 CPU reference",
           "false when the reference moves by less than 0.1 % of its largest value between frames (its outputs barely "
           "depend on the input, as with random-init weights): the fidelity figures then say little and the tables "
           "mark them (u); false too when the reference is the run itself (same backend and precision on the CPU where the "
           "reference was computed: fidelity_compared_with self, marked (self))"),
    Metric("fidelity_pass", "bool", "FP32 CPU reference, the task's gate",
           "true when the task's gate figure reaches its minimum against the reference (detect / segment / pose / obb: "
           "box match >= 90 %; classify: top-1 agreement >= 90 %; depth and generic: cosine similarity >= 0.999; the "
           "gate is in the result's fidelity.fidelity_gate); empty when the comparison is uninformative, against the "
           "run itself, or the figure is missing; tables mark a fail FAIL"),
    Metric("fidelity_box_match_pct", "%", "FP32 CPU reference, Ultralytics NMS",
           "detect / segment / pose: share of the reference's boxes after NMS (conf 0.001, IoU 0.7, 100 per frame) that "
           "this backend reproduces (same class, IoU >= 0.5)"),
    Metric("fidelity_obb_match_pct", "%", "FP32 CPU reference, Ultralytics rotated NMS",
           "obb: the same for rotated boxes, matched with Ultralytics' probiou >= 0.5"),
    Metric("fidelity_mask_iou_mean", "fraction 0-1", "FP32 CPU reference, Ultralytics process_mask",
           "segment: mean IoU of the instance masks of matched reference / backend boxes, at prototype resolution"),
    Metric("fidelity_oks_mean", "fraction 0-1", "FP32 CPU reference, Ultralytics kpt_iou",
           "pose: mean object keypoint similarity of matched reference / backend instances (COCO sigmas for 17 "
           "keypoints, area 0.53 x box area)"),
    Metric("fidelity_top1_agree_pct", "%", "FP32 CPU reference",
           "classify: share of fixed frames whose top-1 class equals the reference's"),
    Metric("fidelity_top5_overlap_pct", "%", "FP32 CPU reference",
           "classify: mean share of the reference's top-5 classes found in this backend's top-5"),
    Metric("detections_per_frame_mean", "count", "Ultralytics NMS at --conf / --iou",
           "detect / segment / pose / obb: mean number of detections per scored frame after NMS at --conf (default "
           "0.25) and --iou (default 0.45), 300 at most"),
    Metric("detections_per_frame_min", "count", "Ultralytics NMS at --conf / --iou", "fewest detections in a scored frame"),
    Metric("detections_per_frame_max", "count", "Ultralytics NMS at --conf / --iou", "most detections in a scored frame"),
    Metric("map50", "fraction 0-1", "Ultralytics validator metrics",
           "box mAP at IoU 0.5 of this run's own outputs on the labeled still images (detect, segment, pose; "
           "Ultralytics' val post-processing: conf 0.001, IoU 0.7, 300 boxes)"),
    Metric("map50_95", "fraction 0-1", "Ultralytics validator metrics", "box mAP averaged over IoU 0.50:0.95, the same way"),
    Metric("mask_map50", "fraction 0-1", "Ultralytics SegmentMetrics", "segment: mask mAP at mask IoU 0.5 (polygon labels)"),
    Metric("mask_map50_95", "fraction 0-1", "Ultralytics SegmentMetrics", "segment: mask mAP over mask IoU 0.50:0.95"),
    Metric("pose_map50", "fraction 0-1", "Ultralytics PoseMetrics", "pose: keypoint mAP at OKS 0.5 (pose labels)"),
    Metric("pose_map50_95", "fraction 0-1", "Ultralytics PoseMetrics", "pose: keypoint mAP over OKS 0.50:0.95"),
    Metric("obb_map50", "fraction 0-1", "Ultralytics OBBMetrics", "obb: rotated-box mAP at probiou 0.5 (OBB labels)"),
    Metric("obb_map50_95", "fraction 0-1", "Ultralytics OBBMetrics", "obb: rotated-box mAP over 0.50:0.95"),
    Metric("top1_acc", "fraction 0-1", "ImageFolder classes", "classify: share of scored images whose top-1 class is "
           "the image's folder"),
    Metric("top5_acc", "fraction 0-1", "ImageFolder classes", "classify: share whose folder is among the top 5"),
    Metric("depth_abs_rel", "fraction", "--dense_gt maps", "depth: mean |pred - gt| / gt over valid pixels, per frame, "
           "averaged over frames"),
    Metric("depth_rmse", "m", "--dense_gt maps", "depth: root mean square error in metres, per frame, averaged over frames"),
    Metric("depth_delta1", "fraction 0-1", "--dense_gt maps", "depth: share of valid pixels with max(pred/gt, gt/pred) "
           "< 1.25, per frame, averaged over frames"),
    Metric("baseline_rss_mb", "MiB", "/proc/self/status VmRSS",
           "process resident memory after imports and device initialization, before the model loads"),
    Metric("load_peak_rss_mb", "MiB", "/proc/self/status VmHWM", "largest resident memory from the baseline to the end of model load"),
    Metric("peak_rss_mb", "MiB", "/proc/self/status VmHWM",
           "largest resident memory of the Phase B process during the measured passes (VmHWM reset just before)"),
    Metric("checks_peak_rss_mb", "MiB", "/proc/self/status VmHWM",
           "largest resident memory during the checks after the measured passes (--e2e, fidelity, accuracy), "
           "never mixed into the measured passes' peaks"),
    Metric("checks_peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated",
           "largest torch allocation during the checks after the measured passes"),
    Metric("peak_rss_delta_mb", "MiB", "VmHWM - VmRSS baseline", "peak_rss_mb minus baseline_rss_mb"),
    Metric("end_uss_mb", "MiB", "psutil memory_full_info().uss",
           "unique set size read once, right after the measured passes (not a peak): memory only this process holds"),
    Metric("baseline_torch_alloc_mb", "MiB", "torch.cuda.memory_allocated", "bytes held by live tensors at the baseline"),
    Metric("baseline_torch_reserved_mb", "MiB", "torch.cuda.memory_reserved", "bytes the caching allocator had reserved at the baseline"),
    Metric("load_peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated", "peak bytes of live tensors during model load"),
    Metric("load_peak_torch_reserved_mb", "MiB", "torch.cuda.max_memory_reserved", "peak caching-allocator reservation during model load"),
    Metric("peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated",
           "peak bytes of live torch tensors during the measured passes (counters reset just before); misses the CUDA "
           "context, cuDNN/cuBLAS workspaces and any non-torch allocator (ONNX Runtime, TensorRT)"),
    Metric("peak_torch_reserved_mb", "MiB", "torch.cuda.max_memory_reserved",
           "peak bytes the torch caching allocator reserved from the driver during the measured passes"),
    Metric("peak_torch_alloc_delta_mb", "MiB", "torch allocator", "peak_torch_alloc_mb minus baseline_torch_alloc_mb"),
    Metric("peak_torch_reserved_delta_mb", "MiB", "torch allocator", "peak_torch_reserved_mb minus baseline_torch_reserved_mb"),
    Metric("baseline_process_gpu_mb", "MiB", "NVML per-process used memory",
           "GPU memory the driver has given this process at the baseline (the CUDA context is most of it)"),
    Metric("load_peak_process_gpu_mb", "MiB", "NVML per-process used memory (sampled)", "largest sample during model load"),
    Metric("peak_process_gpu_mb", "MiB", "NVML per-process used memory (sampled)",
           "largest sample during the measured passes: everything this process holds on the GPU (context, torch, "
           "cuDNN/cuBLAS workspaces, ONNX Runtime and TensorRT allocations)"),
    Metric("peak_process_gpu_delta_mb", "MiB", "NVML per-process", "peak_process_gpu_mb minus baseline_process_gpu_mb"),
    Metric("baseline_device_used_mb", "MiB", "NVML device used, or NvMapMemUsed on a Jetson",
           "memory in use on the whole device (all processes) at the baseline"),
    Metric("load_peak_device_used_mb", "MiB", "NVML device used / NvMapMemUsed (sampled)", "largest sample during model load"),
    Metric("peak_device_used_mb", "MiB", "NVML device used / NvMapMemUsed (sampled)",
           "largest sample during the measured passes; system-wide, so other processes' memory is in it"),
    Metric("peak_device_used_delta_mb", "MiB", "NVML device used / NvMapMemUsed",
           "peak_device_used_mb minus baseline_device_used_mb: what this run added on the device"),
    Metric("avg_power_w", "W", "telemetry power (NVML, jtop Power TOT, tegrastats rails)",
           "average power over the measured window: the trapezoid integral of the power samples divided by the window"),
    Metric("energy_j", "J", "telemetry power", "trapezoid integral of the power samples over the measured window"),
    Metric("energy_j_per_img", "J/image", "telemetry power", "energy_j / images processed in the measured window"),
    Metric("img_per_s_per_w", "images/s/W", "telemetry power", "throughput_img_per_s / avg_power_w"),
    Metric("gpu_util_pct_mean", "%", "NVML / jtop / tegrastats", "mean GPU utilization over the measured window"),
    Metric("gpu_sm_clock_mhz_mean", "MHz", "NVML", "mean SM clock over the measured window"),
    Metric("temp_gpu_c_max", "C", "NVML / jtop / tegrastats", "highest GPU temperature over the measured window"),
    Metric("cpu_util_pct_mean", "%", "psutil", "mean CPU utilization (all cores) over the measured window"),
    Metric("host_interference_pct", "%", "psutil system and process CPU times",
           "the worst 0.5 s slice of the measured window: CPU seconds that other processes took (the host's busy time "
           "minus this process tree's) plus steal time, over the slice x the host's logical cores; validity's host "
           "check judges it (docs/validation.md)"),
    Metric("host_other_cpu_core_pct", "% of a core", "psutil system and process CPU times",
           "CPU time other processes took over the whole measured window, per second of the window (100 = one core)"),
    Metric("host_other_cpu_core_pct_max", "% of a core", "psutil system and process CPU times",
           "the same in the worst 0.5 s slice of the window"),
    Metric("host_other_cpu_s", "s", "psutil system and process CPU times",
           "CPU seconds other processes took during the measured window (all cores)"),
    Metric("host_own_cpu_core_pct", "% of a core", "psutil process CPU times",
           "CPU time of the measuring process (all its threads) and its children per second of the window"),
    Metric("host_steal_core_pct", "% of a core", "psutil system CPU times (steal)",
           "time the hypervisor gave to other guests during the window per second of it (0 where not reported)"),
    Metric("host_run_queue_mean", "threads", "/proc/stat procs_running",
           "mean number of runnable threads on the host, read every 0.5 s of the window (this run's own included)"),
    Metric("host_run_queue_max", "threads", "/proc/stat procs_running", "largest of the same readings"),
    Metric("host_cores_n", "cores", "psutil.cpu_count", "logical cores of the host"),
    Metric("ram_used_mb_max", "MiB", "psutil", "highest system RAM in use over the measured window (all processes)"),
    Metric("swap_used_mb_max", "MiB", "psutil", "highest swap in use over the measured window"),
    Metric("gpu_mem_limit_mb", "MiB", "profile / --gpu_mem_limit_gb", "the GPU memory budget this run ran under"),
    Metric("budget_peak_pct", "%", "sampler", "peak of the budgeted figure (process GPU memory on a desktop GPU, device "
           "used memory on a Jetson) during the measured passes, as a percentage of gpu_mem_limit_mb"),
    Metric("budget_violations_n", "count", "sampler", "samples of the budgeted figure above gpu_mem_limit_mb during the "
           "measured passes"),
    Metric("budget_headroom_mb", "MiB", "/proc/meminfo MemTotal, MemAvailable (sampled)",
           "Jetson (unified memory): MemTotal - memory in use before the run - the run's peak, where memory in use is "
           "MemTotal - MemAvailable system-wide (CPU, GPU and OS share the pool), the baseline is read in Phase B after "
           "device initialization and before the model loads, and the run's peak is the largest sample from the model "
           "load to the end of the measured passes minus that baseline: what the board had left at the run's worst "
           "moment (a per-process GPU cap is only soft there); empty with the reason on a GPU with its own memory"),
    Metric("fps", "frames/s", "host clock", "vos: frames processed per second of their own latencies: frames / sum of "
           "the host latencies of every measured frame (prompt frames included), over every measured video"),
    *_latency_family("prompt_latency_ms", _PROMPT_FRAME),
    Metric("prompt_latency_cv_pct", "%", "host clock", "vos: coefficient of variation of the prompt-frame latency"),
    Metric("frames_n", "frames", "host clock", "vos: frames measured over every video (from each video's first prompt "
           "frame to its end)"),
    Metric("videos_n", "videos", "metadata.json", "vos: annotated videos with a prompted object in the data"),
    Metric("videos_measured_n", "videos", "Phase B", "vos: videos measured to the end (not skipped_oom or failed)"),
    Metric("videos_skipped_oom_n", "videos", "Phase B", "vos: videos that ran out of memory (recorded, the run went on)"),
    Metric("objects_per_video_mean", "objects", "metadata.json", "vos: mean number of prompted objects per video"),
    Metric("start_memory_drift_mb", "MiB", "torch.cuda.memory_allocated / VmRSS",
           "vos: memory at the start of the last video minus at the start of the first, each read after the cleanup "
           "between videos (torch allocator on CUDA, RSS on the CPU): 0 when the cleanup returns to the baseline"),
    Metric("memory_slope_mb_per_frame", "MiB/frame", "torch.cuda.memory_allocated / VmRSS after each frame",
           "vos: least-squares slope of the per-frame memory figure over the second half of a video's frames, the "
           "largest over the run's videos: about 0 when the frame window bounds the session (--max_frames_in_mem "
           "auto), positive when it keeps every frame (all)"),
    Metric("encoder_ms_mean", "ms", "host clock", "vos: mean host time of the image encoder per frame (torch: forward "
           "hooks around model.vision_encoder; onnxruntime: the session's run and the copies in and out), a "
           "synchronize on each side on a GPU"),
    Metric("encoder_share_pct", "%", "host clock", "vos: the image encoder's time as a share of the frames' latency: "
           "sum of encoder_ms / sum of the frames' host latency x 100, over every measured frame"),
    Metric("encoder_mask_iou_mean", "fraction 0-1", "masks of the same frames with the torch encoder",
           "vos, exported image encoder: each object's mask IoU between this run's masks and the model's own torch "
           "encoder's (same weights, precision, prompts), averaged over the objects of a frame, then over the first "
           "64 processed frames of the first video (harness/phase_b/vos_encoder_check.py)"),
    Metric("encoder_mask_iou_min", "fraction 0-1", "masks of the same frames with the torch encoder",
           "vos, exported image encoder: the lowest mask IoU of any object on any compared frame"),
    Metric("encoder_check_frames_n", "frames", "count", "vos, exported image encoder: frames compared with the torch "
           "encoder's masks"),
    Metric("j_and_f", "fraction 0-1", "annotations (DAVIS / SA-V conventions)",
           "vos: (J + F) / 2 per object, averaged over every object of the split (DAVIS 2017's J&F-Mean)"),
    Metric("j_mean", "fraction 0-1", "annotations", "vos: region similarity (mask IoU) per object over its scored "
           "frames (SA-V's sav_benchmark.py selection, docs/video_segmentation.md), averaged over objects"),
    Metric("f_mean", "fraction 0-1", "annotations", "vos: boundary F-measure (DAVIS seg2bmap boundaries, matched within "
           "scikit-image's disk of radius ceil(0.008 x image diagonal)) per object over its scored frames, averaged "
           "over objects"),
]

TRTEXEC = [  # --trtexec_check: trtexec on the run's own engine, in its own process after the run (harness/trtexec_check.py)
    Metric("trtexec_latency_ms_median", "ms", "trtexec", "tensorrt, --trtexec_check: median of trtexec's Latency "
           "(H2D + GPU compute + D2H of one query, enqueue excluded) on the same engine, batch, shapes and CUDA-graph "
           "setting, random input"),
    Metric("trtexec_latency_ms_p99", "ms", "trtexec", "tensorrt, --trtexec_check: trtexec's 99th percentile Latency"),
    Metric("trtexec_gpu_compute_ms_median", "ms", "trtexec", "tensorrt, --trtexec_check: median of trtexec's GPU "
           "Compute Time in a second pass with --noDataTransfers"),
    Metric("trtexec_throughput_img_per_s", "images/s", "trtexec", "tensorrt, --trtexec_check: trtexec's Throughput "
           "(queries/s over its host walltime) x the batch"),
    Metric("harness_over_trtexec_latency_ratio", "ratio", "derived", "tensorrt, --trtexec_check: latency_ms_p50 / "
           "trtexec_latency_ms_median (above 1: the harness's Python submission, uint8 copy and input conversion)"),
    Metric("harness_over_trtexec_gpu_compute_ratio", "ratio", "derived", "tensorrt, --trtexec_check: "
           "gpu_compute_ms_p50 / trtexec_gpu_compute_ms_median (about 1 when both time the same kernels)"),
]

# Figures a video model's run does not produce, with the reason (a vos result carries these in "unavailable").
VOS_UNAVAILABLE = {
    "throughput_img_per_s": "a video run's rate is fps (frames per second over its videos)",
    "gpu_compute_ms_p50": "video runs time each frame on the host clock with a synchronize; CUDA-event GPU compute is "
                          "not measured for them",
    "fidelity_max_abs_err": "a video model's masks depend on its memory bank: compare the J&F of the fp32 and "
                            "reduced-precision runs",
}

METRICS += TRTEXEC
BY_NAME = {m.name: m for m in METRICS}


def metric_names() -> list:
    return [m.name for m in METRICS]
