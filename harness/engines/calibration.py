"""INT8 calibration data for TensorRT, taken from the preprocessed real frames.

Phase A already stores every frame letterboxed to each imgsz as uint8 N x 3 x S x S arrays
(``frames/img<S>/<sequence>.npy``); calibration reads a spread of them through the memory map, one frame
at a time, so a long video is never loaded whole. Batches are float32 NCHW in [0, 1] (pixel / 255), the
same input the exported ONNX expects. Random data is available only on explicit request
(``--int8_random_calibration``): it is fine for timing and meaningless for accuracy.

Calibrators (``IInt8MinMaxCalibrator`` / ``IInt8EntropyCalibrator2``) are deprecated since TensorRT 10.1
and gone in TensorRT 11, where INT8 comes from Q/DQ nodes in the ONNX itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from harness.files.atomic_io import atomic_write_bytes
from harness.data.frame_store import open_frames

ALGORITHMS = ("minmax", "entropy")  # the implicit calibrators TensorRT 8.x has for our --int8_calibration names
MIN_RECOMMENDED_IMAGES = 300
_CALIBRATOR_CLASSES = {"minmax": "IInt8MinMaxCalibrator", "entropy": "IInt8EntropyCalibrator2"}

PlanEntry = Tuple[str, int]  # (path of a frames .npy, frame index in it)


def int8_build_path(tensorrt_version: Optional[str], method: str) -> str:
    """How a TensorRT INT8 engine gets its scales: "explicit" (built from the symmetric Q/DQ ONNX; TensorRT >= 10,
    where the implicit calibrators are deprecated, and gone in 11) or "implicit" (TensorRT 8.x's own calibrator on
    the fp32 ONNX, for the methods it has; other methods take the Q/DQ path, which 8.5+ also builds)."""
    try:
        major = int(str(tensorrt_version).split(".")[0])
    except ValueError:
        return "explicit"  # unknown version: the path every TensorRT from 8.5 on builds
    return "implicit" if major < 10 and method in ALGORITHMS else "explicit"


class CalibrationUnsupported(Exception):
    """This TensorRT has no implicit INT8 calibration (TensorRT >= 11)."""


def _equal_shares(counts: Sequence[int], target: int) -> List[int]:
    """Split ``target`` images over sequences as equally as their lengths allow (a short sequence gives
    all it has, the rest is shared among the longer ones); earlier sequences take any remainder."""
    shares = [0] * len(counts)
    open_ = list(range(len(counts)))
    remaining = target
    while open_ and remaining > 0:
        share = remaining // len(open_)
        exhausted = [i for i in open_ if counts[i] <= share]
        if not exhausted:
            extra = remaining - share * len(open_)
            for rank, i in enumerate(open_):
                shares[i] = share + (1 if rank < extra else 0)
            break
        for i in exhausted:
            shares[i] = counts[i]
            remaining -= counts[i]
        open_ = [i for i in open_ if i not in exhausted]
    return shares


def evenly_spaced(n: int, k: int) -> List[int]:
    """``k`` distinct indices out of ``range(n)``, the centres of k equal strata (k <= n)."""
    return [(2 * i + 1) * n // (2 * k) for i in range(k)]


def calibration_plan(sequences: Iterable[dict], root: str | os.PathLike, imgsz: int, max_images: int) -> List[PlanEntry]:
    """Which frames to calibrate on: at most ``max_images``, shared equally over the sequences that have
    frames at ``imgsz`` and spread evenly within each. Deterministic; grouped by file, in frame order.

    ``sequences`` are the setup metadata's records (``name``, ``num_frames``, ``frames`` {size: relative
    path}); paths are resolved against ``root``. Returns ``[(npy_path, frame_index), ...]``, empty when no
    sequence has frames at this size.
    """
    if max_images <= 0:
        raise ValueError("max_images must be positive")
    usable = []
    for seq in sequences:
        rel = (seq.get("frames") or {}).get(str(imgsz))
        count = int(seq.get("num_frames") or 0)
        if rel and count > 0:
            usable.append((str(Path(root) / rel), count))
    shares = _equal_shares([count for _, count in usable], min(max_images, sum(c for _, c in usable)))
    return [(path, index) for (path, count), share in zip(usable, shares) if share
            for index in evenly_spaced(count, share)]


def _open_checked(path: str) -> np.ndarray:
    frames = open_frames(path)
    if frames.ndim != 4 or frames.shape[1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"{path}: expected uint8 N x 3 x S x S frames, found {frames.dtype} {frames.shape}")
    return frames


def iter_calibration_batches(plan: Sequence[PlanEntry], batch_size: int) -> Iterator[np.ndarray]:
    """float32 N x 3 x S x S batches of the planned frames divided by 255, in plan order.

    Each frame is copied out of its file's memory map on its own (nothing else of the file is read). The
    last batch, if short, is filled by repeating its own frames: TensorRT takes only full batches.
    """
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    if not plan:
        raise ValueError("no frames to calibrate on")
    plan = [(str(path), int(index)) for path, index in plan]

    def generate() -> Iterator[np.ndarray]:
        maps = {}
        for start in range(0, len(plan), batch_size):
            chunk = plan[start:start + batch_size]
            chunk = chunk + [chunk[i % len(chunk)] for i in range(batch_size - len(chunk))]
            batch = None
            for slot, (path, index) in enumerate(chunk):
                if path not in maps:
                    maps[path] = _open_checked(path)
                frames = maps[path]
                if not 0 <= index < frames.shape[0]:
                    raise IndexError(f"{path} has {frames.shape[0]} frames, the calibration plan asks for frame {index}")
                if batch is None:
                    batch = np.empty((batch_size,) + tuple(frames.shape[1:]), dtype=np.float32)
                batch[slot] = frames[index]
            np.divide(batch, 255.0, out=batch)
            yield batch

    return generate()


def random_calibration_batches(count: int, batch_size: int, imgsz: int, seed: int = 0) -> Iterator[np.ndarray]:
    """``ceil(count / batch_size)`` batches of uniformly random pixels / 255 (float32, NCHW), reproducible
    from ``seed``. Only for the explicit random-calibration flag: scales from noise say nothing about
    accuracy."""
    if count <= 0 or batch_size <= 0 or imgsz <= 0:
        raise ValueError("count, batch_size and imgsz must be positive")
    rng = np.random.default_rng(seed)
    for _ in range(-(-count // batch_size)):
        pixels = rng.integers(0, 256, size=(batch_size, 3, imgsz, imgsz), dtype=np.uint8)
        yield pixels.astype(np.float32) / np.float32(255.0)


def calibration_cache_key(model_sha256: str, imgsz: int, dataset_fingerprint: str, algorithm: str) -> str:
    """A 16-hex-digit name for a calibration cache: the same model, size, frames and algorithm give the
    same key (so a rebuild at a smaller workspace reuses the scales), any change gives another."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown calibration algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
    payload = json.dumps([str(model_sha256), int(imgsz), str(dataset_fingerprint), algorithm])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def calibration_warning(n_images: int) -> Optional[str]:
    """A warning when fewer than MIN_RECOMMENDED_IMAGES images are used, else None."""
    if n_images >= MIN_RECOMMENDED_IMAGES:
        return None
    return (f"INT8 calibration on {n_images} images; at least {MIN_RECOMMENDED_IMAGES} are recommended "
            f"(Ultralytics' Orin Nano INT8 mAP fell from 0.61 to 0.32 with poor calibration)")


