"""The image encoder on ONNX Runtime, the rest of the model in torch: a real SAM 2.1 tiny (random init, 64 px)
exported with torch.onnx, its features against the torch encoder's, masks of a session on each encoder compared
frame by frame (IoU), the encoder's time measured on both; and how runs are planned for each backend."""

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from harness.video.frame_loop import encoder_figures, masks_of_video  # noqa: E402
from harness.tasks.vos import ObjectPrompt  # noqa: E402
from harness.video.encoder_graph import encoder_graph, export_encoder  # noqa: E402
from harness.video.encoder_onnx import OnnxEncoder  # noqa: E402
from harness.video.models import architecture_of, build_random, make_processor  # noqa: E402
from harness.video.session import timed_session  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = build_random(architecture_of("sam2.1_hiera_tiny"), 64, 0)
    with torch.no_grad():
        model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(10.0)  # masks from the decoder on every frame
    path = export_encoder(model, 64, str(tmp_path_factory.mktemp("encoder") / "encoder.onnx"))
    return model, OnnxEncoder(path, ["CPUExecutionProvider"], torch, "cpu", torch.float32)


def test_the_onnx_encoder_gives_the_torch_encoders_features(exported):
    model, encoder = exported
    pixels = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = encoder_graph(model)(pixels)
    features = encoder(pixels)
    got = features["vision_feats"] + features["vision_pos_embeds"]
    assert [tuple(t.shape) for t in got] == [tuple(t.shape) for t in reference]
    assert max(float((a - b).abs().max()) for a, b in zip(reference, got)) < 1e-4


def test_the_bound_buffers_give_the_same_features_and_a_fresh_copy_per_frame(exported):
    """The IO binding the CUDA provider uses (bound once to torch buffers of the graph's static shapes), exercised
    with the CPU binding: the same features as a plain run, and each call's features survive the next call."""
    from harness.video.encoder_graph import features_dict
    from harness.video.encoder_onnx import DeviceBuffers

    _, encoder = exported
    buffers = DeviceBuffers(encoder.session, torch, "cpu")
    first, second = (torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(s)) for s in (1, 2))
    kept = features_dict([encoder._copy(o) for o in buffers.run(first)])
    plain = encoder(first)
    features_dict([encoder._copy(o) for o in buffers.run(second)])
    for name in ("vision_feats", "vision_pos_embeds"):
        for got, want in zip(kept[name], plain[name]):
            assert torch.equal(got, want)
    assert not torch.equal(buffers.outputs[0], kept["vision_feats"][0])  # the buffer moved on, the copy did not


def _masks(model, encoder):
    session, hooks = timed_session(model, make_processor(64), torch, "cpu", "fp32", (48, 64), 16, encoder, lambda: None)
    frames = np.random.default_rng(2).integers(0, 256, (10, 3, 64, 64), dtype=np.uint8)
    prompts = [ObjectPrompt(1, 1, "points", points=[[20, 20]]), ObjectPrompt(2, 4, "bbox", box=[30, 10, 60, 40])]
    with torch.inference_mode():
        seen, timing = masks_of_video(session, frames, prompts)
    for hook in hooks:
        hook.remove()
    session.close()
    return seen, timing


def test_masks_with_the_onnx_encoder_match_the_torch_encoders_frame_by_frame(exported):
    model, encoder = exported
    torch_masks, torch_timing = _masks(model, None)
    ort_masks, ort_timing = _masks(model, encoder)
    assert sorted(torch_masks) == sorted(ort_masks) == list(range(1, 10))
    for frame, masks in torch_masks.items():
        for obj, mask in masks.items():
            union = (mask | ort_masks[frame][obj]).sum()
            assert mask.any() and (mask & ort_masks[frame][obj]).sum() / union > 0.99, (frame, obj)
    for timing in (torch_timing, ort_timing):
        assert all(0 < e < ms for e, ms in zip(timing.encoder_ms, timing.frame_latency_ms))
        assert 0 < encoder_figures([timing])["encoder_share_pct"] < 100


