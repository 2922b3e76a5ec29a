r"""Subset simulation for small failure probabilities (1e-3 … 1e-7).

Au & Beck (2001) write a rare failure probability as a product of larger conditional
probabilities,

.. math::  P(g ≤ 0) = P(F_0) \prod_{j=1}^{m} P(F_j \mid F_{j-1}),
           \qquad F_j = \{g ≤ b_j\},\ b_1 > … > b_m > 0,

and estimate each factor from samples of the previous conditional distribution,
produced by Markov chains seeded with the failing samples of the previous level.

The limit state works in **independent standard-normal space**: ``limit_state`` maps an
(n, dim) array ``u`` to margins (n,), failure where the margin is ≤ 0. A model with
other inputs maps ``u`` to values itself, e.g. with
:meth:`stuntsim.risk.distributions.Distribution.from_standard_normal`.

Each level evaluates the limit state in batches: all chains of a level advance together,
so one call per Markov-chain step covers every chain (DESIGN principle 1).

Coefficient of variation
------------------------
The textbook estimate (Au & Beck 2001, eqs. 27–29),

.. math::  δ^2 ≈ \sum_j δ_j^2, \qquad
           δ_j^2 = \frac{1 - P_j}{N P_j}(1 + γ_j), \qquad
           γ_j = 2 \sum_{k=1}^{N_s-1}\Bigl(1 - \frac{k}{N_s}\Bigr) ρ_j(k),

accounts for the correlation *within* a chain (ρ_j(k), the autocorrelation of the
level-j failure indicator at lag k) but treats the chains of a level as independent and
the levels as independent. Neither is true: the seeds of level j are correlated samples
of level j − 1 (often from the same chain), so the chains of a level share ancestors and
every level's estimate depends on the previous ones. The sum under-reports the spread
over independent runs: by 5–15 % with the adaptive conditional sampler and 5–47 % with
modified Metropolis on the problems of ``tests/test_subset.py`` (``benchmarks/bench_subset.py``,
400 seeds). It is kept as :attr:`SubsetResult.cov_independent_levels` for comparison.

The reported :attr:`SubsetResult.cov` is the *ancestral-cluster* ("Eve") estimate used for
sequential Monte Carlo samplers (Chan & Lai 2013; Lee & Whiteley 2018). Subset
simulation is such a sampler (Cérou, Del Moral, Furon & Guyader 2012): the selection of
seeds is the resampling step and the Markov chains are the mutation step. Every sample of
every level descends from one level-0 sample, its *Eve*; given the thresholds, the
families of different Eves evolve independently, while everything inside a family (the
samples of one chain, the chains grown from its seeds, their descendants at later levels)
may be correlated. With the delta method on log p̂ = Σ_j log P̂_j,

.. math::  δ^2 ≈ \frac{1}{N^2} \sum_{e} \Bigl( \sum_{j=0}^{m} \sum_{x ∈ \text{level } j,
           \ \text{Eve}(x) = e} \frac{I_j(x) - P̂_j}{P̂_j} \Bigr)^2,

the ultimate-cluster variance estimator of multistage sampling (Hansen, Hurwitz &
Madow 1953) with the Eves as clusters. It contains the within-chain term of Au & Beck,
the covariance between chains with shared ancestors, and the covariance between levels
(the terms Σ_{i≠j} δ_i δ_j ρ_ij that the independent-level sum drops, bounded above by
(Σ_j δ_j)², Au & Beck 2001). The adaptive thresholds b_j add nothing to first order:
adaptive and fixed levels have the same asymptotic variance (Cérou et al. 2012).

The Eve estimate is noisy when few families survive to the last level (genealogical
degeneracy, Lee & Whiteley 2018). The reported value is therefore
max(Eve estimate, independent-level estimate): the latter is a lower bound in
expectation on these problems, and the maximum only matters for unlucky runs.
``tests/test_subset.py`` and ``benchmarks/bench_subset.py`` check that it is within
25 % of the CoV observed over many seeds.

:attr:`SubsetResult.ci95` is a lognormal interval: with s² = ln(1 + δ²) and
ln p̂ ~ N(ln p − s²/2, s²) (mean-unbiased p̂), p lies in
p̂ · exp(s²/2 ± 1.96 s).

References
----------
Au, S.-K. & Beck, J. L. (2001). Estimation of small failure probabilities in high
dimensions by subset simulation. Probabilistic Engineering Mechanics 16(4):263–277.
Papaioannou, I., Betz, W., Zwirglmaier, K. & Straub, D. (2015). MCMC algorithms for
subset simulation. Probabilistic Engineering Mechanics 41:89–103.
Cérou, F., Del Moral, P., Furon, T. & Guyader, A. (2012). Sequential Monte Carlo for
rare event estimation. Statistics and Computing 22(3):795–808.
Chan, H. P. & Lai, T. L. (2013). A general theory of particle filters in hidden Markov
models and some applications. Annals of Statistics 41(6):2877–2904.
Lee, A. & Whiteley, N. (2018). Variance estimation in the particle filter. Biometrika
105(3):609–625.
Hansen, M. H., Hurwitz, W. N. & Madow, W. G. (1953). Sample Survey Methods and Theory,
vol. I, ch. 9 (ultimate-cluster variance estimator).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.special as sc

__all__ = ["SubsetResult", "subset_simulation"]

#: Target acceptance rate of the adaptive conditional sampler (Papaioannou et al. 2015, §4.3).
ACS_TARGET_ACCEPTANCE = 0.44
#: Initial scaling λ of the adaptive conditional sampler (Papaioannou et al. 2015, Alg. 5).
ACS_INITIAL_SCALING = 0.6
#: Standard deviation of the component-wise proposal of modified Metropolis (Au & Beck 2001
#: recommend a spread of the order of the conditional standard deviation; 1 in u-space).
MMH_PROPOSAL_SD = 1.0

_Z95 = float(sc.ndtri(0.975))


@dataclass(frozen=True)
class SubsetResult:
    """The outcome of :func:`subset_simulation`.

    Attributes
    ----------
    probability : float
        Estimate of P(margin ≤ 0) [-].
    cov : float
        Coefficient of variation of ``probability`` [-]: the ancestral-cluster estimate
        (module docstring), at least the independent-level estimate. Infinite when the
        estimate is 0.
    cov_independent_levels : float
        Au & Beck's δ = √(Σ δ_j²), chains and levels treated as independent [-].
    ci95 : (float, float)
        Lognormal 95 % interval from ``cov`` (module docstring).
    evaluations : int
        Limit-state points evaluated.
    levels : tuple of float
        The intermediate thresholds b_1 > … > b_m > 0, in the margin's unit.
    level_probabilities : tuple of float
        P(F_0), P(F_1 | F_0), …: m + 1 factors whose product is ``probability``;
        the first m are p0 (up to ties), the last is the fraction of the final level's
        samples with margin ≤ 0.
    level_covs : tuple of float
        Au & Beck's δ_j of each factor, with the within-chain correlation γ_j.
    converged : bool
        False when ``max_levels`` thresholds were used before p0·N samples failed;
        ``probability`` is then the product so far times the final fraction (maybe 0).
    """

    probability: float
    cov: float
    cov_independent_levels: float
    ci95: tuple[float, float]
    evaluations: int
    levels: tuple[float, ...]
    level_probabilities: tuple[float, ...]
    level_covs: tuple[float, ...]
    converged: bool
    sampler: str
    n_per_level: int
    p0: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (infinite CoVs become None)."""

        def finite(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "probability": self.probability,
            "cov": finite(self.cov),
            "cov_independent_levels": finite(self.cov_independent_levels),
            "ci95": [self.ci95[0], self.ci95[1]],
            "evaluations": self.evaluations,
            "levels": list(self.levels),
            "level_probabilities": list(self.level_probabilities),
            "level_covs": [finite(c) for c in self.level_covs],
            "converged": self.converged,
            "sampler": self.sampler,
            "n_per_level": self.n_per_level,
            "p0": self.p0,
        }


