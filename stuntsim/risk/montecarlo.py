r"""Crude Monte Carlo estimates of failure probabilities from margins.

A hazard happens in a sample when its margin is ≤ 0 (:func:`failed`, the one failure
rule of the package: zero clearance is contact, zero grip left is a slide). With k
failures in n independent samples:

* p̂ = k / n, with coefficient of variation √((1 − p)/(n p)) (REFERENCES.md,
  "Probability and estimation"), estimated at p̂;
* a 95 % interval: the Wilson score interval, or the Clopper–Pearson (exact)
  interval when k = 0 or k = n, where Wilson is least reliable and the exact
  bounds have closed forms: k = 0 → [0, 1 − (α/2)^{1/n}], k = n → [(α/2)^{1/n}, 1]
  (the same as ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``).

Wilson (1927), JASA 22(158):209–212; Clopper & Pearson (1934), Biometrika 26(4):404–413;
Brown, Cai & DasGupta (2001), Statistical Science 16(2):101–133 on coverage.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special as sc

from stuntsim.errors import NumericalError

__all__ = [
    "ANY",
    "MarginAccumulator",
    "ProbabilityEstimate",
    "binomial_interval",
    "binomial_intervals",
    "bounded_mean",
    "estimate_probability",
    "failed",
    "margin_quantiles",
    "spread",
]

#: The name of the "any hazard happened" estimate (minimum margin over hazards ≤ 0).
ANY = "any"


def failed(margins: np.typing.ArrayLike) -> np.ndarray:
    """Where a hazard happened: margin ≤ 0. The one failure rule of the package.

    Margins are distances, forces or accelerations *left* before the hazard; at exactly
    zero nothing is left (a footprint touching a wall is in contact, and the car model
    stops a take at that moment). Monte Carlo counts, quasi-Monte Carlo indicators, subset
    simulation levels, the models' stop rules, reports and plots all use this rule.
    """
    return np.asarray(margins) <= 0


@dataclass(frozen=True)
class ProbabilityEstimate:
    """A failure probability estimated from ``failures`` out of ``n`` samples.

    ``cov`` is the coefficient of variation √((1 − p̂)/(n p̂)); infinite when p̂ = 0.
    ``undetermined`` samples had not failed but did not finish either (a take still under
    way when the simulated time ran out): ``probability`` counts them as passes, so it is
    a lower estimate, and the upper bound of ``ci95`` counts them as failures
    (:mod:`stuntsim.completion`).
    """

    probability: float
    ci95: tuple[float, float]
    failures: int
    n: int
    method: str  # "wilson" or "clopper-pearson"
    cov: float
    undetermined: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (an infinite ``cov`` becomes None)."""
        return {
            "probability": self.probability,
            "ci95": [self.ci95[0], self.ci95[1]],
            "failures": self.failures,
            "n": self.n,
            "method": self.method,
            "cov": self.cov if math.isfinite(self.cov) else None,
            "undetermined": self.undetermined,
        }


def binomial_interval(failures: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for a binomial proportion, ``failures`` out of ``n``.

    Wilson score interval; Clopper–Pearson (exact) when failures is 0 or n.

    Returns
    -------
    (lo, hi) : tuple of float
    """
    lo, hi, _ = binomial_intervals(np.asarray(failures), np.asarray(n), confidence)
    return float(lo), float(hi)


def binomial_intervals(
    failures: np.typing.ArrayLike, n: np.typing.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`binomial_interval` for many hazards (or replications).

    Returns
    -------
    lo, hi : ndarray     Interval bounds, broadcast shape of ``failures`` and ``n``.
    exact : ndarray      True where Clopper–Pearson was used (failures 0 or n).
    """
    k = np.asarray(failures)
    n = np.asarray(n)
    for label, value in (("failures", k), ("n", n)):
        if not (np.issubdtype(value.dtype, np.integer) or _integral_floats(value)):
            raise ValueError(f"{label} must be whole numbers, got {value!r}")
    if np.any(n < 1):
        raise ValueError(f"n must be ≥ 1, got {n!r}")
    if np.any((k < 0) | (k > n)):
        raise ValueError(f"need 0 ≤ failures ≤ n, got failures={k!r}, n={n!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    k, n = np.broadcast_arrays(k.astype(float), n.astype(float))
    alpha = 1.0 - confidence
    z = sc.ndtri(1.0 - alpha / 2.0)

    # Wilson score interval: (k + z²/2)/(n + z²) ± z/(n + z²) · √(k(n − k)/n + z²/4)
    centre = (k + z**2 / 2.0) / (n + z**2)
    half = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4.0)
    lo, hi = centre - half, centre + half

    # Clopper–Pearson at the edges, closed form: (α/2)^{1/n}
    edge = -np.expm1(math.log(alpha / 2.0) / n)  # 1 − (α/2)^{1/n}, accurate for large n
    none, all_ = k == 0, k == n
    lo = np.where(none, 0.0, np.where(all_, 1.0 - edge, lo))
    hi = np.where(none, edge, np.where(all_, 1.0, hi))
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0), none | all_


