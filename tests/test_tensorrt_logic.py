"""The TensorRT engine path: everything that does not need TensorRT, tested here for real (engine files,
platform fingerprints, calibration data from memory-mapped frames, the build orchestration across real
child processes with a stand-in builder), and the parts that need TensorRT and a GPU, skipped without them."""

from __future__ import annotations

import enum
import json
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import write_conv_onnx
from harness.files.artifact_sidecar import read_sidecar, sidecar_path
from harness.data.frame_store import FrameWriter
from harness.engines import calibration as calibration_module
from harness.engines.calibration import (ALGORITHMS, MIN_RECOMMENDED_IMAGES, CalibrationUnsupported,
                                         calibration_cache_key, calibration_plan, calibration_warning, evenly_spaced,
                                         iter_calibration_batches, make_trt_calibrator, random_calibration_batches)
from harness.engines.engine_builds import TENSORRT_MISSING, build_engine, calibration_identity, wanted_fields
from harness.engines.engine_file import (FORMAT_PLAIN, FORMAT_ULTRALYTICS, EngineFileError, read_engine_file,
                                         write_ultralytics_engine)
from harness.engines.platform_fingerprint import current_platform, engine_mismatch, tensorrt_release
from harness.engines.trt_build import (allocation_failure_evidence, make_error_recorder, network_flags,
                                       profile_shapes)
from runners.base import BackendUnavailable
from runners.tensorrt_runner import (EngineMemoryExceeded, engine_activation_bytes, memory_problem, profile_problem,
                                     resolve_input_shape, torch_dtype_name)
from tests.fake_trt_builder import FAKE_PLAN_MAGIC, behaviour_path

TRT_SKIP_REASON = "TensorRT is not installable here: it ships with JetPack / NVIDIA's wheels"
FAKE_BUILDER = "tests.fake_trt_builder"


def tensorrt_importable() -> bool:
    try:
        import tensorrt  # noqa: F401
    except Exception:
        return False
    return True


# ---------------------------------------------------------------- engine files

def test_plain_plan_is_read_whole(tmp_path):
    plan = b"ftrt" + bytes(range(256)) * 4
    path = tmp_path / "model.engine"
    path.write_bytes(plan)
    engine = read_engine_file(path)
    assert (engine.format, engine.metadata, engine.plan) == (FORMAT_PLAIN, None, plan)


def test_ultralytics_layout_round_trip(tmp_path):
    plan = b"\x00\x01ftrt-plan-bytes" * 50
    metadata = {"description": "Ultralytics YOLO11n model", "imgsz": [640, 640], "batch": 1, "half": True,
                "names": {"0": "person", "1": "bicycle"}}
    path = write_ultralytics_engine(tmp_path / "yolo.engine", plan, metadata)
    raw = path.read_bytes()
    (length,) = struct.unpack("<i", raw[:4])
    assert json.loads(raw[4:4 + length]) == metadata and raw[4 + length:] == plan  # the real layout on disk
    engine = read_engine_file(path)
    assert (engine.format, engine.metadata, engine.plan) == (FORMAT_ULTRALYTICS, metadata, plan)


@pytest.mark.parametrize("raw", [
    struct.pack("<i", 10) + b"not json!!" + b"rest of the plan",        # a plausible length, no JSON behind it
    struct.pack("<i", 7) + b"[1,2,3]" + b"plan",                         # JSON, but not an object
    struct.pack("<i", 4096) + b'{"a": 1}',                               # a length past the end of the file
    struct.pack("<i", 8) + b'{"a": 1}',                                  # metadata with no plan after it
    struct.pack("<i", -5) + b'{"a": 1}' * 3,                             # a negative length
    struct.pack("<i", (1 << 20) + 1) + b"x" * 64,                        # longer than the 1 MiB header limit
])
def test_length_prefix_without_metadata_is_a_plain_plan(tmp_path, raw):
    path = tmp_path / "odd.engine"
    path.write_bytes(raw)
    engine = read_engine_file(path)
    assert engine.format == FORMAT_PLAIN and engine.metadata is None and engine.plan == raw


def test_empty_or_missing_engine_file_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.engine"
    empty.write_bytes(b"")
    with pytest.raises(EngineFileError, match="empty"):
        read_engine_file(empty)
    with pytest.raises(EngineFileError, match="cannot read"):
        read_engine_file(tmp_path / "missing.engine")
    with pytest.raises(ValueError):
        write_ultralytics_engine(tmp_path / "x.engine", b"plan", {"big": "x" * (1 << 20)})


# ---------------------------------------------------------------- platform fingerprint

ORIN = {"gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0.30", "cuda": "12.6",
        "l4t_release": "# R36 (release), REVISION: 4.0", "jetson_model": "NVIDIA Jetson Orin Nano Developer Kit"}
H200 = {"gpu_name": "NVIDIA H200", "compute_capability": "9.0", "tensorrt": None, "cuda": "13.0",
        "l4t_release": None, "jetson_model": None}


def _fake_torch(name="Orin", capability=(8, 7), available=True, cuda="12.6"):
    return SimpleNamespace(version=SimpleNamespace(cuda=cuda), cuda=SimpleNamespace(
        is_available=lambda: available, get_device_name=lambda i: name, get_device_capability=lambda i: capability))


def test_current_platform_on_a_jetson(tmp_path):
    release = tmp_path / "nv_tegra_release"
    release.write_text("# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64\nmore\n")
    model = tmp_path / "model"
    model.write_bytes(b"NVIDIA Jetson Orin Nano Developer Kit\x00")
    platform = current_platform(_fake_torch(), SimpleNamespace(__version__="10.3.0.30"), release, model)
    assert platform == {"gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0.30", "cuda": "12.6",
                        "l4t_release": "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64",
                        "jetson_model": "NVIDIA Jetson Orin Nano Developer Kit"}


