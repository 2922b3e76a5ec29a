"""The ``uncertain:`` section: distribution specifications, built around the planned value.

Each entry is a dotted path into the scenario and a distribution centred on the nominal
value unless it gives its own location (docs/architecture.md, nominal plus uncertainty).
A distribution that silently overrides its planned value is refused
(:func:`clamps_the_plan`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import scipy.special
from pydantic import (
    Field,
)

from stuntsim.risk.distributions import (
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from stuntsim.scenario.fields import Strict
from stuntsim.units import display_scale, display_unit

Number = float | int | str


class _Dist(Strict):
    def build(self, nominal: float, convert) -> Distribution:  # pragma: no cover - abstract
        raise NotImplementedError


class FixedSpec(_Dist):
    dist: Literal["fixed"]
    value: Number | None = Field(None, description="Value (default: the nominal)")

    def build(self, nominal, convert):
        return Fixed(nominal if self.value is None else convert(self.value))


class UniformSpec(_Dist):
    dist: Literal["uniform"]
    low: Number | None = None
    high: Number | None = None
    half_width: Number | None = Field(None, description="Nominal ± half_width")

    def build(self, nominal, convert):
        if self.half_width is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give 'half_width' or 'low'/'high', not both")
            half = convert(self.half_width)
            return Uniform(nominal - half, nominal + half)
        if self.low is None or self.high is None:
            raise ValueError("uniform needs 'half_width', or both 'low' and 'high'")
        return Uniform(convert(self.low), convert(self.high))


class NormalSpec(_Dist):
    dist: Literal["normal"]
    mean: Number | None = Field(None, description="Mean (default: the nominal)")
    sd: Number

    def build(self, nominal, convert):
        mean = nominal if self.mean is None else convert(self.mean)
        return Normal(mean, convert(self.sd))


class TruncNormalSpec(_Dist):
    dist: Literal["truncnormal"]
    mean: Number | None = Field(None, description="Mean before truncation (default: nominal)")
    sd: Number
    low: Number
    high: Number

    def build(self, nominal, convert):
        mean = nominal if self.mean is None else convert(self.mean)
        return TruncatedNormal(mean, convert(self.sd), convert(self.low), convert(self.high))


class LogNormalSpec(_Dist):
    dist: Literal["lognormal"]
    median: Number | None = Field(None, description="Median (default: the nominal)")
    sigma: float = Field(gt=0, le=3, description="Standard deviation of the log [-]")

    def build(self, nominal, convert):
        median = nominal if self.median is None else convert(self.median)
        return LogNormal(median, self.sigma)


class TriangularSpec(_Dist):
    dist: Literal["triangular"]
    low: Number
    mode: Number | None = Field(None, description="Mode (default: the nominal)")
    high: Number

    def build(self, nominal, convert):
        mode = nominal if self.mode is None else convert(self.mode)
        return Triangular(convert(self.low), mode, convert(self.high))


DistributionSpec = Annotated[
    FixedSpec | UniformSpec | NormalSpec | TruncNormalSpec | LogNormalSpec | TriangularSpec,
    Field(discriminator="dist"),
]


#: A truncated distribution must keep at least this share of the law it truncates: below
#: it the bounds, not the stated spread, decide the draws (a normal with sd 10 cut to
#: [0.3, 0.7] is a uniform in disguise). A half-normal (mean on a bound) keeps exactly 1/2.
MIN_KEPT_MASS = 0.5


def clamps_the_plan(dist: Distribution, nominal: float) -> str | None:
    """Why ``dist`` silently overrides the planned value ``nominal``, or None.

    A bounded distribution whose support excludes the planned value draws nothing near the
    plan, so overriding or moving the plan (a variant, an envelope) changes nothing; a
    truncation that keeps less than :data:`MIN_KEPT_MASS` of its normal law draws mostly
    from the bounds' edges instead of the stated spread.
    """
    if isinstance(dist, Fixed):
        return None  # a fixed value states its own location on purpose
    low, high = dist.support
    if not low <= nominal <= high:
        return "its bounds exclude the planned value"
    if isinstance(dist, TruncatedNormal):
        kept = float(np.diff(scipy.special.ndtr([dist._a, dist._b]))[0])
        if kept < MIN_KEPT_MASS - 1e-6:  # a half-normal with a far cap keeps ≈ 1/2
            return (f"its bounds keep only {kept:.1%} of the normal(mean, sd) they truncate, "
                    f"so the bounds, not the spread, decide the draws")
    return None


def _show(value: float, dimension: str) -> str:
    return f"{value * display_scale(dimension):.6g} {display_unit(dimension)}".rstrip()


def _show_dist(dist: Distribution, dimension: str) -> str:
    fields = ", ".join(f"{key} {_show(value, dimension) if key != 'sigma' else value}"
                       for key, value in vars(dist).items() if isinstance(value, float))
    return f"{type(dist).__name__.lower()}({fields})"
