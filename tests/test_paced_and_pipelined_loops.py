"""The camera-paced loop against a fake clock (scheduled arrival, queueing, deadline misses, achieved rate) and the
pipelined loop against a fake pipeline (slot reuse only after its batch is done, draining, end-to-end latency)."""

import numpy as np
import pytest

from harness.measure.paced_loop import arrival_offsets_ns, paced_figures, run_paced_passes, wait_until
from harness.measure.pipeline_loop import run_pipelined_passes

MS = 1_000_000


class FakeClock:
    """Time moves when the code under test sleeps or a fake pass runs, and by 100 ns per reading (so a spin ends)."""

    def __init__(self):
        self.now = 0

    def __call__(self):
        self.now += 100
        return self.now

    def sleep(self, seconds):
        self.now += int(round(seconds * 1e9))

    def advance(self, ns):
        self.now += ns


def _passes_taking(clock, durations_ms):
    durations = iter(durations_ms)

    def step(batch):
        clock.advance(int(next(durations) * MS))
        return batch

    return step


def test_fixed_and_poisson_schedules():
    assert arrival_offsets_ns(4, 0.1) == [0, 100 * MS, 200 * MS, 300 * MS]
    gaps = np.diff(arrival_offsets_ns(20001, 0.05, "poisson", seed=3)) / 1e9
    assert gaps.min() >= 0 and abs(gaps.mean() - 0.05) < 0.002  # exponential gaps at the same mean rate
    assert arrival_offsets_ns(5, 0.05, "poisson", seed=3) == arrival_offsets_ns(5, 0.05, "poisson", seed=3)
    with pytest.raises(ValueError):
        arrival_offsets_ns(3, 0.1, "bursty")


def test_wait_until_sleeps_then_spins_without_overshooting():
    clock = FakeClock()
    wait_until(25 * MS, clock, clock.sleep)
    assert 24 * MS <= clock.now <= 25 * MS + 1


def test_an_idle_device_has_no_queueing_and_meets_every_deadline():
    clock = FakeClock()
    passes = run_paced_passes(_passes_taking(clock, [4] * 10), iter(range(10)), warmup=0, iters=10,
                              interval_s=0.1, clock_ns=clock, sleep=clock.sleep)
    assert passes.latency_ms == pytest.approx([4.0] * 10, abs=1e-3)
    assert passes.arrival_latency_ms == pytest.approx([4.0] * 10, abs=1.01)  # the spin may land up to 1 ms early
    assert max(passes.queue_ms) <= 1.0 and not any(passes.deadline_missed)
    figures = paced_figures(passes, batch=1)
    assert figures["arrival_fps_target"] == pytest.approx(10.0)
    assert figures["achieved_fps"] == pytest.approx(10.0, rel=0.01)
    assert figures["deadline_misses_n"] == 0


def test_a_slow_pass_queues_the_frames_behind_it_and_misses_deadlines():
    clock = FakeClock()
    # frames every 10 ms; the second pass takes 35 ms: frames 3 and 4 wait for it
    durations = [2, 35, 2, 2, 2, 2]
    passes = run_paced_passes(_passes_taking(clock, durations), iter(range(6)), warmup=0, iters=6,
                              interval_s=0.01, clock_ns=clock, sleep=clock.sleep)
    arrival = passes.arrival_latency_ms
    assert arrival[1] == pytest.approx(35, abs=1.01)        # its own pass
    assert arrival[2] == pytest.approx(37 - 10, abs=1.01)   # arrived at 20, started at ~45, done ~47
    assert passes.queue_ms[2] == pytest.approx(25, abs=1.01) and passes.queue_ms[3] == pytest.approx(17, abs=1.01)
    # deadlines are the next arrival: 1 ends at 45 (> 20), 2 at 47 (> 30), 3 at 49 (> 40), 4 at 51 (> 50); 5 at 53
    assert passes.deadline_missed == [False, True, True, True, True, False]
    assert passes.latency_ms == pytest.approx(durations, abs=1e-3)  # the pass itself excludes the queueing
    assert paced_figures(passes, batch=1)["deadline_miss_pct"] == pytest.approx(100 * 4 / 6)


