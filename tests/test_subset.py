"""Subset simulation (stuntsim.risk.subset) against exact failure probabilities.

Reference problems (stuntsim.risk.reference), u1, u2 independent standard normal:

* linear g = β − (u1 + u2)/√2: p = Φ(−β) exactly (scipy.special.ndtr(−β)); β = 3.719
  gives 1.000e-4, β = 4.753 gives 1.002e-6;
* the four-branch series system of Waarts (2000), used by Au & Beck (2001) and
  Papaioannou et al. (2015): k = 6 → p ≈ 4.457e-3, k = 7 → p ≈ 2.223e-3 (values quoted
  in those papers from large crude Monte Carlo runs / numerical integration);
* here also the linear limit state in 10 dimensions, g = β − Σ u_k/√10, p = Φ(−β)
  (the sum of 10 independent standard normals over √10 is standard normal), so the
  sampler is not only checked in 2-D.

Statistical checks over M = 200 fixed seeds at n_per_level = 2000 (≈ 4.5–11 k evaluations
per run; the 5 × 200 runs take about 10 s):

* per seed, on the log scale of the reported lognormal interval (module docstring of
  subset.py), |ln(p̂/p) + s²/2| ≤ 3 s with s² = ln(1 + δ̂²). Under correct reporting a
  miss has probability q = 2Φ(−3) = 0.0027, so over M seeds the misses are
  Binomial(M, q); we allow the 99th percentile of that law (3 misses for M = 200),
  i.e. a correct estimator fails this check with probability ≤ 1 %;
* mean bias |mean p̂/p − 1| < 10 % (the issue's bound; the standard error of the mean
  is ≈ δ/√M ≈ 2 %);
* the mean reported CoV within 25 % of the CoV observed over the seeds. The observed CoV
  from M runs has a relative standard error of about 1/√(2(M − 1)) = 5 % for M = 200
  (more for the skewed p̂ of the 1e-6 problem, ≈ 8 % by bootstrap), so 25 % is ≥ 3
  standard errors: a failure means the reported CoV is really off, not noise. With
  M = 40 the same check would be at ≈ 2 standard errors and nearly meaningless.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats

from stuntsim.risk.reference import REFERENCE_PROBLEMS, linear
from stuntsim.risk.subset import SubsetResult, subset_simulation

SEEDS = 200
N_PER_LEVEL = 2000


REFERENCE = REFERENCE_PROBLEMS


def linear_10d(beta: float):
    """g = β − Σ u_k/√10 on (n, 10) points; p = Φ(−β) exactly."""

    def g(u: np.ndarray) -> np.ndarray:
        return beta - u.sum(axis=1) / math.sqrt(10.0)

    return g


def check_against_exact(results: list[SubsetResult], exact: float) -> None:
    estimates = np.array([r.probability for r in results])
    covs = np.array([r.cov for r in results])
    assert np.all(estimates > 0)

    s = np.sqrt(np.log1p(covs**2))
    z = np.abs(np.log(estimates / exact) + s**2 / 2) / s
    allowed = int(scipy.stats.binom.ppf(0.99, len(results), 2 * sc.ndtr(-3.0)))
    assert np.count_nonzero(z > 3.0) <= allowed

    assert abs(estimates.mean() / exact - 1.0) < 0.10

    observed_cov = estimates.std(ddof=1) / exact
    assert covs.mean() == pytest.approx(observed_cov, rel=0.25)


@pytest.mark.slow
@pytest.mark.parametrize("problem", REFERENCE)
def test_acs_matches_exact_probability_and_reports_honest_cov(problem):
    # exact values: see the module docstring; tolerances derived there
    g, exact = REFERENCE[problem]
    results = [
        subset_simulation(g, 2, n_per_level=N_PER_LEVEL, rng=np.random.default_rng(seed))
        for seed in range(SEEDS)
    ]
    check_against_exact(results, exact)


@pytest.mark.slow
def test_acs_in_ten_dimensions_matches_exact_probability():
    # p = Φ(−3.719) = 1.000e-4 (module docstring); same tolerances as in 2-D
    beta = 3.719
    results = [
        subset_simulation(
            linear_10d(beta), 10, n_per_level=N_PER_LEVEL, rng=np.random.default_rng(seed)
        )
        for seed in range(SEEDS)
    ]
    check_against_exact(results, float(sc.ndtr(-beta)))


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["linear-1e-4", "four-branch-k7"])
def test_mmh_matches_exact_probability(problem):
    # Component-wise modified Metropolis (Au & Beck 2001). Not checked at 1e-6 in 2-D:
    # there MMH's chains barely move and p̂ is heavy-tailed (observed CoV ≈ 0.4, the
    # reported one ≈ 15 % lower).
    g, exact = REFERENCE[problem]
    results = [
        subset_simulation(
            g, 2, n_per_level=N_PER_LEVEL, rng=np.random.default_rng(seed), sampler="mmh"
        )
        for seed in range(SEEDS)
    ]
    check_against_exact(results, exact)


@pytest.mark.slow
def test_one_in_a_million_reaches_cov_025_within_13000_evaluations():
    # The target: CoV ≤ 0.25 within 13 000 limit-state evaluations at p ≈ 1e-6
    # (linear, exact p = Φ(−4.753) = 1.002e-6). N = 2360 gives N/2 + 5 N = 12 980
    # evaluations when the run takes the usual five intermediate levels (a sixth costs
    # N more; the mean over these seeds is 12 987). Over 1000 seeds the observed CoV
    # has a bootstrap standard error of 0.006 (it is 0.243 ± 0.003 over 4000 seeds,
    # benchmarks/bench_subset.py), so we allow 0.25 + 2 standard errors. The textbook
    # algorithm of Au & Beck / Papaioannou et al. gives ≈ 0.28 at this cost, > 3
    # standard errors above the bound.
    g, exact = REFERENCE["linear-1e-6"]
    seeds = 1000
    results = [
        subset_simulation(g, 2, n_per_level=2360, rng=np.random.default_rng(seed))
        for seed in range(seeds)
    ]
    estimates = np.array([r.probability for r in results])
    assert np.mean([r.evaluations for r in results]) <= 13_000
    assert estimates.std(ddof=1) / exact <= 0.25 + 2 * 0.006
    assert abs(estimates.mean() / exact - 1.0) < 0.10


def test_independent_level_cov_under_reports_and_the_reported_cov_does_not():
    # Au & Beck's Σ δ_j² ignores correlation between chains and levels; on the 1e-6
    # problem it is ≈ 8 % below the reported (ancestral-cluster) CoV on average, which
    # matches the spread over seeds (test above). The mean ratio over 20 seeds scatters
    # by ≈ 0.03 (four blocks of 20 seeds: 1.05–1.11), hence the bound 1.03.
    g, _ = REFERENCE["linear-1e-6"]
    results = [
        subset_simulation(g, 2, n_per_level=N_PER_LEVEL, rng=np.random.default_rng(seed))
        for seed in range(20)
    ]
    reported = np.mean([r.cov for r in results])
    independent = np.mean([r.cov_independent_levels for r in results])
    assert all(r.cov >= r.cov_independent_levels for r in results)
    assert reported > 1.03 * independent


@pytest.mark.parametrize("sampler", ["acs", "mmh"])
def test_evaluations_counts_every_limit_state_point(sampler):
    g, _ = REFERENCE["four-branch-k6"]
    calls: list[int] = []

    def counted(u):
        calls.append(u.shape[0])
        return g(u)

    result = subset_simulation(
        counted, 2, n_per_level=1000, rng=np.random.default_rng(3), sampler=sampler
    )
    assert result.evaluations == sum(calls)
    m = len(result.levels)
    # level 0: N·p0/2 = 50 seeds at fraction p0 → 500 points in one call; then N new
    # points per level (the seeds are neither re-evaluated nor re-counted), one call per
    # Markov-chain step: 1 + m/p0 calls
    assert calls[0] == 500
    if sampler == "acs":
        assert result.evaluations == 500 + m * 1000
        assert len(calls) == 1 + m * 10
    else:  # modified Metropolis skips candidates that did not move
        assert result.evaluations <= 500 + m * 1000
        assert len(calls) <= 1 + m * 10


def test_levels_are_p0_quantiles_and_the_last_factor_is_at_least_p0_over_2():
    # thresholds at the N·p0-th margin → intermediate factors p0, or a little more when
    # repeated states tie at the threshold (a rejected move repeats a state; at most the
    # states of the two chains of one level-0 seed, 2/p0 = 20 of N = 1000 samples);
    # stop rule: the first level with ≥ N·p0/2 failures is the last
    g, _ = REFERENCE["linear-1e-6"]
    result = subset_simulation(g, 2, n_per_level=1000, rng=np.random.default_rng(4))
    assert result.converged
    for factor in result.level_probabilities[:-1]:
        assert 0.1 <= factor <= 0.1 + 20 / 1000
    assert 0.05 <= result.level_probabilities[-1] <= 1.0
    assert result.evaluations == 500 + len(result.levels) * 1000


def test_probability_above_p0_stops_at_level_0_with_a_crude_monte_carlo_cov():
    # p = Φ(−0.5) ≈ 0.31 > p0/2: the level-0 points decide. They are standard normal
    # (scrambled Halton through Φ⁻¹), so p̂ is unbiased; its error is below crude MC's
    # binomial standard error √(p(1 − p)/n) (REFERENCES.md, "Probability and
    # estimation"), we allow 4 of those; the reported CoV is at least the binomial one.
    def g(u):
        return 0.5 - u[:, 0]

    exact = float(sc.ndtr(-0.5))
    result = subset_simulation(g, 3, n_per_level=1000, rng=np.random.default_rng(11))
    n_0 = 500
    assert result.levels == ()
    assert result.evaluations == n_0
    assert result.probability * n_0 == pytest.approx(round(result.probability * n_0))
    assert abs(result.probability - exact) <= 4 * math.sqrt(exact * (1 - exact) / n_0)
    crude = result.probability
    assert result.cov >= math.sqrt((1 - crude) / (n_0 * crude)) * (1 - 1e-12)
    assert result.converged


def test_same_seed_same_result_and_to_dict():
    g, _ = REFERENCE["linear-1e-4"]
    a = subset_simulation(g, 2, n_per_level=500, rng=np.random.default_rng(5))
    b = subset_simulation(g, 2, n_per_level=500, rng=np.random.default_rng(5))
    c = subset_simulation(g, 2, n_per_level=500, rng=np.random.default_rng(6))
    assert a == b
    assert a.probability != c.probability
    d = a.to_dict()
    assert d["probability"] == a.probability
    assert d["levels"] == list(a.levels)
    assert math.prod(a.level_probabilities) == pytest.approx(a.probability)
    assert a.ci95[0] < a.probability < a.ci95[1]
    assert all(x > y for x, y in zip(a.levels, a.levels[1:], strict=False))


def test_uneven_chain_lengths_when_one_over_p0_is_not_whole():
    # p0 = 0.3, N = 1000: 300 chains of 3 or 4 steps (1000 = 300·3 + 100); level 0 has
    # 150 seeds at fraction 0.3 → 500 points
    g, exact = REFERENCE["four-branch-k6"]
    result = subset_simulation(g, 2, n_per_level=1000, p0=0.3, rng=np.random.default_rng(2))
    assert result.evaluations == 500 + len(result.levels) * 1000
    assert abs(math.log(result.probability / exact)) < 4 * result.cov


@pytest.mark.parametrize(("n", "n_0"), [(10, 12), (20, 12)])
def test_tiny_levels_still_run(n, n_0):
    # p0 = 0.1, N = 10 or 20: one or two seeds per level; level 0 has 1 seed at fraction
    # p0 → 10 points, rounded up to four randomisations of 3 (N = 20: both chains of
    # level 1 start from that one seed, so the chains must still move). The estimate is
    # crude but finite and the counts add up. p = Φ(−2) = 0.023 (scipy.special.ndtr).
    g = linear(2.0)
    result = subset_simulation(g, 2, n_per_level=n, rng=np.random.default_rng(1))
    assert result.evaluations == n_0 + len(result.levels) * n
    assert result.probability > 0
    assert math.isfinite(result.cov)


def test_max_levels_reached_is_flagged():
    g, _ = REFERENCE["linear-1e-6"]
    result = subset_simulation(g, 2, n_per_level=500, max_levels=2, rng=np.random.default_rng(0))
    assert not result.converged
    assert len(result.levels) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p0": 0.0}, "p0"),
        ({"p0": 0.6}, "p0"),
        ({"p0": -0.1}, "p0"),
        ({"n_per_level": 1005, "p0": 0.1}, "whole number"),
        ({"n_per_level": 1000, "p0": 0.0003}, "whole number"),
        ({"n_per_level": 0}, "n_per_level"),
        ({"max_levels": 0}, "max_levels"),
        ({"sampler": "gibbs"}, "sampler"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    g, _ = REFERENCE["linear-1e-4"]
    with pytest.raises(ValueError, match=message):
        subset_simulation(g, 2, rng=np.random.default_rng(0), **kwargs)


def test_bad_limit_state_output_raises():
    with pytest.raises(ValueError, match="shape"):
        subset_simulation(lambda u: u, 2, n_per_level=100, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="NaN"):
        subset_simulation(
            lambda u: np.full(len(u), np.nan), 2, n_per_level=100, rng=np.random.default_rng(0)
        )