def test_the_planner_picks_the_video_models_torch_and_onnxruntime_cards():
    from harness.video.plan import vos_artifact
    from harness.records.planned_run import RunSpec

    model = {"artifacts": {"vos_cards": {"64": "t.vos.json", "32": "s.vos.json"},
                           "vos_cards_onnxruntime": {"64": {"fp32": "t.ort.vos.json", "fp16": "t.ort_fp16.vos.json"},
                                                     "32": {"fp32": "s.ort.vos.json"}}},
             "encoder_problems": {"128": "the image encoder could not be exported to ONNX: X"}}
    device = {"cuda": True, "resolved": "cuda:0"}

    def plan(backend, precision="fp32", size=64, on=device):
        return vos_artifact(model, RunSpec("m", backend, precision, size, 1), on)

    assert plan("torch")[0] == "t.vos.json" and plan("onnxruntime")[0] == "t.ort.vos.json"
    assert plan("onnxruntime", "fp16")[0] == "t.ort_fp16.vos.json"
    assert plan("onnxruntime", "fp16", on={"cuda": False, "resolved": "cpu"})[2] == "fp16 needs a CUDA device; " \
        "this run's device is cpu"
    assert "fp32, or in fp16 on ONNX Runtime's CUDA provider" in plan("onnxruntime", "bf16")[2]
    assert plan("onnxruntime", "fp16", size=32)[2].startswith("no exported fp16 image encoder for this size")
    assert "could not be exported" in plan("onnxruntime", size=128)[2]
    assert "torch_compile is not implemented" in plan("torch_compile")[2]
    assert plan("tensorrt")[2].startswith("no TensorRT fp32 engine of the image encoder for this size")
    assert plan("onnxruntime", size=96)[2].startswith("no exported fp32 image encoder for this size")


def test_phase_a_exports_once_and_phase_b_loads_the_encoder_on_onnxruntime(tmp_path):
    """A random-init card: the encoder exported beside it with a sidecar (reused while the card is the same), an
    onnxruntime card naming it, loaded in Phase B with the encoder on ONNX Runtime; a card that cannot be built is
    that size's problem, not a crash."""
    from harness.files.atomic_io import atomic_write_json, read_json
    from harness.video.encoder_export import prepare_encoders
    from harness.video.loader import load_vos_model

    card = tmp_path / "m_img64.vos.json"
    atomic_write_json(card, {"architecture": "sam2.1_hiera_tiny", "family": "sam2", "size": 64,
                             "weights": {"kind": "random-init", "seed": 0}})
    bad = tmp_path / "bad_img64.vos.json"
    atomic_write_json(bad, {"architecture": "no_such_model", "family": "sam2", "size": 64,
                            "weights": {"kind": "random-init", "seed": 0}})
    made, problems = prepare_encoders({"64": str(card), "96": str(bad)}, precisions=("fp32", "fp16"))
    assert list(made) == ["64"] and problems["96"].startswith("the image encoder could not be exported to ONNX")
    onnx = tmp_path / "m_img64.encoder.onnx"
    ort_card, fp16_card = read_json(made["64"]["fp32"]), read_json(made["64"]["fp16"])
    assert ort_card["encoder"]["onnx"] == str(onnx) and ort_card["architecture"] == "sam2.1_hiera_tiny"
    assert fp16_card["encoder"]["precision"] == "fp16" and fp16_card["encoder"]["onnx"].endswith("_fp16.onnx")
    import onnx as onnx_lib
    graph = onnx_lib.load(fp16_card["encoder"]["onnx"]).graph
    assert {i.type.tensor_type.elem_type for i in [*graph.input, *graph.output]} == {onnx_lib.TensorProto.FLOAT}
    assert any(t.data_type == onnx_lib.TensorProto.FLOAT16 for t in graph.initializer)  # float32 I/O, fp16 inside
    stamp = onnx.stat().st_mtime_ns
    assert prepare_encoders({"64": str(card)})[0] == {"64": {"fp32": made["64"]["fp32"]}}
    assert onnx.stat().st_mtime_ns == stamp  # reused
    loaded = load_vos_model(made["64"]["fp32"], "fp32", torch, "cpu")
    described = loaded.describe()
    assert described["backend"] == "onnxruntime" and described["image_encoder"]["providers"] == ["CPUExecutionProvider"]
    assert load_vos_model(str(card), "fp32", torch, "cpu").describe()["image_encoder"] == {"backend": "torch"}


