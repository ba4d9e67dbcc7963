"""Rebuild provenance: a rebuild of the same engine says whether its plan bytes and its layers (count, names, types,
tactics, from the engine inspector) are the ones it replaced, so a nondeterministic rebuild with other tactics shows.
The builder's inspection runs against a stand-in of TensorRT, the orchestration across real child processes with the
stand-in builder (tests/fake_trt_builder.py)."""

import json
from types import SimpleNamespace

from conftest import REPO, write_conv_onnx
from harness.files.artifact_sidecar import read_sidecar
from harness.engines.engine_builds import build_engine, rebuild_record, wanted_fields
from harness.engines.layer_info import compare_layers, layer_summary, parse_layer_info
from harness.engines.trt_build import layer_info_path, record_layer_info
from tests.fake_trt_builder import behaviour_path

SAMPLES = REPO / "tests" / "data" / "trt_layer_info"
PLATFORM = {"gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0"}


def summary(name: str) -> dict:
    return layer_summary(parse_layer_info((SAMPLES / name).read_text()))


def test_a_rebuild_with_another_tactic_is_not_the_same_layers():
    found = compare_layers(summary("trt10_gpu_detailed.json"), summary("trt10_gpu_rebuilt_detailed.json"))
    assert found["same_layers"] is False and found["tactics_changed_n"] == 1
    assert (found["layers_n"], found["previous_layers_n"], found["layers_added_n"], found["layers_removed_n"]) == (5, 5, 0, 0)
    assert found["differences"] == [
        "/model.1/conv/Conv + PWN(PWN(/model.1/act/Sigmoid), PWN(/model.1/act/Mul)): "
        "sm87_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize64x32x64_stage5_warpsize2x2x1_g1_tensor16x8x16"
        " -> sm87_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x32x64_stage4_warpsize2x1x1_g1_tensor16x8x16"]
    assert compare_layers(summary("trt10_gpu_detailed.json"), summary("trt10_gpu_detailed.json"))["same_layers"] is True


def test_other_layers_and_missing_information_are_said():
    gpu, dla = summary("trt10_gpu_detailed.json"), summary("trt10_dla_detailed.json")
    found = compare_layers(gpu, dla)
    assert found["same_layers"] is False and found["layers_added_n"] == 8 and found["layers_removed_n"] == 3
    assert len(found["differences"]) == 5  # the first few, not hundreds
    assert compare_layers(None, gpu) == {"same_layers": None,
                                         "reason": "the replaced engine's sidecar has no layer information to compare"}
    assert compare_layers(gpu, None)["reason"] == "the new engine has no layer information to compare"


def test_the_rebuild_record_joins_bytes_and_layers(tmp_path):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"PLAN")
    wanted = wanted_fields("a" * 64, "fp16", 64, {"min": 1, "opt": 1, "max": 1}, None, PLATFORM)
    previous = {**wanted, "artifact_sha256": "0" * 64, "artifact_bytes": 4, "layer_info": summary("trt10_gpu_detailed.json")}
    record = rebuild_record(engine, previous, wanted, summary("trt10_gpu_rebuilt_detailed.json"))
    assert record["same_bytes"] is False and record["same_layers"] is False
    assert record["layers"]["tactics_changed_n"] == 1 and "same_layers" not in record["layers"]


def _stand_in(document: str, calls: dict):
    class Runtime:
        def __init__(self, logger):
            calls["runtime"] = self

        def deserialize_cuda_engine(self, plan):
            calls["plan"] = plan
            inspector = SimpleNamespace(get_engine_information=lambda fmt: document)
            return SimpleNamespace(create_engine_inspector=lambda: inspector)

    return SimpleNamespace(Runtime=Runtime, LayerInformationFormat=SimpleNamespace(JSON="JSON"))


def test_the_builder_writes_the_new_engines_layer_information_beside_it(tmp_path):
    document = (SAMPLES / "trt10_dla_detailed.json").read_text()
    calls = {}
    request = {"engine_path": str(tmp_path / "m.engine"), "dla_core": 1}
    found = record_layer_info(_stand_in(document, calls), None, b"PLAN", request)
    assert found == {"layer_info_path": str(tmp_path / "m.engine.layers.json")}
    assert (tmp_path / "m.engine.layers.json").read_text() == document and calls["plan"] == b"PLAN"
    assert calls["runtime"].DLA_core == 1  # inspected on the core it was built for
    broken = SimpleNamespace(Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=lambda plan: None))
    assert record_layer_info(broken, None, b"PLAN", request) == {
        "layer_info_unavailable": "the new plan did not deserialize for inspection"}
    assert "AttributeError" in record_layer_info(SimpleNamespace(), None, b"PLAN", request)["layer_info_unavailable"]


def test_forced_rebuilds_say_whether_their_bytes_and_layers_changed(tmp_path):
    onnx = write_conv_onnx(tmp_path / "m.onnx")
    engine = tmp_path / "m.engine"
    log = open(tmp_path / "log.txt", "w")

    def build(sample=None, force=True):
        behaviour = {"layer_info": json.loads((SAMPLES / sample).read_text())} if sample else {}
        behaviour_path(onnx).write_text(json.dumps(behaviour))
        return build_engine(onnx, engine, "fp16", 64, {"min": 1, "opt": 1, "max": 1}, 256, None, 64, None, None, 60,
                            log, tmp_path / "work", "a" * 64, PLATFORM, force=force,
                            builder_module="tests.fake_trt_builder")

    first = build("trt10_gpu_detailed.json", force=False)
    assert first["status"] == "built" and first["rebuild"] is None
    assert read_sidecar(engine)["layer_info"]["layers_n"] == 5 and layer_info_path(engine).is_file()
    same = build("trt10_gpu_detailed.json")["rebuild"]
    assert (same["same_bytes"], same["same_layers"]) == (True, True)
    other = build("trt10_gpu_rebuilt_detailed.json")["rebuild"]
    assert (other["same_bytes"], other["same_layers"]) == (False, False)
    assert other["layers"]["tactics_changed_n"] == 1 and read_sidecar(engine)["rebuild"] == other
    blind = build()["rebuild"]  # a builder that could not inspect its engine
    assert blind["same_layers"] is None and blind["layers"]["reason"] == "the new engine has no layer information to compare"
    assert not layer_info_path(engine).exists()  # the earlier build's file is not left as this engine's
    assert read_sidecar(engine)["layer_info_unavailable"] == "the fake builder was given no layer information"