def test_current_platform_on_a_desktop_without_cuda(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 4 Model B\x00")
    platform = current_platform(_fake_torch(available=False), SimpleNamespace(__version__="8.6.1"),
                                tmp_path / "absent", model)
    assert (platform["gpu_name"], platform["compute_capability"], platform["tensorrt"]) == (None, None, "8.6.1")
    assert platform["l4t_release"] is None and platform["jetson_model"] is None  # not a Jetson


def test_tensorrt_release_ignores_the_build_number():
    assert tensorrt_release("10.3.0.30") == "10.3.0"
    assert tensorrt_release("8.6") == "8.6.0"
    assert tensorrt_release(None) is None


def test_same_platform_is_compatible():
    assert engine_mismatch(ORIN, dict(ORIN), "--force") is None
    assert engine_mismatch(ORIN, {**ORIN, "tensorrt": "10.3.0.26", "cuda": "12.2"}, "--force") is None  # build no.
    assert engine_mismatch({"gpu_name": "Orin"}, ORIN, "--force") is None  # partial metadata: only what is known


def test_other_gpu_is_one_line_with_the_fix():
    message = engine_mismatch(ORIN, H200, "jetson-benchmark --force")
    assert message == ("built for Orin (compute 8.7, TensorRT 10.3.0), this is NVIDIA H200 (compute 9.0, TensorRT none): "
                       "rebuild with jetson-benchmark --force (engines are specific to GPU architecture and TensorRT "
                       "version)")
    assert "\n" not in message


def test_other_tensorrt_version_is_a_mismatch():
    message = engine_mismatch(ORIN, {**ORIN, "tensorrt": "8.6.2.3"}, "--force")
    assert message.startswith("built for Orin (compute 8.7, TensorRT 10.3.0), this is Orin (compute 8.7, TensorRT 8.6.2)")


# ---------------------------------------------------------------- calibration data

def _pixel(seq: int, frame: int, channel: int) -> int:
    return (seq * 50 + frame * 7 + channel * 3) % 256


def _write_sequences(root: Path, lengths, size=8):
    """Real frame stores (FrameWriter, the Phase A writer) with a known value per sequence, frame, channel."""
    sequences = []
    for s, length in enumerate(lengths):
        rel = f"frames/img{size}/seq{s}.npy"
        writer = FrameWriter(root / rel, capacity=length + 2, size=size)  # spare capacity: close() trims it
        for f in range(length):
            frame = np.empty((3, size, size), dtype=np.uint8)
            for c in range(3):
                frame[c] = _pixel(s, f, c)
            frame[0, 0, 0] = 255  # one full-scale pixel to check the /255 scaling exactly
            writer.append(frame)
        assert writer.close() == length
        sequences.append({"name": f"seq{s}", "num_frames": length, "frames": {str(size): rel}})
    return sequences


def test_evenly_spaced_is_distinct_and_centred():
    assert evenly_spaced(10, 5) == [1, 3, 5, 7, 9]
    assert evenly_spaced(3, 3) == [0, 1, 2]
    assert evenly_spaced(7, 4) == [0, 2, 4, 6]
    for n in range(1, 40):
        for k in range(1, n + 1):
            picks = evenly_spaced(n, k)
            assert len(set(picks)) == k and all(0 <= p < n for p in picks)


def test_plan_shares_images_equally_over_sequences(tmp_path):
    sequences = _write_sequences(tmp_path, [10, 3, 7])
    plan = calibration_plan(sequences, tmp_path, 8, 12)
    by_file = {}
    for path, index in plan:
        by_file.setdefault(Path(path).name, []).append(index)
    # 12 images: the 3-frame sequence gives all 3, the other 9 are shared 5 / 4 (the earlier takes the extra)
    assert by_file == {"seq0.npy": [1, 3, 5, 7, 9], "seq1.npy": [0, 1, 2], "seq2.npy": [0, 2, 4, 6]}
    assert plan == calibration_plan(sequences, tmp_path, 8, 12)  # deterministic
    assert len(calibration_plan(sequences, tmp_path, 8, 9)) == 9
    assert {Path(p).name for p, _ in calibration_plan(sequences, tmp_path, 8, 3)} == {"seq0.npy", "seq1.npy", "seq2.npy"}
    assert len(calibration_plan(sequences, tmp_path, 8, 1000)) == 20  # never more than there is
    assert all(Path(p).is_file() for p, _ in plan)  # resolved against the root


def test_plan_skips_sequences_without_frames_at_that_size(tmp_path):
    sequences = _write_sequences(tmp_path, [4]) + [
        {"name": "other_size", "num_frames": 5, "frames": {"640": "frames/img640/x.npy"}},
        {"name": "empty", "num_frames": 0, "frames": {"8": "frames/img8/empty.npy"}},
    ]
    assert [Path(p).name for p, _ in calibration_plan(sequences, tmp_path, 8, 10)] == ["seq0.npy"] * 4
    assert calibration_plan(sequences, tmp_path, 320, 10) == []
    with pytest.raises(ValueError):
        calibration_plan(sequences, tmp_path, 8, 0)


def test_batches_hold_exact_scaled_pixels_and_pad_the_last(tmp_path):
    sequences = _write_sequences(tmp_path, [10, 3, 7])
    plan = calibration_plan(sequences, tmp_path, 8, 12)
    batches = list(iter_calibration_batches(plan, 5))
    assert [b.shape for b in batches] == [(5, 3, 8, 8)] * 3 and all(b.dtype == np.float32 for b in batches)
    # the last batch has 2 real frames, padded by repeating them: plan[10], plan[11], plan[10], plan[11], plan[10]
    expected_entries = plan + [plan[10], plan[11], plan[10]]
    seq_of = {f"seq{s}.npy": s for s in range(3)}
    for position, (path, index) in enumerate(expected_entries):
        got = batches[position // 5][position % 5]
        s = seq_of[Path(path).name]
        for c in range(3):
            value = np.float32(_pixel(s, index, c)) / np.float32(255.0)
            assert np.all(got[c].ravel()[1:] == value), (path, index, c)
        assert got[0, 0, 0] == 1.0  # 255 / 255
    assert np.all((batches[0] >= 0) & (batches[0] <= 1))


def test_batches_read_only_the_planned_frames_through_the_memory_map(tmp_path, monkeypatch):
    sequences = _write_sequences(tmp_path, [50, 40])
    plan = calibration_plan(sequences, tmp_path, 8, 6)
    opened = {}

    class ReadSpy:
        """The real memory map, recording which rows are read from it."""

        def __init__(self, frames):
            self.frames, self.rows = frames, []
            self.ndim, self.shape, self.dtype = frames.ndim, frames.shape, frames.dtype

        def __getitem__(self, key):
            self.rows.append(key)
            return self.frames[key]

    real_open = calibration_module.open_frames

    def spy_open(path):
        frames = real_open(path)
        assert isinstance(frames, np.memmap)  # memory-mapped: nothing is read until a row is touched
        opened[Path(path).name] = spy = ReadSpy(frames)
        return spy

    monkeypatch.setattr(calibration_module, "open_frames", spy_open)
    batches = list(iter_calibration_batches(plan, 3))
    assert len(batches) == 2
    assert set(opened) == {"seq0.npy", "seq1.npy"}  # each file opened once
    assert opened["seq0.npy"].rows == [i for p, i in plan if p.endswith("seq0.npy")]
    assert opened["seq1.npy"].rows == [i for p, i in plan if p.endswith("seq1.npy")]


def test_batches_reject_bad_plans(tmp_path):
    sequences = _write_sequences(tmp_path, [3])
    with pytest.raises(ValueError, match="no frames"):
        iter_calibration_batches([], 4)
    with pytest.raises(ValueError):
        iter_calibration_batches([(str(tmp_path / "frames/img8/seq0.npy"), 0)], 0)
    with pytest.raises(IndexError, match="has 3 frames"):
        list(iter_calibration_batches([(str(tmp_path / sequences[0]["frames"]["8"]), 3)], 1))


def test_random_batches_are_reproducible_and_in_range():
    first = list(random_calibration_batches(10, 4, 16, seed=3))
    again = list(random_calibration_batches(10, 4, 16, seed=3))
    other = list(random_calibration_batches(10, 4, 16, seed=4))
    assert len(first) == 3 and all(b.shape == (4, 3, 16, 16) and b.dtype == np.float32 for b in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    pixels = first[0] * 255
    assert np.allclose(pixels, np.round(pixels), atol=1e-4) and pixels.min() >= 0 and pixels.max() <= 255
    with pytest.raises(ValueError):
        next(random_calibration_batches(0, 4, 16))


def test_cache_key_is_stable_and_sensitive():
    base = ("a" * 64, 640, "frames-fp-1", "minmax")
    key = calibration_cache_key(*base)
    assert key == calibration_cache_key(*base) and len(key) == 16 and int(key, 16) >= 0
    variants = [("b" * 64, 640, "frames-fp-1", "minmax"), ("a" * 64, 320, "frames-fp-1", "minmax"),
                ("a" * 64, 640, "frames-fp-2", "minmax"), ("a" * 64, 640, "frames-fp-1", "entropy")]
    assert len({calibration_cache_key(*v) for v in variants} | {key}) == 5
    with pytest.raises(ValueError, match="minmax"):
        calibration_cache_key("a", 640, "x", "percentile")
    assert ALGORITHMS == ("minmax", "entropy")


def test_calibration_warning_threshold():
    assert MIN_RECOMMENDED_IMAGES == 300
    assert calibration_warning(300) is None and calibration_warning(5000) is None
    assert calibration_warning(299) == ("INT8 calibration on 299 images; at least 300 are recommended (Ultralytics' "
                                        "Orin Nano INT8 mAP fell from 0.61 to 0.32 with poor calibration)")


def test_calibrator_refuses_tensorrt_without_implicit_int8():
    trt11 = SimpleNamespace(__version__="11.0.0")  # TensorRT 11 has no IInt8*Calibrator classes
    with pytest.raises(CalibrationUnsupported, match="Q/DQ.*ModelOpt"):
        make_trt_calibrator(trt11, None, "minmax", [], 1, None)
    with pytest.raises(ValueError):
        make_trt_calibrator(trt11, None, "percentile", [], 1, None)


def test_calibrator_serves_batches_and_keeps_its_cache(tmp_path):
    """The calibrator's own logic, on the CPU, over a stand-in for TensorRT's base class (which needs
    TensorRT); with TensorRT installed the same class derives from the real one."""
    torch = pytest.importorskip("torch")

    class BaseStandIn:
        def __init__(self):
            self.base_initialised = True

    trt = SimpleNamespace(__version__="10.3.0", IInt8MinMaxCalibrator=BaseStandIn)
    sequences = _write_sequences(tmp_path, [5])
    plan = calibration_plan(sequences, tmp_path, 8, 5)
    cache = tmp_path / "calib" / "model.cache"
    calibrator = make_trt_calibrator(trt, torch, "minmax", iter_calibration_batches(plan, 2), 2, cache, device="cpu")
    assert isinstance(calibrator, BaseStandIn) and calibrator.base_initialised
    assert calibrator.get_batch_size() == 2 and calibrator.read_calibration_cache() is None
    expected = list(iter_calibration_batches(plan, 2))
    for batch in expected:
        pointers = calibrator.get_batch(["images"])
        held = calibrator._device_batch
        assert pointers == [held.data_ptr()] and torch.equal(held, torch.from_numpy(batch))
    assert calibrator.get_batch(["images"]) is None  # done
    assert (calibrator.batches_served, calibrator.images_served) == (3, 6)
    calibrator.write_calibration_cache(memoryview(b"TRT-1003-MinMaxCalibration\nimages: 3c010a14\n"))
    assert calibrator.read_calibration_cache() == b"TRT-1003-MinMaxCalibration\nimages: 3c010a14\n"
    with pytest.raises(ValueError, match="one input"):
        calibrator.get_batch(["a", "b"])
    short = make_trt_calibrator(trt, torch, "minmax", iter([np.zeros((1, 3, 8, 8), np.float32)]), 2, None, device="cpu")
    with pytest.raises(ValueError, match="expected 2"):
        short.get_batch(["images"])


# ---------------------------------------------------------------- build request logic

def test_network_flags_per_tensorrt_version():
    trt8 = SimpleNamespace(__version__="8.6.1", NetworkDefinitionCreationFlag=SimpleNamespace(EXPLICIT_BATCH=0))
    assert network_flags(trt8) == 1
    assert network_flags(SimpleNamespace(__version__="10.3.0")) == 0


def test_profile_shapes():
    spec = {"min": 1, "opt": 4, "max": 8}
    assert profile_shapes([-1, 3, -1, -1], spec, 640) == ((1, 3, 640, 640), (4, 3, 640, 640), (8, 3, 640, 640))
    assert profile_shapes([-1, 3, 320, 320], spec, 320) == ((1, 3, 320, 320), (4, 3, 320, 320), (8, 3, 320, 320))
    assert profile_shapes([2, 3, 64, 64], {"min": 2, "opt": 2, "max": 2}, 64) is None  # static: no profile
    with pytest.raises(ValueError, match="fixed batch of 1"):
        profile_shapes([1, 3, 64, 64], spec, 64)
    with pytest.raises(ValueError, match="H=640"):
        profile_shapes([-1, 3, 640, 640], spec, 320)
    with pytest.raises(ValueError, match="min <= opt <= max"):
        profile_shapes([-1, 3, 64, 64], {"min": 4, "opt": 2, "max": 8}, 64)
    with pytest.raises(ValueError, match="NCHW"):
        profile_shapes([-1, 64, 64], spec, 64)


def test_allocation_failures_are_recognised_however_worded():
    assert allocation_failure_evidence([{"code": "FAILED_ALLOCATION", "desc": "std::bad_alloc"}])
    assert allocation_failure_evidence([{"code": "INTERNAL_ERROR",
                                         "desc": "[virtualMemoryBuffer.cpp::resizePhysical::144] Error Code 2: OutOfMemory (no further information)"}])
    assert allocation_failure_evidence([{"code": "ERROR", "desc": "[defaultAllocator.cpp::allocate::31] Error Code 1: Cuda Runtime (out of memory)"}])
    assert allocation_failure_evidence([{"code": "ERROR", "desc": "Could not find any implementation for node X."}]) is None
    assert allocation_failure_evidence([]) is None


def test_error_recorder_collects_errors():
    class Codes(enum.Enum):
        FAILED_ALLOCATION = 5
        INVALID_ARGUMENT = 3

    class RecorderBase:
        def __init__(self):
            pass

    recorder = make_error_recorder(SimpleNamespace(IErrorRecorder=RecorderBase))()
    assert recorder.get_num_errors() == 0
    assert recorder.report_error(Codes.INVALID_ARGUMENT, "bad dims") is False
    recorder.report_error(Codes.FAILED_ALLOCATION, "could not allocate 2 GiB")
    assert recorder.num_errors() == 2 and recorder.get_error_code(1) is Codes.FAILED_ALLOCATION
    assert recorder.get_error_desc(0) == "bad dims" and not recorder.has_overflowed()
    assert allocation_failure_evidence(recorder.errors) == "FAILED_ALLOCATION: could not allocate 2 GiB"
    recorder.clear()
    assert recorder.get_num_errors() == 0


class _Code:
    def __init__(self, name):
        self.name = name


def _stand_in_trt(scenario: str, calls: dict):
    """Only the calls :func:`harness.engines.trt_build.build` makes, recording them. It checks our control
    flow (what is configured, what is written, how failures are classified), not TensorRT itself."""

    class Base:
        def __init__(self):
            pass

    class Tensor:
        name, shape = "images", (-1, 3, -1, -1)

    class Network:
        num_inputs = 1

        def get_input(self, i):
            return Tensor()

    class Parser:
        num_errors = 1

        def __init__(self, network, logger):
            pass

        def parse(self, data, path):
            calls["parsed"] = (data, path)
            return scenario != "parse_error"

        def get_error(self, i):
            return "In node 3 (importResize): UNSUPPORTED_NODE: Assertion failed"

    class Cache:
        def __init__(self, old):
            self.old = old

        def serialize(self):
            return b"CACHE+" + self.old

    class Config:
        def set_memory_pool_limit(self, pool, size):
            calls["pool"] = (pool, size)
            calls["config"] = self

        def create_timing_cache(self, old):
            return Cache(old)

        def set_timing_cache(self, cache, ignore_mismatch):
            self.cache = cache

        def get_timing_cache(self):
            return self.cache

        def set_flag(self, flag):
            calls.setdefault("flags", []).append(flag)

        def add_optimization_profile(self, profile):
            calls["profile"] = profile.shapes

    class Profile:
        def set_shape(self, name, *shapes):
            self.shapes = (name,) + shapes

    class Builder:
        num_DLA_cores = 2  # an AGX Orin

        def __init__(self, logger):
            self.logger = logger

        def create_network(self, flags):
            calls["network_flags"] = flags
            return Network()

        def create_builder_config(self):
            return Config()

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            if scenario == "allocation":
                self.error_recorder.report_error(_Code("FAILED_ALLOCATION"), "requested 4 GiB")
                return None
            if scenario == "no_kernel":
                self.error_recorder.report_error(_Code("INTERNAL_ERROR"), "Could not find any implementation")
                return None
            if scenario == "raises_oom":
                raise RuntimeError("CUDA error: out of memory")
            return bytearray(b"PLAN-BYTES")

    return SimpleNamespace(__version__="10.3.0", IErrorRecorder=Base, ILogger=Base, Builder=Builder, OnnxParser=Parser,
                           MemoryPoolType=SimpleNamespace(WORKSPACE="WORKSPACE"),
                           BuilderFlag=SimpleNamespace(FP16="FP16", INT8="INT8", GPU_FALLBACK="GPU_FALLBACK"),
                           DeviceType=SimpleNamespace(GPU="GPU", DLA="DLA"))


@pytest.mark.parametrize("scenario,outcome", [("ok", "built"), ("allocation", "allocation_failed"),
                                              ("raises_oom", "allocation_failed"), ("no_kernel", "failed"),
                                              ("parse_error", "failed")])
def test_build_control_flow_over_a_stand_in(tmp_path, scenario, outcome):
    import logging

    from harness.engines.trt_build import build

    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx-bytes")
    cache = tmp_path / "timing.cache"
    cache.write_bytes(b"OLD")
    request = {"onnx_path": str(onnx), "engine_path": str(tmp_path / "out" / "m.engine"), "precision": "fp16",
               "imgsz": 64, "input_name": None, "batch": {"min": 1, "opt": 2, "max": 4}, "workspace_mb": 512,
               "timing_cache": str(cache), "calibration": None}
    calls = {}
    payload = build(request, _stand_in_trt(scenario, calls), logging.getLogger("test"))
    assert payload["outcome"] == outcome
    assert calls["parsed"] == (b"onnx-bytes", str(onnx)) and calls["network_flags"] == 0
    engine = tmp_path / "out" / "m.engine"
    if outcome == "built":
        assert engine.read_bytes() == b"PLAN-BYTES" and payload["plan_bytes"] == 10
        assert cache.read_bytes() == b"CACHE+OLD"  # the updated cache replaces the old one
        assert calls["pool"] == ("WORKSPACE", 512 * 2**20) and calls["flags"] == ["FP16"]
        assert calls["profile"] == ("images", (1, 3, 64, 64), (2, 3, 64, 64), (4, 3, 64, 64))
        return
    assert not engine.exists() and cache.read_bytes() == b"OLD"
    if scenario == "parse_error":
        assert payload["parser_errors"] == ["In node 3 (importResize): UNSUPPORTED_NODE: Assertion failed"]
    elif scenario == "allocation":
        assert payload["detail"] == "FAILED_ALLOCATION: requested 4 GiB"
    elif scenario == "raises_oom":
        assert "out of memory" in payload["detail"]
    else:
        assert "INTERNAL_ERROR: Could not find any implementation" in payload["builder_errors"]


# ---------------------------------------------------------------- runner logic

def test_runner_shape_and_dtype_logic():
    class DataType(enum.Enum):
        FLOAT = 0
        HALF = 1
        FP8 = 9

    assert torch_dtype_name(DataType.FLOAT) == "float32" and torch_dtype_name(DataType.HALF) == "float16"
    with pytest.raises(BackendUnavailable, match="FP8"):
        torch_dtype_name(DataType.FP8)
    assert resolve_input_shape((-1, 3, -1, -1), 4, 320) == (4, 3, 320, 320)
    assert resolve_input_shape((1, 3, 640, 640), 1, 640) == (1, 3, 640, 640)
    with pytest.raises(BackendUnavailable, match="fixed batch of 1, this run needs 8"):
        resolve_input_shape((1, 3, 640, 640), 8, 640)
    assert profile_problem((4, 3, 64, 64), (1, 3, 64, 64), (8, 3, 64, 64)) is None
    assert "outside the engine's optimization profile" in profile_problem((16, 3, 64, 64), (1, 3, 64, 64), (8, 3, 64, 64))


def test_runner_memory_check():
    assert engine_activation_bytes(SimpleNamespace(device_memory_size_v2=3 << 20, device_memory_size=1)) == 3 << 20
    assert engine_activation_bytes(SimpleNamespace(device_memory_size=5 << 20)) == 5 << 20  # TensorRT 8.6
    assert memory_problem(400 << 20, 50 << 20, 10 << 20, 512) is None
    assert memory_problem(400 << 20, 50 << 20, 10 << 20, None) is None
    message = memory_problem(800 << 20, 50 << 20, 10 << 20, 512)
    assert message == ("TensorRT activation memory 800.0 MiB + engine plan 50.0 MiB + input/output buffers 10.0 MiB "
                       "= 860.0 MiB exceeds the 512 MiB budget")
    assert issubclass(EngineMemoryExceeded, MemoryError)  # so the harness records skipped_oom
    from harness.process.oom import is_oom_exception
    assert is_oom_exception(EngineMemoryExceeded(message))


# ---------------------------------------------------------------- build orchestration, real child processes

PLATFORM = {**ORIN}


def _fake_setup(tmp_path, behaviour: dict):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"not parsed by the fake builder")
    behaviour_path(onnx).write_text(json.dumps(behaviour))
    return onnx


def _build(tmp_path, onnx, log, **overrides):
    args = dict(onnx_path=onnx, engine_path=tmp_path / "artifacts" / "model_fp16_img64.engine", precision="fp16",
                imgsz=64, batch_spec={"min": 1, "opt": 4, "max": 4}, workspace_request_mb=2048, budget_mb=2048,
                floor_mb=200, calibration=None, timing_cache_path=tmp_path / "artifacts" / "timing.cache",
                timeout_s=120, log_file=log, work_dir=tmp_path / "work", source_sha256="c0ffee" * 10,
                platform=PLATFORM, builder_module=FAKE_BUILDER)
    args.update(overrides)
    return build_engine(**args)


@pytest.mark.slow
def test_workspace_halves_across_real_builder_processes_then_reuses(tmp_path):
    # 1024 and 512 MiB: FAILED_ALLOCATION; 256: built.
    onnx = _fake_setup(tmp_path, {"allocation_failed_above_mb": 300})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log)
    assert record["status"] == "built" and record["workspace_mb"] == 256 and not record["reused"]
    attempts = record["attempts"]
    assert [a["workspace_mb"] for a in attempts] == [1024, 512, 256]  # starts at budget / 2, halves
    assert [a["outcome"] for a in attempts] == ["allocation_failed", "allocation_failed", "built"]
    assert [a["returncode"] for a in attempts] == [3, 3, 0]
    assert "FAILED_ALLOCATION" in attempts[0]["detail"] and "FAILED_ALLOCATION" in attempts[1]["detail"]
    assert len({a["pid"] for a in attempts}) == 3  # one process per attempt
    engine = Path(record["engine_path"])
    request = json.loads(engine.read_bytes()[len(FAKE_PLAN_MAGIC):])
    assert request["workspace_mb"] == 256 and request["batch"] == {"min": 1, "opt": 4, "max": 4}
    assert request["precision"] == "fp16" and request["calibration"] is None
    assert (tmp_path / "artifacts" / "timing.cache").read_text() == "workspace 256\n"
    sidecar = read_sidecar(engine)
    assert sidecar["workspace_mb"] == 256 and sidecar["platform"] == {k: ORIN[k] for k in
                                                                       ("gpu_name", "compute_capability", "tensorrt")}
    assert sidecar["source_sha256"] == "c0ffee" * 10 and sidecar["build_s"] == record["build_s"] is not None
    assert "fake builder pid" in (tmp_path / "run.log").read_text()  # the children's output went to the log

    with open(tmp_path / "run.log", "a") as log:
        again = _build(tmp_path, onnx, log)
        assert again["status"] == "built" and again["reused"] and again["attempts"] == []
        assert again["workspace_mb"] == 256
        other_platform = _build(tmp_path, onnx, log, platform={**ORIN, "tensorrt": "10.7.0"})
        assert not other_platform["reused"] and len(other_platform["attempts"]) == 3  # rebuilt for the new TensorRT
        forced = _build(tmp_path, onnx, log, platform={**ORIN, "tensorrt": "10.7.0"}, force=True)
        assert not forced["reused"] and forced["status"] == "built"


@pytest.mark.slow
def test_every_attempt_failing_allocation_down_to_the_floor_is_skipped_oom(tmp_path):
    onnx = _fake_setup(tmp_path, {"allocation_failed_above_mb": 0})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, workspace_request_mb=1024, budget_mb=None, floor_mb=256)
    assert record["status"] == "skipped_oom"
    assert [a["workspace_mb"] for a in record["attempts"]] == [1024, 512, 256]
    assert all(a["returncode"] == 3 and a["outcome"] == "allocation_failed" for a in record["attempts"])
    assert "every workspace tried (1024, 512, 256 MiB) down to the 256 MiB floor" in record["reason"]
    assert not Path(record["engine_path"]).exists() and not sidecar_path(record["engine_path"]).exists()


