from harness.phase_a.run_planner import plan_runs

CPU = {"resolved": "cpu", "cuda": False, "onnxruntime_cuda": False}
GPU_NO_ORT_CUDA = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
MODEL = {"name": "m", "artifacts": {"torch": "/m.pt", "onnxruntime": {"64/fp32": "/m64.onnx", "64/fp16": "/m64h.onnx"}}}


def by_id(planned):
    return {p.spec.run_id: p for p in planned}


def test_cpu_skips_fp16_and_keeps_artifacts():
    runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["fp32", "fp16"], [64], [1], CPU))
    assert runs["m__torch__fp32__img64__b1"].artifact == "/m.pt"
    assert runs["m__torch__fp32__img64__b1"].skip_status is None
    assert runs["m__onnxruntime__fp32__img64__b1"].artifact == "/m64.onnx"
    for run_id in ("m__torch__fp16__img64__b1", "m__onnxruntime__fp16__img64__b1"):
        assert runs[run_id].skip_status == "skipped" and "CUDA" in runs[run_id].skip_reason


def test_gpu_without_ort_cuda_skips_only_ort_fp16():
    runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["fp16"], [64], [1], GPU_NO_ORT_CUDA))
    assert runs["m__torch__fp16__img64__b1"].skip_status is None
    assert "execution provider" in runs["m__onnxruntime__fp16__img64__b1"].skip_reason


def test_missing_artifacts_are_named():
    onnx_only = {"name": "o", "artifacts": {"onnxruntime": {"any/fp32": "/o.onnx"}}, "detected": {"fixed_batch": 1},
                 "size_problems": {"128": "the model has a fixed input of 64x64; this run asks for 128x128"}}
    runs = by_id(plan_runs([onnx_only], ["torch", "onnxruntime"], ["fp32"], [64, 128], [1, 2], CPU))
    assert "no PyTorch artifact" in runs["o__torch__fp32__img64__b1"].skip_reason
    assert runs["o__onnxruntime__fp32__img64__b1"].skip_status is None
    assert "fixed batch of 1" in runs["o__onnxruntime__fp32__img64__b2"].skip_reason
    assert "fixed input of 64x64" in runs["o__onnxruntime__fp32__img128__b1"].skip_reason


def test_refused_models_and_unfilled_inputs_skip_every_run_with_the_reason():
    refused = {"name": "r", "refused": "r.pt: a state_dict (weights without the architecture), not a model"}
    two_inputs = {"name": "t", "artifacts": {"onnxruntime": {"any/fp32": "/t.onnx"}}, "unfilled_inputs": ["scale"]}
    runs = by_id(plan_runs([refused, two_inputs], ["onnxruntime"], ["fp32"], [64], [1], CPU))
    assert runs["r__onnxruntime__fp32__img64__b1"].skip_reason.startswith("r.pt: a state_dict")
    assert "scale cannot be filled" in runs["t__onnxruntime__fp32__img64__b1"].skip_reason
    assert "t.model.json" in runs["t__onnxruntime__fp32__img64__b1"].skip_reason


def test_per_model_sizes_and_input_spec_travel_with_the_run():
    spec = {"height": 48, "width": 320, "frames_key": "48x320-stretch", "size": "48x320"}
    model = {"name": "ocr", "artifacts": {"onnxruntime": {"any/fp32": "/ocr.onnx"}}, "sizes": ["48x320"],
             "inputs": {"48x320": spec}, "task": "generic", "task_settings": {"task": "generic"}}
    runs = by_id(plan_runs([model], ["onnxruntime"], ["fp32"], [640], [1], CPU))
    assert list(runs) == ["ocr__onnxruntime__fp32__img48x320__b1"]
    run = runs["ocr__onnxruntime__fp32__img48x320__b1"]
    assert run.skip_status is None and run.input == spec and run.task_settings["task"] == "generic"


