"""--dla_core: the flag, the boards' DLA cores in their profiles, the matrix it multiplies (tensorrt only), the runs it
skips and why, the engines Phase A builds per core, the runner's core selection and the layer counts in the result."""

from types import SimpleNamespace

import pytest

from conftest import REPO
from harness.cli import build_parser
from harness.hardware.device_profiles import builtin_profiles, detect_profile, read_platform_facts
from harness.hardware.dla_cores import dla_capacity, dla_problem, parse_dla_cores
from harness.engines.trtexec_command import pass_commands
from harness.errors import UserError
from harness.settings.matrix import expand_matrix
from harness.settings.options import resolve
from harness.phase_a.run_planner import engine_key, plan_runs
from harness.phase_b.run_summary import layer_placement_figures
from runners.base import BackendUnavailable
from runners.tensorrt_runner import layer_placement, select_dla_core

GPU = {"resolved": "cuda:0", "cuda": True, "onnxruntime_cuda": False, "name": "Orin"}
AGX = {"profile": "agx-orin-64gb", "cores": 2, "on_board": True, "gpu": "Orin"}
NANO = {"profile": "orin-nano-8gb", "cores": 0, "on_board": True, "gpu": "Orin"}
ENGINES = {"64/fp16/b1": "/e_gpu.engine", "64/fp16/b1/dla0": "/e_dla0.engine", "64/fp16/b1/dla1": "/e_dla1.engine",
           "64/fp32/b1": "/e32.engine"}
MODEL = {"name": "m", "artifacts": {"torch": "/m.pt", "onnxruntime": {"64/fp32": "/m.onnx"}, "tensorrt": ENGINES},
         "tensorrt_status": {key: {"status": "built", "reason": "built"} for key in ENGINES}}


def parsed(*argv):
    return resolve(build_parser().parse_args(list(argv)))


def test_the_flag_takes_cores_and_gpu_in_order_without_repeats():
    assert parsed().dla_core == [None]
    assert parsed("--dla_core", "0,1").dla_core == [0, 1]
    assert parsed("--dla_core", "GPU, 1, 0, 1").dla_core == [None, 1, 0]
    for bad in ("x", "0,-1", "1.5", ","):
        with pytest.raises(UserError, match="--dla_core"):
            parse_dla_cores(bad)


def test_every_profile_says_how_many_dla_cores_its_board_has():
    cores = {name: profile["dla_cores"] for name, profile in builtin_profiles().items()}
    assert cores == {"agx-orin-32gb": 2, "agx-orin-64gb": 2, "orin-nx-16gb": 2, "orin-nx-8gb": 1, "orin-nano-8gb": 0,
                     "desktop-gpu": 0, "cpu": 0}


def test_an_orin_nx_8gb_is_detected_as_the_board_with_one_dla_core(tmp_path):
    (tmp_path / "proc" / "device-tree").mkdir(parents=True)
    (tmp_path / "proc" / "device-tree" / "model").write_text("NVIDIA Jetson Orin NX Engineering Reference Developer Kit\x00")
    (tmp_path / "proc" / "meminfo").write_text("MemTotal:        7620592 kB\n")
    profile, _ = detect_profile(read_platform_facts(tmp_path), True)
    assert profile["name"] == "orin-nx-8gb" and profile["dla_cores"] == 1
    recorded, _ = detect_profile(read_platform_facts(REPO / "tests" / "data" / "platforms" / "orin_nx_16"), True)
    assert recorded["name"] == "orin-nx-16gb"


@pytest.mark.parametrize("precision,core,capacity,reason", [
    ("fp16", None, NANO, None),                                    # the GPU alone: nothing to check
    ("fp16", 0, AGX, None),
    ("int8", 1, AGX, None),
    ("fp16", 0, NANO, "orin-nano-8gb has no DLA"),
    ("fp16", 2, AGX, "agx-orin-64gb has 2 DLA cores (0..1); this run asks for DLA core 2"),
    ("fp16", 1, {**AGX, "profile": "orin-nx-8gb", "cores": 1}, "orin-nx-8gb has 1 DLA core (0..0); this run asks for DLA core 1"),
    ("fp32", 0, AGX, "DLA runs fp16 or int8 only: a fp32 engine for DLA core 0 is not built"),
    ("tf32", 0, AGX, "DLA runs fp16 or int8 only"),
    ("fp16", 0, {**AGX, "on_board": False, "gpu": "NVIDIA H200"}, "profile agx-orin-64gb is emulated on NVIDIA H200"),
    ("fp16", 0, {**AGX, "profile": "my-board", "cores": None}, "profile my-board does not say how many DLA cores"),
])
def test_why_a_run_cannot_go_to_a_dla_core(precision, core, capacity, reason):
    problem = dla_problem(precision, core, capacity)
    assert (problem is None) if reason is None else problem.startswith(reason), problem