def make_trt_calibrator(trt, torch, algorithm: str, batches_iterable: Iterable[np.ndarray], batch_size: int,
                        cache_path: Optional[str | os.PathLike], device: str = "cuda"):
    """A TensorRT calibrator feeding ``batches_iterable`` (float32 NCHW numpy batches of ``batch_size``).

    Each batch is copied into a torch tensor on ``device`` that the calibrator keeps alive until the next
    call, and its pointer is handed to TensorRT. The calibration cache is read from and written to
    ``cache_path`` (atomically), so the scales are computed once per model x imgsz x frames x algorithm.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown calibration algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
    base_name = _CALIBRATOR_CLASSES[algorithm]
    base = getattr(trt, base_name, None)
    if base is None:
        raise CalibrationUnsupported(
            f"TensorRT {getattr(trt, '__version__', '?')} has no {base_name}: implicit INT8 calibration was "
            f"removed in TensorRT 11. Quantize the ONNX with Q/DQ nodes instead (e.g. NVIDIA ModelOpt) and build "
            f"the engine from that ONNX")
    cache = Path(cache_path) if cache_path else None

    class HarnessCalibrator(base):
        """Serves the calibration batches to TensorRT; counts what it served."""

        def __init__(self):
            base.__init__(self)
            self._batches = iter(batches_iterable)
            self._device_batch = None  # the batch TensorRT is reading, kept alive until the next get_batch
            self.batches_served = 0
            self.images_served = 0

        def get_batch_size(self):
            return batch_size

        def get_batch(self, names, *unused):
            if len(names) != 1:
                raise ValueError(f"calibration feeds models with one input; this one has {list(names)}")
            try:
                batch = next(self._batches)
            except StopIteration:
                self._device_batch = None
                return None
            if batch.shape[0] != batch_size:
                raise ValueError(f"calibration batch of {batch.shape[0]} images, expected {batch_size}")
            self._device_batch = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(device)
            if str(device).startswith("cuda"):
                torch.cuda.synchronize()  # TensorRT reads the pointer on its own stream
            self.batches_served += 1
            self.images_served += batch_size
            return [int(self._device_batch.data_ptr())]

        def read_calibration_cache(self):
            if cache is not None and cache.is_file():
                return cache.read_bytes()
            return None

        def write_calibration_cache(self, data):
            if cache is not None:
                atomic_write_bytes(cache, bytes(memoryview(data)))

    return HarnessCalibrator()
