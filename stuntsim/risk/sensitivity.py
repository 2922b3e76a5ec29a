r"""Which inputs drive the output: Sobol' indices and a rank-correlation screen.

* :func:`sobol_indices`: first-order S_i = V[E(Y|X_i)]/V(Y) and total
  S_Ti = E[V(Y|X_~i)]/V(Y) by the Saltelli (2010) pick-freeze design and estimators, as
  implemented by :func:`scipy.stats.sobol_indices` (Saltelli et al. 2010; Sobol' 2001),
  with bootstrap intervals;
* :func:`rank_correlation_screen`: Spearman's ρ of each input with the output, a cheap
  screen that needs only the samples of an ordinary Monte Carlo run (monotone effects
  only; interactions and non-monotone effects are invisible to it).

The model sees **values** (drawn through each distribution's ``ppf``), not uniforms, and
the results are plain arrays in the order of the distributions: names are the caller's.

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. Computer Physics Communications 181(2):259–270.
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models and
their Monte Carlo estimates. Mathematics and Computers in Simulation 55:271–280.
Saltelli, A. et al. (2008). Global Sensitivity Analysis: The Primer. Wiley.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.stats
from scipy.stats import qmc

from stuntsim.risk.distributions import U_MAX, U_MIN, Distribution

__all__ = ["SobolResult", "rank_correlation_screen", "sobol_indices"]


@dataclass(frozen=True)
class SobolResult:
    """First-order and total Sobol' indices, in the order of the distributions.

    Attributes
    ----------
    first_order, total_order : ndarray (d,)
        S_i and S_Ti [-] (estimates may fall slightly outside [0, 1]).
    first_order_ci, total_order_ci : ndarray (d, 2)
        95 % bootstrap percentile intervals (low, high).
    evaluations : int
        Model evaluations, n (d + 2).
    n : int
        Base sample size.
    """

    first_order: np.ndarray
    total_order: np.ndarray
    first_order_ci: np.ndarray
    total_order_ci: np.ndarray
    evaluations: int
    n: int

    def to_dict(self) -> dict[str, object]:
        return {
            "first_order": self.first_order.tolist(),
            "total_order": self.total_order.tolist(),
            "first_order_ci": self.first_order_ci.tolist(),
            "total_order_ci": self.total_order_ci.tolist(),
            "evaluations": self.evaluations,
            "n": self.n,
        }


def sobol_indices(
    model: Callable[[np.ndarray], np.typing.ArrayLike],
    dists: Sequence[Distribution],
    *,
    n: int = 2**12,
    rng: np.random.Generator,
    bootstrap: int = 200,
) -> SobolResult:
    """Sobol' indices of ``model`` with independent inputs ``dists``.

    Parameters
    ----------
    model : callable
        Maps an (m, d) array of input *values* to outputs (m,); called once, on all
        n (d + 2) points.
    dists : sequence of Distribution
        One per input (anything with a vectorised ``ppf``).
    n : int
        Base sample size, a power of two (scrambled Sobol' points).
    rng : numpy.random.Generator
        Seeds the scrambling and the bootstrap.
    bootstrap : int
        Bootstrap resamples for the intervals (≥ 2).

    Notes
    -----
    Design as :func:`scipy.stats.sobol_indices`: matrices A and B from one scrambled
    Sobol' sequence of dimension 2d, and the d matrices A_B^(i) (A with column i from B).
    We build them and evaluate the model ourselves (one batched call), then pass the
    outputs to :func:`scipy.stats.sobol_indices` in its dictionary form, which applies
    the Saltelli (2010) estimators. The bootstrap resamples the n columns of f_A, f_B and
    f_AB together, as ``scipy.stats.SobolResult.bootstrap`` does, but draws from our
    Generator (scipy's method draws from an unseeded one, so it is not reproducible) and
    returns percentile intervals (scipy's BCa needs a jackknife, i.e. n more estimates).
    """
    dists = list(dists)
    d = len(dists)
    if d < 1:
        raise ValueError("need at least one distribution")
    for label, value, low in (("n", n, 2), ("bootstrap", bootstrap, 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{label} must be an integer ≥ {low}, got {value!r}")
    if n & (n - 1):
        raise ValueError(f"n must be a power of two (Sobol' balance properties), got {n}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    scramble_rng, bootstrap_rng = rng.spawn(2)

    u = qmc.Sobol(2 * d, scramble=True, rng=scramble_rng).random_base2(n.bit_length() - 1)
    u = np.clip(u, U_MIN, U_MAX)
    a = np.column_stack([dist.ppf(u[:, i]) for i, dist in enumerate(dists)])
    b = np.column_stack([dist.ppf(u[:, d + i]) for i, dist in enumerate(dists)])
    ab = np.repeat(a[None, :, :], d, axis=0)  # (d, n, d): page i is A with column i of B
    ab[np.arange(d), :, np.arange(d)] = b.T
    points = np.concatenate([a, b, ab.reshape(d * n, d)])

    y = np.asarray(model(points), dtype=float)
    if y.shape != (points.shape[0],):
        raise ValueError(
            f"model returned shape {y.shape} for {points.shape[0]} points; "
            f"expected ({points.shape[0]},)"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("model returned non-finite outputs")
    f_a, f_b = y[:n][None, :], y[n : 2 * n][None, :]
    f_ab = y[2 * n :].reshape(d, 1, n)

    def indices(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        res = scipy.stats.sobol_indices(
            func={"f_A": f_a[:, columns], "f_B": f_b[:, columns], "f_AB": f_ab[..., columns]},
            n=n,
        )
        return np.atleast_1d(res.first_order), np.atleast_1d(res.total_order)

    first, total = indices(np.arange(n))
    boot_first = np.empty((bootstrap, d))
    boot_total = np.empty((bootstrap, d))
    for k in range(bootstrap):
        boot_first[k], boot_total[k] = indices(bootstrap_rng.integers(0, n, n))
    return SobolResult(
        first_order=first,
        total_order=total,
        first_order_ci=np.percentile(boot_first, [2.5, 97.5], axis=0).T,
        total_order_ci=np.percentile(boot_total, [2.5, 97.5], axis=0).T,
        evaluations=int(points.shape[0]),
        n=int(n),
    )


def rank_correlation_screen(
    inputs: Mapping[str, np.typing.ArrayLike], output: np.typing.ArrayLike
) -> dict[str, tuple[float, float]]:
    """Spearman rank correlation of each input with the output.

    Parameters
    ----------
    inputs : mapping name → (n,) array
        The sampled input values.
    output : (n,) array
        The output (e.g. a margin) of the same samples.

    Returns
    -------
    dict name → (rho, p_value), ordered by |rho|, largest first (a screen). An input or
    output that is constant has no rank correlation: (nan, nan). The p-value is
    :func:`scipy.stats.spearmanr`'s test of ρ = 0.
    """
    y = np.asarray(output, dtype=float)
    if y.ndim != 1 or y.size < 3:
        raise ValueError(f"output must be a 1-D array of ≥ 3 samples, got shape {y.shape}")
    out: dict[str, tuple[float, float]] = {}
    for name, values in inputs.items():
        x = np.asarray(values, dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"input {name!r} has shape {x.shape}, output has {y.shape}")
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            out[name] = (math.nan, math.nan)
            continue
        res = scipy.stats.spearmanr(x, y)
        out[name] = (float(res.statistic), float(res.pvalue))
    return dict(
        sorted(out.items(), key=lambda item: -abs(item[1][0]) if math.isfinite(item[1][0]) else 1)
    )