def test_a_builder_killed_without_memory_pressure_fails_instead_of_halving(tmp_path):
    """A SIGKILL with the host's memory free and no cgroup OOM kill is not an out-of-memory build: no smaller
    workspace is tried on its account, and the reason says what was seen (harness/process/oom_evidence.py)."""
    onnx = _fake_setup(tmp_path, {"sigkill_above_mb": 0})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, workspace_request_mb=1024, budget_mb=None, floor_mb=256)
    assert record["status"] == "failed" and len(record["attempts"]) == 1
    assert record["attempts"][0]["returncode"] == -9 and record["attempts"][0]["outcome"] == "error"
    assert "killed by SIGKILL (no sign of memory pressure" in record["reason"]


@pytest.mark.slow
def test_parser_errors_fail_without_halving(tmp_path):
    onnx = _fake_setup(tmp_path, {"parser_errors": ["While parsing node number 7 [NonMaxSuppression]: "
                                                    "No importer registered for op"]})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log)
    assert record["status"] == "failed" and len(record["attempts"]) == 1
    assert record["attempts"][0]["returncode"] == 4
    assert "ONNX parser errors: While parsing node number 7 [NonMaxSuppression]" in record["reason"]


def test_budget_below_the_floor_builds_nothing(tmp_path):
    onnx = _fake_setup(tmp_path, {})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, budget_mb=256, floor_mb=256)
    assert record["status"] == "skipped_oom" and record["attempts"] == []
    assert "128 MiB (half of the 256 MiB budget), below the 256 MiB floor" in record["reason"]


