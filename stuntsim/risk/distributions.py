r"""Distributions of uncertain inputs, sampled only by inverse CDF.

Every distribution maps uniforms ``u`` in (0, 1) to values with :meth:`ppf`, so the
same code serves crude Monte Carlo, quasi-Monte Carlo and, through
``u = Φ(z)``, methods that work in standard-normal space (subset simulation):
:meth:`Distribution.from_standard_normal` and :meth:`Distribution.to_standard_normal`.

All parameters are in the quantity's own SI unit. Arrays in, arrays out; no
randomness lives here (see :mod:`stuntsim.risk.sampling`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import numpy as np
import scipy.special as sc
import scipy.stats

__all__ = [
    "U_MAX",
    "U_MIN",
    "Distribution",
    "Fixed",
    "LogNormal",
    "Normal",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
]

#: Uniforms are clipped into [U_MIN, U_MAX] on the way from and to standard-normal
#: space, so that bounded distributions and ``Fixed`` give finite z (|z| ≤ 37.5
#: below, ≤ 8.3 above, the limit of a float64 just below 1).
U_MIN = float(np.finfo(np.float64).tiny)
U_MAX = float(np.nextafter(1.0, 0.0))


class Distribution:
    """Interface shared by all distributions (frozen dataclasses below).

    ``ppf(u)``: inverse CDF, vectorised; NaN where u is outside [0, 1].
    ``cdf(x)``: CDF, vectorised.
    ``logpdf(x)``: log density, vectorised; −inf outside the support (``Fixed``: 0 at its
    value, a point mass).
    ``support``: (lo, hi), possibly infinite.
    ``expected_value``: the mean of the law (``mean`` is a parameter name in
    ``Normal`` and ``TruncatedNormal``, where it is the location of the parent normal).
    ``median``: the median (a field of ``LogNormal``, a property elsewhere).
    """

    def ppf(self, u: np.typing.ArrayLike) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def cdf(self, x: np.typing.ArrayLike) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def logpdf(self, x: np.typing.ArrayLike) -> np.ndarray:  # pragma: no cover - interface
        """Log of the probability density at ``x`` (−inf outside the support)."""
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def expected_value(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def from_standard_normal(self, z: np.typing.ArrayLike) -> np.ndarray:
        """Map standard-normal ``z`` to this distribution: ``ppf(Φ(z))``."""
        return self.ppf(np.clip(sc.ndtr(np.asarray(z, dtype=float)), U_MIN, U_MAX))

    def to_standard_normal(self, x: np.typing.ArrayLike) -> np.ndarray:
        """Map values ``x`` to standard-normal space: ``Φ⁻¹(cdf(x))``, finite for all x."""
        return sc.ndtri(np.clip(self.cdf(x), U_MIN, U_MAX))


@dataclass(frozen=True)
class Fixed(Distribution):
    """No uncertainty: always ``value``."""

    value: float

    def __post_init__(self) -> None:
        _check_finite(self, "value")

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return _nan_outside_unit(u, np.full_like(u, self.value))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(np.isnan(x), np.nan, (x >= self.value).astype(float))

    def logpdf(self, x):
        # a point mass: log 1 at its value (density with respect to counting measure)
        x = np.asarray(x, dtype=float)
        return np.where(np.isnan(x), np.nan, np.where(x == self.value, 0.0, -np.inf))

    @property
    def support(self):
        return (self.value, self.value)

    @property
    def expected_value(self) -> float:
        return self.value

    @property
    def median(self) -> float:
        return self.value

    def shifted(self, offset: float) -> Fixed:
        """The same distribution moved by ``offset`` (a new nominal, same spread)."""
        return replace(self, value=self.value + offset)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_finite(self, "low", "high")
        _check_order(self, "low", "high", strict=True)

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return _nan_outside_unit(u, self.low + u * (self.high - self.low))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(np.isnan(x), np.nan,
                        np.where(inside, -math.log(self.high - self.low), -np.inf))

    @property
    def support(self):
        return (self.low, self.high)

    @property
    def expected_value(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def median(self) -> float:
        return self.expected_value

    def shifted(self, offset: float) -> Uniform:
        """The same distribution moved by ``offset`` (a new nominal, same spread)."""
        return replace(self, low=self.low + offset, high=self.high + offset)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd``."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        _check_finite(self, "mean", "sd")
        _check_positive(self, "sd")

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return self.mean + self.sd * sc.ndtri(u)  # ndtri is NaN outside [0, 1]

    def cdf(self, x):
        return sc.ndtr((np.asarray(x, dtype=float) - self.mean) / self.sd)

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mean) / self.sd
        return -0.5 * z**2 - math.log(self.sd) - _HALF_LOG_2PI

    @property
    def support(self):
        return (-math.inf, math.inf)

    @property
    def expected_value(self) -> float:
        return self.mean

    @property
    def median(self) -> float:
        return self.mean

    def from_standard_normal(self, z):
        return self.mean + self.sd * np.asarray(z, dtype=float)  # exact, no clipping

    def to_standard_normal(self, x):
        return (np.asarray(x, dtype=float) - self.mean) / self.sd

    def shifted(self, offset: float) -> Normal:
        """The same distribution moved by ``offset`` (a new nominal, same spread)."""
        return replace(self, mean=self.mean + offset)


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    r"""Normal(mean, sd) restricted to [low, high] (bounds in x units, may be ±inf).

    Same law as ``scipy.stats.truncnorm((low - mean)/sd, (high - mean)/sd, mean, sd)``.
    With a, b the standardised bounds, F(x) = (Φ(x') − Φ(a)) / (Φ(b) − Φ(a)).
    Computed in log space on the side of the normal where the interval mostly lies
    (Φ below the mean, the survival function above it), so that intervals far in a
    tail (e.g. 10 to 12 sd) keep full precision instead of giving 0/0.
    Results are clipped into [low, high].
    """

    mean: float
    sd: float
    low: float
    high: float

    def __post_init__(self) -> None:
        _check_finite(self, "mean", "sd")
        _check_positive(self, "sd")
        for name in ("low", "high"):
            if math.isnan(getattr(self, name)):
                raise ValueError(f"TruncatedNormal: {name} must be a number, got NaN")
        _check_order(self, "low", "high", strict=True)

    @property
    def _a(self) -> float:
        return (self.low - self.mean) / self.sd

    @property
    def _b(self) -> float:
        return (self.high - self.mean) / self.sd

    @property
    def _upper_side(self) -> bool:
        # Work with the survival function when the interval lies mostly above the mean.
        return self._a + self._b > 0

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        a, b = self._a, self._b
        with np.errstate(divide="ignore", invalid="ignore"):
            if self._upper_side:
                # S(x) = S(a) − u (S(a) − S(b)),  S(x) = Φ(−x)
                log_sa, log_sb = sc.log_ndtr(-a), sc.log_ndtr(-b)
                log_s = log_sa + np.log1p(-u * -np.expm1(log_sb - log_sa))
                z = -sc.ndtri_exp(log_s)
            else:
                # Φ(x) = Φ(a) + u (Φ(b) − Φ(a))
                log_pa, log_pb = sc.log_ndtr(a), sc.log_ndtr(b)
                log_mass = log_pb + np.log1p(-np.exp(log_pa - log_pb))
                z = sc.ndtri_exp(np.logaddexp(log_pa, np.log(u) + log_mass))
        x = np.clip(self.mean + self.sd * z, self.low, self.high)
        return _nan_outside_unit(u, x)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        a, b = self._a, self._b
        z = np.clip((x - self.mean) / self.sd, a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self._upper_side:
                # (S(a) − S(z)) / (S(a) − S(b))
                log_sa, log_sb, log_sz = sc.log_ndtr(-a), sc.log_ndtr(-b), sc.log_ndtr(-z)
                p = np.expm1(log_sz - log_sa) / np.expm1(log_sb - log_sa)
            else:
                # (Φ(z) − Φ(a)) / (Φ(b) − Φ(a))
                log_pa, log_pb, log_pz = sc.log_ndtr(a), sc.log_ndtr(b), sc.log_ndtr(z)
                p = (
                    np.exp(log_pz - log_pb)
                    * -np.expm1(log_pa - log_pz)
                    / -np.expm1(log_pa - log_pb)
                )
        p = np.where(z <= a, 0.0, np.where(z >= b, 1.0, p))
        return np.where(np.isnan(x), np.nan, np.clip(p, 0.0, 1.0))

    def logpdf(self, x):
        """log φ(z) − log sd − log(Φ(b) − Φ(a)), the mass in log space on the side of the
        normal where the interval mostly lies (as :meth:`cdf`)."""
        x = np.asarray(x, dtype=float)
        a, b = self._a, self._b
        with np.errstate(divide="ignore"):
            if self._upper_side:
                log_sa, log_sb = sc.log_ndtr(-a), sc.log_ndtr(-b)
                log_mass = log_sa + math.log1p(-math.exp(log_sb - log_sa))
            else:
                log_pa, log_pb = sc.log_ndtr(a), sc.log_ndtr(b)
                log_mass = log_pb + math.log1p(-math.exp(log_pa - log_pb))
        z = (x - self.mean) / self.sd
        inside = (x >= self.low) & (x <= self.high)
        value = -0.5 * z**2 - math.log(self.sd) - _HALF_LOG_2PI - log_mass
        return np.where(np.isnan(x), np.nan, np.where(inside, value, -np.inf))

    @property
    def support(self):
        return (self.low, self.high)

    @property
    def expected_value(self) -> float:
        """The mean of the truncated law (``mean`` is the parent normal's location)."""
        return float(self.mean + self.sd * scipy.stats.truncnorm.mean(self._a, self._b))

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))

    def shifted(self, offset: float) -> TruncatedNormal:
        """The same distribution moved by ``offset``, bounds included."""
        return replace(
            self, mean=self.mean + offset, low=self.low + offset, high=self.high + offset
        )


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal: log X ~ Normal(log median, sigma). ``sigma`` is the SD of log X.

    Same law as ``scipy.stats.lognorm(s=sigma, scale=median)``.
    """

    median: float
    sigma: float

    def __post_init__(self) -> None:
        _check_finite(self, "median", "sigma")
        _check_positive(self, "median", "sigma")

    def ppf(self, u):
        return self.from_standard_normal(sc.ndtri(np.asarray(u, dtype=float)))

    def cdf(self, x):
        return sc.ndtr(self.to_standard_normal(x))

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        positive = x > 0
        safe = np.where(positive, x, 1.0)
        z = np.log(safe / self.median) / self.sigma
        value = -0.5 * z**2 - np.log(safe) - math.log(self.sigma) - _HALF_LOG_2PI
        return np.where(np.isnan(x), np.nan, np.where(positive, value, -np.inf))

    @property
    def support(self):
        return (0.0, math.inf)

    @property
    def expected_value(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)

    def from_standard_normal(self, z):
        return self.median * np.exp(self.sigma * np.asarray(z, dtype=float))

    def to_standard_normal(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log(x / self.median) / self.sigma
        return np.where(x <= 0, -np.inf, z)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on [low, high] with peak at ``mode``.

    Same law as ``scipy.stats.triang(c=(mode - low)/(high - low), loc=low,
    scale=high - low)``.
    """

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _check_finite(self, "low", "mode", "high")
        _check_order(self, "low", "high", strict=True)
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"Triangular: need low ≤ mode ≤ high, got low={self.low}, "
                f"mode={self.mode}, high={self.high}"
            )

    @property
    def _c(self) -> float:
        return (self.mode - self.low) / (self.high - self.low)

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        width = self.high - self.low
        with np.errstate(invalid="ignore"):
            left = self.low + np.sqrt(u * width * (self.mode - self.low))
            right = self.high - np.sqrt((1.0 - u) * width * (self.high - self.mode))
        x = np.clip(np.where(u < self._c, left, right), self.low, self.high)
        return _nan_outside_unit(u, x)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        width = self.high - self.low
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (x - self.low) ** 2 / (width * (self.mode - self.low))
            right = 1.0 - (self.high - x) ** 2 / (width * (self.high - self.mode))
        p = np.where(x <= self.low, 0.0, np.where(x >= self.high, 1.0, 0.0))
        p = np.where((x > self.low) & (x < self.mode), left, p)
        p = np.where((x >= self.mode) & (x < self.high), right, p)
        return np.where(np.isnan(x), np.nan, p)

    def logpdf(self, x):
        """2(x − low)/((high − low)(mode − low)) rising, 2(high − x)/((high − low)(high −
        mode)) falling, 2/(high − low) at the mode."""
        x = np.asarray(x, dtype=float)
        width = self.high - self.low
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.log(2.0 * (x - self.low) / (width * (self.mode - self.low)))
            right = np.log(2.0 * (self.high - x) / (width * (self.high - self.mode)))
        value = np.where(x < self.mode, left, np.where(x > self.mode, right,
                                                         math.log(2.0 / width)))
        inside = (x >= self.low) & (x <= self.high)
        return np.where(np.isnan(x), np.nan, np.where(inside, value, -np.inf))

    @property
    def support(self):
        return (self.low, self.high)

    @property
    def expected_value(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))

    def shifted(self, offset: float) -> Triangular:
        """The same distribution moved by ``offset`` (a new nominal, same spread)."""
        return replace(
            self, low=self.low + offset, mode=self.mode + offset, high=self.high + offset
        )


# --- helpers -----------------------------------------------------------------------

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _nan_outside_unit(u: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.where((u >= 0.0) & (u <= 1.0), x, np.nan)


def _check_finite(dist: Distribution, *names: str) -> None:
    for name in names:
        value = getattr(dist, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{type(dist).__name__}: {name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{type(dist).__name__}: {name} must be finite, got {value}")


def _check_positive(dist: Distribution, *names: str) -> None:
    for name in names:
        value = getattr(dist, name)
        if not value > 0:
            raise ValueError(f"{type(dist).__name__}: {name} must be > 0, got {value}")


def _check_order(dist: Distribution, low: str, high: str, *, strict: bool) -> None:
    lo, hi = getattr(dist, low), getattr(dist, high)
    if not (lo < hi if strict else lo <= hi):
        raise ValueError(f"{type(dist).__name__}: need {low} < {high}, got {low}={lo}, {high}={hi}")
