"""Randomised QMC (stuntsim.risk.qmc) and sensitivity (stuntsim.risk.sensitivity)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats

from stuntsim.risk.distributions import Normal, Uniform
from stuntsim.risk.qmc import qmc_mean, qmc_probability
from stuntsim.risk.sensitivity import rank_correlation_screen, sobol_indices

BETA = 2.326  # p = Φ(−2.326) = 1.0009e-2 (scipy.special.ndtr)


def linear_u(u: np.ndarray) -> np.ndarray:
    """β − (Φ⁻¹(u1) + Φ⁻¹(u2))/√2: (Φ⁻¹(u1) + Φ⁻¹(u2))/√2 is N(0, 1), so P(≤ 0) = Φ(−β)."""
    return BETA - (sc.ndtri(u[:, 0]) + sc.ndtri(u[:, 1])) / math.sqrt(2.0)


def test_rqmc_interval_covers_exact_probability():
    # 60 seeds; each 95 % interval misses with probability 0.05 if the t-interval is
    # right, so the misses are Binomial(60, 0.05); allow its 99th percentile (7).
    exact = float(sc.ndtr(-BETA))
    results = [
        qmc_probability(linear_u, 2, 1024, rng=np.random.default_rng(seed)) for seed in range(60)
    ]
    misses = sum(not r.ci95[0] <= exact <= r.ci95[1] for r in results)
    assert misses <= scipy.stats.binom.ppf(0.99, 60, 0.05)
    estimates = np.array([r.probability for r in results])
    # unbiased: the mean of 60 estimates within 4 standard errors of the exact value
    assert abs(estimates.mean() - exact) < 4 * estimates.std(ddof=1) / math.sqrt(60)
    assert results[0].evaluations == 1024 * 16
    assert results[0].randomisations == 16


def test_rqmc_probability_no_worse_than_crude_monte_carlo():
    # crude MC at N = n R points: standard error √(p(1 − p)/N) (REFERENCES.md);
    # the indicator is discontinuous, so RQMC's gain is modest, but it must not lose
    exact = float(sc.ndtr(-BETA))
    estimates = np.array(
        [
            qmc_probability(linear_u, 2, 1024, rng=np.random.default_rng(s)).probability
            for s in range(40)
        ]
    )
    rqmc_rmse = math.sqrt(np.mean((estimates - exact) ** 2))
    crude_se = math.sqrt(exact * (1 - exact) / (1024 * 16))
    assert rqmc_rmse < crude_se


def test_rqmc_beats_crude_monte_carlo_on_a_smooth_mean():
    # f(u) = exp(u1 + u2 + u3) on (0, 1)³: E f = (e − 1)³, E f² = ((e² − 1)/2)³ exactly,
    # so crude MC with N points has root-mean-square error √(Var f / N). Scrambled
    # nets on smooth f converge ≈ 1/N (Owen 1997): require 10× smaller error.
    def f(u):
        return np.exp(u.sum(axis=1))

    mean = (math.e - 1.0) ** 3
    variance = ((math.e**2 - 1.0) / 2.0) ** 3 - mean**2
    n, r = 1024, 16
    results = [qmc_mean(f, 3, n, randomisations=r, rng=np.random.default_rng(s)) for s in range(20)]
    rmse = math.sqrt(np.mean([(res.estimate - mean) ** 2 for res in results]))
    assert rmse < 0.1 * math.sqrt(variance / (n * r))
    assert sum(res.ci95[0] <= mean <= res.ci95[1] for res in results) >= 17  # Bin(20, .95) 1 %


def test_rqmc_zero_failures_gives_a_one_sided_bound_and_is_reproducible():
    never = qmc_probability(lambda u: np.ones(len(u)), 2, 256, rng=np.random.default_rng(0))
    assert never.probability == 0.0
    # Clopper–Pearson k = 0: 1 − 0.025^{1/N}, N = 256 · 16
    assert never.ci95 == (0.0, pytest.approx(1 - 0.025 ** (1 / 4096)))
    a = qmc_probability(linear_u, 2, 256, rng=np.random.default_rng(4))
    b = qmc_probability(linear_u, 2, 256, rng=np.random.default_rng(4))
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n": 1000}, "power of two"), ({"randomisations": 1}, "randomisations"), ({"dim": 0}, "dim")],
)
def test_rqmc_bad_arguments(kwargs, message):
    args = {"dim": 2, "n": 1024, **kwargs}
    with pytest.raises(ValueError, match=message):
        qmc_probability(
            linear_u, args.pop("dim"), args.pop("n"), rng=np.random.default_rng(0), **args
        )


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami_match_closed_form():
    # Ishigami & Homma (1990); closed form in Saltelli et al. (2008), The Primer, §4.9
    a, b = 7.0, 0.1
    v = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    first = np.array([v1, v2, 0.0]) / v  # ≈ (0.314, 0.442, 0.000)
    total = np.array([v1 + v13, v2, v13]) / v  # ≈ (0.558, 0.442, 0.244)

    dists = [Uniform(-math.pi, math.pi)] * 3
    res = sobol_indices(ishigami, dists, n=2**12, rng=np.random.default_rng(1))
    assert res.evaluations == 2**12 * 5
    # tolerance: each 95 % bootstrap interval must contain the exact index (the
    # bootstrap treats the Sobol' columns as independent, so it is conservative for
    # scrambled points) and be narrow enough to mean something (half-width < 0.06)
    for est, ci, exact in (
        (res.first_order, res.first_order_ci, first),
        (res.total_order, res.total_order_ci, total),
    ):
        assert np.all((ci[:, 0] <= exact) & (exact <= ci[:, 1]))
        assert np.all((ci[:, 1] - ci[:, 0]) / 2 < 0.06)
        assert np.all(np.abs(est - exact) < 0.03)
    again = sobol_indices(ishigami, dists, n=2**12, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(again.first_order_ci, res.first_order_ci)


def test_sobol_indices_bad_arguments():
    with pytest.raises(ValueError, match="power of two"):
        sobol_indices(ishigami, [Uniform(0, 1)] * 3, n=1000, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape"):
        sobol_indices(lambda x: x, [Uniform(0, 1)] * 3, n=64, rng=np.random.default_rng(0))


def test_rank_correlation_screen_finds_the_monotone_driver():
    # y = exp(x1) + 0.1 x2 + noise: ρ(x1, y) near 1 and highly significant; x3 is
    # independent of y, so its p-value is uniform: > 0.001 except with prob. 0.001
    rng = np.random.default_rng(7)
    n = 2000
    x1, x2, x3 = Normal(0, 1).ppf(rng.random((3, n)))
    y = np.exp(x1) + 0.1 * x2 + 0.05 * rng.standard_normal(n)
    screen = rank_correlation_screen({"x3": x3, "x2": x2, "x1": x1, "flat": np.ones(n)}, y)
    assert list(screen)[:3] == ["x1", "x2", "x3"]
    assert screen["x1"][0] > 0.95
    assert screen["x1"][1] < 1e-100
    assert screen["x3"][1] > 1e-3
    assert all(math.isnan(v) for v in screen["flat"])


def test_an_indicator_that_every_randomisation_counts_alike_keeps_an_honest_interval():
    # f(u) = u_0 − p fails on u_0 ≤ p: a scrambled net counts n·p rounded up or down, and
    # all R randomisations may round alike (spread 0). The interval must still cover the
    # true p (here known exactly) and never have zero width: its standard error is at
    # least 1/(2 n √R), the worst case of that rounding.
    p_true = 1.0356e-3
    n, r = 2048, 8
    for seed in range(20):
        result = qmc_probability(lambda u: u[:, 0] - p_true, 2, n, randomisations=r,
                                 rng=np.random.default_rng(seed))
        lo, hi = result.ci95
        assert lo <= p_true <= hi, seed
        assert result.std_error >= 0.5 / (n * np.sqrt(r))


def test_rqmc_evaluates_every_randomisation_in_one_call_with_the_per_randomisation_means():
    # Expected value: the textbook procedure written out here independently — for each of
    # R child generators, a scrambled Sobol' net of n points, its own call, its mean.
    from scipy.stats import qmc

    from stuntsim.risk.qmc import U_MAX, U_MIN

    def func(u):
        calls.append(u.shape[0])
        return np.sin(3.0 * u[:, 0]) + u[:, 1] ** 2

    calls: list[int] = []
    result = qmc_mean(func, 2, 64, randomisations=5, rng=np.random.default_rng(9))
    assert calls == [5 * 64]  # one call: a model's fixed cost is paid once
    means = []
    for child in np.random.default_rng(9).spawn(5):
        u = np.clip(qmc.Sobol(2, scramble=True, rng=child).random_base2(6), U_MIN, U_MAX)
        means.append(float((np.sin(3.0 * u[:, 0]) + u[:, 1] ** 2).mean()))
    assert result.estimate == float(np.mean(means))
    assert result.std_error == float(np.std(means, ddof=1) / math.sqrt(5))
