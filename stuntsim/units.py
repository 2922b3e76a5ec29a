"""The one place units are parsed (DESIGN principle 7).

Scenario files may write ``"40 km/h"``, ``"131 ft"`` or ``"3 deg"``; everything is
converted to SI on load by :func:`to_si` and nowhere else. Inside the package every
number is SI (angles in radians). :func:`format_quantity` and :func:`display_unit`
go the other way, for people.

Parsing uses one module-level :mod:`pint` registry. A string must be a number
followed by a unit expression (``"1.2 kg/m^3"``, ``"9.81 m/s^2"``, ``"0.5"``);
sums, products of numbers and other pint expressions are refused so that a typo
cannot silently mean something else.

Angles are a dimension here although pint (like SI) treats the radian as
dimensionless: ``"3 deg"`` is not accepted where a dimensionless number is expected,
nor ``"0.5"`` where an angle is, and an angular rate needs an angle unit
(``"30 deg/s"``, ``"60 rpm"``), not ``"1/s"`` or ``"Hz"``.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from dataclasses import dataclass

import pint

__all__ = ["DIMENSIONS", "UnitError", "display_unit", "format_quantity", "parse_si", "to_si"]


class UnitError(ValueError):
    """A quantity has the wrong dimension, or cannot be parsed."""


class _UnknownUnit(UnitError):
    pass


class _WrongDimension(UnitError):
    pass


@dataclass(frozen=True)
class _Dimension:
    description: str  # "a speed": used in error messages
    example: str  # a valid input, shown in error messages
    si_unit: str  # the unit every value of this dimension is stored in
    display_unit: str  # the unit shown to people


#: The dimensions :func:`to_si` knows, by name.
DIMENSIONS: dict[str, _Dimension] = {
    "length": _Dimension("a length", "2.97 m", "m", "m"),
    "speed": _Dimension("a speed", "40 km/h", "m/s", "km/h"),
    "acceleration": _Dimension("an acceleration", "9.81 m/s^2", "m/s^2", "m/s^2"),
    "time": _Dimension("a time", "1.2 s", "s", "s"),
    "mass": _Dimension("a mass", "470 kg", "kg", "kg"),
    "angle": _Dimension("an angle", "3 deg", "rad", "deg"),
    "angular_rate": _Dimension("an angular rate", "30 deg/s", "rad/s", "rad/s"),
    "force": _Dimension("a force", "800 N", "N", "N"),
    "power": _Dimension("a power", "13 kW", "W", "W"),
    "inertia": _Dimension("a moment of inertia", "600 kg m^2", "kg*m^2", "kg*m^2"),
    "area": _Dimension("an area", "0.84 m^2", "m^2", "m^2"),
    "density": _Dimension("a density", "1.2 kg/m^3", "kg/m^3", "kg/m^3"),
    "dimensionless": _Dimension("a dimensionless number", "0.5", "", ""),
    "angle_per_acceleration": _Dimension(
        "an angle per acceleration", "0.004 rad/(m/s^2)", "rad/(m/s^2)", "rad/(m/s^2)"
    ),
    "stiffness_per_angle": _Dimension("a stiffness per angle", "50000 N/rad", "N/rad", "N/rad"),
    "frequency": _Dimension("a frequency (or a rate per second)", "0.5 Hz", "1/s", "Hz"),
    "energy": _Dimension("an energy", "43 kJ", "J", "kJ"),
    "jerk": _Dimension("a jerk (rate of change of acceleration)", "0.5 m/s^3", "m/s^3",
                       "m/s^3"),
}

# A number, then optionally a unit expression. No NaN, no inf, no arithmetic.
_QUANTITY = re.compile(
    r"^\s*(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>.*?)\s*$"
)

# 1 CV (cavallo vapore) = 1 PS = 75 kgf·m/s = 735.49875 W, the metric horsepower.
# pint knows "metric_horsepower" but reads "PS" as petasiemens and lacks "CV".
_EXTRA_DEFINITIONS = ("CV = metric_horsepower = cavallo_vapore",)


@functools.cache
def unit_registry() -> pint.UnitRegistry:
    """The package's single pint registry (created on first use)."""
    registry = pint.UnitRegistry()
    for definition in _EXTRA_DEFINITIONS:
        name = definition.split("=")[0].strip()
        if name not in registry:
            registry.define(definition)
    return registry