@pytest.mark.slow
def test_int8_calibration_request_and_sidecar(tmp_path):
    sequences = _write_sequences(tmp_path / "pre", [30, 20])
    plan = calibration_plan(sequences, tmp_path / "pre", 8, 40)
    calibration = {"algorithm": "minmax", "plan": plan, "batch_size": 4,
                   "key": calibration_cache_key("c0ffee" * 10, 8, "fp", "minmax")}
    onnx = _fake_setup(tmp_path, {})
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, precision="int8", imgsz=8, calibration=calibration)
    assert record["status"] == "built"
    assert record["calibration"] == {"key": calibration["key"], "algorithm": "minmax", "images": 40, "random": False}
    assert record["calibration_warning"].startswith("INT8 calibration on 40 images; at least 300")
    request = json.loads(Path(record["engine_path"]).read_bytes()[len(FAKE_PLAN_MAGIC):])
    sent = request["calibration"]
    assert sent["plan"] == [[p, i] for p, i in plan] and sent["batch_size"] == 4 and sent["random"] is False
    assert sent["cache_path"].endswith(f"calibration_{calibration['key']}_minmax.cache")
    sidecar = read_sidecar(record["engine_path"])
    assert sidecar["calibration"] == record["calibration"] and sidecar["calibration_warning"] == record["calibration_warning"]
    with open(tmp_path / "run.log", "a") as log:
        other_frames = _build(tmp_path, onnx, log, precision="int8", imgsz=8, calibration={**calibration, "key": "other"})
    assert not other_frames["reused"]  # other calibration data: other scales, rebuilt
    random_identity = calibration_identity({"algorithm": "minmax", "random": True, "random_count": 64})
    assert random_identity["images"] == 64 and random_identity["random"]