def subset_simulation(
    limit_state: Callable[[np.ndarray], np.typing.ArrayLike],
    dim: int,
    *,
    n_per_level: int = 2000,
    p0: float = 0.1,
    rng: np.random.Generator,
    max_levels: int = 20,
    sampler: str = "acs",
) -> SubsetResult:
    """Estimate P(limit_state(U) ≤ 0), U ~ N(0, I_dim), by subset simulation.

    Parameters
    ----------
    limit_state : callable
        Maps an (n, dim) array of standard-normal points to margins (n,); failure where
        ≤ 0. Called once per level-0 batch and once per Markov-chain step (all chains).
    dim : int
        Number of standard-normal inputs, ≥ 1.
    n_per_level : int
        Samples per level N; N·p0 must be a whole number (the seeds per level).
    p0 : float
        Intermediate conditional probability, in (0, 0.5]; chains have N/(N·p0) = 1/p0
        samples including the seed (lengths differ by one when 1/p0 is not whole).
    rng : numpy.random.Generator
        The only source of randomness.
    max_levels : int
        Largest number of intermediate thresholds m.
    sampler : {"acs", "mmh"}
        ``"acs"``: adaptive conditional sampling (Papaioannou et al. 2015, Alg. 5):
        candidate ρ_k u_k + σ_k ξ, σ_k = min(1, λ σ̂_k), ρ_k = √(1 − σ_k²), with σ̂_k the
        spread of the seeds; λ is adapted after every step of all chains,
        ln λ ← ln λ + (â − 0.44)/√i, and carried to the next level. (The paper adapts
        after groups of chains run one after another; here all chains advance together,
        so the groups are the steps.)
        ``"mmh"``: component-wise modified Metropolis (Au & Beck 2001, §4), normal
        proposal with unit standard deviation per component.

    Returns
    -------
    SubsetResult
    """
    n, n_seeds, max_levels = _check_arguments(dim, n_per_level, p0, rng, max_levels, sampler)
    evaluate = _Counter(limit_state, dim)

    u = rng.standard_normal((n, dim))
    g = evaluate(u)
    eve = np.arange(n)  # each level-0 sample is its own ancestor
    chain = np.arange(n)  # chains of length 1: no within-level correlation
    position = np.zeros(n, dtype=int)
    cluster_sums = np.zeros(n)  # Σ_j Σ_{x: Eve(x)=e} (I_j(x) − P_j)/P_j, per Eve e

    thresholds: list[float] = []
    probabilities: list[float] = []
    level_covs: list[float] = []
    scaling = ACS_INITIAL_SCALING
    converged = True
    while True:
        n_failed = int(np.count_nonzero(g <= 0.0))
        last = n_failed >= n_seeds or len(thresholds) == max_levels
        if last:
            converged = n_failed >= n_seeds
            threshold = 0.0
        else:
            order = np.argsort(g, kind="stable")
            threshold = 0.5 * (g[order[n_seeds - 1]] + g[order[n_seeds]])
        inside = g <= threshold
        p_level = float(np.count_nonzero(inside)) / n
        probabilities.append(p_level)
        level_covs.append(_level_cov(inside, chain, position, p_level, n / n_seeds))
        if p_level > 0:
            cluster_sums += np.bincount(eve, weights=(inside - p_level) / p_level, minlength=n)
        if last:
            break
        thresholds.append(float(threshold))
        seeds = rng.permutation(order[:n_seeds])
        u, g, eve, chain, position, scaling = _grow_chains(
            evaluate, u[seeds], g[seeds], eve[seeds], threshold, n, rng, sampler, scaling
        )

    probability = float(np.prod(probabilities))
    cov_independent = math.sqrt(sum(c**2 for c in level_covs))
    if probability > 0:
        cov_eve = math.sqrt(float(np.sum(cluster_sums**2))) / n
        cov = max(cov_eve, cov_independent)
        s2 = math.log1p(cov**2)
        half = _Z95 * math.sqrt(s2)
        ci95 = (probability * math.exp(s2 / 2 - half), probability * math.exp(s2 / 2 + half))
    else:
        cov = cov_independent = math.inf
        ci95 = (0.0, _zero_failure_bound(probabilities, n))
    return SubsetResult(
        probability=probability,
        cov=cov,
        cov_independent_levels=cov_independent,
        ci95=ci95,
        evaluations=evaluate.count,
        levels=tuple(thresholds),
        level_probabilities=tuple(probabilities),
        level_covs=tuple(level_covs),
        converged=converged,
        sampler=sampler,
        n_per_level=n,
        p0=float(p0),
    )


