"""The building blocks of every scenario schema: strict models, quantities with units,
names, points and polylines, and the limits on what a file may hold.

Quantities may carry units (``"40 km/h"``, ``"2.97 m"``); they are converted to SI here, by
:mod:`stuntsim.units`, and nowhere else. Bare numbers are SI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from stuntsim.polygons import self_intersection
from stuntsim.units import UnitError, display_unit, to_si


@dataclass(frozen=True)
class Dim:
    """Marker in a field's metadata: the physical dimension of a quantity field."""

    name: str


def convert_quantity(dimension: str, value: Any) -> float:
    try:
        return to_si(value, dimension)
    except UnitError as err:
        raise ValueError(str(err)) from None


def Quantity(dimension: str, description: str, **bounds: float) -> Any:
    """A float field given as a bare SI number or a string with a unit, bounded in SI."""
    example = {
        "length": "2.97 m",
        "speed": "40 km/h",
        "acceleration": "3.4 m/s^2",
        "time": "0.2 s",
        "mass": "620 kg",
        "angle": "15 deg",
        "angular_rate": "60 deg/s",
        "force": "2500 N",
        "power": "13 kW",
        "inertia": "500 kg*m^2",
        "area": "0.5 m^2",
        "stiffness_per_angle": "20000 N/rad",
        "frequency": "0.5 Hz",
        "dimensionless": "0.5",
    }.get(dimension, "")
    schema = {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "description": f'a number with a unit, e.g. "{example}"'},
        ],
        "description": f"{description} [{display_unit(dimension)}; SI if a bare number]",
    }
    return Annotated[
        float,
        Dim(dimension),
        BeforeValidator(partial(convert_quantity, dimension)),
        Field(description=description, **bounds),
        WithJsonSchema(schema),
    ]


Length = partial(Quantity, "length")


Speed = partial(Quantity, "speed")


Time = partial(Quantity, "time")


Angle = partial(Quantity, "angle")


Friction = partial(Quantity, "dimensionless")


#: Limits on a scenario file, far above any real scenario (the shipped ones: ≤ 12 KB, depth
#: ≤ 7, ≤ 1,500 values, names ≤ 60 characters) and far below what exhausts a machine: a
#: 7 KB file of nested YAML aliases can expand to 10⁹ values, and 500 nested brackets
#: overflow the YAML composer's recursion.
MAX_FILE_BYTES = 1_000_000


MAX_NESTING = 32  # mappings and lists inside each other


MAX_VALUES = 100_000  # values after YAML aliases are expanded


MAX_TEXT = 10_000  # characters in one value


MAX_NAME = 120  # characters in a name (it goes into titles, tables and file cells)


class Strict(BaseModel):
    """Base of every scenario model: a typo in YAML is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_TEXT)


#: Bounds of a run, shared by scenario files, the command line and the Python API: 10⁸
#: takes is the largest run a file may ask for (a study beyond it is run in parts);
#: a seed is a 63-bit non-negative integer (numpy's SeedSequence takes more, but JSON
#: readers and other tools keep 64-bit signed integers).
MAX_SAMPLES = 100_000_000


MAX_SEED = 2**63 - 1


#: A name: of the stunt, a building, a person, a variant… (it goes into titles and tables)
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


#: Coordinates of a scene stay within 50 km of its origin (a stunt set is at most a few
#: kilometres across; the distance grids and figures are built over the scene, and a
#: point at 1e200 m would otherwise validate and then mean nothing).
MAX_COORDINATE = 50_000.0


#: Points in one polygon or polyline (the shipped scenarios use at most ~200, an arc
#: face becomes one vertex per 2°; the simple-polygon check compares every pair of edges).
MAX_POINTS = 2_000


#: Total length of a course (a rehearsed line, a face or an edge drawn as segments).
MAX_COURSE_LENGTH = 20_000.0


Coordinate = Annotated[
    float,
    Field(allow_inf_nan=False, ge=-MAX_COORDINATE, le=MAX_COORDINATE),
]


Point = Annotated[
    tuple[Coordinate, Coordinate],
    Field(description="A point [x, y] in metres, world frame (x east, y north)"),
]


#: A closed outline or an open polyline: 2 … MAX_POINTS points (a polygon needs 3).
Points = Annotated[list[Point], Field(min_length=2, max_length=MAX_POINTS)]


def repeated_names(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted (for "names must be unique" errors)."""
    return sorted({name for name in names if names.count(name) > 1})


