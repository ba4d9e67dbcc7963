"""Every figure a result or the summary CSV can carry, defined once: name (with its unit), unit, where it comes
from, and what exactly it measures, in sections. The CSV's column order (METRICS, then the summary's int8 columns)
and the reference page docs/metric_reference.md (``python3 -m harness.doc_pages.metric_docs``) come from here; a test fails
when that page and this table differ.
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
    out = [Metric(f"{prefix}_p{p}", "ms", source, f"{p}th percentile (linear interpolation between closest ranks, "
                                                  f"numpy's default) of the {what}")
           for p in (50, 90, 95, 99)]
    out += [
        Metric(f"{prefix}_mean", "ms", source, f"arithmetic mean of the {what}"),
        Metric(f"{prefix}_std", "ms", source, f"sample standard deviation (n-1) of the {what}; empty with one sample"),
        Metric(f"{prefix}_min", "ms", source, f"smallest {what}"),
        Metric(f"{prefix}_max", "ms", source, f"largest {what}"),
    ]
    return out


_GPU_COMPUTE = ("GPU compute time of one measured pass: CUDA events recorded on the runner's stream just before and "
                "after the model's work (the input copy is not inside), as trtexec's GPU Compute Time; CUDA only, empty "
                "with the reason where no stream brackets the model's work alone (ONNX Runtime's CUDA provider runs on "
                "an internal one, a CPU run has none, --streams N and --pipeline N overlap their batches' kernels)")


def _bounds(prefix: str, what: str) -> list:
    return [Metric(f"{prefix}_p{p}_ucb99", "ms", "order statistics",
                   f"99 % upper confidence bound for the true p{p} of the {what}: the k-th smallest sample, k the smallest "
                   f"index with P(Binomial(n, 0.{p}) <= k - 1) >= 0.99; empty when n is too small (p90: n < 44, p99: n < 459)")
            for p in (90, 99)]


LATENCY = [
    Metric("latency_samples_n", "count", "host clock", "measured passes: at least --iters, more when --min_duration_s needed them"),
    *_latency_family("latency_ms", _HOST_E2E),
    Metric("latency_cv_pct", "%", "host clock", "coefficient of variation of the host end-to-end latency: std / mean x 100"),
    *_bounds("latency_ms", "host end-to-end latency"),
    *_latency_family("gpu_compute_ms", _GPU_COMPUTE),
    Metric("gpu_compute_cv_pct", "%", "CUDA events", "coefficient of variation of the GPU compute time: std / mean x 100"),
    *_bounds("gpu_compute_ms", "GPU compute time"),
    Metric("repeats_n", "processes", "--repeats", "Phase B processes that measured the run (empty without --repeats N >= 2)"),
    Metric("repeat_p50_cv_pct", "%", "--repeats", "between-process coefficient of variation of the per-process "
           "latency_ms_p50: sample std (n-1) / mean x 100 (empty without --repeats N >= 2); a column of the report's "
           "tables whenever a run has it"),
    Metric("repeat_p50_ms_min", "ms", "--repeats", "smallest per-process latency_ms_p50 (empty without --repeats)"),
    Metric("repeat_p50_ms_max", "ms", "--repeats", "largest per-process latency_ms_p50 (empty without --repeats)"),
    Metric("prepare_ms_p50", "ms", "host clock", "median host time to copy the uint8 batch to the device and convert it"),
    Metric("prepare_ms_mean", "ms", "host clock", "mean of the same"),
    Metric("enqueue_ms_p50", "ms", "host clock",
           "median host time to submit the model's work (the call returns; on CUDA the kernels may still run)"),
    Metric("enqueue_ms_mean", "ms", "host clock", "mean of the same"),
    Metric("throughput_img_per_s", "images/s", "host clock",
           "images processed per second of measured pass time: batch x passes / sum of host end-to-end latencies: "
           "the rate while the model is being fed; unlike trtexec's wall-clock throughput it leaves out the harness's "
           "own work between passes (fetching the next batch); empty for a --pipeline run, whose passes overlap"),
    Metric("sustained_img_per_s", "images/s", "host clock",
           "images delivered per second of the measured window: images / (first measured pass start or submit -> "
           "last result), gaps between passes included; for --pipeline N the throughput a pipelined application "
           "sustains (trtexec's wall-clock throughput), which beside the serial run's throughput_img_per_s shows what "
           "pipelining buys"),
    Metric("arrival_fps_target", "frames/s", "schedule", "--arrival_fps: the camera rate the batches were released at"),
    *[Metric(f"arrival_latency_ms_{q}", "ms", "host clock",
             f"--arrival_fps: {q} of scheduled arrival (when the batch's last frame came from the camera) -> result, "
             f"per batch: queueing behind a late previous batch plus the pass")
      for q in ("p50", "p90", "p99")],
    Metric("arrival_queue_ms_p99", "ms", "host clock",
           "--arrival_fps: p99 of scheduled arrival -> pass start (waiting behind the previous batch; 0 when the "
           "device sat idle waiting)"),
    Metric("deadline_misses_n", "batches", "host clock",
           "--arrival_fps: batches whose result came after the next batch's scheduled arrival (a camera pipeline that "
           "falls behind)"),
    Metric("deadline_miss_pct", "%", "host clock", "deadline_misses_n / measured batches x 100"),
    Metric("achieved_fps", "frames/s", "host clock",
           "--arrival_fps: frames delivered per second between the first and the last result: batch x (batches - 1) "
           "/ (last result - first result); the target when the device keeps up, the service rate (below the "
           "target) when it falls behind"),
    Metric("model_load_s", "s", "host clock",
           "time to load the artifact onto the device in Phase B (deserialize, move, fuse Conv+BN; first synchronize)"),
    Metric("compile_s", "s", "host clock", "torch_compile only: the first call at the run's shape in Phase B, which "
           "compiles or loads from the inductor cache (part of model_load_s); the result's runner.compile_cache says "
           "warm or cold and runner.cache_counters gives inductor's own cache hit / miss counts"),
    Metric("dla_layers_n", "layers", "TensorRT engine inspector (IEngineInspector, LayerInformationFormat.JSON)",
           "tensorrt: engine layers that run on a DLA core (--dla_core), read when Phase B loads the engine; a DLA core "
           "runs a whole subgraph as one {ForeignNode[...]} layer, so this counts subgraphs, not the ONNX nodes inside "
           "them; 0 for a GPU engine; empty with the reason for other backends"),
    Metric("gpu_layers_n", "layers", "TensorRT engine inspector (IEngineInspector, LayerInformationFormat.JSON)",
           "tensorrt: engine layers that run on the GPU (for a DLA run: the GPU fallback); the copies between GPU and "
           "DLA memory (<tensor> to nvm / from nvm / copy finish) are in neither count: the result's "
           "runner.layer_placement has them (dla_transfer_layers_n) and says what the counts rest on (basis: layer "
           "types for the harness's engines, built with detailed profiling verbosity; layer names for a user's engine "
           "built without it)"),
]

E2E = [  # --e2e: application-like passes after the standard ones (harness/phase_b/e2e_passes.py)
    *[Metric(f"{series}_{stat}", "ms", "host clock", f"--e2e: {stat} of {what}") for series, what in (
        ("e2e_ms", "the whole application pass on original-resolution frames (decoded before the loop, so decoding "
                   "is not inside): resize + inference + post-processing"),
        ("preprocess_ms", "resizing the original frames as Phase A did (letterbox / stretch / crop) and stacking them (host)"),
        ("inference_ms", "the standard pass (copy in, convert, forward, synchronize) inside the e2e loop"),
        ("postprocess_ms", "the task's post-processing (NMS at --conf / --iou, 300 boxes, for the YOLO tasks; top-5 "
                           "for classify) and its result to the host; empty with the reason for a task without "
                           "post-processing (depth, generic)"))
      for stat in ("p50", "p99", "mean")],
    Metric("e2e_img_per_s", "images/s", "host clock", "--e2e: images per second of whole application passes"),
]

FIDELITY = [  # against the FP32 CPU reference, on the fixed frames (--fidelity_frames)
    Metric("fidelity_max_abs_err", "output units", "FP32 CPU reference",
           "largest absolute difference between this backend's raw outputs and the FP32 reference, over every element "
           "of every output (not only the first) of every fixed frame; for a classifier, the largest logit / "
           "probability error"),
    Metric("fidelity_cos_sim_min", "1", "FP32 CPU reference",
           "smallest per-frame cosine similarity between this backend's flattened raw outputs and the reference's, "
           "over every output (1 = same direction)"),
    Metric("fidelity_reference_spread", "output units", "FP32 CPU reference",
           "how much the reference's own outputs differ between the fixed frames: the largest |ref_k - ref_0| over "
           "frames and elements; set beside fidelity_max_abs_err"),
    Metric("fidelity_informative", "bool", "FP32 CPU reference",
           "false when the reference moves by less than 0.1 % of its largest value between frames (its outputs barely "
           "depend on the input, as with random-init weights): the fidelity figures then say little, the result says "
           "why (fidelity.fidelity_uninformative) and the tables mark them (u); false too when the reference is the "
           "run itself: the same backend and precision computing on the CPU where the reference was computed (an "
           "ONNX-only model on a CPU host, whatever its mode or threads), so fidelity_compared_with is self, "
           "fidelity_pass is empty and the tables mark the error (self)"),
    Metric("fidelity_pass", "bool", "FP32 CPU reference, the task's gate",
           "true when the task's gate figure reaches its minimum against the reference (detect / segment / pose: "
           "fidelity_box_match_pct >= 90; obb: fidelity_obb_match_pct >= 90; classify: fidelity_top1_agree_pct >= 90; "
           "depth and generic: fidelity_cos_sim_min >= 0.999); an int8 run has its own gate (Task.int8_fidelity_gate: "
           "80 for the box and top-1 figures, 0.99 for the cosine), because every score moves by a quantization step "
           "and boxes near --conf cross it; the gate is in the result's fidelity.fidelity_gate; false below it, and "
           "the tables mark the fidelity error FAIL; empty with the reason when the comparison is uninformative, "
           "against the run itself, or the gate figure is missing (a random-init detector has no reference boxes)"),
    Metric("fidelity_box_match_pct", "%", "FP32 CPU reference, Ultralytics NMS",
           "detect / segment / pose: share of the reference's boxes after NMS (conf 0.001, IoU 0.7, 100 per frame) that "
           "this backend reproduces (same class, IoU >= 0.5); empty when the reference has no boxes (random-init "
           "weights have none above conf 0.001, because Ultralytics initialises the class bias very low)"),
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
]

ACCURACY = [  # after the measured passes, from each run's own outputs
    Metric("detections_per_frame_mean", "count", "Ultralytics NMS at --conf / --iou",
           "detect / segment / pose / obb: mean number of detections per scored frame after NMS at --conf (default "
           "0.25) and --iou (default 0.45), 300 at most: what an application at those thresholds gets"),
    Metric("detections_per_frame_min", "count", "Ultralytics NMS at --conf / --iou", "fewest detections in a scored frame"),
    Metric("detections_per_frame_max", "count", "Ultralytics NMS at --conf / --iou", "most detections in a scored frame"),
    Metric("map50", "fraction 0-1", "Ultralytics validator metrics",
           "box mAP at IoU 0.5 of this run's own outputs (detect, segment, pose) on the still images that have YOLO "
           "labels (labels/<name>.txt beside images/, or <name>.txt beside each image), with Ultralytics' own "
           "validator pieces: its val post-processing (NMS at conf 0.001, IoU 0.7, 300 boxes, multi-label), box_iou, "
           "match_predictions and DetMetrics; a test checks it equals Ultralytics' validator on the same predictions; "
           "random-init weights score 0 (they find nothing)"),
    Metric("map50_95", "fraction 0-1", "Ultralytics validator metrics", "box mAP averaged over IoU 0.50:0.95, the same way"),
    Metric("mask_map50", "fraction 0-1", "Ultralytics SegmentMetrics", "segment: mask mAP at mask IoU 0.5 from YOLO "
           "polygon labels, with Ultralytics' SegmentationValidator (process_mask at prototype resolution, mask_iou, "
           "SegmentMetrics)"),
    Metric("mask_map50_95", "fraction 0-1", "Ultralytics SegmentMetrics", "segment: mask mAP over mask IoU 0.50:0.95, "
           "the same way"),
    Metric("pose_map50", "fraction 0-1", "Ultralytics PoseMetrics", "pose: keypoint mAP at OKS 0.5 from YOLO pose "
           "labels, with Ultralytics' PoseValidator (kpt_iou, COCO sigmas for 17 keypoints, PoseMetrics)"),
    Metric("pose_map50_95", "fraction 0-1", "Ultralytics PoseMetrics", "pose: keypoint mAP over OKS 0.50:0.95, the same way"),
    Metric("obb_map50", "fraction 0-1", "Ultralytics OBBMetrics", "obb: rotated-box mAP at probiou 0.5 from YOLO OBB "
           "labels (four normalized corners), with Ultralytics' OBBValidator (batch_probiou, OBBMetrics)"),
    Metric("obb_map50_95", "fraction 0-1", "Ultralytics OBBMetrics", "obb: rotated-box mAP over 0.50:0.95, the same way"),
    Metric("top1_acc", "fraction 0-1", "ImageFolder classes", "classify: share of the scored images of an ImageFolder "
           "tree whose top-1 class is the image's folder; class indices from the model's names when every folder is "
           "one of them, else the sorted folder names (the result says which)"),
    Metric("top5_acc", "fraction 0-1", "ImageFolder classes", "classify: share whose folder is among the top 5, the "
           "same way"),
    Metric("depth_abs_rel", "fraction", "--dense_gt maps", "depth: mean |pred - gt| / gt over valid pixels (gt 0, NaN "
           "or inf masked), per frame, averaged over frames"),
    Metric("depth_rmse", "m", "--dense_gt maps", "depth: root mean square error in metres over valid pixels, per frame, "
           "averaged over frames"),
    Metric("depth_delta1", "fraction 0-1", "--dense_gt maps", "depth: share of valid pixels with max(pred/gt, gt/pred) "
           "< 1.25, per frame, averaged over frames"),
]

MEMORY = [  # inside the run's Phase B process; the baseline is after device initialization, before the model loads
    Metric("baseline_rss_mb", "MiB", "/proc/self/status VmRSS",
           "process resident memory after imports and device initialization, before the model loads"),
    Metric("load_peak_rss_mb", "MiB", "/proc/self/status VmHWM", "largest resident memory from the baseline to the end "
           "of model load (VmHWM reset at the baseline)"),
    Metric("peak_rss_mb", "MiB", "/proc/self/status VmHWM",
           "largest resident memory of the Phase B process during the measured passes (VmHWM reset just before them "
           "through /proc/self/clear_refs; where the kernel refuses, it is the process-lifetime peak and the result's "
           "memory_notes.rss_peak_scope says so)"),
    Metric("checks_peak_rss_mb", "MiB", "/proc/self/status VmHWM",
           "largest resident memory during the checks after the measured passes (--e2e, fidelity, accuracy; VmHWM "
           "reset before them), never mixed into the measured passes' peaks"),
    Metric("checks_peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated",
           "largest torch allocation during the checks after the measured passes (CUDA only)"),
    Metric("peak_rss_delta_mb", "MiB", "VmHWM - VmRSS baseline", "peak_rss_mb minus baseline_rss_mb"),
    Metric("end_uss_mb", "MiB", "psutil memory_full_info().uss",
           "unique set size read once, right after the measured passes (not a peak): memory only this process holds "
           "(under --isolation fork, with the pages it shares only with the launcher, as a new interpreter would hold "
           "them: docs/isolation.md)"),
    Metric("baseline_torch_alloc_mb", "MiB", "torch.cuda.memory_allocated", "bytes held by live tensors at the baseline "
           "(CUDA only)"),
    Metric("baseline_torch_reserved_mb", "MiB", "torch.cuda.memory_reserved", "bytes the caching allocator had reserved "
           "at the baseline (CUDA only)"),
    Metric("load_peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated", "peak bytes of live tensors during "
           "model load (counters reset before it)"),
    Metric("load_peak_torch_reserved_mb", "MiB", "torch.cuda.max_memory_reserved", "peak caching-allocator reservation "
           "during model load (counters reset before it)"),
    Metric("peak_torch_alloc_mb", "MiB", "torch.cuda.max_memory_allocated",
           "peak bytes of live torch tensors during the measured passes (counters reset just before); misses the CUDA "
           "context, cuDNN/cuBLAS workspaces and any non-torch allocator (ONNX Runtime, TensorRT)"),
    Metric("peak_torch_reserved_mb", "MiB", "torch.cuda.max_memory_reserved",
           "peak bytes the torch caching allocator reserved from the driver during the measured passes"),
    Metric("peak_torch_alloc_delta_mb", "MiB", "torch allocator", "peak_torch_alloc_mb minus baseline_torch_alloc_mb"),
    Metric("peak_torch_reserved_delta_mb", "MiB", "torch allocator", "peak_torch_reserved_mb minus baseline_torch_reserved_mb"),
    Metric("baseline_process_gpu_mb", "MiB", "NVML nvmlDeviceGetComputeRunningProcesses, this pid",
           "GPU memory the driver has given this process at the baseline (the CUDA context is most of it); desktop "
           "GPUs only (NVML memory queries are unsupported on a Jetson)"),
    Metric("load_peak_process_gpu_mb", "MiB", "NVML nvmlDeviceGetComputeRunningProcesses, this pid (sampled)",
           "largest sample during model load"),
    Metric("peak_process_gpu_mb", "MiB", "NVML nvmlDeviceGetComputeRunningProcesses, this pid (sampled)",
           "largest sample during the measured passes: everything this process holds on the GPU (context, torch, "
           "cuDNN/cuBLAS workspaces, ONNX Runtime and TensorRT allocations); desktop GPUs only"),
    Metric("peak_process_gpu_delta_mb", "MiB", "NVML per-process", "peak_process_gpu_mb minus baseline_process_gpu_mb"),
    Metric("baseline_device_used_mb", "MiB", "NVML nvmlDeviceGetMemoryInfo().used (desktop), NvMapMemUsed in "
           "/proc/meminfo (Jetson)", "memory in use on the whole device (all processes) at the baseline"),
    Metric("load_peak_device_used_mb", "MiB", "NVML device used / NvMapMemUsed (sampled)", "largest sample during model load"),
    Metric("peak_device_used_mb", "MiB", "NVML device used / NvMapMemUsed (sampled)",
           "largest sample during the measured passes; system-wide, so other processes' memory is in it"),
    Metric("peak_device_used_delta_mb", "MiB", "NVML device used / NvMapMemUsed",
           "peak_device_used_mb minus baseline_device_used_mb: what this run added on the device"),
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
           "moment (a per-process GPU cap is only soft there); the parts are in the result's memory_budget.headroom; "
           "empty with the reason on a GPU with its own memory"),
]

TELEMETRY = [  # over the measured window, system-wide (metrics.jsonl every --metrics_interval)
    Metric("avg_power_w", "W", "telemetry power: NVML board power (desktop GPU); jtop's Power TOT, tegrastats' "
           "whole-board rail (VDD_IN) or the sum of its discovered rails (Jetson)",
           "average power over the measured window: the trapezoid integral of the power samples divided by the window"),
    Metric("energy_j", "J", "telemetry power", "trapezoid integral of the power samples over the measured window (its "
           "edges interpolated), not the tools' moving averages"),
    Metric("energy_j_per_img", "J/image", "telemetry power", "energy_j / images processed in the measured window"),
    Metric("img_per_s_per_w", "images/s/W", "telemetry power", "throughput_img_per_s / avg_power_w"),
    Metric("gpu_util_pct_mean", "%", "NVML / jtop / tegrastats", "mean GPU utilization over the measured window"),
    Metric("gpu_sm_clock_mhz_mean", "MHz", "NVML", "mean SM clock over the measured window"),
    Metric("temp_gpu_c_max", "C", "NVML / jtop / tegrastats", "highest GPU temperature over the measured window (a "
           "-256 C reading, jtop's and tegrastats' offline sensor, is left out)"),
    Metric("cpu_util_pct_mean", "%", "psutil", "mean CPU utilization (all cores) over the measured window"),
    Metric("host_interference_pct", "%", "psutil system and process CPU times",
           "the worst 0.5 s slice of the measured window: CPU seconds that other processes took (the host's busy time "
           "minus this process tree's) plus steal time, over the slice x the host's logical cores; above "
           "--max_host_interference_pct (default 10) the run is not valid (docs/validation.md)"),
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
]

VIDEO = [  # vos (SAM 2 / SAM 2.1 / EdgeTAM): one pass is one frame; latency_ms_* are the frames without a prompt
    Metric("fps", "frames/s", "host clock", "vos: frames processed per second of their own latencies: frames / sum of "
           "the host latencies of every measured frame (prompt frames included), over every measured video"),
    *_latency_family("prompt_latency_ms", _PROMPT_FRAME),
    Metric("prompt_latency_cv_pct", "%", "host clock", "vos: coefficient of variation of the prompt-frame latency"),
    Metric("frames_n", "frames", "host clock", "vos: frames measured over every video (from each video's first prompt "
           "frame to its end)"),
    Metric("videos_n", "videos", "metadata.json", "vos: annotated videos with a prompted object in the data"),
    Metric("videos_measured_n", "videos", "Phase B", "vos: videos measured to the end (not skipped_oom or failed)"),
    Metric("videos_skipped_oom_n", "videos", "Phase B", "vos: videos that ran out of memory (recorded, and the run went "
           "on with the next)"),
    Metric("objects_per_video_mean", "objects", "metadata.json", "vos: mean number of prompted objects per video"),
    Metric("start_memory_drift_mb", "MiB", "torch.cuda.memory_allocated / VmRSS",
           "vos: memory at the start of the last video minus at the start of the first, each read after the cleanup "
           "between videos (torch allocator on CUDA, RSS on the CPU): 0 when the cleanup returns to the baseline"),
    Metric("memory_slope_mb_per_frame", "MiB/frame",
           "torch.cuda.memory_allocated / VmRSS after a malloc_trim, after each frame",
           "vos: least-squares slope of the per-frame memory figure (torch allocator on CUDA, RSS on the CPU) over the "
           "second half of a video's frames, the largest over the run's videos: about 0 when the frame window bounds "
           "the session (--max_frames_in_mem auto), positive when it keeps every frame (all)"),
    Metric("encoder_ms_mean", "ms", "host clock", "vos: mean host time of the image encoder per frame (torch: forward "
           "hooks around model.vision_encoder; onnxruntime: the session's run and the copies in and out), a "
           "synchronize on each side on a GPU"),
    Metric("encoder_share_pct", "%", "host clock", "vos: the image encoder's time as a share of the frames' latency: "
           "sum of encoder_ms / sum of the frames' host latency x 100, over every measured frame"),
    Metric("encoder_mask_iou_mean", "fraction 0-1", "masks of the same frames with the torch encoder",
           "vos, exported image encoder: each object's mask IoU between this run's masks and the model's own torch "
           "encoder's (same weights, precision, prompts), averaged over the objects of a frame, then over the first "
           "64 processed frames of the first video (harness/video/encoder_check.py)"),
    Metric("encoder_mask_iou_min", "fraction 0-1", "masks of the same frames with the torch encoder",
           "vos, exported image encoder: the lowest mask IoU of any object on any compared frame"),
    Metric("encoder_check_frames_n", "frames", "count", "vos, exported image encoder: frames compared with the torch "
           "encoder's masks"),
    Metric("j_and_f", "fraction 0-1", "annotations (DAVIS / SA-V conventions)",
           "vos: (J + F) / 2 per object, averaged over every object of the split (DAVIS 2017's J&F-Mean)"),
    Metric("j_mean", "fraction 0-1", "annotations", "vos: region similarity (mask IoU) per object over its scored "
           "frames (SA-V's sav_benchmark.py selection, docs/video_segmentation.md), averaged over objects"),
    Metric("f_mean", "fraction 0-1", "annotations", "vos: boundary F-measure (DAVIS seg2bmap boundaries, matched within "
           "scikit-image's disk of radius ceil(0.008 x image diagonal), 8 px at 854 x 480) per object over its scored "
           "frames, averaged over objects"),
]

TRTEXEC = [  # --trtexec_check: trtexec on the run's own engine, in its own process after the run (harness/parent/trtexec_check.py)
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

_INT8_SOURCE = "summary: the int8 result and its fp32 partner (harness/report/int8_deltas.py)"
# Columns the summary CSV derives for each ok int8 row from the ok fp32 row of the same device profile, model,
# backend, mode, imgsz and batch in the same results (empty without one): not in any one result's metrics.
INT8_AGAINST_FP32 = [
    Metric("int8_accuracy_figure", "name", _INT8_SOURCE, "the figure the int8 accuracy drop is judged on: the first "
           "of map50_95, obb_map50_95, top1_acc that the int8 row has"),
    Metric("int8_accuracy_drop", "fraction 0-1", _INT8_SOURCE, "fp32's value of int8_accuracy_figure minus int8's, "
           "absolute (positive = int8 is worse); empty when the fp32 row lacks the figure"),
    Metric("int8_accuracy_flag", "bool", _INT8_SOURCE, "int8_accuracy_drop > int8_max_accuracy_drop (the tables mark "
           "the drop OVER); empty without a limit"),
    Metric("int8_fidelity_figure", "name", _INT8_SOURCE, "the fidelity figure whose change is shown: the first of "
           "fidelity_box_match_pct, fidelity_top1_agree_pct, fidelity_cos_sim_min that the int8 row has"),
    Metric("int8_fidelity_delta", "that figure's: % or 1", _INT8_SOURCE, "int8's value of int8_fidelity_figure minus "
           "fp32's, both against the same FP32 reference; empty when the fp32 row lacks the figure"),
    Metric("int8_speedup", "ratio", _INT8_SOURCE, "fp32's latency_ms_p50 / int8's (above 1: int8 is faster)"),
    Metric("int8_max_accuracy_drop", "fraction 0-1", "the int8 result's calibration.max_accuracy_drop",
           "the limit int8_accuracy_flag judges by: --int8_max_map_drop when the int8 run was planned; it travels with "
           "the result, so a report from the files alone judges the same way"),
]

# Figures a video model's run does not produce, with the reason (a vos result carries these in "unavailable").
VOS_UNAVAILABLE = {
    "throughput_img_per_s": "a video run's rate is fps (frames per second over its videos)",
    "gpu_compute_ms_p50": "video runs time each frame on the host clock with a synchronize; CUDA-event GPU compute is "
                          "not measured for them",
    "fidelity_max_abs_err": "a video model's masks depend on its memory bank: compare the J&F of the fp32 and "
                            "reduced-precision runs",
}

# The headings of docs/metric_reference.md, each with its figures. A result's metrics are every section but the
# last; their order is the summary CSV's column order.
RESULT_SECTIONS = {
    "Latency and throughput": LATENCY,
    "End to end": E2E,
    "Fidelity": FIDELITY,
    "Accuracy": ACCURACY,
    "Memory": MEMORY,
    "Telemetry and energy": TELEMETRY,
    "Video object segmentation": VIDEO,
    "Beside trtexec": TRTEXEC,
}
SECTIONS = {**RESULT_SECTIONS, "INT8 against fp32": INT8_AGAINST_FP32}

METRICS = [m for figures in RESULT_SECTIONS.values() for m in figures]
BY_NAME = {m.name: m for figures in SECTIONS.values() for m in figures}


def metric_names() -> list:
    """The names of a result's metrics, in the summary CSV's column order."""
    return [m.name for m in METRICS]
