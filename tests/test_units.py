"""Unit parsing: every conversion against a value worked out by hand, and bad input."""

import math
import re

import pytest

from stuntsim.units import (
    DIMENSIONS,
    UnitError,
    display_unit,
    format_quantity,
    parse_si,
    to_si,
)

# Exact definitions used below:
#   1 km/h = 1000 m / 3600 s = 1/3.6 m/s          (definition of km and h)
#   1 ft = 0.3048 m                                (international foot, 1959)
#   1 deg = π/180 rad
#   1 CV = 1 PS = 75 kgf·m/s = 75 · 9.80665 W = 735.49875 W   (metric horsepower)
CASES = [
    ("0.5 Hz", "frequency", 0.5),  # 1 Hz = 1/s by definition
    ("43.3 kJ", "energy", 43_300.0),  # 1 kJ = 1000 J
    ("0.5 m/s^3", "jerk", 0.5),
    ("40 km/h", "speed", 40 / 3.6),
    ("2.97 m", "length", 2.97),
    ("131 ft", "length", 131 * 0.3048),
    ("0.5", "dimensionless", 0.5),
    ("50 %", "dimensionless", 0.5),
    ("3 deg", "angle", 3 * math.pi / 180),
    ("-3 deg", "angle", -3 * math.pi / 180),
    ("30 deg/s", "angular_rate", 30 * math.pi / 180),
    ("60 rpm", "angular_rate", 2 * math.pi),  # 1 rev/min = 2π rad / 60 s
    ("18 CV", "power", 18 * 735.49875),
    ("13 kW", "power", 13_000.0),
    ("470 kg", "mass", 470.0),
    ("1.2 kg/m^3", "density", 1.2),
    ("9.81 m/s^2", "acceleration", 9.81),
    ("1.5 s", "time", 1.5),
    ("250 ms", "time", 0.25),
    ("800 N", "force", 800.0),
    ("600 kg m^2", "inertia", 600.0),
    ("0.84 m^2", "area", 0.84),
    ("0.004 rad/(m/s^2)", "angle_per_acceleration", 0.004),
    ("1 deg/(m/s^2)", "angle_per_acceleration", math.pi / 180),
    ("50000 N/rad", "stiffness_per_angle", 50_000.0),
    ("1000 N/deg", "stiffness_per_angle", 1000 * 180 / math.pi),
    ("1e3 m", "length", 1000.0),
    ("  .5 m ", "length", 0.5),
]


@pytest.mark.parametrize(("text", "dimension", "expected"), CASES)
def test_string_converts_to_si(text, dimension, expected):
    assert to_si(text, dimension) == pytest.approx(expected, rel=1e-12)


def test_every_dimension_is_covered_by_a_case():
    assert {dimension for _, dimension, _ in CASES} == set(DIMENSIONS)


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_every_dimensions_own_example_parses(dimension):
    # the example shown in error messages must itself be valid
    assert math.isfinite(to_si(DIMENSIONS[dimension].example, dimension))


@pytest.mark.parametrize("value", [3, 2.5, -0.1, 0])
def test_bare_numbers_are_taken_as_si(value):
    assert to_si(value, "length") == float(value)
    assert to_si(value, "angle") == float(value)  # radians


def test_parse_si_is_to_si():
    assert parse_si("131 ft", "length") == to_si("131 ft", "length")


def test_wrong_dimension_names_both():
    with pytest.raises(UnitError) as info:
        to_si("40 kg", "speed")
    assert str(info.value) == 'expected a speed (e.g. "40 km/h"), got "40 kg" (mass)'


@pytest.mark.parametrize(
    ("text", "dimension", "got"),
    [
        ("3 deg", "dimensionless", "angle"),  # pint calls the radian dimensionless; we do not
        ("0.5", "angle", "dimensionless"),
        ("2 1/s", "angular_rate", "frequency"),  # Hz is not rad/s
        ("50000 N", "stiffness_per_angle", "force"),
        ("20 degC", "length", "[temperature]"),
    ],
)
def test_angles_and_other_dimensions_are_kept_apart(text, dimension, got):
    with pytest.raises(UnitError, match=r"\(" + re.escape(got) + r"\)$"):
        to_si(text, dimension)


@pytest.mark.parametrize(
    "text", ["abc", "", "km/h", "40 kmh", "nan m", "inf m", "2 m + 3 ft", "40 km/h/", "1e999 m"]
)
def test_junk_strings_are_refused(text):
    with pytest.raises(UnitError, match=r"cannot read|too large"):
        to_si(text, "speed" if "km" in text else "length")


@pytest.mark.parametrize("value", [True, False, None, [1.0], math.nan, math.inf, -math.inf])
def test_non_numbers_and_non_finite_are_refused(value):
    with pytest.raises(UnitError):
        to_si(value, "length")


def test_unknown_dimension_is_refused():
    with pytest.raises(UnitError, match="unknown dimension 'sped'"):
        to_si("40 km/h", "sped")


def test_unit_error_is_a_value_error():
    assert issubclass(UnitError, ValueError)


def test_display_units():
    assert display_unit("speed") == "km/h"
    assert display_unit("angle") == "deg"
    assert display_unit("length") == "m"
    assert display_unit("power") == "W"


def test_format_quantity():
    assert format_quantity(40 / 3.6, "speed", "km/h") == "40 km/h"
    assert format_quantity(11.1, "speed", "km/h") == "40 km/h"  # 39.96 to 3 digits
    assert format_quantity(math.pi / 60, "angle") == "3 deg"
    assert format_quantity(13_238.9775, "power", "CV") == "18 CV"
    assert format_quantity(0.5, "dimensionless") == "0.5"
    assert format_quantity(39.9288, "length", "ft", digits=4) == "131 ft"


def test_format_quantity_refuses_a_unit_of_another_dimension():
    with pytest.raises(UnitError, match='cannot show a speed in "kg", a unit of mass'):
        format_quantity(1.0, "speed", "kg")


def test_parsing_is_cached():
    to_si("123.25 km/h", "speed")
    from stuntsim.units import _string_to_si

    hits = _string_to_si.cache_info().hits
    to_si("123.25 km/h", "speed")
    assert _string_to_si.cache_info().hits == hits + 1
