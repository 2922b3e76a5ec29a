r"""Failure anatomy: what the failing samples have in common. Arrays in, numbers out.

For one hazard, given each input's drawn values over n samples and which samples failed
(k of them), :func:`failure_anatomy` says per input how the failing samples' distribution
differs from that of all samples, ranks the inputs, and names the *most likely failing
sample*; :func:`concentration` does the same for the samples of subset simulation's last
level in standard-normal space. Nothing here knows a stunt, a unit or a name's meaning.

Per input (values x, failing set F, |F| = k, the rest P, |P| = n − k)
---------------------------------------------------------------------

* **Shift of the median**, median(x_F) − median(x_all), with a 95 % interval: each median's
  standard error from its distribution-free order-statistic interval (the binomial(m, ½)
  ranks l, m − l + 1 around the median, SE ≈ (x_(m−l+1) − x_(l)) / (2·1.96)); the two
  combined as if independent. The failing set is part of all samples, so the two medians
  are positively correlated and leaving the covariance out *widens* the interval:
  conservative.
* **Shift of the mean**, mean(x_F) − mean(x_all) = (1 − k/n)(mean(x_F) − mean(x_P))
  exactly, with the Welch standard error of the difference given k, times (1 − k/n), plus
  the delta-method share of k's own randomness, p̂(1 − p̂)/n · (mean(x_F) − mean(x_P))²;
  95 % interval from Student's t with min(k, n − k) − 1 degrees of freedom.
* Both also **in standard deviations of the input** (its sample SD over all n, whose own
  relative error ≈ 1/√(2n) is left out), and the ratio of the failing samples' SD to all.
* **Kolmogorov–Smirnov**: the statistic D = sup |F̂_F − F̂_all| (how far apart the two
  empirical CDFs are, 0 … 1), which is exactly (1 − k/n) times the two-sample statistic of
  failing against the rest; its p-value is :func:`scipy.stats.ks_2samp`'s for failing
  against the rest (two independent samples given the labels; the null: failing does not
  depend on this input). Holm's step-down adjustment over the inputs controls the chance
  of flagging any input that does not matter at ``alpha``; an input is **flagged** when
  its adjusted p-value is below it.
* Inputs are **ranked** by D. Since k and n are the same for every input of a hazard, the
  p-value is a monotone function of D and the ranking is also the ranking of evidence.

With fewer than :data:`MIN_FAILURES` failing samples (or as few samples without a
failure) no input is ranked: the status says "too few failures to say".

Measured on x1, x2 independent standard normals, failure iff x1 > 2 (400 seeds of n = 20 000,
k ≈ 455; tests/test_anatomy.py): the mean shift of x1 scatters by 0.016 around the exact
φ(2)/(1 − Φ(2)) = 2.373 (bias −0.0004); its 95 % interval covers it in 94.8 % of the seeds,
the median's in 97.0 % (conservative, as above); x2 is flagged in 4.0 % (Holm at 5 %).

The most likely failing sample
------------------------------

Among the failing samples, the one with the highest joint density of its inputs,
Σ_i log f_i(x_i) for independent inputs (:func:`joint_log_density`; the draws of
:mod:`stuntsim.risk.sampling` are independent by construction: one stream per input,
inverse CDF) — the nearest thing to a design point the samples give. Its standard-normal
distance ‖z‖ (z_i = Φ⁻¹(F_i(x_i))) is reported beside it: with normal inputs the two
criteria agree; with bounded or skewed ones they can differ. The runner-up and the gap in
log density between them say how clearly it stands out; it is a sample, not the design
point itself (its distance from it shrinks as the failing samples grow denser).

Subset simulation's last level
------------------------------

:func:`concentration`: the mean of each standard-normal coordinate over the last level's
(failing) samples — the prior has mean 0 and SD 1, so the mean is the shift in prior
standard deviations — with a cluster-robust 95 % interval: Markov-chain samples are
correlated, so the variance is the between-cluster one, G/(G − 1) Σ_g (S_g − z̄ n_g)² /
m² over G clusters (independent replicates; with one replicate, the level-0 ancestors)
and Student's t with G − 1 degrees of freedom; a t-test against 0 with Holm's adjustment
flags the inputs. On g = 3.5 − (2 u0 + u1)/√5 in four dimensions (exact conditional mean
a·λ(3.5), a = (2, 1, 0, 0)/√5), over 195 converged seeds of N = 1000, eight replicates as
clusters: coverage 95–96 % per input, u2 and u3 flagged in 2–2.5 %; with one replicate and
its level-0 ancestors as clusters (≈ 20 of them) the coverage drops to 93 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.stats

from stuntsim.risk.distributions import Distribution

__all__ = [
    "FLAG_ALPHA",
    "MIN_FAILURES",
    "Anatomy",
    "Concentration",
    "InputShift",
    "MostLikely",
    "concentration",
    "failure_anatomy",
    "holm",
    "joint_log_density",
    "median_standard_error",
]

#: Fewest failing samples (and samples without a failure) for a ranking: below it the
#: order-statistic interval of the failing median spans most of the sample (at k = 10 it
#: runs from the 2nd to the 9th of 10 values) and Student's t for the mean rests on a
#: normal approximation of a mean of a handful of draws; the anatomy says "too few failures
#: to say" instead of ranking noise.
MIN_FAILURES = 10

#: Family-wise error of flagging an input that does not matter (Holm over the inputs).
FLAG_ALPHA = 0.05

_Z95 = float(scipy.stats.norm.ppf(0.975))

TOO_FEW = "too few failures to say"
TOO_FEW_OTHERS = "too few samples without a failure to say"


@dataclass(frozen=True)
class InputShift:
    """How one input's failing samples differ from all samples (module docstring)."""

    name: str
    median_all: float
    median_failing: float
    median_shift: float
    median_shift_ci95: tuple[float, float]
    mean_all: float
    mean_failing: float
    mean_shift: float
    mean_shift_ci95: tuple[float, float]
    sd_all: float
    sd_ratio: float
    ks_statistic: float
    ks_pvalue: float
    p_adjusted: float
    flagged: bool

    @property
    def median_shift_sd(self) -> float:
        """The median's shift in standard deviations of the input."""
        return _per_sd(self.median_shift, self.sd_all)

    @property
    def mean_shift_sd(self) -> float:
        return _per_sd(self.mean_shift, self.sd_all)

    @property
    def median_shift_clear(self) -> bool:
        """True when the median shift's 95 % interval excludes 0."""
        lo, hi = self.median_shift_ci95
        return bool(lo > 0 or hi < 0)

    def to_dict(self) -> dict[str, object]:
        sd = self.sd_all
        return {
            "median_all": self.median_all,
            "median_failing": self.median_failing,
            "median_shift": self.median_shift,
            "median_shift_ci95": list(self.median_shift_ci95),
            "median_shift_sd": self.median_shift_sd,
            "median_shift_sd_ci95": [_per_sd(v, sd) for v in self.median_shift_ci95],
            "mean_all": self.mean_all,
            "mean_failing": self.mean_failing,
            "mean_shift": self.mean_shift,
            "mean_shift_ci95": list(self.mean_shift_ci95),
            "mean_shift_sd": self.mean_shift_sd,
            "mean_shift_sd_ci95": [_per_sd(v, sd) for v in self.mean_shift_ci95],
            "sd_all": sd,
            "sd_ratio_failing_to_all": self.sd_ratio,
            "ks_statistic": self.ks_statistic,
            "ks_pvalue": self.ks_pvalue,
            "ks_pvalue_holm": self.p_adjusted,
            "flagged": self.flagged,
        }