def test_the_capacity_comes_from_the_profile_in_force_and_whether_this_is_the_board():
    from harness.hardware.device_profiles import load_profile

    memory = {"profile": load_profile("agx-orin-32gb"), "profile_name": "agx-orin-32gb", "jetson": False}
    assert dla_capacity(memory, {"name": "NVIDIA H200", "resolved": "cuda:0"}) == {
        "profile": "agx-orin-32gb", "cores": 2, "on_board": False, "gpu": "NVIDIA H200"}
    custom = {"profile": {"name": "mine", "memory_budget_gb": 4}, "profile_name": "mine", "jetson": True}
    assert dla_capacity(custom, {"resolved": "cuda:0"})["cores"] is None


def test_the_dimension_multiplies_tensorrt_runs_only():
    specs = expand_matrix(["m"], ["tensorrt", "onnxruntime"], ["fp16"], [64], [1], {"dla_core_list": [None, 0, 1]})
    assert [s.run_id for s in specs] == ["m__tensorrt__fp16__img64__b1", "m__tensorrt__fp16__img64__b1__dla0",
                                         "m__tensorrt__fp16__img64__b1__dla1", "m__onnxruntime__fp16__img64__b1"]
    graph = expand_matrix(["m"], ["tensorrt"], ["fp16"], [64], [1], {"dla_core_list": [0], "cuda_graph": True})
    assert graph[0].run_id == "m__tensorrt__fp16__img64__b1__dla0+cudagraph" and graph[0].modes.dla_core == 0


def test_engine_keys_keep_the_dla_core_apart():
    assert engine_key(640, "fp16", 8) == "640/fp16/b8"
    assert engine_key(640, "fp16", 8, "static", 0) == "640/fp16/b8/dla0"
    assert engine_key(640, "int8", 8, "dynamic", 1) == "640/int8/dynamic/dla1"


def plan(capacity, precisions=("fp16",), cores=(None, 0, 1)):
    modes = {"dla_core_list": list(cores), "dla_capacity": capacity}
    return {p.spec.run_id: p for p in plan_runs([MODEL], ["tensorrt", "torch"], list(precisions), [64], [1], GPU,
                                                modes=modes)}


def test_on_an_agx_orin_each_core_runs_its_own_engine_with_its_core_given_to_the_runner():
    runs = plan(AGX)
    assert runs["m__tensorrt__fp16__img64__b1"].artifact == "/e_gpu.engine"
    assert "dla_core" not in runs["m__tensorrt__fp16__img64__b1"].runner_options
    for core in (0, 1):
        run = runs[f"m__tensorrt__fp16__img64__b1__dla{core}"]
        assert run.skip_status is None and run.artifact == f"/e_dla{core}.engine"
        assert run.runner_options["dla_core"] == core
    assert [r for r in runs if r.startswith("m__torch")] == ["m__torch__fp16__img64__b1"]  # torch: not multiplied


def test_on_an_orin_nano_the_dla_runs_are_skipped_with_the_reason_and_the_gpu_run_stays():
    runs = plan(NANO)
    assert runs["m__tensorrt__fp16__img64__b1"].skip_status is None
    for core in (0, 1):
        run = runs[f"m__tensorrt__fp16__img64__b1__dla{core}"]
        assert (run.skip_status, run.skip_reason, run.artifact) == ("skipped", "orin-nano-8gb has no DLA", None)


def test_an_fp32_dla_run_is_skipped_and_its_gpu_run_is_not():
    runs = plan(AGX, precisions=("fp32",), cores=(None, 0))
    assert runs["m__tensorrt__fp32__img64__b1"].skip_status is None
    assert runs["m__tensorrt__fp32__img64__b1__dla0"].skip_reason.startswith("DLA runs fp16 or int8 only")


class _Opts(SimpleNamespace):
    pass


def _prepare(tmp_path, monkeypatch, profile_name: str, jetson: bool, cores=(None, 0)):
    from harness.hardware.device_profiles import load_profile
    from harness.engines import engine_builds
    from harness.phase_a.engine_preparation import prepare_engines

    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx")
    calls = []

    def fake_build(onnx_path, engine, precision, imgsz, spec, *args, **kwargs):
        calls.append({"engine": engine, "dla_core": kwargs.get("dla_core"), "precision": precision})
        return {"status": "built", "reason": "built", "engine_path": str(engine), "build_s": 1.0}

    monkeypatch.setattr(engine_builds, "build_engine", fake_build)
    model = {"name": "m", "artifacts": {"onnxruntime": {"64/fp32": str(onnx)}}, "prepare_s": {}}
    opts = _Opts(batch=[1], engine_batch="static", imgsz=[64], precision=["fp16", "fp32"], dla_core=list(cores),
                 workspace_mb=256, timing_cache="on", build_timeout_s=60, force=False, builder_opt_level=None,
                 sparsity=False)
    memory = {"profile": load_profile(profile_name), "profile_name": profile_name, "jetson": jetson, "budget_mb": 8192}
    prepare_engines(model, {}, ["tensorrt"], opts, GPU, memory, [], tmp_path, "fp")
    return model, calls