def estimate_probability(margins: np.typing.ArrayLike) -> ProbabilityEstimate:
    """Probability that the margin is negative, with a 95 % interval.

    Parameters
    ----------
    margins : array_like, shape (n,)
        One margin per sample in the hazard's unit; ≤ 0 means the hazard happened
        (:func:`failed`).
        NaN is an error (a model that cannot say is a bug, not a pass).
    """
    margins = _check_margins(margins, "margins")
    return _estimate(int(np.count_nonzero(failed(margins))), margins.size)


#: The margin quantiles every summary reports.
QUANTILES = (0.001, 0.01, 0.05, 0.5, 0.95)


def margin_stats(margins: np.ndarray) -> dict[str, Any]:
    """A hazard's margins in a summary: quantiles and worst of the finite ones, and whether
    any is finite (an infinite margin: the hazard never came near, e.g. no one to strike)."""
    finite = np.asarray(margins)[np.isfinite(margins)]
    return {
        "margin_quantiles": margin_quantiles(finite, QUANTILES) if finite.size else {},
        "worst_margin": float(finite.min()) if finite.size else None,
        "applicable": bool(finite.size),
    }


def margin_quantiles(
    margins: np.typing.ArrayLike, qs: Sequence[float] = QUANTILES
) -> dict[str, float]:
    """Empirical quantiles of the margins, keyed ``"q0.001"``, ``"q0.5"``, …

    Linear interpolation between order statistics (numpy's default); a quantile
    below 1/n is not resolved by n samples and sits at the sample minimum.
    """
    margins = _check_margins(margins, "margins")
    qs = [float(q) for q in qs]
    if any(not 0.0 <= q <= 1.0 for q in qs):
        raise ValueError(f"quantile levels must be in [0, 1], got {qs}")
    values = np.quantile(margins, qs)
    return {f"q{q:g}": float(v) for q, v in zip(qs, values, strict=True)}


