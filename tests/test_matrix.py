from harness.matrix import PlannedRun, RunSpec, expand_matrix, group_runs, safe_name


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
