r"""Subset simulation for small failure probabilities (1e-3 … 1e-7).

Au & Beck (2001) write a rare failure probability as a product of larger conditional
probabilities,

.. math::  P(g ≤ 0) = P(F_1) \prod_{j=1}^{m} P(F_{j+1} \mid F_j),
           \qquad F_j = \{g ≤ b_j\},\ b_1 > … > b_m > b_{m+1} = 0,

and estimate each factor from samples of the previous conditional distribution,
produced by Markov chains seeded with the samples of the previous level that lie in the
next subset.

The limit state works in **independent standard-normal space**: ``limit_state`` maps an
(n, dim) array ``u`` to margins (n,), failure where the margin is ≤ 0. A model with
other inputs maps ``u`` to values itself, e.g. with
:meth:`stuntsim.risk.distributions.Distribution.from_standard_normal`. Nothing here
uses the form of the limit state; it only sees margins.

Each level evaluates the limit state in batches: all chains of a level advance together,
so one call per Markov-chain step covers every chain (DESIGN principle 1).

The algorithm
-------------
N = ``n_per_level``, N_s = p0·N seeds per level, L = N/N_s = 1/p0 chain steps.

1. **Level 0**: N_0 ≈ ⌈N_s/2⌉/p0 ≈ N/2 points (rounded up to a multiple of 4) in four
   independently scrambled Halton blocks mapped through Φ⁻¹ (randomised quasi-Monte
   Carlo: every point is N(0, I), so the level is unbiased like crude Monte Carlo, with
   a lower variance; Owen 2017). The spread of the four blocks estimates its variance
   (L'Ecuyer & Lemieux 2002).
2. **Thresholds**: at every level b_{j+1} is the midpoint between the N_s-th and
   (N_s + 1)-th smallest margins, so P̂(F_{j+1} | F_j) = N_s / N_j (= p0 up to ties);
   the N_s samples below it are the seeds (after level 0: ⌈N_s/2⌉ seeds, each starting
   two chains).
3. **Markov chains**: one chain per seed, L steps of adaptive conditional sampling
   (Papaioannou et al. 2015, Alg. 5). With σ̂_k the spread of the seeds in direction k,

   .. math::  v = ρ ∘ u + σ ∘ ξ,\quad ξ \sim N(0, I),\quad
              σ_k = \min(1, λ σ̂_k),\quad ρ_k = \sqrt{1 - σ_k^2},

   accepted iff g(v) ≤ b_{j+1} (the candidate leaves N(0, I) invariant, so the
   acceptance is the indicator alone); λ is adapted after every step of all chains,
   ln λ ← ln λ + (â_i − 0.44)/√i (target acceptance 0.44, their §4.3), and
   carried to the next level. (The paper adapts after groups of chains run one after
   another; here all chains advance together, so the groups are the steps.)
   The level's N samples are the L states *after* each seed; the seed, already a sample
   of the previous level, is not counted again.
4. **Stop** at the first level with at least N_s/2 failing samples (failure fraction
   q ≥ p0/2 on a chain level, q ≥ p0 on level 0, which has N/2 points); the last
   factor is that fraction q.

What differs from Au & Beck (2001) / Papaioannou et al. (2015), and why
------------------------------------------------------------------------
Each change was kept because it lowered the spread of p̂ over independent seeds *per
limit-state evaluation* on every reference problem (``benchmarks/bench_subset.py``,
``stuntsim.risk.reference``). On the linear problem at p = 1.0e-6 the textbook version
(level 0 of N crude Monte Carlo points, seeds re-used as the first state of their
chain, stop at q ≥ p0) gave a CoV over seeds of 0.29–0.30 at 12 000 evaluations
(N = 2000; ≈ 17 000 evaluations for a CoV of 0.25); this version gives 0.243 ± 0.003
at 12 990 evaluations (N = 2360) and 0.277 ± 0.004 at 11 000 (N = 2000), 4000 seeds,
bias +2–3 %. In 10 dimensions (g = β − Σu/√10, same p) the gain is smaller, because
quasi-random points help level 0 less there: CoV 0.25 needs ≈ 13 800–14 200
evaluations instead of ≈ 15 700.

* **Seeds are not re-counted** (a burn-in of one step). A seed is the deepest tail of
  the previous level; counting it again at the next level ties the error of one level's
  threshold to the next level's estimate (correlation 0.05–0.16 between neighbouring
  levels on the linear problem) and adds shared-start correlation between chains. Not
  re-counting costs N_s more evaluations per level (N instead of N − N_s) and removed
  about 45 % of the between-level covariance; net 7–12 % less variance × evaluations.
* **Stop at q ≥ p0/2**, not q ≥ p0 (counted as N_s/2 failing samples, so level 0,
  with N/2 points, still needs a fraction p0). With j levels done, each of variance
  v = (1 − p0)/(p0 N)(1 + γ) and cost N, stopping with fraction q adds
  (1 − q)/(qN)(1 + γ); one more level adds v, a final factor q/p0 and N evaluations.
  The variance × cost product is smaller for stopping when
  q > [(j + 1) − (j + 2)p0] / [2(j + 1)(1 − p0)/p0 − 1], which is 0.049 for p0 = 0.1
  and j = 1 and tends to p0/2 for many levels. The old rule spent a whole level on a
  factor near 1 whenever p sat just below a power of p0 (p ≈ 1e-6 with p0 = 0.1 is
  such a case: half the runs had six levels).
* **Level 0 has about N/2 randomised quasi-Monte Carlo points.** Level-0 points carry
  no chain correlation (γ = 0) while chain samples are worth 1/(1 + γ) ≈ 1/2.5–1/3 of one, so the
  allocation that minimises variance × cost (N_j ∝ √(v_j / c_j)) gives level 0 about
  0.6 N points even for crude Monte Carlo; RQMC lowers its variance further (error of
  ln P̂_0 with N_0 = 1200 on the 2-D linear problem: 0.087 for crude Monte Carlo, 0.030
  with four randomised Halton blocks; less gain in high dimension). Each level-0 seed
  starts two chains so every level has N_s chains of L steps (the same number of
  limit-state calls per level as before).

Tried and not kept (no gain or worse, same benchmark): target acceptance 0.30, 0.35,
0.52, 0.60 (0.44 was best); a faster λ adaptation (gain 2 or 4: no clear change);
p0 = 0.05, 0.15, 0.2, 0.25 with N matched to the budget (differences within the 5–8 %
noise of 1000–2000 seeds; p0 = 0.15 a little better averaged over p = 3e-7…3e-6, a
little worse at p = 1e-6); burn-in of two steps; antithetic noise for chains with a common
ancestor; two chains per seed at every level; merging identical seeds into one longer
chain (biased); conditional sampling centred on a Gaussian fitted to the seeds or to the
previous level (generalised pCN, Rudolf & Sprungk 2018: the levels collapsed);
random-walk and adaptive component-wise Metropolis; delayed rejection and elliptical
slice sampling (more evaluations per decorrelated sample in a 1-D model of the level).

Coefficient of variation
------------------------
The textbook estimate (Au & Beck 2001, eqs. 27–29),

.. math::  δ^2 ≈ \sum_j δ_j^2, \qquad
           δ_j^2 = \frac{1 - P_j}{N P_j}(1 + γ_j), \qquad
           γ_j = 2 \sum_{k=1}^{L-1}\Bigl(1 - \frac{k}{L}\Bigr) ρ_j(k),

accounts for the correlation *within* a chain (ρ_j(k), the autocorrelation of the
level-j failure indicator at lag k) but treats the chains of a level as independent and
the levels as independent. Neither is true: the seeds of level j are correlated samples
of level j − 1 (often from the same chain), so the chains of a level share ancestors and
every level's estimate depends on the previous ones. The sum under-reports the spread
over independent runs (``benchmarks/bench_subset.py`` prints both). It is kept as
:attr:`SubsetResult.cov_independent_levels` for comparison.

The reported :attr:`SubsetResult.cov` is the *ancestral-cluster* ("Eve") estimate used for
sequential Monte Carlo samplers (Chan & Lai 2013; Lee & Whiteley 2018). Subset
simulation is such a sampler (Cérou, Del Moral, Furon & Guyader 2012): the selection of
seeds is the resampling step and the Markov chains are the mutation step. Every sample of
every level ≥ 1 descends from one level-0 point, its *Eve*; given the thresholds, the
families of different Eves evolve independently, while everything inside a family (the
samples of one chain, the chains grown from its seeds, their descendants at later levels)
may be correlated. With the delta method on ln p̂ = Σ_j ln P̂_j,

.. math::  δ^2 ≈ δ_0^2 + \sum_{e} \Bigl( \sum_{j=1}^{m} \frac{1}{N_j}
           \sum_{x ∈ \text{level } j,\ \text{Eve}(x) = e} \frac{I_j(x) - P̂_j}{P̂_j} \Bigr)^2,

the ultimate-cluster variance estimator of multistage sampling (Hansen, Hurwitz &
Madow 1953) with the Eves as clusters. It contains the within-chain term of Au & Beck,
the covariance between chains with shared ancestors, and the covariance between levels
(the terms Σ_{i≠j} δ_i δ_j ρ_ij that the independent-level sum drops, bounded above by
(Σ_j δ_j)², Au & Beck 2001). The adaptive thresholds b_j add nothing to first order:
adaptive and fixed levels have the same asymptotic variance (Cérou et al. 2012).
Level 0 is a quasi-random set, not an independent sample, so its own term δ_0² is the
variance estimated from its four randomisations, s_R²/(R P̂_0²); its cross terms with
the later levels vanish exactly (every seed has the same level-0 deviation 1 − P̂_0,
and each later level's deviations sum to zero), so δ_0² simply adds to the sum over
Eves. When level 0 is also the last level, four randomisations cannot vouch for a
precision beyond crude Monte Carlo's, and the larger of the two is reported.

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
Owen, A. B. (2017). A randomized Halton algorithm in R. arXiv:1706.02808 (scrambled
Halton points; scipy.stats.qmc.Halton).
L'Ecuyer, P. & Lemieux, C. (2002). Recent advances in randomized quasi-Monte Carlo
methods. In Modeling Uncertainty, Kluwer, pp. 419–474 (variance from independent
randomisations).
Cérou, F., Del Moral, P., Furon, T. & Guyader, A. (2012). Sequential Monte Carlo for
rare event estimation. Statistics and Computing 22(3):795–808.
Chan, H. P. & Lai, T. L. (2013). A general theory of particle filters in hidden Markov
models and some applications. Annals of Statistics 41(6):2877–2904.
Lee, A. & Whiteley, N. (2018). Variance estimation in the particle filter. Biometrika
105(3):609–625.
Hansen, M. H., Hurwitz, W. N. & Madow, W. G. (1953). Sample Survey Methods and Theory,
vol. I, ch. 9 (ultimate-cluster variance estimator).
Rudolf, D. & Sprungk, B. (2018). On a generalization of the preconditioned
Crank–Nicolson Metropolis algorithm. Foundations of Computational Mathematics
18:309–343 (tried, see above).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.special as sc
from scipy.stats import qmc

from stuntsim.risk.distributions import U_MAX, U_MIN

__all__ = ["SubsetResult", "subset_simulation"]

#: Target acceptance rate of the adaptive conditional sampler (Papaioannou et al. 2015, §4.3).
ACS_TARGET_ACCEPTANCE = 0.44
#: Initial scaling λ of the adaptive conditional sampler (Papaioannou et al. 2015, Alg. 5).
ACS_INITIAL_SCALING = 0.6
#: Standard deviation of the component-wise proposal of modified Metropolis (Au & Beck 2001
#: recommend a spread of the order of the conditional standard deviation; 1 in u-space).
MMH_PROPOSAL_SD = 1.0
#: Independent scramblings of the level-0 Halton points; their spread estimates the
#: level-0 variance (an RQMC set is not an independent sample, so the binomial formula
#: would overstate it). 4 keeps most of the QMC gain (2-D linear problem: error of
#: ln P̂_0 0.030 with 4 blocks, 0.021 with 1, 0.087 for crude Monte Carlo).
LEVEL0_RANDOMISATIONS = 4
#: Stop at the first level with at least this multiple of N·p0 failing samples: a
#: fraction p0/2 on the Markov-chain levels (module docstring: the variance × cost
#: break-even tends to p0/2), p0 on level 0 (N/2 points).
STOP_FRACTION_OF_P0 = 0.5

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
        Limit-state points evaluated: ≈ N/2 at level 0 plus N per further level.
    levels : tuple of float
        The intermediate thresholds b_1 > … > b_m > 0, in the margin's unit.
    level_probabilities : tuple of float
        P(F_1), P(F_2 | F_1), …: m + 1 factors whose product is ``probability``;
        the first m are p0 (up to ties), the last is the fraction of the final level's
        samples with margin ≤ 0 (at least p0/2 when ``converged``).
    level_covs : tuple of float
        Au & Beck's δ_j of each factor, with the within-chain correlation γ_j.
    converged : bool
        False when ``max_levels`` thresholds were used before p0·N/2 samples of a level
        failed; ``probability`` is then the product so far times the final fraction
        (maybe 0).
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

    The algorithm, its equations and sources are in the module docstring.

    Parameters
    ----------
    limit_state : callable
        Maps an (n, dim) array of standard-normal points to margins (n,); failure where
        ≤ 0. Called once for level 0 and once per Markov-chain step (all chains).
    dim : int
        Number of standard-normal inputs, ≥ 1.
    n_per_level : int
        Samples N of every Markov-chain level; level 0 has N_0 ≈ ⌈N·p0/2⌉/p0 ≈ N/2
        quasi-random points (a multiple of 4). N·p0 must be a whole number (the seeds
        per level).
    p0 : float
        Intermediate conditional probability, in (0, 0.5]; each chain takes N/(N·p0) =
        1/p0 steps (lengths differ by one when 1/p0 is not whole).
    rng : numpy.random.Generator
        The only source of randomness (also scrambles the level-0 Halton points).
    max_levels : int
        Largest number of intermediate thresholds m.
    sampler : {"acs", "mmh"}
        ``"acs"``: adaptive conditional sampling (Papaioannou et al. 2015, Alg. 5; module
        docstring). ``"mmh"``: component-wise modified Metropolis (Au & Beck 2001, §4),
        normal proposal with unit standard deviation per component.

    Returns
    -------
    SubsetResult
    """
    n, n_seeds, max_levels = _check_arguments(dim, n_per_level, p0, rng, max_levels, sampler)
    evaluate = _Counter(limit_state, dim)

    # level 0: half as many seeds, each starting two chains (module docstring, item 1)
    n_seeds_0 = -(-n_seeds // 2)
    n_0 = LEVEL0_RANDOMISATIONS * -(-max(round(n_seeds_0 / p0), n_seeds_0 + 1)
                                    // LEVEL0_RANDOMISATIONS)
    u = _standard_normal_points(n_0, dim, rng)
    g = evaluate(u)
    randomisation = np.arange(n_0) // (n_0 // LEVEL0_RANDOMISATIONS)
    eve = np.arange(n_0)  # each level-0 point is its own ancestor
    chain = position = None
    cluster_sums = np.zeros(n_0)  # Σ_{j≥1} (1/N_j) Σ_{x: Eve(x)=e} (I_j(x) − P_j)/P_j

    thresholds: list[float] = []
    probabilities: list[float] = []
    level_covs: list[float] = []
    scaling = ACS_INITIAL_SCALING
    seeds_here = n_seeds_0
    while True:
        size = g.size
        n_failed = int(np.count_nonzero(g <= 0.0))
        converged = n_failed >= STOP_FRACTION_OF_P0 * n_seeds
        last = converged or len(thresholds) == max_levels
        if last:
            threshold = 0.0
        else:
            order = np.argsort(g, kind="stable")
            threshold = 0.5 * (g[order[seeds_here - 1]] + g[order[seeds_here]])
        inside = g <= threshold
        p_level = float(np.count_nonzero(inside)) / size
        probabilities.append(p_level)
        if not thresholds:
            level_covs.append(_level0_cov(inside, randomisation, p_level, final=last))
        else:
            level_covs.append(_level_cov(inside, chain, position, p_level))
            if p_level > 0:
                weights = (inside - p_level) / (p_level * size)
                cluster_sums += np.bincount(eve, weights=weights, minlength=n_0)
        if last:
            break
        thresholds.append(float(threshold))
        seeds = rng.permutation(order[:seeds_here])
        starts = seeds[np.arange(n_seeds) % seeds_here]  # after level 0: two chains a seed
        u, g, eve, chain, position, scaling = _grow_chains(
            evaluate, u[starts], g[starts], eve[starts], threshold, n, rng, sampler, scaling
        )
        seeds_here = n_seeds

    probability = float(np.prod(probabilities))
    cov_independent = math.sqrt(sum(c**2 for c in level_covs))
    if probability > 0:
        # level 0's own term is its randomised-QMC variance; its cross terms with the
        # later levels vanish (every seed has the same level-0 deviation and each later
        # level's deviations sum to zero), so it adds to the Eve sum of squares
        cov_eve = math.sqrt(float(np.sum(cluster_sums**2)) + level_covs[0] ** 2)
        cov = max(cov_eve, cov_independent)
        s2 = math.log1p(cov**2)
        half = _Z95 * math.sqrt(s2)
        ci95 = (probability * math.exp(s2 / 2 - half), probability * math.exp(s2 / 2 + half))
    else:
        cov = cov_independent = math.inf
        ci95 = (0.0, _zero_failure_bound(probabilities, g.size))
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


# --- level 0 -----------------------------------------------------------------------


def _standard_normal_points(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """n points in LEVEL0_RANDOMISATIONS independently scrambled Halton blocks, mapped to
    N(0, I_dim) by Φ⁻¹ (each point exactly standard normal)."""
    per_block = n // LEVEL0_RANDOMISATIONS
    uniforms = np.concatenate(
        [
            qmc.Halton(dim, scramble=True, rng=rng).random(per_block)
            for _ in range(LEVEL0_RANDOMISATIONS)
        ]
    )
    return sc.ndtri(np.clip(uniforms, U_MIN, U_MAX))


def _level0_cov(inside, randomisation, p_level, *, final: bool) -> float:
    """CoV of the level-0 fraction from the spread of its R independent randomisations,
    δ_0 = √(s_R²/R) / P̂_0 (L'Ecuyer & Lemieux 2002, §4; as in :mod:`stuntsim.risk.qmc`).

    When level 0 is also the last level the estimate is plain RQMC of a probability
    ≥ p0, and R = 4 spreads cannot vouch for a precision beyond crude Monte Carlo's:
    the larger of the two is reported.
    """
    if p_level <= 0:
        return math.inf
    fractions = np.bincount(randomisation, weights=inside) / np.bincount(randomisation)
    cov = math.sqrt(float(np.var(fractions, ddof=1)) / fractions.size) / p_level
    if final:
        cov = max(cov, math.sqrt((1.0 - p_level) / (inside.size * p_level)))
    return cov


# --- Markov chains -----------------------------------------------------------------


def _grow_chains(evaluate, starts_u, starts_g, starts_eve, threshold, n, rng, sampler, scaling):
    """N samples of the level conditional on g ≤ threshold: one chain per start.

    A chain's samples are its states after the start (the start is a sample of the
    previous level). Chains 0 … n mod n_chains − 1 take one step more when n/n_chains
    is not whole (the seeds were shuffled, so which ones is random). Returns the samples
    in chain-major order with their Eve, chain and position, and the updated λ.
    """
    n_chains, dim = starts_u.shape
    base, extra = divmod(n, n_chains)
    lengths = base + (np.arange(n_chains) < extra)
    steps = int(lengths[0])

    states_u = np.empty((n_chains, steps, dim))
    states_g = np.full((n_chains, steps), np.nan)
    current_u, current_g = starts_u.copy(), starts_g.copy()

    if sampler == "acs":
        seed_sd = np.std(starts_u, axis=0, ddof=1) if n_chains > 1 else np.ones(dim)
        seed_sd[seed_sd == 0.0] = 1.0  # one distinct start (tiny N): the prior's spread
    for step in range(steps):
        active = n_chains if step < base else extra  # chains still growing (a prefix)
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
            scaling *= math.exp((accept.mean() - ACS_TARGET_ACCEPTANCE) / math.sqrt(step + 1))

    keep = np.arange(steps)[None, :] < lengths[:, None]
    chain, position = np.nonzero(keep)
    return (
        states_u[keep],
        states_g[keep],
        starts_eve[chain],
        chain,
        position,
        scaling,
    )


# --- estimates ---------------------------------------------------------------------


def _level_cov(inside, chain, position, p_level) -> float:
    """Au & Beck (2001) δ_j = √((1 − P_j)/(N P_j) (1 + γ_j)), eqs. (27)–(29).

    R_j(k) is the mean of I(l) I(l + k) over all pairs at lag k within a chain, minus
    P_j²; γ_j = 2 Σ_k (1 − k/L) R_j(k)/R_j(0), with L = N/N_c the mean chain length.
    """
    n = inside.size
    if p_level <= 0:
        return math.inf
    if p_level >= 1:
        return 0.0
    n_chains = int(chain.max()) + 1
    steps = int(position.max()) + 1
    chain_length = n / n_chains
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