def check_polygon(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A simple polygon: at least 3 finite points, a non-zero area, no repeated
    consecutive point, and no two edges that cross, touch or fold back on each other
    (a self-intersecting outline has no well-defined inside, so distances and
    "inside a building" would be wrong)."""
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("polygon coordinates must be finite numbers")
    area = 0.5 * sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
    )
    if abs(area) < 1e-6:
        raise ValueError("polygon has zero area")
    problem = self_intersection(points)
    if problem:
        raise ValueError(f"the polygon is not simple: {problem}; draw its outline once "
                         f"around, without crossing itself (split it into two polygons if "
                         f"needed)")
    return points


class Course(Strict):
    """An open polyline drawn like the rehearsed line: a start pose and straight/arc
    segments (for a road edge or a face that follows a bend). Arcs become vertices on the
    arc every 2° at most (a chord 15 m out sits within 2.3 mm of the arc)."""

    start: Point
    heading: Angle("Heading at the start, from +x anticlockwise", ge=-7, le=7) = 0.0
    segments: list[Segment] = Field(min_length=1, max_length=MAX_POINTS)

    @model_validator(mode="after")
    def _bounded(self) -> Course:
        total = sum(seg.length for seg in self.segments)
        if total > MAX_COURSE_LENGTH:
            raise ValueError(f"the segments add up to {total / 1000:.4g} km; a course may be "
                             f"at most {MAX_COURSE_LENGTH / 1000:g} km long")
        return self

    def points(self, max_turn: float = math.radians(2.0)) -> list[tuple[float, float]]:
        x, y = (float(v) for v in self.start)
        heading = self.heading
        out = [(x, y)]
        for seg in self.segments:
            if seg.straight is not None:
                x += seg.straight * math.cos(heading)
                y += seg.straight * math.sin(heading)
                out.append((x, y))
                continue
            radius, angle = seg.arc.radius, seg.arc.angle
            side = math.copysign(1.0, angle)
            cx, cy = x - side * radius * math.sin(heading), y + side * radius * math.cos(heading)
            pieces = max(1, math.ceil(abs(angle) / max_turn))
            for k in range(1, pieces + 1):
                h = heading + angle * k / pieces
                out.append((cx + side * radius * math.sin(h), cy - side * radius * math.cos(h)))
            heading += angle
            x, y = out[-1]
        return out


def polyline(value: list | Course) -> list[tuple[float, float]]:
    """The vertices of a face or edge given as points or as a :class:`Course`."""
    return value.points() if isinstance(value, Course) else [tuple(p) for p in value]


def polygon_or_line(model: BaseModel, line: str, side: str, order: tuple[str, str]) -> None:
    """Exactly one of ``polygon`` and the open polyline ``line`` (points or a course); a
    polyline needs at least 2 points and its ``side``. ``order`` words the first message."""
    polygon, points = model.polygon, getattr(model, line)
    if (polygon is None) == (points is None):
        raise ValueError(f"give exactly one of '{order[0]}' or '{order[1]}'")
    if polygon is not None:
        check_polygon(list(polygon))
    if points is not None:
        if len(polyline(points)) < 2:
            raise ValueError(f"{article(line)} {line} needs at least 2 points")
        if getattr(model, side) is None:
            raise ValueError(f"{article(line)} '{line}' needs '{side}: left|right'")


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class Arc(Strict):
    radius: Length("Arc radius", gt=0.5, le=10000)
    angle: Angle("Turned angle, positive to the left", ge=-6.3, le=6.3)

    @field_validator("angle")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("an arc must turn (angle ≠ 0)")
        return value


class Segment(Strict):
    straight: Length("Straight length", gt=0, le=10000) | None = None
    arc: Arc | None = None

    @model_validator(mode="after")
    def _one(self) -> Segment:
        if (self.straight is None) == (self.arc is None):
            raise ValueError("a segment is exactly one of 'straight' or 'arc'")
        return self

    @property
    def length(self) -> float:
        """Arc length of the segment [m]."""
        if self.straight is not None:
            return self.straight
        return abs(self.arc.radius * self.arc.angle)


def dimension_of(field) -> str:
    for item in field.metadata:
        if isinstance(item, Dim):
            return item.name
    return "dimensionless"


def model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as ``list[Model]`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = model_in(arg)
        if found is not None:
            return found
    return None