def spread(values: np.typing.ArrayLike) -> dict[str, float]:
    """Median, 95th percentile and maximum of the finite values ({} when there are none):
    how a fact (an impact speed, a fall height) is spread over the takes where it exists."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    return {"median": float(np.median(values)), "q0.95": float(np.quantile(values, 0.95)),
            "max": float(values.max())}


def bounded_mean(values: np.typing.ArrayLike, confidence: float = 0.95):
    """Mean of a per-sample quantity in [0, 1] (e.g. a probability of death) and an interval.

    Most samples are 0 (the hazard did not happen). With k non-zero samples out of n:

    * k = 0: [0, Clopper–Pearson upper bound of 0/n] — the harm cannot exceed the
      probability that the hazard happens, which is bounded so;
    * k < 30: [lo_p · min h, hi_p · max h] over the non-zero h, with (lo_p, hi_p) the
      interval of k/n: conservative, since E[h] = P(h > 0) · E[h | h > 0];
    * k ≥ 30: the normal approximation mean ± z·sd/√n, clipped to [0, 1].

    Returns
    -------
    (mean, (lo, hi))
    """
    h = _check_margins(values, "values")
    if np.any((h < 0) | (h > 1)):
        raise ValueError("values must be in [0, 1]")
    n = h.size
    nonzero = h[h > 0]
    k = nonzero.size
    mean = float(h.mean())
    lo_p, hi_p = binomial_interval(k, n, confidence)
    if k == 0:
        return mean, (0.0, hi_p)
    if k < 30:
        return mean, (lo_p * float(nonzero.min()), min(1.0, hi_p * float(nonzero.max())))
    z = float(sc.ndtri(0.5 + confidence / 2.0))
    half = z * float(h.std(ddof=1)) / math.sqrt(n)
    return mean, (max(0.0, mean - half), min(1.0, mean + half))


class MarginAccumulator:
    """Collects per-sample margins chunk by chunk, then estimates probabilities.

    Memory is one float per sample and hazard (plus one byte per sample to catch
    gaps and overlaps), never samples × time steps.

    Parameters
    ----------
    names : iterable of str   The hazards; ``"any"`` is reserved.
    n_samples : int           Total number of samples.
    """

    def __init__(self, names: Iterable[str], n_samples: int) -> None:
        self.names: tuple[str, ...] = tuple(names)
        if not self.names:
            raise ValueError("MarginAccumulator needs at least one hazard name")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"hazard names repeat: {self.names}")
        if ANY in self.names:
            raise ValueError(f"{ANY!r} is reserved for the any-hazard estimate")
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
            raise ValueError(f"n_samples must be an integer, got {n_samples!r}")
        if n_samples < 1:
            raise ValueError(f"n_samples must be ≥ 1, got {n_samples}")
        self.n_samples = int(n_samples)
        self._margins = {name: np.full(self.n_samples, np.nan) for name in self.names}
        self._filled = np.zeros(self.n_samples, dtype=bool)

    def add(self, start: int, margins: Mapping[str, np.typing.ArrayLike]) -> None:
        """Store the margins of samples ``start`` … ``start + m - 1`` for every hazard."""
        if set(margins) != set(self.names):
            raise ValueError(f"expected margins for {sorted(self.names)}, got {sorted(margins)}")
        arrays = {name: _check_margins(margins[name], name) for name in self.names}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"margin arrays differ in length: {sizes}")
        stop = start + sizes.pop()
        if not 0 <= start <= stop <= self.n_samples:
            raise ValueError(f"samples {start}…{stop} are outside 0…{self.n_samples}")
        if self._filled[start:stop].any():
            raise ValueError(f"samples {start}…{stop} were already added")
        for name, values in arrays.items():
            self._margins[name][start:stop] = values
        self._filled[start:stop] = True

    @property
    def n_added(self) -> int:
        return int(np.count_nonzero(self._filled))

    @property
    def complete(self) -> bool:
        return self.n_added == self.n_samples

    def margins(self) -> dict[str, np.ndarray]:
        """Read-only views of all margins, plus ``"any"`` (the minimum over hazards)."""
        self._require_complete()
        out = {}
        for name, values in self._margins.items():
            view = values.view()
            view.flags.writeable = False
            out[name] = view
        any_margin = self._any_margin()
        any_margin.flags.writeable = False
        out[ANY] = any_margin
        return out

    def estimates(self, unfinished: np.typing.ArrayLike | None = None
                  ) -> dict[str, ProbabilityEstimate]:
        """A :class:`ProbabilityEstimate` per hazard, and for ``"any"`` hazard.

        ``unfinished`` (n,) bool marks samples whose outcome is unknown past some point
        (:mod:`stuntsim.completion`); those that had not failed a hazard are its
        ``undetermined`` samples: passes in the point estimate, failures in the upper bound.
        """
        self._require_complete()
        margins = {**self._margins, ANY: self._any_margin()}
        if unfinished is None:
            return {name: estimate_probability(values) for name, values in margins.items()}
        unfinished = np.asarray(unfinished, dtype=bool)
        if unfinished.shape != (self.n_samples,):
            raise ValueError(f"unfinished: expected shape ({self.n_samples},), "
                             f"got {unfinished.shape}")
        out = {}
        for name, values in margins.items():
            happened = failed(values)
            out[name] = _estimate(int(np.count_nonzero(happened)), values.size,
                                  int(np.count_nonzero(unfinished & ~happened)))
        return out

    def _any_margin(self) -> np.ndarray:
        result = self._margins[self.names[0]].copy()
        for name in self.names[1:]:
            np.minimum(result, self._margins[name], out=result)
        return result

    def _require_complete(self) -> None:
        if not self.complete:
            raise ValueError(f"only {self.n_added} of {self.n_samples} samples were added")


# --- helpers -----------------------------------------------------------------------


def _estimate(failures: int, n: int, undetermined: int = 0) -> ProbabilityEstimate:
    lo, hi, exact = binomial_intervals(failures, n)
    if undetermined:  # the upper bound as if every undetermined sample had failed
        hi = binomial_intervals(failures + undetermined, n)[1]
    p = failures / n
    cov = math.sqrt((1.0 - p) / (n * p)) if p > 0 else math.inf
    return ProbabilityEstimate(
        probability=p,
        ci95=(float(lo), float(hi)),
        failures=failures,
        n=n,
        method="clopper-pearson" if bool(exact) else "wilson",
        cov=cov,
        undetermined=undetermined,
    )


def _check_margins(margins: np.typing.ArrayLike, label: str) -> np.ndarray:
    values = np.asarray(margins, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"{label}: expected a 1-D array of margins, got shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"{label}: no samples")
    nan = np.flatnonzero(np.isnan(values))
    if nan.size:  # a model that cannot say is a bug, never a pass
        raise NumericalError(f"{label}: {nan.size} of {values.size} margins are NaN "
                             f"(the first in sample {nan[0]} of the array)",
                             sample=int(nan[0]))
    return values


def _integral_floats(values: np.ndarray) -> bool:
    return np.issubdtype(values.dtype, np.floating) and bool(
        np.all(np.isfinite(values) & (values == np.round(values)))
    )