@pytest.mark.slow
def test_cli_runs_the_video_model_on_torch_and_with_its_encoder_on_onnxruntime(tmp_path):
    from conftest import load_json, run_cli
    from harness.data.synthetic_vos import generate_vos_split

    split = generate_vos_split(tmp_path / "sav", videos=1, frames=6, size=(48, 64))
    out = tmp_path / "out"
    proc = run_cli("--split_dir", split, "--models", "sam2.1_hiera_tiny", "--imgsz", "64", "--backend",
                   "torch,onnxruntime", "--precision", "fp32", "--warmup", "1", "--metrics_interval", "0",
                   "--out_dir", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = {b: load_json(out / "runs" / f"sam2.1_hiera_tiny__{b}__fp32__img64__b1__points.json")
            for b in ("torch", "onnxruntime")}
    assert runs["onnxruntime"]["status"] == "ok", runs["onnxruntime"]["reason"]
    assert runs["onnxruntime"]["runner"]["image_encoder"]["backend"] == "onnxruntime"
    assert runs["torch"]["runner"]["image_encoder"] == {"backend": "torch"}
    for result in runs.values():
        assert 0 < result["metrics"]["encoder_share_pct"] < 100 and result["metrics"]["frames_n"] == 6
    # the exported encoder's masks against the torch encoder's, inside the run, as its own part of the process
    ort, check = runs["onnxruntime"], runs["onnxruntime"]["encoder_check"]
    assert check["frames_n"] == ort["metrics"]["encoder_check_frames_n"] == 6 and check["frame_indices"] == list(range(6))
    assert ort["metrics"]["encoder_mask_iou_min"] > 0.9 and ort["metrics"]["encoder_mask_iou_mean"] > 0.98
    assert ort["process"]["parts_s"]["check_encoder_fidelity"] > 0
    assert "encoder_mask_iou_mean" not in runs["torch"]["metrics"] and runs["torch"]["encoder_check"] is None
    assert "the check's reference" in runs["torch"]["unavailable"]["encoder_mask_iou_mean"]
    assert "check_encoder_fidelity" in runs["torch"]["process"]["parts_s"]  # the part exists, near 0 s


def test_mask_iou_and_the_kept_masks_compare_frame_by_frame():
    """Known values: IoU of overlapping squares, two empty masks agree (1.0); masks kept bit-packed come back
    exactly; only the first ``limit`` frames are kept; a reference frame's objects compared with the kept ones."""
    from harness.tasks.vos_metrics import region_similarity as mask_iou
    from harness.video.encoder_check import MaskComparison, MaskKeeper, encoder_check_figures

    a = np.zeros((5, 7), bool)
    a[0:2, 0:2] = True
    b = np.zeros((5, 7), bool)
    b[1:3, 0:2] = True
    assert mask_iou(a, b) == pytest.approx(2 / 6) and mask_iou(a, a) == 1.0
    assert mask_iou(np.zeros((5, 7), bool), np.zeros((5, 7), bool)) == 1.0
    keeper = MaskKeeper(limit=2)
    for index in (3, 4, 5):
        keeper.add(index, {1: a, 2: b})
    assert sorted(keeper.frames) == [3, 4] and np.array_equal(keeper.mask(4, 2), b)
    assert not keeper.wants(5) and keeper.mask(5, 1) is None
    comparison = MaskComparison(keeper)
    assert comparison.wants(3) and not comparison.wants(5)
    comparison.add(3, {1: a, 2: a})      # object 2: b against a
    comparison.add(4, {1: a, 2: b, 7: a})  # object 7 was never tracked by the run
    record = comparison.record("v")
    assert record["frame_indices"] == [3, 4] and record["iou_mean_by_frame"] == pytest.approx([(1 + 2 / 6) / 2, 1.0])
    assert record["iou_min_by_frame"] == pytest.approx([2 / 6, 1.0]) and record["objects_missing"] == [[4, 7]]
    metrics, unavailable = encoder_check_figures(record, None)
    assert metrics == {"encoder_mask_iou_mean": pytest.approx(((1 + 2 / 6) / 2 + 1) / 2),
                       "encoder_mask_iou_min": pytest.approx(2 / 6), "encoder_check_frames_n": 2} and not unavailable
    metrics, unavailable = encoder_check_figures(None, "the reason")
    assert not metrics and set(unavailable.values()) == {"the reason"} and len(unavailable) == 3
