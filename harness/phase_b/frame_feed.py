"""Batches from the memory-mapped frame store, never more than ``max_frames_in_mem`` frames in memory.

Frames are read one chunk at a time (a chunk is a contiguous slice of one sequence: a video, or the
folder of images). A chunk is copied out of the memory map into RAM, so the mapped pages can go; batches
are consecutive slices of the chunk, wrapping inside it to stay full. Between chunks ``on_chunk_change``
runs (gc and the device cache release), which is outside the timed region because it happens in the
iterator, before the caller reads the clock. Its consequence would not be: after the cache release the next
pass re-allocates it (cudaMalloc) inside the timed forward. So the feed raises a flag and the timing loop
runs one discarded pass on the new chunk first (measured on an H200: without it, yolo11n fp16 batch 16's
GPU compute p50 read 43 % high, because the 16-image and 48-frame chunks alternate every few passes).
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
    """Frames held in memory together: one or more (sequence, start, stop) slices."""

    parts: tuple

    @property
    def frames(self) -> int:
        return sum(stop - start for _, start, stop in self.parts)


def plan_chunks(sequences: list, max_frames_in_mem: int) -> list:
    """When every frame fits in ``max_frames_in_mem`` the dataset is one chunk, loaded once: nothing is
    released and reloaded mid-run. Otherwise each sequence is split into chunks of at most that many frames,
    and the cleanup runs between them (a new video's frames replace the last one's)."""
    sequences = [seq for seq in sequences if seq.num_frames > 0]
    if not sequences:
        return []
    if sum(seq.num_frames for seq in sequences) <= max_frames_in_mem:
        return [Chunk(tuple((seq, 0, seq.num_frames) for seq in sequences))]
    chunks = []
    for seq in sequences:
        for start in range(0, seq.num_frames, max_frames_in_mem):
            chunks.append(Chunk(((seq, start, min(start + max_frames_in_mem, seq.num_frames)),)))
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
        self.cleaned_since_last_fetch = False  # a cleanup ran before the batch just handed out

    def _load(self, chunk: Chunk) -> np.ndarray:
        pieces = []
        for sequence, start, stop in chunk.parts:
            mapped = open_frames(sequence.path)
            pieces.append(np.array(mapped[start:stop], copy=True))  # a real copy in RAM, not a view of the map
            del mapped
        data = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
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
                        self.cleaned_since_last_fetch = True
                if data is None:
                    data = self._load(chunk)
                    self.chunks_loaded += 1
                self.max_resident_frames = max(self.max_resident_frames, len(data))
                count = len(data)
                for start in range(0, chunk.frames, self.batch):
                    if start + self.batch <= count:
                        batch = data[start:start + self.batch]
                    else:  # wrap inside the chunk to keep the batch full
                        batch = np.ascontiguousarray(data[np.arange(start, start + self.batch) % count])
                    self.frames_served += self.batch
                    yield batch
                    self.cleaned_since_last_fetch = False

    def take_cleanup_flag(self) -> bool:
        """True once after a chunk change ran the cleanup: the caller should re-warm before timing again."""
        flag, self.cleaned_since_last_fetch = self.cleaned_since_last_fetch, False
        return flag