# --- Markov chains -----------------------------------------------------------------


def _grow_chains(evaluate, seeds_u, seeds_g, seeds_eve, threshold, n, rng, sampler, scaling):
    """N samples of the level conditional on g ≤ threshold: one chain per seed.

    Chains 0 … n mod n_seeds − 1 are one sample longer when n/n_seeds is not whole
    (the seeds were shuffled, so which ones is random). Returns the samples in
    chain-major order with their Eve, chain and position, and the updated λ.
    """
    n_seeds, dim = seeds_u.shape
    base, extra = divmod(n, n_seeds)
    lengths = base + (np.arange(n_seeds) < extra)
    steps = int(lengths[0])

    states_u = np.empty((n_seeds, steps, dim))
    states_g = np.full((n_seeds, steps), np.nan)
    states_u[:, 0], states_g[:, 0] = seeds_u, seeds_g
    current_u, current_g = seeds_u.copy(), seeds_g.copy()

    if sampler == "acs":
        seed_sd = np.std(seeds_u, axis=0, ddof=1) if n_seeds > 1 else np.ones(dim)
    for step in range(1, steps):
        active = n_seeds if step < base else extra  # chains still growing (a prefix)
        x = current_u[:active]
        if sampler == "acs":
            sd = np.minimum(scaling * seed_sd, 1.0)
            candidate = np.sqrt(1.0 - sd**2) * x + sd * rng.standard_normal(x.shape)
            moved = np.ones(active, dtype=bool)
        else:
            proposal = x + MMH_PROPOSAL_SD * rng.standard_normal(x.shape)
            ratio = np.exp(-0.5 * (proposal**2 - x**2))  # φ(ξ)/φ(x) per component
            candidate = np.where(rng.random(x.shape) < ratio, proposal, x)
            moved = np.any(candidate != x, axis=1)
        candidate_g = current_g[:active].copy()
        if moved.any():
            candidate_g[moved] = evaluate(candidate[moved])
        accept = moved & (candidate_g <= threshold)
        current_u[:active][accept] = candidate[accept]
        current_g[:active][accept] = candidate_g[accept]
        states_u[:active, step] = current_u[:active]
        states_g[:active, step] = current_g[:active]
        if sampler == "acs":
            # Papaioannou et al. (2015), Alg. 5: λ_{i+1} = λ_i exp((â_i − a*)/√i)
            scaling *= math.exp((accept.mean() - ACS_TARGET_ACCEPTANCE) / math.sqrt(step))

    keep = np.arange(steps)[None, :] < lengths[:, None]
    chain, position = np.nonzero(keep)
    return (
        states_u[keep],
        states_g[keep],
        seeds_eve[chain],
        chain,
        position,
        scaling,
    )