@dataclass(frozen=True)
class MostLikely:
    """The failing sample with the highest joint input density."""

    index: int
    log_density: float
    values: dict[str, float]
    #: standard-normal coordinates Φ⁻¹(F(x)) per input, and their norm (empty / NaN when
    #: not computed)
    z: dict[str, float]
    distance: float
    runner_up: int | None
    gap: float  # log density of this sample minus the runner-up's [nats]

    def to_dict(self) -> dict[str, object]:
        return {"index": self.index, "log_density": self.log_density,
                "values": dict(self.values), "z": dict(self.z),
                "standard_normal_distance": self.distance, "runner_up": self.runner_up,
                "log_density_gap_to_runner_up": self.gap}


@dataclass(frozen=True)
class Anatomy:
    """The failure anatomy of one hazard: ranked inputs and the most likely failing sample.

    ``status`` is ``"ranked"``, or :data:`TOO_FEW` / :data:`TOO_FEW_OTHERS` (then
    ``inputs`` is empty); ``most_likely`` is None only without a failing sample.
    """

    n: int
    failures: int
    status: str
    inputs: tuple[InputShift, ...]
    most_likely: MostLikely | None
    alpha: float = FLAG_ALPHA
    min_failures: int = MIN_FAILURES

    @property
    def ranked(self) -> bool:
        return self.status == "ranked"

    @property
    def flagged(self) -> tuple[InputShift, ...]:
        return tuple(shift for shift in self.inputs if shift.flagged)

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "failures": self.failures,
            "status": self.status,
            "min_failures": self.min_failures,
            "alpha": self.alpha,
            "ranking": [shift.name for shift in self.inputs],
            "inputs": {shift.name: shift.to_dict() for shift in self.inputs},
            "most_likely_failing": None if self.most_likely is None
            else self.most_likely.to_dict(),
        }


