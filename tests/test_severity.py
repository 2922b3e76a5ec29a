"""Injury-severity relations and the production risk matrix, against their sources."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import logit

from stuntsim import severity as sev
from stuntsim.severity import KMH, MPH

SPEEDS_KMH = np.linspace(0.0, 120.0, 241)


# --- pedestrian ------------------------------------------------------------------------------


@pytest.mark.parametrize(("v_kmh", "published"), [(30, 0.015), (50, 0.083), (60, 0.18)])
def test_rosen_sander_reproduces_published_risks(v_kmh, published):
    # Rosén & Sander (2009) via REFERENCES.md: 1.5 % at 30, 8.3 % at 50, 18 % at 60 km/h.
    # Tolerance: half a unit of the last printed digit (0.0005 for 1.5 %, 8.3 %; 0.005 for 18 %).
    tolerance = 0.005 if published == 0.18 else 0.0005
    p = sev.pedestrian_fatality_rosen_sander(v_kmh * KMH)
    assert p == pytest.approx(published, abs=tolerance)


def test_rosen_sander_is_the_stated_logistic_in_km_h():
    # logit P = −6.9 + 0.090 v [km/h], evaluated by hand at 40 km/h: −3.3
    assert logit(sev.pedestrian_fatality_rosen_sander(40 * KMH)) == pytest.approx(-3.3)


def test_rosen_sander_monotone_and_band_contains_it():
    p = sev.pedestrian_fatality_rosen_sander(SPEEDS_KMH * KMH)
    lo, hi = sev.pedestrian_fatality_band(SPEEDS_KMH * KMH)
    assert np.all(np.diff(p) > 0)
    assert np.all((lo <= p) & (p <= hi))
    assert np.all(np.diff(lo) > 0)
    assert np.all(np.diff(hi) > 0)


def test_rosen_sander_band_is_the_coefficient_rectangle_corners():
    # Extremes of (b v − a) over a ∈ [5.3, 8.5], b ∈ [0.060, 0.12] at 50 km/h (REFERENCES.md CIs)
    lo, hi = sev.pedestrian_fatality_band(50 * KMH)
    assert logit(lo) == pytest.approx(0.060 * 50 - 8.5)
    assert logit(hi) == pytest.approx(0.12 * 50 - 5.3)


@pytest.mark.parametrize("v_kmh", [30.0, 50.0, 70.0])
def test_tefft_logits_by_hand(v_kmh):
    # REFERENCES.md: death logit −5.73 + 0.0890 v; AIS 4+ logit −4.62 + 0.0876 v, v in km/h
    risks = sev.pedestrian_tefft(v_kmh * KMH)
    assert logit(risks["death"]) == pytest.approx(-5.73 + 0.0890 * v_kmh)
    assert logit(risks["serious"]) == pytest.approx(-4.62 + 0.0876 * v_kmh)


@pytest.mark.parametrize(
    ("outcome", "risk", "published_mph"),
    [
        # Tefft (2013), AAP 50:871–878, abstract: standardised risk points
        ("serious", 0.10, 17.1),
        ("serious", 0.50, 33.0),
        ("serious", 0.90, 48.1),
        ("death", 0.10, 24.1),
        ("death", 0.50, 40.6),
        ("death", 0.90, 54.6),
    ],
)
def test_tefft_logits_reproduce_published_speeds_within_one_mph(outcome, risk, published_mph):
    intercept, slope = {"death": (-5.73, 0.0890), "serious": (-4.62, 0.0876)}[outcome]
    v_kmh = (logit(risk) - intercept) / slope
    assert sev.pedestrian_tefft(v_kmh * KMH)[outcome] == pytest.approx(risk)
    assert v_kmh * KMH / MPH == pytest.approx(published_mph, abs=1.0)


# --- car occupant ----------------------------------------------------------------------------


def test_rigid_barrier_delta_v():
    # Δv = (1 + e) v_n: 56 km/h (NCAP barrier speed) with e = 0.1 → 61.6 km/h; e = 0 → v
    assert sev.delta_v_rigid_barrier(56 * KMH) == pytest.approx(61.6 * KMH)
    assert sev.delta_v_rigid_barrier(56 * KMH, restitution=0.0) == pytest.approx(56 * KMH)
    # glancing impact at 30° to the wall: pass the normal component v sin 30° = v / 2
    assert sev.delta_v_rigid_barrier(20.0 * math.sin(math.radians(30)), 0.2) == pytest.approx(12)
    with pytest.raises(ValueError, match="restitution"):
        sev.delta_v_rigid_barrier(10.0, restitution=1.5)


@pytest.mark.parametrize("dv_mph", [20.0, 35.0, 50.0])
def test_nhtsa_frontal_logits_by_hand(dv_mph):
    # NHTSA DOT HS 813 219 frontal: MAIS3+ −6.9774 + 0.1620 Δv; fatality −9.0422 + 0.1571 Δv [mph]
    assert logit(sev.occupant_mais3_frontal(dv_mph * MPH)) == pytest.approx(
        -6.9774 + 0.162 * dv_mph
    )
    assert logit(sev.occupant_fatality_frontal(dv_mph * MPH)) == pytest.approx(
        -9.0422 + 0.1571 * dv_mph
    )


def test_occupant_mais3_ten_percent_matches_target_frontal_threshold():
    # TARGET study (Traffic Safety Research): 10 % MAIS3+ at 99 km/h closing speed in a frontal
    # collision of passenger vehicles; equal masses → Δv = 49.5 km/h. Allow 3 km/h (the two use
    # different US model fits).
    dv_10 = brentq(lambda dv: sev.occupant_mais3_frontal(dv) - 0.10, 0.0, 60.0)
    assert dv_10 / KMH == pytest.approx(99.0 / 2.0, abs=3.0)


def test_occupant_curves_monotone_ordered_and_banded():
    dv = SPEEDS_KMH * KMH
    serious, fatal = sev.occupant_mais3_frontal(dv), sev.occupant_fatality_frontal(dv)
    assert np.all(np.diff(serious) > 0)
    assert np.all(np.diff(fatal) > 0)
    assert np.all(fatal < serious)  # death is one of the MAIS3+ outcomes
    for outcome, central in (("mais3", serious), ("fatality", fatal)):
        lo, hi = sev.occupant_frontal_band(dv[1:], outcome)
        assert np.all((lo < central[1:]) & (central[1:] < hi))


def test_joksch_fourth_power():
    # Joksch (1993): risk ∝ Δv⁴; doubling Δv multiplies the risk by 16; certain at 71 mph
    assert sev.occupant_fatality_joksch(40 * MPH) / sev.occupant_fatality_joksch(
        20 * MPH
    ) == pytest.approx(16.0)
    assert sev.occupant_fatality_joksch(71 * MPH) == pytest.approx(1.0)
    assert sev.occupant_fatality_joksch(100 * MPH) == 1.0


# --- falls -----------------------------------------------------------------------------------


def test_free_fall_impact_speed():
    # v = √(2 g h): 10 m → √196.2 = 14.007 m/s
    assert sev.fall_impact_speed(10.0) == pytest.approx(14.0, abs=0.01)
    assert sev.fall_impact_speed(0.0) == 0.0


def test_fall_fatality_anchors():
    # Smith et al. (trauma centre 2010–2015): LD50 48 ft = 14.8 m with 10 ft storeys
    assert sev.fall_fatality(14.8) == pytest.approx(0.5)
    # same study: "a fall from 80 ft (24 m) exceeds the maximum threshold" → calibrated ≈ 0.87
    assert sev.fall_fatality(24.0) == pytest.approx(0.87, abs=0.01)
    # log-logistic with β = 4: doubling the height below h50 multiplies the odds by 2⁴ = 16
    odds = sev.fall_fatality(np.array([3.0, 6.0]))
    odds = odds / (1 - odds)
    assert odds[1] / odds[0] == pytest.approx(16.0)
    assert sev.fall_fatality(0.0) == 0.0


def test_fall_band_spans_the_published_ld50_range():
    # historical LD50 40 ft = 12.1 m; Smith et al. with 12 ft storeys 68 ft = 20.1 m
    heights = np.linspace(0.5, 40.0, 80)
    lo, hi = sev.fall_fatality_band(heights)
    central = sev.fall_fatality(heights)
    assert np.all((lo <= central) & (central <= hi))
    assert sev.fall_fatality_band(12.1)[1] >= 0.5 - 1e-12
    assert sev.fall_fatality_band(20.1)[0] <= 0.5 + 1e-12
    assert np.all(np.diff(central) > 0)


# --- rollover --------------------------------------------------------------------------------


def test_rollover_table_matches_source_abstract():
    # Traffic Inj. Prev. 8(4):382–392 (2007): belted near 4.3 %, far 4.0 %; unbelted 12.0 %, 18.1 %
    p = sev.rollover_serious_injury(np.array([True, True, False, False]), [False, True] * 2)
    assert p == pytest.approx([0.043, 0.040, 0.120, 0.181])
    lo, hi = sev.rollover_serious_injury_band(True, False)
    assert (lo, hi) == pytest.approx((0.043 - 0.024, 0.043 + 0.024))


# --- over a shoot ----------------------------------------------------------------------------


def test_over_takes_ten_takes():
    # 1 − 0.99¹⁰ = 0.095618…
    p_all, (lo, hi) = sev.over_takes(0.01, (0.005, 0.02), 10)
    assert p_all == pytest.approx(1 - 0.99**10)
    assert p_all == pytest.approx(0.0956, abs=5e-5)
    assert lo == pytest.approx(1 - 0.995**10)
    assert hi == pytest.approx(1 - 0.98**10)


def test_over_takes_one_take_is_identity_and_tiny_p_is_accurate():
    p_all, ci = sev.over_takes(0.03, (0.01, 0.05), 1)
    assert p_all == pytest.approx(0.03)
    assert ci == pytest.approx((0.01, 0.05))
    # N p for N p ≪ 1 (first-order expansion); 1 − (1 − p)^N in float would lose digits
    p_all, _ = sev.over_takes(1e-12, (0.0, 1e-11), 1000)
    assert p_all == pytest.approx(1e-9, rel=1e-6)
    p_all, (lo, hi) = sev.over_takes(1.0, (0.5, 1.0), 3)
    assert (p_all, lo, hi) == pytest.approx((1.0, 0.875, 1.0))


def test_over_takes_vectorised_and_validated():
    p_all, (lo, hi) = sev.over_takes([0.01, 0.02], ([0.0, 0.01], [0.02, 0.03]), [10, 5])
    assert p_all == pytest.approx([1 - 0.99**10, 1 - 0.98**5])
    assert np.all((lo <= p_all) & (p_all <= hi))
    with pytest.raises(ValueError, match="takes"):
        sev.over_takes(0.01, (0.0, 0.02), 0)
    with pytest.raises(ValueError, match="takes"):
        sev.over_takes(0.01, (0.0, 0.02), 2.5)
    with pytest.raises(ValueError, match="ci95"):
        sev.over_takes(0.01, (0.02, 0.03), 2)


# --- risk matrix -----------------------------------------------------------------------------


def test_likelihood_edges_are_decades():
    # the tool's convention (RiskMatrix docstring): edges 1e-4, 1e-3, 1e-2, 1e-1, left-closed
    p = [0.0, 9.99e-5, 1e-4, 1e-3, 9.99e-3, 1e-2, 0.0999, 0.1, 1.0]
    assert list(sev.likelihood_category(p)) == [1, 1, 2, 3, 3, 4, 4, 5, 5]
    assert sev.likelihood_category(0.05) == 4


def test_severity_is_worst_credible_outcome():
    # credible = 1 % by default
    assert sev.severity_category() == 1
    assert sev.severity_category(p_minor=0.5) == 2
    assert sev.severity_category(p_moderate=0.01) == 3
    assert sev.severity_category(p_fatal=0.009, p_major=0.2) == 4
    assert sev.severity_category(p_fatal=0.01, p_major=0.2) == 5
    # pedestrian at 50 km/h: P(death) = 8.3 % → fatal
    assert sev.severity_category(p_fatal=sev.pedestrian_fatality_rosen_sander(50 * KMH)) == 5
    assert list(sev.severity_category(p_fatal=[0.0, 0.5], p_major=0.05)) == [4, 5]


@pytest.mark.parametrize(
    ("likelihood", "severity", "score", "band"),
    [(1, 1, 1, "low"), (2, 2, 4, "low"), (1, 5, 5, "medium"), (3, 3, 9, "medium"),
     (2, 5, 10, "high"), (3, 5, 15, "high"), (4, 4, 16, "very high"), (5, 5, 25, "very high")],
)  # fmt: skip
def test_risk_rating_cells(likelihood, severity, score, band):
    # bands of this tool: 1–4 low, 5–9 medium, 10–15 high, 16–25 very high
    assert sev.risk_rating(likelihood, severity) == (score, band)


def test_custom_matrix_and_validation():
    strict = sev.RiskMatrix(likelihood_edges=(1e-6, 1e-5, 1e-4, 1e-3), band_edges=(3, 6, 12))
    assert sev.likelihood_category(5e-4, matrix=strict) == 4
    assert sev.risk_rating(2, 3, matrix=strict) == (6, "high")
    scores, bands = sev.risk_rating(np.array([1, 5]), np.array([2, 5]))
    assert list(scores) == [2, 25]
    assert list(bands) == ["low", "very high"]
    with pytest.raises(ValueError, match="increase"):
        sev.RiskMatrix(likelihood_edges=(1e-3, 1e-4, 1e-2, 1e-1))
    with pytest.raises(ValueError, match="severity"):
        sev.risk_rating(2, 6)


def test_no_overflow_warnings_at_extremes():
    # filterwarnings = error: expit must not overflow at huge speeds, logs at zero height
    huge = np.array([0.0, 1e6])
    for fn in (sev.pedestrian_fatality_rosen_sander, sev.occupant_mais3_frontal):
        assert fn(huge) == pytest.approx([fn(0.0), 1.0])
    assert sev.pedestrian_fatality_band(huge)[1][1] == 1.0
    assert sev.fall_fatality_band(np.array([0.0, 1e6]))[0] == pytest.approx([0.0, 1.0])


def test_assumptions_are_listed():
    for name in ("fall_fatality", "fall_fatality_band", "occupant_frontal_band"):
        assert name in sev.ASSUMED
        assert "ASSUMPTION" in getattr(sev, name).__doc__
