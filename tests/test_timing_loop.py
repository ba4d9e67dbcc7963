import itertools

from harness.measure.timing_loop import run_passes


class FakeClock:
    """Each step advances time by a scripted amount; the loop must only read the clock around steps."""

    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


def test_warmup_excluded_and_samples_exact():
    clock = FakeClock()
    durations = iter([50, 40, 10, 11, 12, 13])  # ms: two warm-up passes, then four measured
    events = []

    def step(batch):
        clock.now += next(durations) * 1_000_000
        return batch

    result = run_passes(step, itertools.count(), warmup=2, iters=4, clock_ns=clock,
                        on_measure_start=lambda: events.append(("measure_start", clock.now)))
    assert result.warmup_ms == [50.0, 40.0]
    assert result.latency_ms == [10.0, 11.0, 12.0, 13.0]
    assert result.measured_wall_s == 0.046
    assert result.last_output == 5  # batches 0,1 warm-up; 2..5 measured
    assert events == [("measure_start", 90_000_000)]


def test_min_duration_extends_past_iters():
    clock = FakeClock()

    def step(_):
        clock.now += 100 * 1_000_000  # 100 ms each

    result = run_passes(step, itertools.count(), warmup=0, iters=2, min_duration_s=1.0, clock_ns=clock)
    assert len(result.latency_ms) == 10  # 2 would meet iters; 1 s needs 10 passes of 100 ms


def test_iters_dominates_when_duration_is_short():
    clock = FakeClock()

    def step(_):
        clock.now += 1_000_000

    assert len(run_passes(step, itertools.count(), 0, 25, min_duration_s=0.001, clock_ns=clock).latency_ms) == 25


def test_a_cleanup_is_followed_by_an_untimed_rewarm_pass():
    """After the feed releases memory between chunks, the next batch runs once off the clock: the timed pass
    then finds the allocator warm again."""
    clock = FakeClock()
    slow_after_cleanup = {"pending": False}
    cleanups = iter([False, True, False, False, True, False])  # after the 2nd and 5th fetch
    ran = []

    def step(batch):
        ran.append(batch)
        # a pass right after a cleanup re-allocates and is slow; the next one is fast again
        clock.now += (50 if slow_after_cleanup["pending"] else 10) * 1_000_000
        slow_after_cleanup["pending"] = False

    def needs_rewarm():
        flag = next(cleanups)
        if flag:
            slow_after_cleanup["pending"] = True
        return flag

    result = run_passes(step, itertools.count(), warmup=0, iters=6, clock_ns=clock, needs_rewarm=needs_rewarm)
    assert result.latency_ms == [10.0] * 6          # no timed pass paid for re-allocation
    assert result.rewarm_passes == 2 and ran == [0, 1, 1, 2, 3, 4, 4, 5]


def test_feed_raises_the_cleanup_flag_once_per_chunk_change(tmp_path):
    import numpy as np

    from harness.data.frame_store import FrameWriter
    from harness.phase_b.frame_feed import FrameFeed, SequenceFrames

    seqs = []
    for name, n in (("a", 2), ("b", 2)):
        writer = FrameWriter(tmp_path / f"{name}.npy", n, 4)
        for i in range(n):
            writer.append(np.zeros((3, 4, 4), np.uint8))
        writer.close()
        seqs.append(SequenceFrames(name, str(tmp_path / f"{name}.npy"), n))
    feed = FrameFeed(seqs, batch=1, max_frames_in_mem=2, on_chunk_change=lambda: None)
    it = feed.batches()
    flags = []
    for _ in range(6):
        next(it)
        flags.append(feed.take_cleanup_flag())
    assert flags == [False, False, True, False, True, False]
