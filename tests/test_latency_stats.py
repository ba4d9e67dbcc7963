import math

import pytest

from harness.measure.latency_stats import summarize_latency, throughput_img_per_s


def test_worked_example_one_to_ten():
    s = summarize_latency([float(v) for v in range(1, 11)])
    # linear interpolation: rank = p/100 * (n-1); p50 -> 4.5 -> 5.5; p90 -> 8.1 -> 9.1; p99 -> 8.91 -> 9.91
    assert s["latency_ms_p50"] == pytest.approx(5.5)
    assert s["latency_ms_p90"] == pytest.approx(9.1)
    assert s["latency_ms_p95"] == pytest.approx(9.55)
    assert s["latency_ms_p99"] == pytest.approx(9.91)
    assert s["latency_ms_mean"] == pytest.approx(5.5)
    assert s["latency_ms_std"] == pytest.approx(math.sqrt(82.5 / 9))  # sample std, n-1
    assert s["latency_cv_pct"] == pytest.approx(math.sqrt(82.5 / 9) / 5.5 * 100)
    assert (s["latency_ms_min"], s["latency_ms_max"]) == (1.0, 10.0)


def test_single_sample_has_no_std():
    s = summarize_latency([4.0])
    assert s["latency_ms_p99"] == 4.0 and s["latency_ms_std"] is None and s["latency_cv_pct"] is None


def test_empty_gives_none_everywhere():
    assert all(v is None for v in summarize_latency([]).values())


def test_prefix_names_units():
    s = summarize_latency([1.0, 2.0], prefix="gpu_compute_ms")
    assert "gpu_compute_ms_p50" in s and "gpu_compute_cv_pct" in s


def test_non_finite_rejected():
    with pytest.raises(ValueError):
        summarize_latency([1.0, float("nan")])


def test_throughput():
    assert throughput_img_per_s(80, 2.0) == 40.0
    assert throughput_img_per_s(0, 2.0) is None
    assert throughput_img_per_s(10, 0.0) is None


from harness.measure.latency_stats import percentile_upper_bound, samples_needed_for_bound  # noqa: E402


def test_samples_needed_match_mlperf_reasoning():
    assert samples_needed_for_bound(0.99) == 459  # 0.99^459 <= 0.01 < 0.99^458
    assert samples_needed_for_bound(0.90) == 44


def test_bound_is_the_right_order_statistic():
    ramp = [float(v) for v in range(1, 1001)]
    assert percentile_upper_bound(ramp[:458], 0.99) == (None, None)      # too few for any sample
    assert percentile_upper_bound(ramp[:459], 0.99) == (459.0, 459)      # the largest sample
    assert percentile_upper_bound(ramp[:662], 0.99) == (661.0, 661)      # MLPerf's 662: the second largest
    assert percentile_upper_bound(ramp[:64], 0.90) == (63.0, 63)         # MLPerf's 64 for p90
    value, k = percentile_upper_bound(ramp, 0.99)
    # n = 1000, q = 0.99: the smallest k with P(Bin(1000, 0.99) <= k-1) >= 0.99, by exact binomial sums
    cdf = lambda m: sum(math.comb(1000, i) * 0.99 ** i * 0.01 ** (1000 - i) for i in range(m + 1))
    expected = next(j for j in range(1, 1001) if cdf(j - 1) >= 0.99)
    assert expected == 998 and (k, value) == (998, 998.0)


def test_bound_ignores_sample_order_and_covers():
    import random

    rng = random.Random(0)
    shuffled = [float(v) for v in range(1, 663)]
    rng.shuffle(shuffled)
    assert percentile_upper_bound(shuffled, 0.99) == (661.0, 661)
    misses, true_p99 = 0, math.log(100)  # Exp(1): p99 = ln 100
    for trial in range(400):
        draw = [rng.expovariate(1.0) for _ in range(700)]
        misses += percentile_upper_bound(draw, 0.99)[0] < true_p99
    assert misses / 400 <= 0.02  # at most ~1 % by construction; 2 % leaves room for 400 trials


def test_warnings_from_figures():
    from harness.phase_b.run_warnings import run_warnings

    figures = {"latency_cv_pct": 11.0, "gpu_compute_cv_pct": 1.0, "latency_ms_p99_ucb99": None,
               "gpu_compute_ms_p50": 1.0, "enqueue_ms_p50": 0.9, "prepare_ms_p50": 1.5, "latency_ms_p50": 3.0}
    telemetry = {"summary": {"nvml": {"gpu_throttled": {"mean": 0.25}}}}
    text = run_warnings(figures, {"latency_ms_p99_ucb99": "100 samples cannot bound p99"}, telemetry)
    assert any(w.startswith("noisy: the host end-to-end latency varies with a CV of 11.0 %") for w in text)
    assert not any("GPU compute time varies" in w for w in text)
    assert any(w.startswith("too few samples to bound p99: 100 samples") for w in text)
    enqueue = [w for w in text if w.startswith("enqueue-bound: submitting the work takes 0.9 ms against 1 ms")]
    assert enqueue and "gpu_compute_ms measures how fast this process launched the work" in enqueue[0]
    assert any(w.startswith("transfer-bound") for w in text)
    below = run_warnings({**figures, "enqueue_ms_p50": 0.7}, {}, telemetry)  # 0.7 < 0.8 x 1.0: GPU-bound
    assert not any(w.startswith("enqueue-bound") for w in below)
    assert any(w.startswith("host overhead dominates: GPU compute is 33 %") for w in text)
    assert any("slowdown in 25 %" in w for w in text)
    assert run_warnings({"latency_cv_pct": 1.0, "latency_ms_p99_ucb99": 5.0}, {}, {}) == []