def test_wanted_fields_ignore_calibration_unless_int8():
    calibration = {"algorithm": "minmax", "plan": [["a.npy", 0]], "key": "k"}
    assert wanted_fields("s", "fp16", 64, {"min": 1, "opt": 1, "max": 1}, calibration, ORIN)["calibration"] is None
    assert wanted_fields("s", "int8", 64, {"min": 1, "opt": 1, "max": 1}, calibration, ORIN)["calibration"]["key"] == "k"


# ---------------------------------------------------------------- the real builder and runner (TensorRT)

@pytest.mark.slow
def test_real_builder_without_tensorrt_reports_skipped(tmp_path):
    if tensorrt_importable():
        pytest.skip("TensorRT is installed here; this checks the machine without it")
    onnx = write_conv_onnx(tmp_path / "tiny.onnx")
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, builder_module="harness.engines.trt_build")
    assert record["status"] == "skipped" and record["reason"] == TENSORRT_MISSING
    assert len(record["attempts"]) == 1 and record["attempts"][0]["returncode"] == 5
    assert "cannot import tensorrt" in record["attempts"][0]["detail"]


def test_runner_without_tensorrt_is_unavailable(tmp_path):
    if tensorrt_importable():
        pytest.skip("TensorRT is installed here; this checks the machine without it")
    from runners.tensorrt_runner import TensorRTRunner

    runner = TensorRTRunner(str(tmp_path / "x.engine"), "cuda:0", "fp16", 64, 1, memory_budget_mb=512)
    with pytest.raises(BackendUnavailable, match="TensorRT is not installed"):
        runner.load()
    assert runner.describe()["backend"] == "tensorrt"


