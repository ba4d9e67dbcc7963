"""The video models' image encoder on TensorRT: Phase A builds an engine from the exported fp32 ONNX of a real SAM 2.1
tiny (random init, 64 px) through the engine builder, with the stand-in builder child (tests/fake_trt_builder.py,
no TensorRT): the card it writes, the sidecar's reuse, a failed build and a missing TensorRT as the size's reason;
the planner's choices; the engine's outputs taken by name; a tensorrt card loaded without TensorRT skips the run
with the reason. Running the engine needs TensorRT on a CUDA device."""

import json
import os

import pytest

pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from harness.files.artifact_sidecar import file_sha256, read_sidecar  # noqa: E402
from harness.files.atomic_io import atomic_write_json, read_json  # noqa: E402
from harness.engines.engine_builds import TENSORRT_MISSING  # noqa: E402
from harness.records.planned_run import RunSpec  # noqa: E402
from harness.settings.options import Options  # noqa: E402
from harness.video.plan import vos_artifact  # noqa: E402
from harness.video.encoder_engine import NOT_BUILT, build_encoder_engines, prepare_encoder_engines  # noqa: E402
from runners.base import BackendUnavailable  # noqa: E402
from tests.fake_trt_builder import FAKE_PLAN_MAGIC, behaviour_path  # noqa: E402

FAKE_BUILDER = "tests.fake_trt_builder"
PLATFORM = {"gpu_name": "Orin (nvgpu)", "compute_capability": "8.7", "tensorrt": "10.3.0.30", "cuda": "12.6",
            "l4t_release": None, "jetson_model": "NVIDIA Jetson Orin Nano"}
CARD = {"architecture": "sam2.1_hiera_tiny", "family": "sam2", "size": 64, "weights": {"kind": "random-init", "seed": 0}}


@pytest.fixture(scope="module")
def exported_onnx(tmp_path_factory):
    """The encoder ONNX of a random-init SAM 2.1 tiny card at 64 px, exported once for the module."""
    from harness.video.encoder_export import export_for_card

    card = tmp_path_factory.mktemp("export") / "m_img64.vos.json"
    atomic_write_json(card, CARD)
    return export_for_card(str(card))


def _setup(tmp_path, onnx: str, behaviour: dict) -> tuple:
    """(a torch card in ``tmp_path``, the shared ONNX linked beside it with the fake builder's behaviour)."""
    card = tmp_path / "m_img64.vos.json"
    atomic_write_json(card, CARD)
    link = tmp_path / "m_img64.encoder.onnx"
    os.symlink(onnx, link)
    behaviour_path(link).write_text(json.dumps(behaviour))
    return str(card), str(link)


def _build(tmp_path, cards: dict, exported: dict, precisions=("fp32", "fp16")) -> tuple:
    opts = Options(precision=list(precisions), build_timeout_s=120)
    return build_encoder_engines(cards, exported, opts, tmp_path, PLATFORM, 4096, builder_module=FAKE_BUILDER)


def test_phase_a_builds_the_encoder_engine_per_precision_then_reuses_it(tmp_path, exported_onnx):
    card, onnx = _setup(tmp_path, exported_onnx, {})
    made, problems, builds = _build(tmp_path, {"64": card}, {"64": onnx}, ("fp32", "fp16", "bf16"))
    assert not problems and sorted(made["64"]) == ["fp16", "fp32"]  # bf16: no engine is built for it
    for precision in ("fp32", "fp16"):
        written = read_json(made["64"][precision])
        assert made["64"][precision].endswith(f"m_img64.trt_{precision}.vos.json")
        assert {k: v for k, v in written.items() if k != "encoder"} == CARD
        engine = written["encoder"]["engine"]
        assert written["encoder"] == {"backend": "tensorrt", "engine": engine, "onnx": onnx, "precision": precision,
                                      "engine_sha256": file_sha256(engine)}
        with open(engine, "rb") as plan:
            request = json.loads(plan.read()[len(FAKE_PLAN_MAGIC):])
        assert (request["input_name"], request["imgsz"], request["precision"]) == ("pixel_values", 64, precision)
        assert request["batch"] == {"min": 1, "opt": 1, "max": 1} and request["onnx_path"] == onnx
        assert request["timing_cache"] == str(tmp_path / "artifacts" / "tensorrt.timing_cache")
        sidecar = read_sidecar(engine)
        assert sidecar["platform"]["gpu_name"] == PLATFORM["gpu_name"] and sidecar["source_sha256"] == file_sha256(onnx)
        assert builds["64"][precision]["status"] == "built" and not builds["64"][precision]["reused"]
    stamp = os.stat(read_json(made["64"]["fp32"])["encoder"]["engine"]).st_mtime_ns
    again, problems, builds = _build(tmp_path, {"64": card}, {"64": onnx})
    assert again == made and not problems
    assert all(b["reused"] and not b["attempts"] for b in builds["64"].values())  # no builder child this time
    assert os.stat(read_json(made["64"]["fp32"])["encoder"]["engine"]).st_mtime_ns == stamp