def test_profile_rules_and_probe_verdicts_become_skipped_oom():
    from harness.hardware.device_profiles import load_profile

    gpu = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
    large = {"name": "yolo11l", "artifacts": {"torch": "/l.pt"}}
    small = {"name": "yolo11s", "artifacts": {"torch": "/s.pt"}}
    probes = {"yolo11s/torch/fp16/640": {"largest_fit": 24, "first_oom": 25, "budget_mb": 8192.0,
                                         "attempts": [{"batch": 25, "outcome": "oom", "pid": 4242, "detail": "OutOfMemoryError"}]}}
    cudnn = {"yolo11s/torch/fp16/640": {"value": True}}
    runs = by_id(plan_runs([large, small], ["torch"], ["fp16"], [640], [8, 16, 32], gpu,
                           load_profile("orin-nano-8gb"), probes, cudnn))
    assert runs["yolo11l__torch__fp16__img640__b8"].skip_status is None
    rule_skip = runs["yolo11l__torch__fp16__img640__b16"]
    assert rule_skip.skip_status == "skipped_oom" and "profile orin-nano-8gb rule" in rule_skip.skip_reason
    assert rule_skip.evidence["profile_rule"]["batch_min"] == 16
    assert runs["yolo11s__torch__fp16__img640__b16"].skip_status is None
    assert runs["yolo11s__torch__fp16__img640__b16"].cudnn_benchmark is True
    probe_skip = runs["yolo11s__torch__fp16__img640__b32"]
    assert probe_skip.skip_status == "skipped_oom"
    assert "largest batch that fit under the 8192 MiB budget is 24" in probe_skip.skip_reason
    assert "pid 4242" in probe_skip.skip_reason


def test_unknown_batches_beyond_a_clean_probe_still_run():
    gpu = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
    probes = {"m/torch/fp32/64": {"largest_fit": 8, "first_oom": None, "attempts": []}}
    runs = by_id(plan_runs([{"name": "m", "artifacts": {"torch": "/m.pt"}}], ["torch"], ["fp32"], [64], [16], gpu,
                           None, probes))
    assert runs["m__torch__fp32__img64__b16"].skip_status is None


def test_cudnn_tuning_without_cuda_or_flag():
    from harness.phase_a.auto_tuning import batch_probe_wanted, tune_cudnn

    assert tune_cudnn(False, [], {"device": {"cuda": True}}, {})["evidence"].startswith("--enable_cudnn_tuning not given")
    assert "no CUDA device" in tune_cudnn(True, [], {"device": {"cuda": False}}, {})["evidence"]
    constrained = {"budget_constrained": True, "budget_mb": 8192.0, "budget_source": "profile orin-nano-8gb"}
    assert batch_probe_wanted("auto", constrained, {"cuda": True}, [1, 16])[0] is True
    assert batch_probe_wanted("auto", constrained, {"cuda": True}, [1])[0] is False
    assert batch_probe_wanted("auto", constrained, {"cuda": False}, [1, 16])[0] is False
    assert batch_probe_wanted("auto", {"budget_constrained": False}, {"cuda": True}, [1, 16])[0] is False
    assert batch_probe_wanted("on", {}, {"cuda": False}, [1])[0] is True
    assert batch_probe_wanted("off", constrained, {"cuda": True}, [1, 16])[0] is False


def test_skipped_oom_runs_name_their_evidence():
    from harness.hardware.device_profiles import load_profile

    gpu = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False}
    large = {"name": "yolo11l", "artifacts": {"torch": "/l.pt"}}
    small = {"name": "yolo11s", "artifacts": {"torch": "/s.pt"}}
    probes = {"yolo11s/torch/fp16/640": {"largest_fit": 8, "first_oom": 16, "budget_mb": 8192.0, "attempts": []}}
    runs = by_id(plan_runs([large, small], ["torch"], ["fp16"], [640], [16], gpu, load_profile("orin-nano-8gb"), probes))
    assert runs["yolo11l__torch__fp16__img640__b16"].oom_evidence == "rule"
    assert runs["yolo11s__torch__fp16__img640__b16"].oom_evidence == "probe"


