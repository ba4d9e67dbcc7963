"""Preprocessed frames on disk: one ``.npy`` array per sequence and frames key (size and resize mode),
N x 3 x H x W uint8 (RGB, CHW).

Phase A writes them through :class:`FrameWriter` (memory-mapped, so a long video never sits in RAM);
Phase B opens them with ``np.load(mmap_mode="r")`` and copies at most ``--max_frames_in_mem`` frames at a
time into memory.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np


class FrameWriter:
    """Append CHW frames to an ``.npy`` of fixed capacity; :meth:`close` trims it to what was written."""

    def __init__(self, path: str | os.PathLike, capacity: int, size):
        """``size``: an int (square) or (height, width)."""
        height, width = (size, size) if isinstance(size, int) else tuple(size)
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.capacity = capacity
        self.count = 0
        self._array = np.lib.format.open_memmap(self.path, mode="w+", dtype=np.uint8, shape=(capacity, 3, height, width))

    def append(self, frame_chw: np.ndarray) -> int:
        if self.count >= self.capacity:
            raise IndexError("frame store is full")
        self._array[self.count] = frame_chw
        self.count += 1
        return self.count - 1

    @property
    def full(self) -> bool:
        return self.count >= self.capacity

    def close(self) -> int:
        self._array.flush()
        del self._array
        if self.count < self.capacity:
            shrink_npy(self.path, self.count)
        return self.count


def shrink_npy(path: str | os.PathLike, count: int) -> None:
    """Cut an ``.npy`` to its first ``count`` rows in place: rewrite the header, truncate the data.

    The header is kept at its original length (padded with spaces, as the format allows), so the data
    offset does not move.
    """
    path = Path(path)
    with open(path, "r+b") as handle:
        version = np.lib.format.read_magic(handle)
        if version != (1, 0):
            raise ValueError(f"unsupported npy version {version}")
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        data_offset = handle.tell()
        if count > shape[0]:
            raise ValueError("cannot grow an array")
        new_shape = (count,) + tuple(shape[1:])
        header = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran, "shape": new_shape})
        header_len = data_offset - 10  # magic (6) + version (2) + length (2)
        body = header.encode("latin1")
        if len(body) + 1 > header_len:
            raise ValueError("new header does not fit")
        body = body + b" " * (header_len - len(body) - 1) + b"\n"
        handle.seek(8)
        handle.write(struct.pack("<H", header_len))
        handle.write(body)
        row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
        handle.truncate(data_offset + count * row_bytes)


def open_frames(path: str | os.PathLike) -> np.ndarray:
    """Memory-map a frame array read-only (nothing is read until a slice is touched)."""
    return np.load(path, mmap_mode="r")