def to_si(value: float | str, dimension: str) -> float:
    """Convert a scenario quantity to a float in SI units.

    Parameters
    ----------
    value : float or str
        A bare number, taken to be SI already (an angle in radians), or a string
        ``"<number> <unit>"`` such as ``"40 km/h"``, ``"131 ft"``, ``"3 deg"``,
        ``"18 CV"``; ``"0.5"`` or ``"50 %"`` for a dimensionless number.
    dimension : str
        One of :data:`DIMENSIONS`, e.g. ``"speed"``.

    Returns
    -------
    float  The value in the SI unit of ``dimension`` (m, m/s, rad, W, …).

    Raises
    ------
    UnitError
        Wrong dimension, unparseable string, NaN or infinity, or a non-number
        (``True`` is not a number here).
    """
    spec = _dimension(dimension)
    if isinstance(value, str):
        return _string_to_si(value, dimension)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UnitError(
            f'expected {spec.description} (e.g. "{spec.example}"), '
            f"got {value!r} of type {type(value).__name__}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise UnitError(f"expected {spec.description} as a finite number, got {number}")
    return number


#: Same as :func:`to_si` (the scenario loader's name for it).
parse_si = to_si


def display_unit(dimension: str) -> str:
    """The unit a person reads ``dimension`` in: km/h for speeds, deg for angles, else SI."""
    return _dimension(dimension).display_unit


def display_scale(dimension: str) -> float:
    """Factor from SI to the display unit: ``value_si * display_scale(d)`` is in
    ``display_unit(d)`` (e.g. 3.6 for a speed in km/h, 180/π for an angle in degrees)."""
    unit = display_unit(dimension)
    return 1.0 / _factor_to_si(unit, dimension) if unit else 1.0


def format_quantity(
    value_si: float, dimension: str, unit: str | None = None, *, digits: int = 3
) -> str:
    """Format an SI value for people, e.g. ``format_quantity(11.1, "speed", "km/h")`` → "40 km/h".

    Parameters
    ----------
    value_si : float  The value in the SI unit of ``dimension``.
    dimension : str   One of :data:`DIMENSIONS`.
    unit : str, optional
        The unit to show; defaults to :func:`display_unit`. It must be of ``dimension``.
    digits : int      Significant digits.
    """
    spec = _dimension(dimension)
    unit = spec.display_unit if unit is None else unit
    try:
        factor = _factor_to_si(unit, dimension)
    except _WrongDimension as error:
        raise UnitError(f'cannot show {spec.description} in "{unit}", a unit of {error}') from None
    text = f"{float(value_si) / factor:.{digits}g}"
    return f"{text} {unit}" if unit else text


# --- helpers -----------------------------------------------------------------------


def _dimension(dimension: str) -> _Dimension:
    try:
        return DIMENSIONS[dimension]
    except KeyError:
        known = ", ".join(DIMENSIONS)
        raise UnitError(f"unknown dimension {dimension!r}; known: {known}") from None


@functools.lru_cache(maxsize=4096)
def _string_to_si(text: str, dimension: str) -> float:
    spec = _dimension(dimension)
    match = _QUANTITY.match(text)
    if match is None:
        raise UnitError(
            f'cannot read "{text}" as {spec.description}: expected a number '
            f'followed by a unit, e.g. "{spec.example}"'
        )
    number = float(match["number"])
    try:
        factor = _factor_to_si(match["unit"], dimension)
    except _UnknownUnit as error:
        raise UnitError(
            f'cannot read "{text}" as {spec.description} (e.g. "{spec.example}"): {error}'
        ) from None
    except _WrongDimension as error:
        raise UnitError(
            f'expected {spec.description} (e.g. "{spec.example}"), got "{text}" ({error})'
        ) from None
    result = number * factor
    if not math.isfinite(result):
        raise UnitError(f'"{text}" is too large to be {spec.description}')
    return result


@functools.lru_cache(maxsize=1024)
def _factor_to_si(unit: str, dimension: str) -> float:
    """SI value of one ``unit``; _WrongDimension(<name of the unit's dimension>) if it is
    not of ``dimension``, _UnknownUnit(<why>) if it does not parse."""
    registry = unit_registry()
    try:
        parsed = registry.parse_units(unit) if unit else registry.dimensionless
    except Exception as error:  # pint's parser raises many kinds, even AssertionError
        raise _UnknownUnit(f'unknown unit "{unit}" ({error})') from None
    signature = _signature(parsed)
    if signature != _si_signature(dimension):
        raise _WrongDimension(_describe(signature))
    quantity = registry.Quantity(1.0, parsed)
    return float(quantity.to(DIMENSIONS[dimension].si_unit or "dimensionless").magnitude)


def _signature(unit: pint.Unit) -> frozenset[tuple[str, float]]:
    """Dimensionality of ``unit`` with the radian counted as a dimension "[angle]"."""
    root = unit_registry().Quantity(1.0, unit).to_root_units()
    exponents = dict(root.dimensionality)
    angle = dict(root.unit_items()).get("radian", 0)
    if angle:
        exponents["[angle]"] = angle
    return frozenset(exponents.items())


@functools.cache
def _si_signature(dimension: str) -> frozenset[tuple[str, float]]:
    registry = unit_registry()
    si_unit = DIMENSIONS[dimension].si_unit
    return _signature(registry.parse_units(si_unit) if si_unit else registry.dimensionless)


def _describe(signature: frozenset[tuple[str, float]]) -> str:
    for name in DIMENSIONS:
        if _si_signature(name) == signature:
            return name
    exponents = dict(signature)
    return " ".join(f"{k}^{v:g}" if v != 1 else k for k, v in sorted(exponents.items()))
