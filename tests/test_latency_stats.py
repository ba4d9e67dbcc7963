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