def test_profile_rules_apply_only_on_the_device_they_were_written_for():
    from harness.hardware.device_profiles import read_platform_facts
    from harness.phase_a.memory_setup import memory_setup, rules_profile
    from conftest import REPO

    boards = REPO / "tests" / "data" / "platforms"
    gpu = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False, "total_memory_mb": 143000.0}
    emulated = memory_setup("orin-nano-8gb", None, gpu, read_platform_facts(boards / "desktop"))
    on_cpu = memory_setup("orin-nano-8gb", None, CPU, read_platform_facts(boards / "desktop"))
    on_board = memory_setup("orin-nano-8gb", None, gpu, read_platform_facts(boards / "orin_nano_super_jp6"))
    assert rules_profile(emulated) is None and rules_profile(on_cpu) is None
    assert rules_profile(on_board)["name"] == "orin-nano-8gb"
    large = {"name": "yolo11l", "artifacts": {"torch": "/l.pt"}}
    runs = by_id(plan_runs([large], ["torch"], ["fp16"], [640], [16], gpu, rules_profile(emulated)))
    assert runs["yolo11l__torch__fp16__img640__b16"].skip_status is None  # measured under the budget instead
    assert emulated["budget_mb"] == 8192.0


def test_a_profile_rule_compares_the_longer_side_of_a_rectangular_size():
    from harness.hardware.device_profiles import load_profile, matching_skip_rule

    profile = load_profile("orin-nano-8gb")
    assert matching_skip_rule(profile, "yolo11m", "736x1280", 16) is not None
    assert matching_skip_rule(profile, "yolo11m", "480x640", 16) is None


def test_tf32_and_pipelining_need_a_gpu_and_say_why():
    runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["tf32"], [64], [1], CPU))
    for run_id in ("m__torch__tf32__img64__b1", "m__onnxruntime__tf32__img64__b1"):
        assert runs[run_id].skip_status == "skipped" and "strict fp32" in runs[run_id].skip_reason
    gpu_runs = by_id(plan_runs([MODEL], ["torch", "onnxruntime"], ["tf32"], [64], [1], GPU_NO_ORT_CUDA))
    assert gpu_runs["m__torch__tf32__img64__b1"].skip_status is None
    assert gpu_runs["m__torch__tf32__img64__b1"].artifact == "/m.pt"
    assert "CPU" in gpu_runs["m__onnxruntime__tf32__img64__b1"].skip_reason  # a CPU-only onnxruntime
    ort_gpu = {**GPU_NO_ORT_CUDA, "onnxruntime_cuda": True}
    tf32_onnx = by_id(plan_runs([MODEL], ["onnxruntime"], ["tf32"], [64], [1], ort_gpu))["m__onnxruntime__tf32__img64__b1"]
    assert tf32_onnx.skip_status is None and tf32_onnx.artifact == "/m64.onnx"  # the fp32 model, TF32 math
    piped = by_id(plan_runs([MODEL], ["torch"], ["fp32"], [64], [1], CPU, modes={"pipeline_list": [1, 2]}))
    assert piped["m__torch__fp32__img64__b1"].skip_status is None
    assert "on the CPU the host does both" in piped["m__torch__fp32__img64__b1__pipeline2"].skip_reason
    on_gpu = by_id(plan_runs([MODEL], ["torch"], ["fp32"], [64], [1], GPU_NO_ORT_CUDA,
                             modes={"pipeline_list": [2], "arrival_fps_list": [30.0]}))
    assert "separate measurements" in on_gpu["m__torch__fp32__img64__b1__pipeline2__fps30"].skip_reason


def test_static_tensorrt_engines_are_not_probed_and_say_why():
    from harness.phase_a.auto_tuning import STATIC_ENGINE_NOT_PROBED, unprobeable
    from harness.records.planned_run import PlannedRun, RunSpec

    run = PlannedRun(RunSpec("m", "tensorrt", "fp16", 64, 1))
    assert unprobeable(run, {"engine_batch": "static"}) == STATIC_ENGINE_NOT_PROBED
    assert unprobeable(run, {"engine_batch": "dynamic"}) is None
    assert unprobeable(PlannedRun(RunSpec("m", "torch", "fp16", 64, 1)), {"engine_batch": "static"}) is None