# --- estimates ---------------------------------------------------------------------


def _level_cov(inside, chain, position, p_level, chain_length) -> float:
    """Au & Beck (2001) δ_j = √((1 − P_j)/(N P_j) (1 + γ_j)), eqs. (27)–(29).

    R_j(k) is the mean of I(l) I(l + k) over all pairs at lag k within a chain, minus
    P_j²; γ_j = 2 Σ_k (1 − k/N_s) R_j(k)/R_j(0), with N_s = N/N_c.
    """
    n = inside.size
    if p_level <= 0:
        return math.inf
    if p_level >= 1:
        return 0.0
    n_chains = int(chain.max()) + 1
    steps = int(position.max()) + 1
    grid = np.zeros((n_chains, steps))
    present = np.zeros((n_chains, steps), dtype=bool)
    grid[chain, position] = inside
    present[chain, position] = True
    variance = p_level * (1.0 - p_level)  # R_j(0)
    gamma = 0.0
    for lag in range(1, steps):
        pairs = present[:, lag:] & present[:, :-lag]
        products = grid[:, lag:] * grid[:, :-lag]
        r_lag = float(products[pairs].mean()) - p_level**2
        gamma += 2.0 * (1.0 - lag / chain_length) * r_lag / variance
    return math.sqrt((1.0 - p_level) / (n * p_level) * (1.0 + max(gamma, 0.0)))


def _zero_failure_bound(probabilities: list[float], n: int) -> float:
    """Upper 95 % bound when no final-level sample failed: the product of the
    intermediate factors times the Clopper–Pearson bound 1 − 0.025^{1/N} (chains
    make the N samples worth fewer, so this is optimistic; the result says so by
    ``converged=False`` or an infinite CoV)."""
    return float(np.prod(probabilities[:-1])) * -math.expm1(math.log(0.025) / n)


class _Counter:
    """Calls the limit state, checks its output and counts the points evaluated."""

    def __init__(self, limit_state, dim: int) -> None:
        self.limit_state = limit_state
        self.dim = dim
        self.count = 0

    def __call__(self, u: np.ndarray) -> np.ndarray:
        margins = np.asarray(self.limit_state(u), dtype=float)
        self.count += u.shape[0]
        if margins.shape != (u.shape[0],):
            raise ValueError(
                f"limit_state returned shape {margins.shape} for {u.shape[0]} points; "
                f"expected ({u.shape[0]},)"
            )
        if np.isnan(margins).any():
            raise ValueError("limit_state returned NaN margins")
        return margins


def _check_arguments(dim, n_per_level, p0, rng, max_levels, sampler):
    for label, value, low in (
        ("dim", dim, 1),
        ("n_per_level", n_per_level, 2),
        ("max_levels", max_levels, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{label} must be an integer ≥ {low}, got {value!r}")
    if isinstance(p0, bool) or not isinstance(p0, numbers.Real) or not 0.0 < p0 <= 0.5:
        raise ValueError(f"p0 must be in (0, 0.5], got {p0!r}")
    n_seeds = n_per_level * p0
    if abs(n_seeds - round(n_seeds)) > 1e-9 * n_per_level or round(n_seeds) < 1:
        raise ValueError(
            f"n_per_level·p0 must be a whole number ≥ 1 (the seeds per level), "
            f"got {n_per_level}·{p0} = {n_seeds}"
        )
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if sampler not in ("acs", "mmh"):
        raise ValueError(f"sampler must be 'acs' or 'mmh', got {sampler!r}")
    return int(n_per_level), round(n_seeds), int(max_levels)