def joint_log_density(distributions: Mapping[str, Distribution],
                      draws: Mapping[str, np.ndarray]) -> np.ndarray:
    """Σ_i log f_i(x_i) per sample for independent inputs (``draws``: name → (n,) values
    in the distributions' units). A sample outside an input's support gets −inf."""
    names = list(draws)
    if not names:
        raise ValueError("no inputs")
    total = np.zeros(np.asarray(draws[names[0]]).shape)
    for name in names:
        total = total + distributions[name].logpdf(np.asarray(draws[name], dtype=float))
    return total


def failure_anatomy(
    values: Mapping[str, np.typing.ArrayLike],
    failing: np.typing.ArrayLike,
    *,
    log_density: np.typing.ArrayLike | None = None,
    z: Mapping[str, np.typing.ArrayLike] | None = None,
    min_failures: int = MIN_FAILURES,
    alpha: float = FLAG_ALPHA,
) -> Anatomy:
    """How the failing samples' inputs differ from all samples' (module docstring).

    Parameters
    ----------
    values : name → (n,) drawn values of each input (any unit: results are in it)
    failing : (n,) bool, the samples in which the hazard happened
    log_density : (n,) joint log density of each sample's inputs
                  (:func:`joint_log_density`); None: no most likely failing sample
    z : name → (n,) standard-normal coordinates of the inputs, reported for the most
        likely failing sample (optional)
    min_failures : fewest failing (and non-failing) samples for a ranking
    alpha : family-wise error of the flags (Holm)
    """
    failing = np.asarray(failing, dtype=bool)
    n = failing.size
    names = list(values)
    columns = {name: np.asarray(values[name], dtype=float) for name in names}
    for name, column in columns.items():
        if column.shape != failing.shape:
            raise ValueError(f"{name}: {column.shape} values for {failing.shape} samples")
        if not np.isfinite(column).all():
            raise ValueError(f"{name}: non-finite values")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    k = int(np.count_nonzero(failing))
    most_likely = _most_likely(columns, failing, log_density, z) if k else None
    if k < min_failures:
        return Anatomy(n, k, TOO_FEW, (), most_likely, alpha, min_failures)
    if n - k < min_failures:
        return Anatomy(n, k, TOO_FEW_OTHERS, (), most_likely, alpha, min_failures)

    pieces = [_shift(name, columns[name], failing) for name in names]
    p_adjusted = holm([piece["ks_pvalue"] for piece in pieces])
    shifts = [InputShift(**piece, p_adjusted=float(p), flagged=bool(p < alpha))
              for piece, p in zip(pieces, p_adjusted, strict=True)]
    order = sorted(range(len(shifts)), key=lambda i: (-shifts[i].ks_statistic, i))
    return Anatomy(n, k, "ranked", tuple(shifts[i] for i in order), most_likely, alpha,
                   min_failures)