def test_phase_a_builds_one_engine_per_dla_core_in_a_file_of_its_own(tmp_path, monkeypatch):
    model, calls = _prepare(tmp_path, monkeypatch, "agx-orin-64gb", jetson=True)
    built = {(c["precision"], c["dla_core"]): c["engine"].name for c in calls}
    assert built == {("fp16", None): "m_img64_fp16_b1.engine", ("fp16", 0): "m_img64_fp16_b1_dla0.engine",
                     ("fp32", None): "m_img64_fp32_b1.engine"}  # no fp32 engine for the DLA
    assert model["tensorrt_status"]["64/fp32/b1/dla0"]["status"] == "skipped"
    assert set(model["artifacts"]["tensorrt"]) == {"64/fp16/b1", "64/fp16/b1/dla0", "64/fp32/b1"}


def test_phase_a_builds_nothing_for_a_dla_core_the_board_lacks(tmp_path, monkeypatch):
    model, calls = _prepare(tmp_path, monkeypatch, "orin-nano-8gb", jetson=True)
    assert all(c["dla_core"] is None for c in calls) and len(calls) == 2
    assert model["tensorrt_status"]["64/fp16/b1/dla0"] == {"status": "skipped", "reason": "orin-nano-8gb has no DLA"}


def test_the_runner_puts_the_engine_on_the_core_it_was_built_for():
    runtime = SimpleNamespace(num_DLA_cores=2, DLA_core=-1)
    select_dla_core(runtime, None)
    assert runtime.DLA_core == -1  # a GPU engine leaves the runtime alone
    select_dla_core(runtime, 1)
    assert runtime.DLA_core == 1
    with pytest.raises(BackendUnavailable, match="DLA core 2 was asked for; TensorRT reports 2 DLA cores"):
        select_dla_core(runtime, 2)
    with pytest.raises(BackendUnavailable, match="reports no DLA"):
        select_dla_core(SimpleNamespace(num_DLA_cores=0), 0)


def test_the_runner_counts_layers_from_the_engine_inspector_and_says_why_when_it_cannot():
    text = (REPO / "tests" / "data" / "trt_layer_info" / "trt10_dla_detailed.json").read_text()
    trt = SimpleNamespace(LayerInformationFormat=SimpleNamespace(JSON="JSON"))
    engine = SimpleNamespace(create_engine_inspector=lambda: SimpleNamespace(get_engine_information=lambda fmt: text))
    counts = layer_placement(trt, engine, built_for_dla=True)
    assert (counts["dla_layers_n"], counts["gpu_layers_n"], counts["dla_transfer_layers_n"]) == (2, 2, 6)
    broken = SimpleNamespace(create_engine_inspector=lambda: SimpleNamespace(get_engine_information=lambda fmt: "{"))
    assert layer_placement(trt, broken, True)["unavailable"].startswith("the engine inspector gave no layer information")


def test_the_result_has_the_counts_as_figures_or_the_reason_they_are_empty():
    runner = SimpleNamespace(layer_placement={"dla_layers_n": 2, "gpu_layers_n": 3, "dla_transfer_layers_n": 4})
    assert layer_placement_figures(runner) == ({"dla_layers_n": 2, "gpu_layers_n": 3}, {})
    figures, why = layer_placement_figures(SimpleNamespace())
    assert figures == {"dla_layers_n": None, "gpu_layers_n": None} and "only TensorRT engines" in why["dla_layers_n"]
    figures, why = layer_placement_figures(SimpleNamespace(layer_placement={"unavailable": "no inspector"}))
    assert figures["gpu_layers_n"] is None and why["gpu_layers_n"] == "no inspector"


def test_trtexec_loads_a_dla_engine_onto_the_same_core(tmp_path):
    dla = pass_commands("trtexec", "e.engine", "images", 1, 64, 64, False, 3.0, False, tmp_path, dla_core=1)
    assert all("--useDLACore=1" in argv for argv in dla.values())
    gpu = pass_commands("trtexec", "e.engine", "images", 1, 64, 64, False, 3.0, False, tmp_path)
    assert not any(arg.startswith("--useDLACore") for argv in gpu.values() for arg in argv)


def test_a_gpu_run_stores_its_modes_as_before_so_earlier_results_keep_their_identity():
    from harness.records.planned_run import RunModes, RunSpec

    gpu = RunSpec("m", "tensorrt", "fp16", 64, 1, RunModes()).to_dict()
    assert "dla_core" not in gpu["modes"] and RunSpec.from_dict(gpu).modes.dla_core is None
    dla = RunSpec("m", "tensorrt", "fp16", 64, 1, RunModes(dla_core=1)).to_dict()
    assert dla["modes"]["dla_core"] == 1 and RunSpec.from_dict(dla).run_id == "m__tensorrt__fp16__img64__b1__dla1"
