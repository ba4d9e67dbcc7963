"""The command line's flags in sections, for ``--help`` and for the resolved ``config.yaml``: each flag of
harness.settings.options.FLAG_TABLE is in exactly one section (tests/test_config_file.py keeps them in step)."""

from __future__ import annotations

FLAG_SECTIONS = {
    "input": ("source", "split_dir", "limit_videos", "max_frames"),
    "models": ("models", "weights_dir", "task", "input_norm", "color", "layout", "resize", "output_format",
               "trust_pickle", "conf", "iou"),
    "matrix": ("imgsz", "batch", "backend", "precision", "device", "threads", "streams", "pipeline", "arrival_fps",
               "arrival", "cuda_graph", "channels_last", "e2e", "dla_core"),
    "measurement": ("warmup", "iters", "min_duration_s", "isolation", "repeats", "max_frames_in_mem"),
    "backends and engines": ("compile_cache", "workspace_mb", "engine_batch", "builder_opt_level", "sparsity",
                             "timing_cache", "trtexec_check", "layer_profile"),
    "int8": ("int8_calibration", "int8_max_map_drop", "calib_images", "calib_batch", "int8_random_calibration"),
    "accuracy and fidelity": ("fidelity_frames", "accuracy_images", "dense_gt", "depth_scale", "depth_median_scaling",
                              "accuracy_hook"),
    "validity": ("require_max_clocks", "require_power_mode", "max_cv_pct", "max_host_interference_pct", "fail_on"),
    "training": ("train", "train_approach", "train_data", "epochs", "train_imgsz", "train_batch", "train_device",
                 "train_timeout_s"),
    "video": ("prompt", "prompt_points", "save_masks"),
    "memory": ("profile", "gpu_mem_limit_gb", "enable_cudnn_tuning", "probe_batch", "memory_sample_ms",
               "metrics_interval"),
    "fleet": ("cluster", "devices", "fleet_dir"),
    "output and timeouts": ("config", "out_dir", "preprocessed_dir", "skip_setup", "skip_inference", "force",
                            "verbose", "setup_timeout_s", "run_timeout_s", "probe_timeout_s", "build_timeout_s"),
}


def section_of(flag: str) -> str:
    for section, flags in FLAG_SECTIONS.items():
        if flag in flags:
            return section
    return "other"
