r"""Subset simulation for small failure probabilities (1e-3 … 1e-7).

Au & Beck (2001) write a rare failure probability as a product of larger conditional
probabilities,

.. math::  P(g ≤ 0) = P(F_1) \prod_{j=1}^{m} P(F_{j+1} \mid F_j),
           \qquad F_j = \{g ≤ b_j\},\ b_1 > … > b_m > b_{m+1} = 0,

and estimate each factor from samples of the previous conditional distribution,
produced by Markov chains seeded with the samples of the previous level that lie in the
next subset.

The limit state works in **independent standard-normal space**: ``limit_state`` maps an
(n, dim) array ``u`` to margins (n,), failure where the margin is ≤ 0: zero clearance is
contact, so a hazard happened at a margin of exactly 0 (every count here, the stop rule,
the fallback and the level-0 check use ``<= 0``). A model with
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
   factor is that fraction q. Or stop *unconverged* when a rule of "When subset
   simulation fails" fires.
5. **Replicates** (``replicates=R``): R independent runs, advanced together so that one
   limit-state call per step serves all of them; the estimate is their mean (each is
   nearly mean-unbiased, so the mean is too).

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

When subset simulation fails
----------------------------
The method assumes that the samples of each level represent the conditional distribution
on {g ≤ b_j}. A stunt model's margin breaks that in three ways (Breitung 2019 gives
counterexamples of each kind): **plateaus** (a person who is never approached gets the
same clearance for most inputs), **dead ends** (a car that stops at first contact: its
clearance to a person freezes at a positive value, a floor the levels slide towards but
never below) and **several failure regions**, one of them reached only through a
**switch** (the margin jumps from ≈ 1 m to ≤ 0 with no slope leading there). Such a run
gave the Rome scenario's ``person_struck`` of 2026-11 (crude Monte Carlo: 11 strikes in
200 000 takes, p̂ = 5.5e-5; before locked wheels slid straight) 0 [0, 4.1e-23] after 20
stalled levels, or 1.2e-10 [3.4e-11, 8.9e-10] "converged", or 5.2e-4 [1.6e-4, 2.9e-3],
depending on the seed.

A run is **not converged**, and reports no probability of its own, when any of these
rules fires (constants and their reasons at their definitions below):

* ``stalled``: two levels in a row at whose pace 0 is more than STALL_DECADES = 10 decades
  of probability away, b_{j+1}/(b_j − b_{j+1}) · log10(1/p0) > 10 (with p0 = 0.1: a
  step below 0.1 of the margin left). Not measured against the spread of the
  level's margins: in a basin above 0 the level's spread shrinks with the steps (the
  subset conditions on ever smaller margins), so the ratio of step to spread stays of
  order one while the thresholds creep to the floor (Rome: 0.035, 0.032, 0.030, 0.029,
  0.028, 0.028, 0.027 … 0.026 m); only the distance still to go shows that 0 is out of
  reach;
* ``tied``: the threshold falls on a plateau (distinct points share the N_s-th margin
  and {g ≤ b} would hold > 2 N_s samples) with fewer than MIN_TIE_SEEDS = 10 samples
  strictly below it (a level whose samples are all, or nearly all, identical in margin
  is this case). With ≥ 10 below, the threshold goes just below the plateau and the
  factor is the count strictly below (``tie_below``, not fatal), as in generalised
  adaptive multilevel splitting (Bréhier et al. 2016); before this, such a level took
  the whole plateau (factor 1) again and again up to ``max_levels``;
* ``frozen_chains``: a Markov-chain level that accepted fewer than MIN_ACCEPTANCE = 0.02
  of its proposals (its samples are copies of its seeds);
* ``max_levels``: ``max_levels`` thresholds used without N_s/2 failing samples;
* ``replicates_disagree`` (R ≥ 2): Cochran's Q of ln p̂_r + s_r²/2, weights 1/s_r²
  (s_r² = ln(1 + δ_r²)), above the 99 % point of χ²_{R−1};
* ``level0_contradiction``: the level-0 points are N(0, I), so k failures among N_0 of
  them bound p from below; an estimate whose 95 % interval ends below the 99.9 %
  one-sided Clopper–Pearson lower bound of k/N_0 lost a failure region.

When a replicate stops unconverged the others stop too (the run falls back whatever
they would give). The **fallback** is crude Monte Carlo on ``fallback_samples`` fresh
*independent* standard-normal points (default N·R; one more level's worth per
replicate): p̂ = k/n with the exact Clopper–Pearson interval. Independent points, not
the level-0 points: those are a scrambled-Halton (RQMC) set, each point exactly N(0, I)
(so their fraction is unbiased) but not independent of the others, and the binomial law
behind Clopper–Pearson is not proven for such a count (for well-spread points the count
varies less than a binomial one, which would make the interval conservative, but no
bound guarantees it for every failure set). The subset estimate is kept as
``subset_probability``, marked as not trusted.

**Converged with R ≥ 2** the CoV is max(√(mean δ_r²/R), sd(p̂_r)/(√R p̄)), and the
interval is the lognormal one from it widened to contain Cox's interval for a lognormal
mean from the R values alone, ȳ + s²/2 ± t_{R−1,0.975} √(s²/R + s⁴/(2(R − 1))), y = ln p̂_r
(Zhou & Gao 1997): when a failure region is a lottery for each replicate, their own CoVs
under-report (two regions below: reported 0.8, observed 2.9) and only their spread shows
it.

Measurements (``benchmarks/bench_subset_robust.py``; problems of
:mod:`stuntsim.risk.reference` with exact p; N = 1000, p0 = 0.1, aCS, 200 seeds;
coverage of the reported 95 % interval, converged or fallback; "miss": a converged
p̂ < p/10, the confident wrong "safe"):

====================  ==  =========  ===========================  ========  =====  ======
problem, exact p       R  converged  bias, CoV (converged runs)   coverage  miss   evals
====================  ==  =========  ===========================  ========  =====  ======
plateau-1e-5, 1.0e-5   1  1.00       +0.02, 0.43 (reported 0.35)  0.92      0      4 470
plateau-1e-5           4  0.97       −0.01, 0.18 (reported 0.19)  0.99      0      18 060
plateau-deep, 1.0e-5   1  0 (tied)   —                            1.00      —      1 500
two-regions, 1.08e-4   1  1.00       +0.86, 2.9 (reported 0.80)   0.53      0.26   4 290
two-regions            2  0.58       +0.45, 1.6                   0.93      0.14   9 610
two-regions            4  0.20       +0.57, 1.2                   0.97      0.025  20 800
switch, 4.8e-5         1  0.15       +4.0, 12.5 (stalled: 0.85)   0.91      0.43   6 410
switch                 4  0 (stalled)  —                          0.98      —      25 200
linear-1e-6, 1.0e-6    4  0.995      +0.03, 0.20 (reported 0.21)  0.98      0      22 210
four-branch-k7         4  1.00       +0.00, 0.11 (reported 0.12)  0.98      0      10 000
====================  ==  =========  ===========================  ========  =====  ======

Before these rules (R = 1) the plateau-1e-5 problem ran to ``max_levels`` and returned
0, plateau-deep likewise, and the switch problem ran to ``max_levels`` in 85 % of the
runs. On the reference problems with R = 1 no rule fired in 1000 runs (both samplers,
2-D and 10-D, N = 1000, 100 seeds each) and every result is bit-for-bit the one of the
code before them, so the accuracy figures above are unchanged. With R = 4 the
``replicates_disagree`` rule fired on 0.5–3 % of the runs of well-behaved problems
(nominal 1 %; the fallback is then conservative, not wrong). One replicate (R = 1)
cannot see a failure region it missed: two-regions shows 26 % confident misses, and
only replicates catch them (R = 2 lets 14 % of its converged runs through, R = 4
2.5 %, one run in 200, where all four replicates lost the region; R = 8: none of 200,
with 3.5 % of the runs converged and 0.96–0.99 coverage on the well-behaved problems).
On the Rome scenario's ``person_struck`` the replicate outcomes (N = 1000, 25 runs) were
a lottery: ≈ 1/3 stalled, ≈ 1/4 near the crude Monte Carlo value (1.5e-5 … 5e-4), the
rest 1e-10 … 5e-6; resampling them, a run reports "converged" with an interval disjoint
from crude Monte Carlo's in ≈ 36 % of the runs with R = 1, 2.6 % with R = 2, 0.25 % with
R = 4 and ≈ 0.001 % with R = 8. That is why :func:`stuntsim.studies.rare_event` runs
R = 8 on a scenario (on the car a call costs mostly its fixed ≈ 1.2 s, so 8 replicates
take ≈ 25 % longer than 4), while the default here stays R = 1 (the reference accuracy
per evaluation).

Tried and not kept: **restarts** of a stalled run from fresh level-0 points (on the switch
problem 85 % of fresh runs stall again, and keeping the first that converges selects the
lucky ones: their estimates are heavy-tailed, bias +4, CoV 12); **p0 = 0.2, 0.3** to
keep more seeds of a small failure region per level (two-regions with R = 4: converged
0.26 and 0.39 of the runs instead of 0.20, misses 0.019 and 0, but 1.3× and 1.6× the
evaluations, and the reference problems lose per evaluation; on Rome's ``person_struck``
with R = 1, p0 = 0.3 gave 2.5e-5, 8.5e-6, 1.9e-7, 1.3e-6 and two stalls in six seeds, no
better than p0 = 0.1); **N = 4000** per level on Rome (R = 1, six seeds: 2.2e-5, 4.4e-5,
then 2.2e-6, 2.1e-6, 1.0e-6 and 1.5e-7, all "converged": four times the seeds do not get
the chains into the strike region, which a jump guards, and half the runs settle in the
same wrong mode, which only disagreeing replicates reveal); **R = 2** (14 % confident
misses, above); a stall rule against the spread of the level's margins (blind to a
basin, above). Not tried: combining the subset estimate with the crude fraction of the
level-0 points when those already hold failures (they are the lowest margins, so they
are always seeds and their chains carry them into the estimate; the two estimates share
those points, and their covariance would be needed), and the sequential importance
sampling of Papaioannou et al. (2016), which weights rather than discards the samples
of a region whose margin is not yet small.

References
----------
Breitung, K. (2019). The geometry of limit state function graphs and subset simulation:
counterexamples. Reliability Engineering & System Safety 182:98–106.
Bréhier, C.-E., Gazeau, M., Goudenège, L., Lelièvre, T. & Rousset, M. (2016).
Unbiasedness of some generalized adaptive multilevel splitting algorithms. Annals of
Applied Probability 26(6):3559–3601 (ties at a level).
Zhou, X.-H. & Gao, S. (1997). Confidence intervals for the log-normal mean. Statistics in
Medicine 16(7):783–790 (Cox's method).
Papaioannou, I., Papadimitriou, C. & Straub, D. (2016). Sequential importance sampling
for structural reliability analysis. Structural Safety 62:66–75 (not tried, see above).
Cochran, W. G. (1954). The combination of estimates from different experiments.
Biometrics 10(1):101–129.
Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits
illustrated in the case of the binomial. Biometrika 26(4):404–413.
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
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import scipy.special as sc
import scipy.stats
from scipy.stats import qmc

from stuntsim.risk.distributions import U_MAX, U_MIN

__all__ = ["Diagnostic", "SubsetResult", "SubsetRun", "subset_simulation"]

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

# --- when a run has not converged (module docstring, "When subset simulation fails") ---

#: Stalled thresholds: at the pace of the last step, 0 is more than this many decades of
#: probability away: b_{j+1}/(b_j − b_{j+1}) levels of log10(1/p0) decades each, at
#: STALL_LEVELS levels in a row. Steps that shrink geometrically towards a positive floor
#: (a dead end: a local minimum of the margin above 0) do this. With p0 = 0.1 it is a step
#: below 0.1 of the margin left; healthy runs take 0.33 or more (100 runs on each of the
#: five reference problems, 2-D and 10-D, both samplers, N = 1000), and a cube-root
#: transform of the linear margin still 0.13. In decades, not in levels, so that a larger
#: p0 (smaller steps per level) is judged by the same pace (Rome at p0 = 0.3 stalled
#: falsely at 0.1 per level).
STALL_DECADES = 10.0
#: Consecutive slow levels before a run counts as stalled (one slow step can be noise).
STALL_LEVELS = 2
#: Tied threshold: when distinct points share the N_s-th smallest margin z (a plateau of
#: the margin; a chain's repeated states after rejections are one point, not a plateau)
#: and {g ≤ z} would hold more than this multiple of N_s samples (the level would make
#: less than half its progress), the threshold goes just below z, as in generalised
#: adaptive multilevel splitting (Bréhier et al. 2016): the factor is the count strictly
#: below, the seeds are those samples.
TIE_EXCESS = 2.0
#: Fewest samples strictly below a plateau to go on from (fewer: the level is degenerate
#: and the run has not converged). 10 gives the factor a binomial CoV ≤ 1/√10 ≈ 0.32 and
#: the ancestral-cluster variance ≥ 9 degrees of freedom.
MIN_TIE_SEEDS = 10
#: Frozen chains: a Markov-chain level whose proposals were accepted less often than
#: this. Its samples are nearly copies of its seeds, so its fraction below the next
#: threshold is not the conditional probability. aCS adapts towards 0.44; on the reference
#: problems the lowest level acceptance in the same 1000 runs is 0.33 (aCS) and 0.12
#: (modified Metropolis, 10-D); 0.02 is a chain that moves about once in 50 proposals.
MIN_ACCEPTANCE = 0.02
#: Replicates disagree: Cochran's Q of the replicates' ln p̂ (with their own reported
#: variances) above the 1 − α quantile of χ²_{R−1}. With honest CoVs a converged run is
#: flagged with probability α; a run that found a failure region that another replicate
#: missed gives Q in the tens to thousands.
REPLICATE_ALPHA = 0.01
#: Level-0 contradiction: the level-0 points are standard normal, so their failures k of
#: N_0 bound p from below. A converged estimate whose 95 % interval lies wholly below the
#: one-sided (1 − α) Clopper–Pearson lower bound of k/N_0 contradicts them (a failure
#: region that the chains lost).
LEVEL0_ALPHA = 0.001

_Z95 = float(sc.ndtri(0.975))

#: Rules that make a run "not converged" (Diagnostic.rule values).
FATAL_RULES = ("stalled", "tied", "frozen_chains", "max_levels", "replicates_disagree",
               "level0_contradiction")


@dataclass(frozen=True)
class Diagnostic:
    """One finding of a run: ``rule`` (one of :data:`FATAL_RULES`, or ``"tie_below"``, a
    tie handled by a threshold below it, or ``"stopped"``, a replicate stopped because
    another did not converge), the level (0 = the level-0 points; None: the whole run),
    the replicate (None: all) and a sentence."""

    rule: str
    level: int | None
    replicate: int | None
    message: str

    @property
    def fatal(self) -> bool:
        return self.rule in FATAL_RULES

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "level": self.level, "replicate": self.replicate,
                "fatal": self.fatal, "message": self.message}

    def __str__(self) -> str:
        where = [f"level {self.level}" if self.level is not None else "",
                 f"replicate {self.replicate}" if self.replicate is not None else ""]
        where_text = ", ".join(w for w in where if w)
        return f"{self.rule}{f' ({where_text})' if where_text else ''}: {self.message}"


@dataclass(frozen=True)
class SubsetRun:
    """One independent replicate of subset simulation.

    ``probability`` is the product of its factors (when it did not converge: the factors
    so far times the failing fraction of its last level, not an estimate to trust);
    ``acceptance`` is the acceptance rate of each Markov-chain level. ``final_u``,
    ``final_g`` and ``final_eve`` keep the last level's samples (standard-normal points,
    their margins and each one's level-0 ancestor), for what the level concentrated on
    (:func:`stuntsim.risk.anatomy.concentration`); not in :meth:`to_dict`.
    """

    probability: float
    cov: float
    cov_independent_levels: float
    evaluations: int
    levels: tuple[float, ...]
    level_probabilities: tuple[float, ...]
    level_covs: tuple[float, ...]
    acceptance: tuple[float, ...]
    converged: bool
    level0_failures: int
    level0_samples: int
    final_u: np.ndarray | None = field(default=None, repr=False, compare=False)
    final_g: np.ndarray | None = field(default=None, repr=False, compare=False)
    final_eve: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "probability": self.probability,
            "cov": _finite(self.cov),
            "cov_independent_levels": _finite(self.cov_independent_levels),
            "evaluations": self.evaluations,
            "levels": list(self.levels),
            "level_probabilities": list(self.level_probabilities),
            "level_covs": [_finite(c) for c in self.level_covs],
            "acceptance": list(self.acceptance),
            "converged": self.converged,
            "level0_failures": self.level0_failures,
            "level0_samples": self.level0_samples,
        }


@dataclass(frozen=True)
class SubsetResult:
    """The outcome of :func:`subset_simulation`.

    Attributes
    ----------
    probability : float
        Estimate of P(margin ≤ 0) [-]. When ``converged``: the mean of the replicates'
        subset estimates. When not: the crude Monte Carlo fraction k/n of the
        ``fallback_samples`` independent standard-normal points (``fallback``).
    cov : float
        Coefficient of variation of ``probability`` [-]. Converged: from the replicates'
        ancestral-cluster estimates (module docstring), at least the spread between
        replicates. Not converged: the binomial √((1 − p̂)/(n p̂)). Infinite at 0.
    cov_independent_levels : float
        Au & Beck's δ = √(Σ δ_j²) of the first replicate (chains and levels treated as
        independent) [-].
    ci95 : (float, float)
        Converged: lognormal 95 % interval from ``cov``, with R ≥ 2 widened to hold Cox's
        interval from the replicates' spread (module docstring). Not converged: the
        Clopper–Pearson (exact) interval of the fallback's k of n.
    evaluations : int
        Limit-state points evaluated, all replicates and the fallback.
    levels, level_probabilities, level_covs : tuple of float
        The first replicate's thresholds b_1 > … > b_m > 0, its m + 1 factors and their
        Au & Beck δ_j (``replicates`` has every replicate's).
    converged : bool
        True when every replicate reached a level with p0·N/2 failing samples and no rule
        of :data:`FATAL_RULES` fired (``diagnostics``).
    status : str
        ``"converged"`` or ``"not converged"``.
    fallback : str or None
        ``"crude Monte Carlo"`` when ``probability`` and ``ci95`` come from the fallback.
    diagnostics : tuple of Diagnostic
        What the checks found, fatal or not.
    replicates : tuple of SubsetRun
        Each independent replicate.
    subset_probability : float
        The mean of the replicates' subset estimates, also when it is not trusted.
    fallback_failures, fallback_samples : int
        The fallback's k and n (0 and 0 when converged).
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
    status: str
    fallback: str | None
    diagnostics: tuple[Diagnostic, ...]
    replicates: tuple[SubsetRun, ...]
    subset_probability: float
    fallback_failures: int
    fallback_samples: int

    @property
    def problems(self) -> tuple[Diagnostic, ...]:
        """The fatal diagnostics: why the run has not converged (empty when it has)."""
        return tuple(d for d in self.diagnostics if d.fatal)

    def last_level(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The last level's samples of every replicate that finished: standard-normal
        points (m, dim), their margins (m,), the replicate (m,) and the level-0 ancestor
        (m,) of each (empty arrays when none was kept)."""
        kept = [(index, run) for index, run in enumerate(self.replicates)
                if run.final_u is not None]
        if not kept:
            empty = np.zeros(0)
            return np.zeros((0, 0)), empty, empty.astype(int), empty.astype(int)
        return (np.concatenate([run.final_u for _, run in kept]),
                np.concatenate([run.final_g for _, run in kept]),
                np.concatenate([np.full(run.final_g.size, index) for index, run in kept]),
                np.concatenate([run.final_eve for _, run in kept]))

    def summary(self) -> str:
        """One line on convergence, for people: what fired and what is reported instead."""
        if self.converged:
            return "converged"
        reasons = "; ".join(str(d) for d in self.problems) or "not converged"
        return (f"NOT CONVERGED ({reasons}); reported instead: {self.fallback}, "
                f"{self.fallback_failures} of {self.fallback_samples} independent samples "
                f"failed, 95 % interval [{self.ci95[0]:.3g}, {self.ci95[1]:.3g}] "
                f"(the subset estimate {self.subset_probability:.3g} is not trusted)")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (infinite CoVs become None)."""
        return {
            "probability": self.probability,
            "cov": _finite(self.cov),
            "cov_independent_levels": _finite(self.cov_independent_levels),
            "ci95": [self.ci95[0], self.ci95[1]],
            "evaluations": self.evaluations,
            "levels": list(self.levels),
            "level_probabilities": list(self.level_probabilities),
            "level_covs": [_finite(c) for c in self.level_covs],
            "converged": self.converged,
            "status": self.status,
            "fallback": self.fallback,
            "fallback_failures": self.fallback_failures,
            "fallback_samples": self.fallback_samples,
            "subset_probability": self.subset_probability,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "replicates": [r.to_dict() for r in self.replicates],
            "sampler": self.sampler,
            "n_per_level": self.n_per_level,
            "p0": self.p0,
        }


def subset_simulation(
    limit_state: Callable[[np.ndarray], np.typing.ArrayLike], dim: int, **options
) -> SubsetResult:
    """Estimate P(limit_state(U) ≤ 0), U ~ N(0, I_dim), by subset simulation.

    The algorithm, its equations, its checks and sources are in the module docstring. A
    hazard happens when its margin is ≤ 0: zero clearance is contact.

    Parameters
    ----------
    limit_state : callable
        Maps an (n, dim) array of standard-normal points to margins (n,); failure where
        ≤ 0. Called once for level 0 and once per Markov-chain step, all chains of all
        replicates together (and once for the fallback).
    dim, **options
        As :func:`subset_steps` (``n_per_level``, ``p0``, ``rng``, ``max_levels``,
        ``sampler``, ``replicates``, ``fallback_samples``), which this drives.

    Returns
    -------
    SubsetResult
    """
    steps = subset_steps(dim, **options)
    points = next(steps)
    while True:
        try:
            points = steps.send(limit_state(points))
        except StopIteration as stop:
            return stop.value


def subset_steps(
    dim: int,
    *,
    n_per_level: int = 2000,
    p0: float = 0.1,
    rng: np.random.Generator,
    max_levels: int = 20,
    sampler: str = "acs",
    replicates: int = 1,
    fallback_samples: int | None = None,
) -> Generator[np.ndarray, np.ndarray, SubsetResult]:
    """Subset simulation as a generator: it yields (m, dim) standard-normal points, must be
    sent their margins (m,) (failure where ≤ 0), and returns the :class:`SubsetResult`.
    :func:`subset_simulation` drives it with a limit-state function; a caller that
    evaluates the points of several estimates in one model call (every hazard of a
    scenario on one seed, :mod:`stuntsim.studies.rare`) drives several. A margin array of
    the wrong shape or with NaN raises :class:`ValueError` where it is sent.

    Parameters
    ----------
    dim : int
        Number of standard-normal inputs, ≥ 1.
    n_per_level : int
        Samples N of every Markov-chain level of a replicate; level 0 has N_0 ≈
        ⌈N·p0/2⌉/p0 ≈ N/2 quasi-random points (a multiple of 4). N·p0 must be a whole
        number (the seeds per level).
    p0 : float
        Intermediate conditional probability, in (0, 0.5]; each chain takes N/(N·p0) =
        1/p0 steps (lengths differ by one when 1/p0 is not whole).
    rng : numpy.random.Generator
        The only source of randomness (also scrambles the level-0 Halton points). With
        several replicates each gets its own stream (``rng.spawn``).
    max_levels : int
        Largest number of intermediate thresholds m of a replicate.
    sampler : {"acs", "mmh"}
        ``"acs"``: adaptive conditional sampling (Papaioannou et al. 2015, Alg. 5; module
        docstring). ``"mmh"``: component-wise modified Metropolis (Au & Beck 2001, §4),
        normal proposal with unit standard deviation per component.
    replicates : int
        Independent subset runs R, advanced together (one limit-state call per step for
        all). The estimate is their mean; with R ≥ 2 the runs must agree (module
        docstring), which is the only check that can see a failure region one run missed.
    fallback_samples : int, optional
        Independent standard-normal points for the crude Monte Carlo fallback of a run that
        did not converge (default: N·R). Spent only then.

    Returns
    -------
    SubsetResult
    """
    n, n_seeds, max_levels = _check_arguments(dim, n_per_level, p0, rng, max_levels, sampler)
    for label, value, low in (("replicates", replicates, 1),
                              ("fallback_samples", fallback_samples, 1)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{label} must be an integer ≥ {low}, got {value!r}")
    replicates = int(replicates)
    fallback_n = n * replicates if fallback_samples is None else int(fallback_samples)
    evaluations = 0

    # one replicate uses rng itself (the same stream as a run without replicates)
    streams = [rng] if replicates == 1 else rng.spawn(replicates)
    runs = [
        _replicate(dim, n, n_seeds, p0, stream, max_levels, sampler)
        for stream in streams
    ]
    outcomes, counts = yield from _lockstep(runs)
    evaluations += sum(counts)

    diagnostics: list[Diagnostic] = []
    summaries: list[SubsetRun] = []
    for index, (outcome, count) in enumerate(zip(outcomes, counts, strict=True)):
        if outcome is None:  # stopped because another replicate did not converge
            diagnostics.append(Diagnostic("stopped", None, index,
                                          "stopped: another replicate did not converge"))
            continue
        run, notes = outcome
        summaries.append(_with_evaluations(run, count))
        diagnostics += [Diagnostic(d.rule, d.level, index if replicates > 1 else None,
                                   d.message) for d in notes]

    subset_p = float(np.mean([r.probability for r in summaries]))
    first = summaries[0]
    converged = (len(summaries) == replicates
                 and all(r.converged for r in summaries)
                 and not any(d.fatal for d in diagnostics))
    if converged:
        probability, cov, ci95 = _combine(summaries, diagnostics)
        _check_level0(summaries, ci95, diagnostics)
        converged = not any(d.fatal for d in diagnostics)
    if converged:
        return SubsetResult(
            probability=probability, cov=cov,
            cov_independent_levels=first.cov_independent_levels, ci95=ci95,
            evaluations=evaluations, levels=first.levels,
            level_probabilities=first.level_probabilities, level_covs=first.level_covs,
            converged=True, sampler=sampler, n_per_level=n, p0=float(p0),
            status="converged", fallback=None, diagnostics=tuple(diagnostics),
            replicates=tuple(summaries), subset_probability=subset_p,
            fallback_failures=0, fallback_samples=0,
        )

    # not converged: crude Monte Carlo on fresh independent points (module docstring)
    fresh = rng.standard_normal((fallback_n, dim))
    g = _checked((yield fresh), fresh)
    evaluations += fallback_n
    k = int(np.count_nonzero(g <= 0.0))
    p_hat = k / fallback_n
    return SubsetResult(
        probability=p_hat,
        cov=math.sqrt((1.0 - p_hat) / (fallback_n * p_hat)) if k else math.inf,
        cov_independent_levels=first.cov_independent_levels,
        ci95=clopper_pearson(k, fallback_n),
        evaluations=evaluations, levels=first.levels,
        level_probabilities=first.level_probabilities, level_covs=first.level_covs,
        converged=False, sampler=sampler, n_per_level=n, p0=float(p0),
        status="not converged", fallback="crude Monte Carlo",
        diagnostics=tuple(diagnostics), replicates=tuple(summaries),
        subset_probability=subset_p, fallback_failures=k, fallback_samples=fallback_n,
    )


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper & Pearson 1934) two-sided interval of a binomial proportion k/n:
    the α/2 and 1 − α/2 quantiles of Beta(k, n − k + 1) and Beta(k + 1, n − k)."""
    alpha = 1.0 - confidence
    lo = float(scipy.stats.beta.ppf(alpha / 2, k, n - k + 1)) if k > 0 else 0.0
    hi = float(scipy.stats.beta.ppf(1 - alpha / 2, k + 1, n - k)) if k < n else 1.0
    return lo, hi


# --- replicates, advanced together ---------------------------------------------------


def _lockstep(runs):
    """Drive the replicate generators: every request of every replicate goes into one
    limit-state call (yielded; the margins come back by ``send``). When a replicate ends
    without converging, the others are stopped (the run falls back to crude Monte Carlo
    whatever they would give)."""
    outcomes: list = [None] * len(runs)
    counts = [0] * len(runs)
    requests = {index: next(run) for index, run in enumerate(runs)}
    while requests:
        keys = list(requests)
        sizes = [requests[k].shape[0] for k in keys]
        points = np.concatenate([requests[k] for k in keys])
        margins = _checked((yield points), points)
        parts = np.split(margins, np.cumsum(sizes)[:-1])
        requests = {}
        failed = False
        for key, size, part in zip(keys, sizes, parts, strict=True):
            counts[key] += size
            try:
                requests[key] = runs[key].send(part)
            except StopIteration as stop:
                outcomes[key] = stop.value
                failed |= not stop.value[0].converged
        if failed:
            for key in requests:
                runs[key].close()
            break
    return outcomes, counts


def _replicate(dim, n, n_seeds, p0, rng, max_levels, sampler) -> Generator:
    """One subset run as a generator: yields (m, dim) points to evaluate, is sent their
    margins, returns (SubsetRun without its evaluation count, diagnostics)."""
    notes: list[Diagnostic] = []
    # level 0: half as many seeds, each starting two chains (module docstring, item 1)
    n_seeds_0 = -(-n_seeds // 2)
    n_0 = LEVEL0_RANDOMISATIONS * -(-max(round(n_seeds_0 / p0), n_seeds_0 + 1)
                                    // LEVEL0_RANDOMISATIONS)
    u = _standard_normal_points(n_0, dim, rng)
    g = yield u
    level0_failures = int(np.count_nonzero(g <= 0.0))
    randomisation = np.arange(n_0) // (n_0 // LEVEL0_RANDOMISATIONS)
    eve = np.arange(n_0)  # each level-0 point is its own ancestor
    chain = position = None
    cluster_sums = np.zeros(n_0)  # Σ_{j≥1} (1/N_j) Σ_{x: Eve(x)=e} (I_j(x) − P_j)/P_j

    thresholds: list[float] = []
    probabilities: list[float] = []
    level_covs: list[float] = []
    acceptance: list[float] = []
    scaling = ACS_INITIAL_SCALING
    seeds_here = n_seeds_0
    slow_levels = 0
    while True:
        size = g.size
        level = len(thresholds)
        n_failed = int(np.count_nonzero(g <= 0.0))
        stop = None
        if acceptance and acceptance[-1] < MIN_ACCEPTANCE:
            stop = Diagnostic(
                "frozen_chains", level, None,
                f"the chains accepted {acceptance[-1]:.3f} of their moves (< "
                f"{MIN_ACCEPTANCE}): the level's samples are copies of its seeds")
        elif n_failed >= STOP_FRACTION_OF_P0 * n_seeds:
            pass
        elif level == max_levels:
            stop = Diagnostic("max_levels", level, None,
                              f"{max_levels} thresholds used and only {n_failed} of {size} "
                              f"samples of the last level failed")
        else:
            threshold, seed_index, note = _next_threshold(g, u, seeds_here)
            if note is not None:
                notes.append(Diagnostic(note[0], level, None, note[1]))
                if note[0] == "tied":
                    stop = notes.pop()
            if stop is None and thresholds:
                step = thresholds[-1] - threshold
                slow = threshold * math.log10(1.0 / p0) > STALL_DECADES * step
                slow_levels = slow_levels + 1 if slow else 0
                if slow_levels >= STALL_LEVELS:
                    history = ", ".join(f"{b:.4g}" for b in (*thresholds[-2:], threshold))
                    stop = Diagnostic(
                        "stalled", level, None,
                        f"thresholds {history}: at this pace 0 is more than "
                        f"{STALL_DECADES:g} decades of probability away at {STALL_LEVELS} "
                        f"levels in a row (a floor above 0)")
        converged = stop is None and n_failed >= STOP_FRACTION_OF_P0 * n_seeds
        last = converged or stop is not None
        if stop is not None:
            notes.append(stop)
        if last:
            threshold = 0.0
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
        seeds = rng.permutation(seed_index)
        starts = seeds[np.arange(n_seeds) % seeds.size]  # several chains per seed if few
        u, g, eve, chain, position, scaling, accepted = yield from _grow_chains(
            u[starts], g[starts], eve[starts], threshold, n, rng, sampler, scaling
        )
        acceptance.append(accepted)
        seeds_here = n_seeds

    probability = float(np.prod(probabilities))
    cov_independent = math.sqrt(sum(c**2 for c in level_covs))
    if probability > 0:
        # level 0's own term is its randomised-QMC variance; its cross terms with the
        # later levels vanish (every seed has the same level-0 deviation and each later
        # level's deviations sum to zero), so it adds to the Eve sum of squares
        cov_eve = math.sqrt(float(np.sum(cluster_sums**2)) + level_covs[0] ** 2)
        cov = max(cov_eve, cov_independent)
    else:
        cov = cov_independent = math.inf
    run = SubsetRun(
        probability=probability, cov=cov, cov_independent_levels=cov_independent,
        evaluations=0, levels=tuple(thresholds), level_probabilities=tuple(probabilities),
        level_covs=tuple(level_covs), acceptance=tuple(acceptance), converged=converged,
        level0_failures=level0_failures, level0_samples=n_0,
        final_u=u, final_g=g, final_eve=eve,
    )
    return run, notes


def _next_threshold(g, u, n_seeds):
    """b_{j+1} and the indices of the samples below it (the seeds), tie-aware.

    Normally the midpoint between the N_s-th and (N_s + 1)-th smallest margins. When
    distinct points tie at the N_s-th margin z and the subset {g ≤ z} would hold more
    than TIE_EXCESS·N_s samples (a plateau), the threshold goes just below z and the
    seeds are the samples strictly below it (note ``"tie_below"``); with fewer than
    min(MIN_TIE_SEEDS, N_s) of those the level is degenerate (note ``"tied"``,
    threshold None).
    """
    order = np.argsort(g, kind="stable")
    z, z_next = g[order[n_seeds - 1]], g[order[n_seeds]]
    n_tied_or_below = int(np.count_nonzero(g <= z))
    if (z_next > z or n_tied_or_below <= TIE_EXCESS * n_seeds
            or np.unique(u[g == z], axis=0).shape[0] < 2):
        return 0.5 * (z + z_next), order[:n_seeds], None
    n_below = int(np.count_nonzero(g < z))
    share = n_tied_or_below / g.size
    if n_below >= min(MIN_TIE_SEEDS, n_seeds):
        threshold = 0.5 * (g[order[n_below - 1]] + z)
        return threshold, order[:n_below], (
            "tie_below",
            f"{n_tied_or_below} of {g.size} margins ≤ {z:.4g} ({share:.0%}, a plateau): "
            f"threshold put below it, {n_below} seeds")
    return None, None, (
        "tied",
        f"{n_tied_or_below} of {g.size} margins ≤ {z:.4g} ({share:.0%}) and only "
        f"{n_below} below it (< {min(MIN_TIE_SEEDS, n_seeds)}): a plateau the level "
        f"cannot get below")


def _with_evaluations(run: SubsetRun, count: int) -> SubsetRun:
    return SubsetRun(**{**run.__dict__, "evaluations": count})


def _combine(runs: list[SubsetRun], diagnostics: list[Diagnostic]):
    """Mean of R converged replicates, its CoV and 95 % interval; Cochran's Q when R ≥ 2.

    Each replicate is (nearly) mean-unbiased, so their mean is too. Its relative variance
    is mean(δ_r²)/R from the replicates' own CoVs, or the spread between them,
    s²/(R p̄²), when that is larger. The interval is the lognormal one from that CoV, widened
    when R ≥ 2 to hold Cox's interval for a lognormal mean from the replicates alone
    (module docstring): it needs no replicate's own CoV to be right.
    """
    p = np.array([r.probability for r in runs])
    cov = np.array([r.cov for r in runs])
    replicates = p.size
    probability = float(p.mean())
    combined = math.sqrt(float(np.mean(cov**2)) / replicates)
    if replicates >= 2:
        between = float(p.std(ddof=1)) / math.sqrt(replicates) / probability
        combined = max(combined, between)
    lo, hi = _lognormal_interval(probability, combined)
    if replicates >= 2:
        # Cox's interval for the mean of a lognormal from R values (Zhou & Gao 1997):
        # ȳ + s²/2 ± t_{R−1} √(s²/R + s⁴/(2(R − 1))), y = ln p̂_r
        y = np.log(p)
        s2 = float(np.var(y, ddof=1))
        centre = float(y.mean()) + s2 / 2
        half = float(scipy.stats.t.ppf(0.975, replicates - 1)) * math.sqrt(
            s2 / replicates + s2**2 / (2 * (replicates - 1)))
        # (an upper end beyond p = 1 says nothing more than 1; capping also keeps exp()
        # finite for replicates decades apart)
        lo = min(lo, math.exp(min(centre - half, 0.0)))
        hi = max(hi, math.exp(min(centre + half, 0.0)))
        # Cochran's Q on ln p̂_r + s_r²/2 (each ≈ N(ln p, s_r²), module docstring);
        # identical estimates (e.g. all p̂ = 1 with δ = 0) agree
        s2_r = np.maximum(np.log1p(cov**2), np.finfo(float).tiny)
        centred = y + s2_r / 2
        weights = 1.0 / s2_r
        mean = float(np.sum(weights * centred) / np.sum(weights))
        q = 0.0 if np.all(p == p[0]) else float(np.sum(weights * (centred - mean) ** 2))
        limit = float(scipy.stats.chi2.ppf(1.0 - REPLICATE_ALPHA, replicates - 1))
        if q > limit:
            listed = ", ".join(f"{x:.3g}" for x in p)
            diagnostics.append(Diagnostic(
                "replicates_disagree", None, None,
                f"replicate estimates {listed} differ beyond their CoVs (Cochran's Q = "
                f"{q:.1f} > {limit:.1f}, the {1 - REPLICATE_ALPHA:.0%} point of χ² with "
                f"{replicates - 1} d.o.f.)"))
    return probability, combined, (lo, hi)


def _lognormal_interval(probability: float, cov: float) -> tuple[float, float]:
    s2 = math.log1p(cov**2)
    half = _Z95 * math.sqrt(s2)
    return probability * math.exp(s2 / 2 - half), probability * math.exp(s2 / 2 + half)


def _check_level0(runs: list[SubsetRun], ci95, diagnostics: list[Diagnostic]) -> None:
    """Flag an estimate that the level-0 points contradict (LEVEL0_ALPHA)."""
    k = sum(r.level0_failures for r in runs)
    n = sum(r.level0_samples for r in runs)
    if k == 0:
        return
    lower = float(scipy.stats.beta.ppf(LEVEL0_ALPHA, k, n - k + 1))
    if ci95[1] < lower:
        diagnostics.append(Diagnostic(
            "level0_contradiction", 0, None,
            f"{k} of the {n} level-0 points failed, so p ≥ {lower:.3g} "
            f"({1 - LEVEL0_ALPHA:.1%} one-sided Clopper–Pearson), but the estimate's 95 % "
            f"interval ends at {ci95[1]:.3g}: a failure region was lost"))


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


def _grow_chains(starts_u, starts_g, starts_eve, threshold, n, rng, sampler, scaling):
    """N samples of the level conditional on g ≤ threshold: one chain per start.

    A generator (yields candidates, is sent their margins). A chain's samples are its
    states after the start (the start is a sample of the previous level). Chains 0 … n mod
    n_chains − 1 take one step more when n/n_chains is not whole (the seeds were
    shuffled, so which ones is random). Returns the samples in chain-major order with
    their Eve, chain and position, the updated λ and the level's acceptance rate.
    """
    n_chains, dim = starts_u.shape
    base, extra = divmod(n, n_chains)
    lengths = base + (np.arange(n_chains) < extra)
    steps = int(lengths[0])

    states_u = np.empty((n_chains, steps, dim))
    states_g = np.full((n_chains, steps), np.nan)
    current_u, current_g = starts_u.copy(), starts_g.copy()
    proposed = accepted = 0

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
            candidate_g[moved] = yield candidate[moved]
        accept = moved & (candidate_g <= threshold)
        proposed += active
        accepted += int(np.count_nonzero(accept))
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
        accepted / proposed,
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


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _checked(margins, u: np.ndarray) -> np.ndarray:
    """The margins of the points ``u`` as floats, or a :class:`ValueError` for a wrong
    shape or NaN."""
    margins = np.asarray(margins, dtype=float)
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
