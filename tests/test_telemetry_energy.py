"""Trapezoid energy over a window, against arithmetic done by hand."""

from __future__ import annotations

import math

import pytest

from harness.telemetry.energy import energy_figures, energy_over_spans, energy_over_window

# Power samples (t in s, P in W), deliberately out of order.
SAMPLES = [(2.0, 14.0), (0.0, 10.0), (4.0, 6.0), (1.0, 12.0), (3.0, 10.0)]


def test_window_clipped_inside_the_samples():
    # Window [0.5, 3.5]. Edge values by linear interpolation:
    #   P(0.5) = (10 + 12) / 2 = 11 W;  P(3.5) = (10 + 6) / 2 = 8 W.
    # Trapezoids over (0.5,11) (1,12) (2,14) (3,10) (3.5,8):
    #   0.5*(11+12)/2 = 5.75;  1*(12+14)/2 = 13;  1*(14+10)/2 = 12;  0.5*(10+8)/2 = 4.5
    #   energy = 5.75 + 13 + 12 + 4.5 = 35.25 J over 3 s -> 11.75 W; samples inside: t = 1, 2, 3.
    result = energy_over_window(SAMPLES, 0.5, 3.5)
    assert result["energy_j"] == pytest.approx(35.25)
    assert result["avg_power_w"] == pytest.approx(11.75)
    assert result["duration_s"] == pytest.approx(3.0)
    assert result["samples_n"] == 3
    assert result["edge_held_s"] == 0.0
    assert result["max_sample_gap_s"] == pytest.approx(1.0)


def test_efficiency_from_the_hand_example():
    # 47 images in 2.5 s of measured passes: 35.25 J / 47 = 0.75 J/img; (47 / 2.5) img/s / 11.75 W = 1.6 img/s/W.
    figures = energy_figures(energy_over_window(SAMPLES, 0.5, 3.5), images=47, busy_s=2.5)
    assert figures["energy_j_per_img"] == pytest.approx(0.75)
    assert figures["img_per_s_per_w"] == pytest.approx(1.6)
    assert "reason" not in figures


def test_window_reaching_past_the_first_sample_holds_its_value():
    # Window [-1, 1]: no sample before -1, so P(-1) holds the first sample's 10 W for 1 s.
    #   (-1,10) (0,10) (1,12): 1*(10+10)/2 + 1*(10+12)/2 = 10 + 11 = 21 J over 2 s -> 10.5 W.
    result = energy_over_window(SAMPLES, -1.0, 1.0)
    assert result["energy_j"] == pytest.approx(21.0)
    assert result["avg_power_w"] == pytest.approx(10.5)
    assert result["edge_held_s"] == pytest.approx(1.0)
    assert result["samples_n"] == 2


def test_window_between_two_samples_uses_the_samples_around_it():
    # Samples at 0 s (10 W) and 10 s (20 W); window [2, 4]: P(2) = 12, P(4) = 14 -> 2*(12+14)/2 = 26 J.
    result = energy_over_window([(0.0, 10.0), (10.0, 20.0)], 2.0, 4.0)
    assert result["energy_j"] == pytest.approx(26.0)
    assert result["avg_power_w"] == pytest.approx(13.0)
    assert result["samples_n"] == 0
    assert result["max_sample_gap_s"] == pytest.approx(10.0)


def test_two_spans_of_the_measured_window_add_up():
    # [0.5, 1.5]: P = 11, 12, 13 at 0.5, 1, 1.5 -> 0.5*(11+12)/2 + 0.5*(12+13)/2 = 5.75 + 6.25 = 12 J
    # [2.5, 3.5]: P = 12, 10, 8 at 2.5, 3, 3.5  -> 0.5*(12+10)/2 + 0.5*(10+8)/2  = 5.5 + 4.5  = 10 J
    result = energy_over_spans(SAMPLES, [(0.5, 1.5), (2.5, 3.5)])
    assert result["energy_j"] == pytest.approx(22.0)
    assert result["duration_s"] == pytest.approx(2.0)
    assert result["avg_power_w"] == pytest.approx(11.0)
    assert result["spans_n"] == 2
    assert result["samples_n"] == 2


@pytest.mark.parametrize("samples", [[], [(5.0, 3.0)], [(-5.0, 3.0)], [(0.5, 3.0)]])
def test_fewer_than_two_samples_in_and_around_gives_none_and_why(samples):
    result = energy_over_window(samples, 0.0, 1.0)
    assert result["energy_j"] is None and result["avg_power_w"] is None
    assert result["duration_s"] == pytest.approx(1.0)
    assert "2 are needed" in result["reason"]


def test_unusable_values_are_ignored_and_repeated_instants_count_once():
    noisy = [(0.0, 10.0), (0.0, 99.0), (1.0, math.nan), (1.0, None), (True, 5.0), (2.0, 14.0)]
    # Usable: (0, 10) and (2, 14): 2*(10+14)/2 = 24 J.
    assert energy_over_window(noisy, 0.0, 2.0)["energy_j"] == pytest.approx(24.0)


def test_empty_window_and_missing_spans():
    assert energy_over_window(SAMPLES, 2.0, 2.0)["energy_j"] is None
    assert "empty window" in energy_over_window(SAMPLES, 3.0, 1.0)["reason"]
    assert energy_over_spans(SAMPLES, [])["reason"] == "the measured window was never entered"
    failed = energy_over_spans([(0.0, 1.0)], [(0.0, 1.0)])
    assert failed["energy_j"] is None and failed["duration_s"] == pytest.approx(1.0)


def test_efficiency_without_the_inputs_it_needs():
    good = energy_over_window(SAMPLES, 0.5, 3.5)
    assert energy_figures({"energy_j": None, "reason": "no power source"}, 10, 1.0) == {
        "energy_j_per_img": None, "img_per_s_per_w": None, "reason": "no power source"}
    assert energy_figures(good, 0, 1.0)["reason"] == "no images were processed in the window"
    no_busy = energy_figures(good, 47, None)
    assert no_busy["energy_j_per_img"] == pytest.approx(0.75) and no_busy["img_per_s_per_w"] is None
    assert "throughput" in no_busy["reason"]
