from harness.records.planned_run import PlannedRun, RunSpec
from harness.settings.matrix import expand_matrix, group_runs
from harness.files.unique_names import safe_name


def test_cross_product_order_and_size():
    specs = expand_matrix(["a", "b"], ["torch", "onnxruntime"], ["fp32"], [320, 640], [1, 8])
    assert len(specs) == 2 * 2 * 1 * 2 * 2
    assert specs[0] == RunSpec("a", "torch", "fp32", 320, 1)
    assert specs[1] == RunSpec("a", "torch", "fp32", 320, 8)
    assert specs[-1] == RunSpec("b", "onnxruntime", "fp32", 640, 8)


def test_duplicates_collapse():
    specs = expand_matrix(["a", "a"], ["torch"], ["fp32"], [640, 640], [1])
    assert [s.run_id for s in specs] == ["a__torch__fp32__img640__b1"]


def test_run_id_is_file_safe():
    assert RunSpec("my model/v2", "torch", "fp16", 320, 4).run_id == "my-model-v2__torch__fp16__img320__b4"
    assert safe_name("../..") == "model"


def test_planned_run_round_trip():
    run = PlannedRun(RunSpec("m", "torch", "fp32", 64, 2), artifact="/x.pt", skip_status="skipped", skip_reason="r")
    again = PlannedRun.from_dict(run.to_dict())
    assert again.spec == run.spec and again.artifact == "/x.pt" and again.skip_reason == "r"


def test_isolation_grouping():
    assert group_runs(["a", "b", "c"], "run") == [["a"], ["b"], ["c"]]
    assert group_runs(["a", "b", "c"], "phase") == [["a", "b", "c"]]
    assert group_runs([], "phase") == []


def test_run_modes_are_typed_and_the_variant_label_is_derived():
    from harness.records.planned_run import RunModes
    from harness.settings.matrix import modes_for

    modes = {"channels_last": True, "cuda_graph": True, "compile_cache": "cold", "e2e": True, "streams": 2}
    assert modes_for("torch", modes) == RunModes(channels_last=True, cuda_graph=True, e2e=True, streams=2)
    assert modes_for("onnxruntime", modes).label == "e2e"
    assert modes_for("torch_compile", modes).label == "channelslast+coldcache+e2e+streams2"
    spec = RunSpec("m", "tensorrt", "fp16", 640, 1, modes_for("tensorrt", modes))
    again = RunSpec.from_dict(spec.to_dict())
    assert again == spec and again.run_id == "m__tensorrt__fp16__img640__b1__cudagraph+e2e+streams2"


def test_pipeline_and_pacing_are_modes_and_paced_run_ids_end_in_fps():
    from harness.records.planned_run import RunModes
    from harness.settings.matrix import expand_matrix, modes_for

    specs = expand_matrix(["m"], ["torch", "onnxruntime"], ["fp16"], [640], [1],
                          {"pipeline_list": [1, 2], "arrival_fps_list": [None, 30.0], "arrival": "poisson"})
    ids = [s.run_id for s in specs]
    assert "m__torch__fp16__img640__b1__pipeline2" in ids
    assert "m__torch__fp16__img640__b1__fps30poisson" in ids
    assert "m__onnxruntime__fp16__img640__b1__fps30poisson" in ids
    assert not any("onnxruntime" in i and "pipeline" in i for i in ids)  # pipelining is a torch mode
    paced = modes_for("tensorrt", {"arrival_fps": 7.5})
    assert paced == RunModes(arrival_fps=7.5) and paced.pacing_suffix == "__fps7.5"
    spec = RunSpec("m", "torch", "fp32", 64, 4, modes_for("torch", {"arrival_fps": 15, "pipeline": 1}))
    assert spec.run_id == "m__torch__fp32__img64__b4__fps15" and RunSpec.from_dict(spec.to_dict()) == spec
