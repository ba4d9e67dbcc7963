"""Batches from the memory-mapped frame store, never more than ``max_frames_in_mem`` frames in memory.

Frames are read one chunk at a time (a chunk is a contiguous slice of one sequence: a video, or the
folder of images). A chunk is copied out of the memory map into RAM, so the mapped pages can go; batches
are consecutive slices of the chunk, wrapping inside it to stay full. Between chunks ``on_chunk_change``
runs (gc and the device cache release), which is outside the timed region because it happens in the
iterator, before the caller reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional

import numpy as np

from harness.data.frame_store import open_frames


@dataclass(frozen=True)
class SequenceFrames:
    name: str
    path: str
    num_frames: int


@dataclass(frozen=True)
class Chunk:
    sequence: SequenceFrames
    start: int
    stop: int


def plan_chunks(sequences: list, max_frames_in_mem: int) -> list:
    """Split each sequence into chunks of at most ``max_frames_in_mem`` frames."""
    chunks = []
    for seq in sequences:
        for start in range(0, seq.num_frames, max_frames_in_mem):
            chunks.append(Chunk(seq, start, min(start + max_frames_in_mem, seq.num_frames)))
    return chunks


class FrameFeed:
    def __init__(
        self,
        sequences: list,
        batch: int,
        max_frames_in_mem: int,
        on_chunk_change: Optional[Callable[[], None]] = None,
    ):
        if batch > max_frames_in_mem:
            raise ValueError("batch larger than max_frames_in_mem")
        self.chunks = plan_chunks([s for s in sequences if s.num_frames > 0], max_frames_in_mem)
        if not self.chunks:
            raise ValueError("no frames to feed")
        self.batch = batch
        self.on_chunk_change = on_chunk_change
        self.chunks_loaded = 0
        self.max_resident_frames = 0
        self.frames_served = 0

    def _load(self, chunk: Chunk) -> np.ndarray:
        mapped = open_frames(chunk.sequence.path)
        data = np.array(mapped[chunk.start:chunk.stop], copy=True)  # a real copy in RAM, not a view of the map
        del mapped
        if len(data) < self.batch:  # a short sequence still yields full batches: repeat its frames
            data = np.ascontiguousarray(data[np.arange(self.batch) % len(data)])
        return data

    def batches(self) -> Iterator[np.ndarray]:
        """An endless stream of full N x 3 x S x S uint8 batches, cycling over every chunk."""
        data: Optional[np.ndarray] = None
        while True:
            for chunk in self.chunks:
                if data is not None and len(self.chunks) == 1:
                    pass  # the whole dataset is one chunk: keep it, nothing to reload or clean
                elif data is not None:
                    data = None
                    if self.on_chunk_change is not None:
                        self.on_chunk_change()
                if data is None:
                    data = self._load(chunk)
                    self.chunks_loaded += 1
                self.max_resident_frames = max(self.max_resident_frames, len(data))
                count = len(data)
                for start in range(0, chunk.stop - chunk.start, self.batch):
                    if start + self.batch <= count:
                        batch = data[start:start + self.batch]
                    else:  # wrap inside the chunk to keep the batch full
                        batch = np.ascontiguousarray(data[np.arange(start, start + self.batch) % count])
                    self.frames_served += self.batch
                    yield batch