@pytest.mark.slow
def test_real_engine_builds_and_matches_onnxruntime(tmp_path):
    """On a machine with TensorRT and a CUDA GPU: build a tiny engine through the real builder child, run it
    with the runner, and compare with ONNX Runtime on the same input."""
    pytest.importorskip("tensorrt", reason=TRT_SKIP_REASON)
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    import onnxruntime as ort

    from runners.tensorrt_runner import TensorRTRunner

    onnx = write_conv_onnx(tmp_path / "tiny.onnx")
    platform = current_platform()
    with open(tmp_path / "run.log", "w") as log:
        record = _build(tmp_path, onnx, log, builder_module="harness.engines.trt_build", precision="fp32",
                        batch_spec={"min": 1, "opt": 2, "max": 2}, workspace_request_mb=256, budget_mb=None,
                        floor_mb=32, platform=platform, imgsz=64)
    assert record["status"] == "built", record
    frames = np.random.default_rng(0).integers(0, 256, size=(2, 3, 64, 64), dtype=np.uint8)
    runner = TensorRTRunner(record["engine_path"], "cuda:0", "fp32", 64, 2, memory_budget_mb=4096)
    runner.load()
    try:
        out = runner.infer(runner.prepare(frames))
        runner.synchronize()
        got = runner.to_numpy(out)
        info = runner.describe()
    finally:
        runner.release()
    expected = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"]).run(
        None, {"images": frames.astype(np.float32) / 255.0})[0]
    got = got[0]
    assert got.shape == expected.shape == (2, 4, 64, 64)
    assert np.allclose(got, expected, atol=1e-2)  # TF32 tactics may be chosen for fp32 on Ampere and newer
    assert info["engine_format"] == "plain" and info["memory_limit"]["limit_type"] == "preflight"
    assert [t["name"] for t in info["io_tensors"]] == ["images", "out"]