def test_a_failed_build_and_a_failed_export_are_the_sizes_reasons(tmp_path, exported_onnx):
    card, onnx = _setup(tmp_path, exported_onnx, {"parser_errors": ["In node 12 (Conv): unsupported"]})
    bad = tmp_path / "bad_img96.vos.json"
    atomic_write_json(bad, {**CARD, "architecture": "no_such_model", "size": 96})
    made, problems, builds = _build(tmp_path, {"64": card, "96": str(bad)}, {"64": onnx}, ("fp16",))
    assert not made and builds["64"]["fp16"]["status"] == "failed"
    assert problems["64"]["fp16"]["status"] == "failed"
    assert problems["64"]["fp16"]["reason"].startswith(NOT_BUILT + ": engine build failed")
    assert "In node 12 (Conv): unsupported" in problems["64"]["fp16"]["reason"]
    assert problems["96"]["fp16"]["status"] == "skipped"
    assert problems["96"]["fp16"]["reason"].startswith("the image encoder could not be exported to ONNX")


def test_no_tensorrt_is_the_reason_of_every_engine_from_one_builder_child(tmp_path, exported_onnx):
    card, onnx = _setup(tmp_path, exported_onnx, {"unavailable": True})
    made, problems, builds = _build(tmp_path, {"64": card}, {"64": onnx})
    assert not made and list(builds["64"]) == ["fp32"]  # fp16 takes the same reason without a child of its own
    assert problems["64"] == {p: {"status": "skipped", "reason": f"{NOT_BUILT}: {TENSORRT_MISSING}"}
                              for p in ("fp32", "fp16")}


def test_no_engine_is_built_on_a_device_without_cuda(tmp_path):
    from harness.phase_a.device_probe import resolve_device

    assert prepare_encoder_engines({"64": str(tmp_path / "m_img64.vos.json")}, {}, Options(backend=["tensorrt"]),
                                   tmp_path, resolve_device("cpu"), None) == ({}, {}, {})


MODEL = {"artifacts": {"vos_cards": {"64": "t.vos.json", "32": "s.vos.json"},
                       "vos_cards_tensorrt": {"64": {"fp32": "t.trt_fp32.vos.json", "fp16": "t.trt_fp16.vos.json"},
                                              "32": {"fp32": "s.trt_fp32.vos.json"}}},
         "encoder_problems_tensorrt": {"128": {"fp16": {"status": "skipped_oom", "reason": f"{NOT_BUILT}: out of memory"},
                                               "fp32": {"status": "failed", "reason": f"{NOT_BUILT}: parser"}}}}
GPU = {"cuda": True, "resolved": "cuda:0"}


def _plan(backend="tensorrt", precision="fp32", size=64, device=GPU):
    return vos_artifact(MODEL, RunSpec("m", backend, precision, size, 1), device)


def test_the_planner_picks_the_engine_card_by_size_and_precision_or_says_why_not():
    assert _plan() == ("t.trt_fp32.vos.json", None, None)
    assert _plan(precision="fp16")[0] == "t.trt_fp16.vos.json" and _plan(size=32)[0] == "s.trt_fp32.vos.json"
    assert _plan(device={"cuda": False, "resolved": "cpu"}) == (None, "skipped", "TensorRT needs a CUDA device")
    for precision in ("bf16", "tf32", "int8"):
        assert _plan(precision=precision)[2] == "the video models' image encoder engine is built in fp32 or fp16"
    assert _plan(size=128, precision="fp16") == (None, "skipped_oom", f"{NOT_BUILT}: out of memory")
    assert _plan(size=128)[:2] == (None, "failed")
    assert _plan(size=32, precision="fp16") == (None, "skipped", "no TensorRT fp16 engine of the image encoder for this "
                                                                 "size (set up before it was asked for)")
    assert _plan("torch")[0] == "t.vos.json"
    assert "torch_compile is not implemented for them" in _plan("torch_compile")[2]


def test_the_engines_outputs_are_taken_by_name_in_the_encoders_order():
    from harness.video.encoder_graph import output_names
    from harness.video.encoder_tensorrt import outputs_in_order

    wanted = output_names()
    engine_order = {name: f"buffer of {name}" for name in reversed(wanted)}  # an engine may list them otherwise
    assert outputs_in_order(engine_order, wanted) == [f"buffer of {name}" for name in wanted]
    with pytest.raises(BackendUnavailable, match=r"missing \['vision_pos_embed_2'\], unexpected \['extra'\]"):
        outputs_in_order({**{n: 0 for n in wanted[:-1]}, "extra": 0}, wanted)


