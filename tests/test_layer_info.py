"""The engine inspector's layer information read as data (harness/engines/layer_info.py), on documents in the shapes
TensorRT 8.5 and 10.x write (tests/data/trt_layer_info/README.md says where each shape comes from)."""

import json
from types import SimpleNamespace

import pytest

from conftest import REPO
from harness.engines.layer_info import (DLA, DLA_TRANSFER, GPU, EngineLayer, LayerInfoError, engine_information_json,
                                        is_detailed, parse_layer_info, placement, placement_counts)

SAMPLES = REPO / "tests" / "data" / "trt_layer_info"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_a_dla_engine_with_gpu_fallback_counts_its_subgraphs_copies_and_fallback():
    layers = parse_layer_info(sample("trt10_dla_detailed.json"))
    counts = placement_counts(layers, built_for_dla=True)
    assert counts == {"dla_layers_n": 2, "gpu_layers_n": 2, "dla_transfer_layers_n": 6, "layers_n": 10,
                      "basis": "layer types"}
    assert [layer.name for layer in layers if placement(layer, True) == DLA] == [
        "{ForeignNode[/model.0/conv/Conv.../model.9/cv2/act/Mul]}",
        "{ForeignNode[/model.11/Resize.../model.22/cv3.2/cv3.2.2/Conv]}"]


def test_a_myelin_foreign_node_stays_on_the_gpu_when_the_layer_type_says_so():
    layers = parse_layer_info(sample("trt10_dla_detailed.json"))
    myelin = next(layer for layer in layers if layer.name.startswith("{ForeignNode[/model.23"))
    assert myelin.layer_type == "Myelin" and placement(myelin, built_for_dla=True) == GPU


def test_a_gpu_engine_has_no_dla_layers_and_its_sync_layers_are_not_counted():
    layers = parse_layer_info(sample("trt10_gpu_detailed.json"))
    assert is_detailed(layers) and all(layer.layer_type != "signal" for layer in layers)
    assert placement_counts(layers, built_for_dla=False) == {"dla_layers_n": 0, "gpu_layers_n": 5,
                                                             "dla_transfer_layers_n": 0, "layers_n": 5,
                                                             "basis": "layer types"}
    conv = layers[1]
    assert conv.tactic.startswith("sm87_xmma_fprop_implicit_gemm") and conv.layer_type == "CaskConvolution"
    assert layers[0].tactic == "0x00000000000003e8"  # a layer without TacticName keeps its TacticValue


def test_names_only_information_counts_foreign_nodes_as_dla_only_in_an_engine_built_for_dla():
    layers = parse_layer_info(sample("trt85_dla_names_only.json"))
    assert not is_detailed(layers) and all(layer.layer_type is None for layer in layers)
    dla = placement_counts(layers, built_for_dla=True)
    assert (dla["dla_layers_n"], dla["gpu_layers_n"], dla["dla_transfer_layers_n"]) == (2, 5, 6)
    assert dla["basis"].startswith("layer names")
    gpu = placement_counts(layers, built_for_dla=False)  # in a GPU engine the same name is a Myelin region
    assert (gpu["dla_layers_n"], gpu["gpu_layers_n"]) == (0, 7)


def test_layer_types_naming_the_dla_in_either_spelling():
    for layer_type in ("DLA", "DlaLayer", "dla"):
        assert placement(EngineLayer("{ForeignNode[a...b]}", layer_type), built_for_dla=True) == DLA
    assert placement(EngineLayer("x copy finish", "DLA"), built_for_dla=True) == DLA_TRANSFER


def test_only_the_first_optimization_profile_is_counted():
    document = {"Layers": ["conv", "conv [profile 1]", "{ForeignNode[a...b]}", "{ForeignNode[a...b]} [profile 1]"],
                "Bindings": ["images", "images [profile 1]"]}
    counts = placement_counts(parse_layer_info(json.dumps(document)), built_for_dla=True)
    assert (counts["dla_layers_n"], counts["gpu_layers_n"], counts["layers_n"]) == (1, 1, 2)


@pytest.mark.parametrize("text", ["not json {", '{"Bindings": []}', '{"Layers": {"a": 1}}', '{"Layers": [{"LayerType": "DLA"}]}',
                                  '{"Layers": [3]}', "[1, 2]"])
def test_malformed_documents_say_what_is_wrong(text):
    with pytest.raises(LayerInfoError):
        parse_layer_info(text)


def test_engine_information_json_asks_the_inspector_for_json():
    asked = []
    inspector = SimpleNamespace(get_engine_information=lambda fmt: asked.append(fmt) or '{"Layers": []}')
    engine = SimpleNamespace(create_engine_inspector=lambda: inspector)
    trt = SimpleNamespace(LayerInformationFormat=SimpleNamespace(JSON="JSON", ONELINE="ONELINE"))
    assert engine_information_json(trt, engine) == '{"Layers": []}' and asked == ["JSON"]
