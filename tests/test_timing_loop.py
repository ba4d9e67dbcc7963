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