@pytest.mark.slow
def test_engine_modules_import_without_heavy_libraries():
    """Phase A imports the orchestration and the parent may read engine files: neither pulls in torch or
    TensorRT until a build or a run needs them."""
    import subprocess
    import sys

    from conftest import REPO

    code = ("import sys, harness.engines.engine_builds, harness.engines.engine_file, harness.engines.trt_build, "
            "harness.engines.platform_fingerprint, harness.engines.calibration, runners.tensorrt_runner\n"
            "print(','.join(m for m in ('torch', 'tensorrt', 'ultralytics', 'onnxruntime') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_builder_options_are_applied_where_this_tensorrt_has_them():
    from harness.engines.trt_build import apply_builder_options

    flags = []
    trt = SimpleNamespace(__version__="10.3.0", BuilderFlag=SimpleNamespace(SPARSE_WEIGHTS="SPARSE_WEIGHTS"))
    config = SimpleNamespace(builder_optimization_level=3, set_flag=flags.append)
    applied = apply_builder_options(trt, config, {"builder_opt_level": 5, "sparsity": True})
    assert applied == {"builder_opt_level": 5, "sparsity": True}
    assert config.builder_optimization_level == 5 and flags == ["SPARSE_WEIGHTS"]
    old = SimpleNamespace(set_flag=flags.append)  # TensorRT 8.5: no optimization level on the config
    applied = apply_builder_options(SimpleNamespace(__version__="8.5.2", BuilderFlag=trt.BuilderFlag), old,
                                    {"builder_opt_level": 4, "sparsity": False})
    assert applied == {"builder_opt_level_unsupported": "TensorRT 8.5.2 has no builder optimization level "
                                                        "(TensorRT 8.6 and later)"}
    assert apply_builder_options(trt, config, None) == {}


def test_an_engine_built_with_other_builder_options_is_not_reused_and_a_rebuild_says_if_its_bytes_changed(tmp_path):
    from harness.files.artifact_sidecar import write_sidecar
    from harness.engines.engine_builds import rebuild_record

    platform = {"gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0"}
    batch = {"min": 1, "opt": 1, "max": 1}
    level3 = wanted_fields("a" * 64, "fp16", 640, batch, None, platform, {"builder_opt_level": 3, "sparsity": False})
    level5 = wanted_fields("a" * 64, "fp16", 640, batch, None, platform, {"builder_opt_level": 5, "sparsity": False})
    assert level3 != level5 and level3["builder_options"]["builder_opt_level"] == 3
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"PLAN-1")
    write_sidecar(engine, level3)
    from harness.files.artifact_sidecar import read_sidecar

    previous = read_sidecar(engine)
    engine.write_bytes(b"PLAN-2!")  # the rebuild wrote other bytes
    record = rebuild_record(engine, previous, level3)
    assert record["same_bytes"] is False and record["previous_plan_bytes"] == 6 and record["plan_bytes"] == 7
    assert rebuild_record(engine, previous, level5) is None  # not the same engine: nothing to compare
    assert rebuild_record(engine, None, level3) is None