def median_standard_error(x: np.ndarray) -> float:
    """Standard error of a sample median from its distribution-free 95 % order-statistic
    interval: (x_(m−l+1) − x_(l)) / (2·1.96), l the largest rank with
    P(Binomial(m, ½) < l) ≤ 2.5 % (NaN below 6 values, where no such interval exists)."""
    x = np.sort(np.asarray(x, dtype=float))
    m = x.size
    # P(B < rank) = cdf(rank − 1) ≤ 0.025 with B ~ Binomial(m, 1/2)
    rank = int(scipy.stats.binom.ppf(0.025, m, 0.5))
    if scipy.stats.binom.cdf(rank - 1, m, 0.5) > 0.025:
        rank -= 1
    if rank < 1:
        return math.nan
    return float(x[m - rank] - x[rank - 1]) / (2.0 * _Z95)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control), in input order."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum((m - np.arange(m)) * p[order], 1.0))
    out = np.empty(m)
    out[order] = adjusted
    return out


# ------------------------------------------------------------------ subset simulation


@dataclass(frozen=True)
class Concentration:
    """Where subset simulation's last level sat along one standard-normal input."""

    name: str
    mean_z: float
    mean_z_ci95: tuple[float, float]
    sd_z: float
    p_value: float
    p_adjusted: float
    flagged: bool

    def to_dict(self) -> dict[str, object]:
        return {"mean_z": self.mean_z, "mean_z_ci95": list(self.mean_z_ci95),
                "sd_z": self.sd_z, "p_value": self.p_value, "p_value_holm": self.p_adjusted,
                "flagged": self.flagged}


