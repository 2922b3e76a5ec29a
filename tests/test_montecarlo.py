"""Monte Carlo estimates and intervals against known probabilities."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from stuntsim.errors import NumericalError
from stuntsim.risk import (
    MarginAccumulator,
    Normal,
    binomial_interval,
    binomial_intervals,
    draw,
    estimate_probability,
    margin_quantiles,
)


@pytest.mark.parametrize(("k", "n"), [(1, 10), (3, 200), (57, 1000), (999, 1000), (5, 7)])
def test_wilson_matches_scipy(k, n):
    expected = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert binomial_interval(k, n) == pytest.approx((expected.low, expected.high), rel=1e-12)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 50), (0, 100_000), (50, 50), (3, 3)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_clopper_pearson_at_the_edges_matches_scipy(k, n, confidence):
    expected = stats.binomtest(k, n).proportion_ci(confidence, method="exact")
    lo, hi = binomial_interval(k, n, confidence)
    assert (lo, hi) == pytest.approx((expected.low, expected.high), rel=1e-10, abs=1e-300)


def test_zero_failures_upper_bound_is_closed_form():
    # Clopper–Pearson with k = 0: P(K = 0 | p) = (1 − p)^n = α/2 → p = 1 − 0.025^{1/n}
    n = 1000
    estimate = estimate_probability(np.full(n, 0.3))
    assert estimate.failures == 0
    assert estimate.probability == 0.0
    assert estimate.method == "clopper-pearson"
    assert estimate.ci95[0] == 0.0
    assert estimate.ci95[1] == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)
    assert estimate.ci95[1] == pytest.approx(3.68 / n, rel=0.01)  # ≈ −ln(0.025)/n = 3.69/n
    assert math.isinf(estimate.cov)


def test_wilson_coverage_on_a_known_binomial():
    # R replications of K ~ Binomial(n=200, p=0.03), fixed seed (so deterministic).
    # Wilson's true coverage is not exactly 0.95: it oscillates with n and p (Brown,
    # Cai & DasGupta 2001). Here it is computable exactly, c = Σ_k P(K=k)·[p ∈ CI(k)]
    # = 0.944, so:
    # 1. c must lie within 3·√(0.95·0.05/R) = 0.0146 of 0.95 (the nominal level);
    # 2. the empirical coverage, a mean of R Bernoulli(c) with SD √(c(1−c)/R), must lie
    #    within 4 SD of c. (Comparing it with 0.95 directly would stack the 0.006 bias
    #    of c on top of the sampling noise and fail for many seeds.)
    n, p, replications = 200, 0.03, 2000
    k = np.arange(n + 1)
    lo, hi, _ = binomial_intervals(k, n)
    exact_coverage = stats.binom.pmf(k, n, p)[(lo <= p) & (p <= hi)].sum()
    band = 3 * math.sqrt(0.95 * 0.05 / replications)
    assert abs(exact_coverage - 0.95) < band

    rng = np.random.Generator(np.random.PCG64(20240601))
    failures = rng.binomial(n, p, size=replications)
    lo, hi, exact = binomial_intervals(failures, n)
    empirical = np.mean((lo <= p) & (p <= hi))
    sd = math.sqrt(exact_coverage * (1 - exact_coverage) / replications)
    assert abs(empirical - exact_coverage) < 4 * sd
    assert np.array_equal(exact, failures == 0)  # Clopper–Pearson only at k = 0 here


def test_estimate_of_a_known_normal_margin():
    # margin = β − Z with Z ~ N(0, 1): P(margin < 0) = P(Z > β) = Φ(−β) = norm.sf(β).
    beta, n = 2.0, 40_000
    p_exact = stats.norm.sf(beta)  # 0.02275
    z = draw(7, ["z"], {"z": Normal(0.0, 1.0)}, 0, n)["z"]
    estimate = estimate_probability(beta - z)
    # crude MC standard error √(p(1−p)/n); 4 of them
    assert estimate.probability == pytest.approx(
        p_exact, abs=4 * math.sqrt(p_exact * (1 - p_exact) / n)
    )
    assert estimate.method == "wilson"
    assert estimate.ci95[0] < p_exact < estimate.ci95[1]
    p_hat = estimate.probability
    assert estimate.cov == pytest.approx(math.sqrt((1 - p_hat) / (n * p_hat)))
    assert estimate.failures == round(p_hat * n)
    assert estimate.n == n


def test_probability_estimate_to_dict_is_json_ready():
    estimate = estimate_probability(np.array([-1.0, 1.0, 2.0, 3.0]))
    data = json.loads(json.dumps(estimate.to_dict(), allow_nan=False))
    assert data["probability"] == 0.25
    assert data["failures"] == 1
    assert data["n"] == 4
    assert data["method"] == "wilson"
    assert len(data["ci95"]) == 2
    zero = estimate_probability(np.ones(10)).to_dict()
    assert zero["cov"] is None
    json.dumps(zero, allow_nan=False)


def test_margin_zero_is_a_failure():
    # the one failure rule, stuntsim.risk.failed: margin ≤ 0 (zero clearance is contact)
    assert estimate_probability(np.array([0.0, -0.0, 1e-300, -1e-300])).failures == 3


@pytest.mark.parametrize("margins", [np.array([]), np.ones((2, 3)), [[1.0]]])
def test_bad_margins_are_refused(margins):
    with pytest.raises(ValueError):  # noqa: PT011 - messages differ per case
        estimate_probability(margins)


def test_nan_margins_are_a_numerical_error_naming_the_sample():
    # a NaN is a model that cannot say: an error, never a pass (nor a ValueError of input)
    with pytest.raises(NumericalError, match="sample 1") as info:
        estimate_probability(np.array([1.0, np.nan, np.nan]))
    assert info.value.sample == 1


@pytest.mark.parametrize(
    ("k", "n", "confidence"),
    [(-1, 10, 0.95), (11, 10, 0.95), (0, 0, 0.95), (1.5, 10, 0.95), (1, 10, 1.0)],
)
def test_bad_interval_arguments_are_refused(k, n, confidence):
    with pytest.raises(ValueError):  # noqa: PT011 - messages differ per case
        binomial_interval(k, n, confidence)


def test_margin_quantiles():
    margins = np.arange(1001, dtype=float)  # 0, 1, …, 1000: quantile q is 1000 q exactly
    result = margin_quantiles(margins)
    assert list(result) == ["q0.001", "q0.01", "q0.05", "q0.5", "q0.95"]
    assert result == pytest.approx(
        {"q0.001": 1.0, "q0.01": 10.0, "q0.05": 50.0, "q0.5": 500.0, "q0.95": 950.0}
    )
    assert margin_quantiles(margins, qs=(0.25,)) == {"q0.25": 250.0}


def test_accumulator_any_hazard_is_the_minimum_over_hazards():
    # sample:           0     1     2     3     4     5
    wall = np.array([1.0, -0.5, 2.0, 0.3, -1.0, 4.0])
    rollover = np.array([0.2, 0.4, -0.1, 0.6, -2.0, 3.0])
    acc = MarginAccumulator(["wall", "rollover"], 6)
    acc.add(4, {"wall": wall[4:], "rollover": rollover[4:]})  # chunks in any order
    acc.add(0, {"wall": wall[:4], "rollover": rollover[:4]})
    assert acc.complete
    estimates = acc.estimates()
    assert estimates["wall"].failures == 2  # samples 1, 4
    assert estimates["rollover"].failures == 2  # samples 2, 4
    assert estimates["any"].failures == 3  # samples 1, 2, 4: sample 4 counted once
    assert estimates["any"].n == 6
    margins = acc.margins()
    np.testing.assert_array_equal(margins["any"], np.minimum(wall, rollover))
    with pytest.raises(ValueError, match="read-only"):
        margins["wall"][0] = 0.0


def test_accumulator_refuses_gaps_overlaps_and_bad_input():
    acc = MarginAccumulator(["a"], 10)
    acc.add(0, {"a": np.ones(5)})
    with pytest.raises(ValueError, match="only 5 of 10"):
        acc.estimates()
    with pytest.raises(ValueError, match="already added"):
        acc.add(4, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="outside"):
        acc.add(8, {"a": np.ones(5)})
    with pytest.raises(ValueError, match="expected margins for"):
        acc.add(5, {"b": np.ones(5)})
    with pytest.raises(NumericalError, match="NaN"):
        acc.add(5, {"a": np.full(5, np.nan)})
    with pytest.raises(ValueError, match="reserved"):
        MarginAccumulator(["any"], 10)
    with pytest.raises(ValueError, match="differ in length"):
        MarginAccumulator(["a", "b"], 10).add(0, {"a": np.ones(2), "b": np.ones(3)})