def _dla_request(tmp_path, core):
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx-bytes")
    return {"onnx_path": str(onnx), "engine_path": str(tmp_path / "m_dla.engine"), "precision": "fp16", "imgsz": 64,
            "input_name": None, "batch": {"min": 1, "opt": 1, "max": 1}, "workspace_mb": 256, "timing_cache": None,
            "calibration": None, "dla_core": core}


def test_a_dla_build_sets_the_core_the_default_device_and_gpu_fallback(tmp_path):
    import logging

    from harness.engines.trt_build import build

    calls = {}
    payload = build(_dla_request(tmp_path, 1), _stand_in_trt("ok", calls), logging.getLogger("test"))
    config = calls["config"]
    assert payload["outcome"] == "built" and payload["dla"] == {"dla_core": 1, "gpu_fallback": True,
                                                                "dla_cores_on_device": 2}
    assert (config.default_device_type, config.DLA_core) == ("DLA", 1) and "GPU_FALLBACK" in calls["flags"]
    gpu_calls = {}
    assert build(_dla_request(tmp_path, None), _stand_in_trt("ok", gpu_calls), logging.getLogger("test"))["dla"] is None
    assert not hasattr(gpu_calls["config"], "default_device_type") and "GPU_FALLBACK" not in gpu_calls["flags"]


def test_a_dla_core_the_device_lacks_is_unsupported_not_failed(tmp_path):
    import logging

    from harness.engines.trt_build import EXIT_CODES, build

    payload = build(_dla_request(tmp_path, 2), _stand_in_trt("ok", {}), logging.getLogger("test"))
    assert payload["outcome"] == "unsupported" and EXIT_CODES["unsupported"] == 6
    assert payload["detail"] == "DLA core 2 was asked for; TensorRT reports 2 DLA cores on this device"
    assert not (tmp_path / "m_dla.engine").exists()


def test_an_unsupported_build_is_a_skipped_engine_and_a_dla_engine_records_its_core(tmp_path):
    onnx = write_conv_onnx(tmp_path / "m.onnx")
    platform = {"gpu_name": "Orin", "compute_capability": "8.7", "tensorrt": "10.3.0"}
    common = dict(precision="fp16", imgsz=64, batch_spec={"min": 1, "opt": 1, "max": 1}, workspace_request_mb=256,
                  budget_mb=None, floor_mb=64, calibration=None, timing_cache_path=None, timeout_s=60,
                  log_file=open(tmp_path / "log.txt", "w"), work_dir=tmp_path / "work", source_sha256="a" * 64,
                  platform=platform, builder_module=FAKE_BUILDER)
    behaviour_path(onnx).write_text(json.dumps({}))
    built = build_engine(onnx, tmp_path / "m_dla0.engine", dla_core=0, **common)
    assert built["status"] == "built" and read_sidecar(tmp_path / "m_dla0.engine")["dla_core"] == 0
    request = json.loads((tmp_path / "m_dla0.engine").read_bytes()[len(FAKE_PLAN_MAGIC):])
    assert request["dla_core"] == 0  # the builder was asked for the core
    gpu = build_engine(onnx, tmp_path / "m_dla0.engine", dla_core=None, **common)
    assert gpu["status"] == "built" and not gpu["reused"]  # a GPU engine is never the DLA engine
    behaviour_path(onnx).write_text(json.dumps({"unsupported": "DLA core 1 was asked for; TensorRT reports 1 DLA core"}))
    skipped = build_engine(onnx, tmp_path / "m_dla1.engine", dla_core=1, **common)
    assert (skipped["status"], skipped["reason"]) == ("skipped", "DLA core 1 was asked for; TensorRT reports 1 DLA core")
    assert len(skipped["attempts"]) == 1  # not a memory failure: no smaller workspace is tried