def test_a_tensorrt_card_without_tensorrt_skips_the_run_with_the_reason(tmp_path, exported_onnx):
    """Phase B loads the card's engine through TensorRTRunner; without TensorRT that is BackendUnavailable, which
    the run records as skipped with the reason."""
    try:
        import tensorrt  # noqa: F401
        pytest.skip("TensorRT is installed here")
    except ImportError:
        pass
    from harness.video.encoder_engine import tensorrt_card
    from harness.phase_b.run_summary import record_exception
    from harness.video.loader import load_vos_model

    card, onnx = _setup(tmp_path, exported_onnx, {})
    engine = tmp_path / "m_img64.encoder_fp32.engine"
    engine.write_bytes(b"a plan")
    with pytest.raises(BackendUnavailable, match="TensorRT is not installed") as caught:
        load_vos_model(tensorrt_card(card, onnx, str(engine), "fp32"), "fp32", torch, "cpu")
    result = {"run_id": "m__tensorrt__fp32__img64__b1__points", "status": "ok", "reason": None}
    record_exception(result, caught.value, "load")
    assert result["status"] == "skipped" and result["reason"].startswith("TensorRT is not installed")


class _Stream:
    def __init__(self, name: str, events: list):
        self.name, self.events = name, events

    def wait_stream(self, other):
        self.events.append(f"{self.name} waits for {other.name}")


class _Runner:
    """TensorRTRunner's part the encoder uses, on the CPU: buffers by name (outputs listed in reverse), a stream, and
    an engine that writes, into each output, the input's sum plus the output's index in the encoder's order."""

    def __init__(self, artifact, device, precision, imgsz, batch, budget_mb, input_spec=None):
        from harness.video.encoder_graph import output_names

        self.events, self.input_name, self.torch_device = [], input_spec.name, device
        self.output_names = list(reversed(output_names()))
        self.buffers = {self.input_name: torch.zeros(batch, 3, imgsz, imgsz),
                        **{name: torch.zeros(4, 1, 2) for name in self.output_names}}
        self.stream = _Stream("engine stream", self.events)

    def load(self):
        self.events.append("load")

    def infer(self, inputs):
        from harness.video.encoder_graph import output_names

        self.events.append("enqueue")
        for name in self.output_names:
            self.buffers[name].fill_(float(inputs.sum()) + output_names().index(name))
        return [self.buffers[name] for name in self.output_names]

    def describe(self):
        return {"backend": "tensorrt", "tensorrt": "10.3.0", "io_tensors": [], "activation_mb": 1.0}

    def release(self):
        self.events.append("release")


def test_the_encoder_copies_pixels_in_and_named_outputs_out_in_the_runs_dtype(monkeypatch):
    """The call contract of the ONNX Runtime encoder, with TensorRTRunner's buffers: the engine's stream waits for
    the caller's before the pixels are copied in, the caller's waits for the engine before the outputs are copied
    out; the six outputs by name in the session's order, fresh copies in the run's dtype."""
    import contextlib
    from types import SimpleNamespace

    from runners import tensorrt_runner
    from harness.video.encoder_tensorrt import TrtEncoder
    from harness.video.loader import LoadedVosModel

    monkeypatch.setattr(tensorrt_runner, "TensorRTRunner", _Runner)
    events: list = []
    caller = _Stream("caller stream", events)

    def on_stream(stream):
        events.append(f"on {stream.name}")
        return contextlib.nullcontext()

    fake_torch = SimpleNamespace(cuda=SimpleNamespace(current_stream=lambda device: caller, stream=on_stream))
    encoder = TrtEncoder("m.engine", 64, "fp16", fake_torch, "cuda:0", torch.float16)
    runner = encoder.runner
    runner.events = events
    runner.stream.events = events
    pixels = torch.full((3, 64, 64), 1 / 512)  # sums to 24: exact in fp16
    features = encoder(pixels)
    assert events == ["engine stream waits for caller stream", "on engine stream", "enqueue",
                      "caller stream waits for engine stream"]
    got = features["vision_feats"] + features["vision_pos_embeds"]
    assert [float(t.flatten()[0]) for t in got] == [24 + i for i in range(6)]
    assert all(t.dtype == torch.float16 for t in got)
    runner.buffers["vision_feat_0"].zero_()
    assert float(features["vision_feats"][0].flatten()[0]) == 24  # a copy, not the engine's buffer
    card = {**CARD, "encoder": {"backend": "tensorrt", "engine": "m.engine", "onnx": "m.onnx", "precision": "fp16"}}
    loaded = LoadedVosModel(object(), None, 64, card, "cuda:0", "fp16", {}, {}, encoder)
    described = loaded.describe()
    assert described["backend"] == "tensorrt" and described["image_encoder"]["engine"] == "m.engine"
    assert described["image_encoder"]["tensorrt"]["tensorrt"] == "10.3.0"
    loaded.release()
    assert events[-1] == "release" and loaded.encoder is None