def test_a_batch_is_released_when_its_last_frame_arrives_and_measuring_restarts_the_schedule():
    clock = FakeClock()
    started = []
    passes = run_paced_passes(_passes_taking(clock, [1] * 6), iter(range(6)), warmup=2, iters=4,
                              interval_s=4 / 40, clock_ns=clock, sleep=clock.sleep,
                              on_measure_start=lambda: started.append(clock.now))
    assert len(passes.warmup_ms) == 2 and len(passes.latency_ms) == 4
    assert paced_figures(passes, batch=4)["arrival_fps_target"] == pytest.approx(40.0)
    assert started and passes.arrival_latency_ms[0] == pytest.approx(1.0, abs=1.01)


def test_min_duration_extends_a_paced_run():
    clock = FakeClock()
    passes = run_paced_passes(_passes_taking(clock, [1] * 100), iter(range(100)), warmup=0, iters=3,
                              interval_s=0.1, min_duration_s=1.0, clock_ns=clock, sleep=clock.sleep)
    assert len(passes.latency_ms) >= 11 and passes.measured_wall_s >= 1.0


class FakePipeline:
    """Each submitted batch finishes ``service_ms`` after the previous one finished (one engine, in order)."""

    def __init__(self, clock, service_ms, depth):
        self.clock, self.service_ns, self.depth = clock, int(service_ms * MS), depth
        self.busy_until = 0
        self.done_at = {}
        self.log = []
        self.origin = None

    def set_origin(self):
        self.origin = self.clock.now

    def submit(self, slot, batch):
        assert slot not in self.done_at, f"slot {slot} reused before its batch was waited for"
        self.clock.advance(MS // 10)  # the host copy into the pinned buffer
        self.busy_until = max(self.busy_until, self.clock.now) + self.service_ns
        self.done_at[slot] = (batch, self.busy_until)
        self.log.append(("submit", slot, batch))

    def wait(self, slot):
        batch, done = self.done_at.pop(slot)
        self.clock.now = max(self.clock.now, done)
        self.log.append(("wait", slot, batch))
        return (done - self.origin) / MS

    def output(self, slot):
        return f"output of slot {slot}"


def test_a_pipeline_keeps_depth_batches_in_flight_and_waits_before_reusing_a_slot():
    clock = FakeClock()
    pipe = FakePipeline(clock, service_ms=10, depth=2)
    passes = run_pipelined_passes(pipe, iter(range(100)), depth=2, warmup=2, iters=6, clock_ns=clock)
    assert len(passes.warmup_ms) == 2 and len(passes.latency_ms) == 6
    measured = [entry for entry in pipe.log if entry[2] >= 2]
    assert measured[:3] == [("submit", 0, 2), ("submit", 1, 3), ("wait", 0, 2)]  # two in flight before any wait
    assert [e[2] for e in measured if e[0] == "wait"] == [2, 3, 4, 5, 6, 7]       # results in order, all drained
    # steady state: a batch submitted while the one ahead still runs waits for it, then takes its own 10 ms
    assert passes.latency_ms[-1] == pytest.approx(19.9, abs=0.2)
    assert passes.measured_wall_s == pytest.approx(6 * 0.010, rel=0.05)  # back-to-back on the device: sustained
    assert passes.last_output == "output of slot 1"


def test_a_pipeline_of_depth_one_is_the_serial_loop():
    clock = FakeClock()
    pipe = FakePipeline(clock, service_ms=5, depth=1)
    passes = run_pipelined_passes(pipe, iter(range(100)), depth=1, warmup=0, iters=4, clock_ns=clock)
    assert passes.latency_ms == pytest.approx([5.1] * 4, abs=1e-3)  # the 0.1 ms host copy + 5 ms on the device
    assert [e[0] for e in pipe.log] == ["submit", "wait"] * 4


def test_the_paced_figure_names_are_one_list():
    from harness.measure.paced_loop import PACED_FIGURES

    clock = FakeClock()
    passes = run_paced_passes(_passes_taking(clock, [1] * 3), iter(range(3)), warmup=0, iters=3, interval_s=0.01,
                              clock_ns=clock, sleep=clock.sleep)
    assert tuple(paced_figures(passes, batch=1)) == PACED_FIGURES
