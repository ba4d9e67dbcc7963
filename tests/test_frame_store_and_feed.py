import numpy as np
import pytest

from harness.data.frame_store import FrameWriter, open_frames, shrink_npy
from harness.phase_b.frame_feed import FrameFeed, SequenceFrames, plan_chunks


def _store(path, n, size=4, offset=0):
    writer = FrameWriter(path, capacity=n + 5, size=size)  # over-allocated, as for a video of unknown length
    for i in range(n):
        writer.append(np.full((3, size, size), offset + i, dtype=np.uint8))
    assert writer.close() == n
    return SequenceFrames(path.stem, str(path), n)


def test_writer_trims_to_written_frames(tmp_path):
    seq = _store(tmp_path / "a.npy", 7)
    arr = open_frames(seq.path)
    assert isinstance(arr, np.memmap) and arr.shape == (7, 3, 4, 4)
    assert [int(f[0, 0, 0]) for f in arr] == list(range(7))
    assert (tmp_path / "a.npy").stat().st_size == arr.offset + 7 * 3 * 4 * 4


def test_shrink_across_digit_boundary(tmp_path):
    path = tmp_path / "b.npy"
    np.save(path, np.arange(1000 * 2, dtype=np.uint8).reshape(1000, 2))
    shrink_npy(path, 9)
    loaded = np.load(path)
    assert loaded.shape == (9, 2) and loaded[8, 1] == np.uint8(17)
    with pytest.raises(ValueError):
        shrink_npy(path, 10)


def _collect(feed, n):
    it = feed.batches()
    return [next(it).copy() for _ in range(n)]


def test_batches_cycle_all_sequences_and_wrap(tmp_path):
    a = _store(tmp_path / "a.npy", 5, offset=0)
    b = _store(tmp_path / "b.npy", 3, offset=100)
    cleanups = []
    feed = FrameFeed([a, b], batch=2, max_frames_in_mem=4, on_chunk_change=lambda: cleanups.append(1))
    assert [[(p[0].name, p[1], p[2]) for p in c.parts] for c in feed.chunks] == [[("a", 0, 4)], [("a", 4, 5)], [("b", 0, 3)]]
    firsts = [[int(x[0, 0, 0]) for x in batch] for batch in _collect(feed, 6)]
    # chunk a[0:4] -> [0,1],[2,3]; a[4:5] (short: repeated) -> [4,4]; b[0:3] -> [100,101],[102,100] (wraps); again a
    assert firsts == [[0, 1], [2, 3], [4, 4], [100, 101], [102, 100], [0, 1]]
    assert feed.max_resident_frames <= 4
    assert len(cleanups) == 3  # between chunks, never before the first


def test_everything_that_fits_is_one_chunk_loaded_once(tmp_path):
    """5 + 3 frames within a budget of 8: one chunk, never released and reloaded, no cleanup mid-run."""
    a = _store(tmp_path / "a.npy", 5, offset=0)
    b = _store(tmp_path / "b.npy", 3, offset=100)
    cleanups = []
    feed = FrameFeed([a, b], batch=2, max_frames_in_mem=8, on_chunk_change=lambda: cleanups.append(1))
    assert len(feed.chunks) == 1 and feed.chunks[0].frames == 8
    firsts = [[int(x[0, 0, 0]) for x in batch] for batch in _collect(feed, 6)]
    assert firsts == [[0, 1], [2, 3], [4, 100], [101, 102], [0, 1], [2, 3]]
    assert feed.chunks_loaded == 1 and cleanups == [] and feed.max_resident_frames == 8


def test_single_chunk_is_loaded_once(tmp_path):
    a = _store(tmp_path / "a.npy", 3)
    cleanups = []
    feed = FrameFeed([a], batch=2, max_frames_in_mem=10, on_chunk_change=lambda: cleanups.append(1))
    _collect(feed, 10)
    assert feed.chunks_loaded == 1 and cleanups == []


def test_chunks_are_writable_copies_not_maps(tmp_path):
    a = _store(tmp_path / "a.npy", 3)
    batch = next(FrameFeed([a], batch=2, max_frames_in_mem=3).batches())
    assert batch.flags.writeable and not isinstance(batch.base, np.memmap)


def test_plan_chunks_and_guards(tmp_path):
    a = _store(tmp_path / "a.npy", 10)
    assert [(c.parts[0][1], c.parts[0][2]) for c in plan_chunks([a], 4)] == [(0, 4), (4, 8), (8, 10)]
    with pytest.raises(ValueError):
        FrameFeed([a], batch=8, max_frames_in_mem=4)
    with pytest.raises(ValueError):
        FrameFeed([SequenceFrames("e", "x", 0)], batch=1, max_frames_in_mem=4)