def concentration(z: np.typing.ArrayLike, names: Sequence[str], clusters: np.typing.ArrayLike,
                  *, alpha: float = FLAG_ALPHA) -> tuple[Concentration, ...]:
    """The shift of subset simulation's last-level samples from the standard-normal prior,
    per input, ranked by |mean z| (module docstring).

    Parameters
    ----------
    z : (m, d) standard-normal coordinates of the samples
    names : the d inputs' names
    clusters : (m,) labels of independent groups of samples (replicates; with one, the
               level-0 ancestors); intervals need at least two
    """
    z = np.asarray(z, dtype=float)
    clusters = np.asarray(clusters)
    if z.ndim != 2 or z.shape[1] != len(names) or clusters.shape != (z.shape[0],):
        raise ValueError(f"z must be (m, {len(names)}) with one cluster label per row, got "
                         f"{z.shape} and {clusters.shape}")
    m = z.shape[0]
    if m == 0:
        return ()
    labels, group = np.unique(clusters, return_inverse=True)
    g = labels.size
    mean = z.mean(axis=0)
    sd = z.std(axis=0, ddof=1) if m > 1 else np.full(z.shape[1], math.nan)
    if g >= 2:
        sums = np.zeros((g, z.shape[1]))
        np.add.at(sums, group, z)
        counts = np.bincount(group, minlength=g)[:, None]
        variance = g / (g - 1) * np.sum((sums - mean * counts) ** 2, axis=0) / m**2
        se = np.sqrt(variance)
        t = float(scipy.stats.t.ppf(0.975, g - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(se > 0, 2 * scipy.stats.t.sf(np.abs(mean) / se, g - 1),
                         np.where(mean == 0, 1.0, 0.0))
        lo, hi = mean - t * se, mean + t * se
    else:
        p = np.full(z.shape[1], math.nan)
        lo = hi = np.full(z.shape[1], math.nan)
    adjusted = holm(np.nan_to_num(p, nan=1.0)) if g >= 2 else p
    found = [Concentration(name, float(mean[j]), (float(lo[j]), float(hi[j])), float(sd[j]),
                           float(p[j]), float(adjusted[j]),
                           bool(np.isfinite(adjusted[j]) and adjusted[j] < alpha))
             for j, name in enumerate(names)]
    return tuple(sorted(found, key=lambda c: -abs(c.mean_z)))


# ------------------------------------------------------------------ pieces


def _shift(name: str, x: np.ndarray, failing: np.ndarray) -> dict[str, object]:
    n = x.size
    x_f, x_p = x[failing], x[~failing]
    k = x_f.size
    share = k / n
    median_all, median_f = float(np.median(x)), float(np.median(x_f))
    median_shift = median_f - median_all
    se_median = math.hypot(median_standard_error(x_f), median_standard_error(x))
    mean_f, mean_p, mean_all = float(x_f.mean()), float(x_p.mean()), float(x.mean())
    gap = mean_f - mean_p
    mean_shift = mean_f - mean_all  # = (1 − k/n) · gap
    variance = ((1.0 - share) ** 2 * (x_f.var(ddof=1) / k + x_p.var(ddof=1) / (n - k))
                + share * (1.0 - share) / n * gap**2)
    t = float(scipy.stats.t.ppf(0.975, min(k, n - k) - 1))
    half_mean = t * math.sqrt(variance)
    sd_all = float(x.std(ddof=1))
    sd_f = float(x_f.std(ddof=1))
    if sd_all > 0:
        test = scipy.stats.ks_2samp(x_f, x_p)
        d_all = (1.0 - share) * float(test.statistic)
        p_value = float(test.pvalue)
    else:  # a constant input cannot tell failing from not
        d_all, p_value = 0.0, 1.0
    return {
        "name": name,
        "median_all": median_all, "median_failing": median_f, "median_shift": median_shift,
        "median_shift_ci95": (median_shift - _Z95 * se_median,
                              median_shift + _Z95 * se_median),
        "mean_all": mean_all, "mean_failing": mean_f, "mean_shift": mean_shift,
        "mean_shift_ci95": (mean_shift - half_mean, mean_shift + half_mean),
        "sd_all": sd_all, "sd_ratio": sd_f / sd_all if sd_all > 0 else math.nan,
        "ks_statistic": d_all, "ks_pvalue": p_value,
    }


def _most_likely(columns, failing, log_density, z) -> MostLikely | None:
    if log_density is None:
        return None
    density = np.asarray(log_density, dtype=float)
    if density.shape != failing.shape:
        raise ValueError(f"log_density: {density.shape} values for {failing.shape} samples")
    candidates = np.flatnonzero(failing)
    ranked = candidates[np.argsort(-np.nan_to_num(density[candidates], nan=-np.inf),
                                   kind="stable")]
    best = int(ranked[0])
    runner_up = int(ranked[1]) if ranked.size > 1 else None
    coordinates = ({name: float(np.asarray(values)[best]) for name, values in z.items()}
                   if z else {})
    distance = (math.sqrt(sum(v * v for v in coordinates.values())) if coordinates
                else math.nan)
    return MostLikely(
        index=best, log_density=float(density[best]),
        values={name: float(column[best]) for name, column in columns.items()},
        z=coordinates, distance=distance, runner_up=runner_up,
        gap=float(density[best] - density[runner_up]) if runner_up is not None else math.nan)


def _per_sd(value: float, sd: float) -> float:
    return value / sd if sd > 0 else math.nan
