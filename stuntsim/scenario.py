"""The scenario file: a strict pydantic schema, SI units inside, and readable errors.

A scenario states the planned (nominal) stunt and, under ``uncertain``, how reality may
deviate from it: each entry is a dotted path into the scenario and a distribution that is
centred on the nominal value unless it gives its own location (DESIGN.md, principle 6).

Quantities may carry units (``"40 km/h"``, ``"2.97 m"``); they are converted to SI here, by
:mod:`stuntsim.units`, and nowhere else. Bare numbers are SI. YAML is read with
``yaml.SafeLoader`` only (plain data, no Python tags), and a key given twice is an error.

This module is data and validation: it imports no model.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import scipy.special
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from stuntsim.errors import ScenarioError
from stuntsim.presets import VEHICLE_PRESETS
from stuntsim.risk.distributions import (
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from stuntsim.units import UnitError, display_scale, display_unit, to_si

__all__ = [
    "CarScenario",
    "ResolvedScenario",
    "ScenarioBase",
    "ScenarioError",
    "describe_path",
    "load_scenario",
    "parse_scenario",
    "scenario_json_schema",
    "scenario_kinds",
]


# --------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """Marker in a field's metadata: the physical dimension of a quantity field."""

    name: str


def _convert(dimension: str, value: Any) -> float:
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
        BeforeValidator(partial(_convert, dimension)),
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


Point = Annotated[
    tuple[float, float],
    Field(description="A point [x, y] in metres, world frame (x east, y north)"),
]


def repeated_names(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted (for "names must be unique" errors)."""
    return sorted({name for name in names if names.count(name) > 1})


def _check_polygon(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
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
    return points


# --------------------------------------------------------------------------------------
# Vehicle
# --------------------------------------------------------------------------------------


class Vehicle(Strict):
    """A named preset with per-field overrides (SI, or with units)."""

    preset: Literal["fiat_500_nuova"] = Field(description="Named vehicle preset")
    mass: Quantity("mass", "Total mass incl. driver and rig", gt=50, le=5000) = None
    yaw_inertia: Quantity("inertia", "Yaw moment of inertia", gt=1, le=20000) = None
    cg_to_front: Length("CG to front axle, a", gt=0.1, le=4) = None
    cg_to_rear: Length("CG to rear axle, b", gt=0.1, le=4) = None
    cg_height: Length("CG height above ground", gt=0.1, le=2.5) = None
    track_width: Length("Track width (mean of front and rear)", gt=0.5, le=2.5) = None
    length: Length("Body length", gt=1, le=8) = None
    width: Length("Body width", gt=0.5, le=3) = None
    front_overhang: Length("Front bumper ahead of the front axle", ge=0, le=2) = None
    cornering_stiffness_front: Quantity(
        "stiffness_per_angle", "Front axle cornering stiffness", gt=1000, le=500000
    ) = None
    cornering_stiffness_rear: Quantity(
        "stiffness_per_angle", "Rear axle cornering stiffness", gt=1000, le=500000
    ) = None
    max_steer: Angle("Road-wheel steering lock", gt=0, le=1.2) = None
    max_steer_rate: Quantity(
        "angular_rate", "Road-wheel steering rate limit", gt=0, le=20
    ) = None
    steer_time_constant: Time("Steering actuator time constant", gt=0, le=1) = None
    max_drive_force: Quantity("force", "Tractive force limit (rear axle)", ge=0, le=50000) = None
    max_drive_power: Quantity("power", "Engine power at the wheels", ge=0, le=2e6) = None
    max_brake_force: Quantity("force", "Brake system force capacity", gt=0, le=100000) = None
    brake_front_share: Friction("Brake balance: front share", ge=0, le=1) = None
    drag_area: Quantity("area", "Aerodynamic drag area Cd·A", ge=0, le=10) = None
    rolling_resistance: Friction("Rolling resistance coefficient", ge=0, le=0.2) = None
    locked_friction_ratio: Friction(
        "Locked-wheel (sliding) friction over peak friction, μ_sliding/μ_peak", ge=0.3, le=1
    ) = None
    top_speed: Speed("Top speed of the car", gt=1, le=120) = None
    roll_gyration_radius: Length("Roll radius of gyration about the CG", gt=0.05, le=2) = None
    eye_forward: Length(
        "Driver's eye ahead of the CG (car frame x; behind: negative)", ge=-3, le=3) = None
    eye_left: Length(
        "Driver's eye left of the car's centre line (car frame y; right: negative)",
        ge=-1.5, le=1.5) = None
    eye_height: Length("Driver's eye above the road (car frame z)", gt=0.3, le=4) = None

    def resolved(self) -> dict[str, float]:
        """Preset values with this file's overrides applied (SI)."""
        values = {key: item.value for key, item in VEHICLE_PRESETS[self.preset].items()}
        for key in type(self).model_fields:
            if key != "preset" and getattr(self, key) is not None:
                values[key] = getattr(self, key)
        return values


# --------------------------------------------------------------------------------------
# Camera rig
# --------------------------------------------------------------------------------------

Point3 = Annotated[
    tuple[float, float, float],
    Field(description="A point [x, y, z] in metres in the car frame: x forward, y left, "
          "z up, origin on the road below the car's centre of gravity"),
]
Size3 = Annotated[
    tuple[float, float, float],
    Field(description="Box extents [length along x, width along y, height along z] in "
          "metres"),
]


class RigMount(Strict):
    """One camera (with its mount) strapped to the car: a box or an upright cylinder in the
    car frame, with its mass. Where it sits decides what the driver cannot see; its mass
    and height change the car's mass, yaw inertia and CG height."""

    name: Name
    location: Literal["hood", "door_left", "door_right", "roof", "front_bumper", "rear",
                      "other"] = Field(description="Where on the car the mount is")
    shape: Literal["box", "cylinder"] = "box"
    position: Point3 = Field(description="Centre of the box or cylinder, car frame [m]")
    size: Size3 | None = Field(None, description="Box extents [m] (shape: box)")
    radius: Length("Cylinder radius (shape: cylinder)", gt=0, le=2) = None
    height: Length("Cylinder height (shape: cylinder)", gt=0, le=3) = None
    mass: Quantity("mass", "Mass of camera, mount and arm together", ge=0, le=500)
    present: bool = Field(True, description="Whether this mount is on the car")

    @model_validator(mode="after")
    def _shape_fields(self) -> RigMount:
        if self.shape == "box":
            if self.size is None or self.radius is not None or self.height is not None:
                raise ValueError("a box mount takes 'size' [length, width, height] and no "
                                 "'radius' or 'height'")
            if not all(math.isfinite(v) and 0 < v <= 5 for v in self.size):
                raise ValueError(f"size must be three lengths in (0, 5] m, got {self.size}")
            bottom = self.position[2] - 0.5 * self.size[2]
        else:
            if self.radius is None or self.height is None or self.size is not None:
                raise ValueError("a cylinder mount takes 'radius' and 'height' and no 'size'")
            bottom = self.position[2] - 0.5 * self.height
        if not all(math.isfinite(v) and abs(v) <= 10 for v in self.position):
            raise ValueError(f"position must be three finite lengths within 10 m of the car, "
                             f"got {self.position}")
        if bottom < 0:
            raise ValueError(f"reaches {-bottom:.2f} m below the road (position z minus "
                             f"half its height)")
        return self

    def contains(self, point: tuple[float, float, float]) -> bool:
        """Whether a car-frame point [m] lies inside the mount."""
        dx, dy, dz = (p - c for p, c in zip(point, self.position, strict=True))
        if self.shape == "box":
            return all(abs(d) <= 0.5 * s for d, s in zip((dx, dy, dz), self.size, strict=True))
        return math.hypot(dx, dy) <= self.radius and abs(dz) <= 0.5 * self.height


class Rig(Strict):
    """The camera rig: mounts on the car (none by default)."""

    present: bool = Field(True, description="Whether the rig is on the car at all (a "
                          "variant may take it off: 'rig.present: false')")
    mounts: list[RigMount] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Rig:
        names = [m.name for m in self.mounts]
        duplicates = repeated_names(names)
        if duplicates:
            raise ValueError(f"mount names must be unique, repeated: {duplicates}")
        return self

    def active_mounts(self) -> list[RigMount]:
        """The mounts on the car in this configuration."""
        return [m for m in self.mounts if m.present] if self.present else []


# --------------------------------------------------------------------------------------
# Street
# --------------------------------------------------------------------------------------


class Surface(Strict):
    name: Name = Field(description="What the surface is, e.g. 'dry sampietrini'")
    mu: Friction("Peak tyre-road friction coefficient", gt=0.02, le=1.5)


class Course(Strict):
    """An open polyline drawn like the rehearsed line: a start pose and straight/arc
    segments (for a road edge or a face that follows a bend). Arcs become vertices on the
    arc every 2° at most (a chord 15 m out sits within 2.3 mm of the arc)."""

    start: Point
    heading: Angle("Heading at the start, from +x anticlockwise", ge=-7, le=7) = 0.0
    segments: list[Segment] = Field(min_length=1)

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


def _polygon_or_line(model: BaseModel, line: str, side: str, order: tuple[str, str]) -> None:
    """Exactly one of ``polygon`` and the open polyline ``line`` (points or a course); a
    polyline needs at least 2 points and its ``side``. ``order`` words the first message."""
    polygon, points = model.polygon, getattr(model, line)
    if (polygon is None) == (points is None):
        raise ValueError(f"give exactly one of '{order[0]}' or '{order[1]}'")
    if polygon is not None:
        _check_polygon(list(polygon))
    if points is not None:
        if len(polyline(points)) < 2:
            raise ValueError(f"{_article(line)} {line} needs at least 2 points")
        if getattr(model, side) is None:
            raise ValueError(f"{_article(line)} '{line}' needs '{side}: left|right'")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class Building(Strict):
    """A building: a closed polygon, or a face (open polyline) with the solid on one side."""

    name: Name
    polygon: list[Point] | None = Field(None, description="Closed outline, metres")
    face: list[Point] | Course | None = Field(
        None, description="Open polyline of the building face (points, or start + segments)"
    )
    solid_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the face (walking along it) is the building"
    )

    @model_validator(mode="after")
    def _one_shape(self) -> Building:
        _polygon_or_line(self, "face", "solid_side", ("polygon", "face"))
        return self


class RockFace(Building):
    """A rock face or cutting beside the road (a solid that never gives way): a closed
    polygon, or a face (open polyline) with the rock on one side."""


class Drop(Strict):
    """Where the ground ends: a road edge with a fall beyond it.

    Give the edge as an open polyline and the side the void is on (walking along the edge),
    or the void as a closed polygon whose boundary along the road is the edge.
    """

    name: Name
    edge: list[Point] | Course | None = Field(
        None, description="Open polyline of the road edge (points, or start + segments)"
    )
    drop_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the edge (walking along it) the ground falls away"
    )
    polygon: list[Point] | None = Field(None, description="The void beyond the edge, metres")
    height: Length("Height of the fall from the road edge to where it stops", gt=0, le=3000)

    @model_validator(mode="after")
    def _one_shape(self) -> Drop:
        _polygon_or_line(self, "edge", "drop_side", ("edge", "polygon"))
        return self


CONTAINMENT_LEVELS = ("T1", "T2", "T3", "N1", "N2", "H1", "H2", "H3", "H4a", "H4b")


class Barrier(Strict):
    """A parapet, guard rail or low wall that holds an impact up to its containment limit.

    The limit is an impact severity ISe = ½ m (v sin θ)² (EN 1317-2): give it as an energy
    (``containment_energy: 20 kJ``) or as an EN 1317 containment level (``N1`` = 43 kJ,
    ``N2`` = 82 kJ, ``H1`` = 127 kJ, …). ``present: false`` takes the barrier away (a
    variant can put it in: ``street.barriers.<name>.present: true``).
    """

    name: Name
    face: list[Point] | Course | None = Field(
        None, description="Open polyline of the road-side face (points, or start + segments)"
    )
    solid_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the face (walking along it) the barrier is on"
    )
    polygon: list[Point] | None = Field(None, description="The barrier's footprint, metres")
    thickness: Length("Thickness behind the face", gt=0.02, le=5) = 0.4
    containment_energy: Quantity(
        "energy", "Impact severity the barrier holds, ½ m (v sin θ)²", gt=0, le=1e8
    ) = None
    containment_level: Literal[CONTAINMENT_LEVELS] | None = Field(  # type: ignore[valid-type]
        None, description="EN 1317-2 containment level instead of an energy"
    )
    present: bool = Field(True, description="Whether the barrier is installed")

    @model_validator(mode="after")
    def _one_shape(self) -> Barrier:
        _polygon_or_line(self, "face", "solid_side", ("face", "polygon"))
        if (self.containment_energy is None) == (self.containment_level is None):
            raise ValueError("give exactly one of 'containment_energy' or 'containment_level'")
        return self

    def containment(self) -> float:
        """The impact severity it holds [J]."""
        if self.containment_energy is not None:
            return self.containment_energy
        from stuntsim.geometry import EN1317_CONTAINMENT

        return EN1317_CONTAINMENT[self.containment_level]


class Rectangle(Strict):
    center: Point
    length: Length("Length along the heading", gt=0, le=30)
    width: Length("Width across the heading", gt=0, le=10)
    heading: Angle("Heading of the long axis, from +x anticlockwise", ge=-7, le=7) = 0.0


class Obstacle(Strict):
    """A solid obstacle: a rectangle (a parked car) or a polygon."""

    name: Name
    rectangle: Rectangle | None = None
    polygon: list[Point] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Obstacle:
        if (self.rectangle is None) == (self.polygon is None):
            raise ValueError("give exactly one of 'rectangle' or 'polygon'")
        if self.polygon is not None:
            _check_polygon(list(self.polygon))
        return self


class Kerb(Strict):
    """A raised edge (pavement, step) that can trip a car sliding sideways into it."""

    name: Name
    polygon: list[Point]
    height: Length("Kerb height", gt=0.02, le=0.5) = 0.12

    _poly = field_validator("polygon")(_check_polygon)


class Person(Strict):
    name: Name
    role: Literal["crew", "bystander", "performer", "marshal"] = "crew"
    position: Point
    radius: Length("Radius of the upright circle around the person", gt=0.1, le=1.5) = 0.3


class SteppingOut(Strict):
    """A person who steps out into the street during the run (from a doorway, an alley or
    from behind a corner) and walks in a straight line at a steady speed, then stands."""

    name: Name
    role: Literal["crew", "bystander", "performer", "marshal"] = "crew"
    start: Point = Field(description="Where the person stands before stepping out [m]")
    heading: Angle("Direction the person walks (0: east / +x, 90 deg: north / +y)",
                   ge=-7, le=7)
    start_time: Time("When the person steps out, from the start of the run", ge=0, le=600)
    walking_speed: Speed("Walking speed", gt=0.1, le=8) = 1.4
    walk_distance: Length("How far the person walks before stopping", gt=0, le=100) = 8.0
    radius: Length("Radius of the upright cylinder around the person", gt=0.1, le=1.0) = 0.25
    height: Length(
        "Height of the person (a standing adult about 1.7 m, a child or a crouching crew "
        "member about 1 m)", gt=0.3, le=2.5) = 1.7


class SurfacePatch(Strict):
    name: Name = Field(description="e.g. 'wet patch by the nasone'")
    polygon: list[Point]
    mu: Friction("Peak friction on this patch", gt=0.02, le=1.5)

    _poly = field_validator("polygon")(_check_polygon)


class Street(Strict):
    surface: Surface = Field(description="The surface everywhere outside the patches")
    gradient: Friction(
        "Grade of the road along the rehearsed line, rise over run, positive uphill in the "
        "direction of travel (e.g. '8 %')", ge=-0.4, le=0.4,
    ) = 0.0
    buildings: list[Building] = Field(default_factory=list)
    rock_faces: list[RockFace] = Field(default_factory=list)
    obstacles: list[Obstacle] = Field(default_factory=list)
    kerbs: list[Kerb] = Field(default_factory=list)
    drops: list[Drop] = Field(default_factory=list)
    barriers: list[Barrier] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    people_stepping_out: list[SteppingOut] = Field(
        default_factory=list,
        description="People who step out into the street during the run: the driver must "
        "see them (past buildings and the camera rig), react and brake",
    )
    surfaces: list[SurfacePatch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Street:
        if not (self.buildings or self.rock_faces or self.obstacles or self.drops
                or self.barriers):
            raise ValueError(
                "the street has no buildings, rock faces, obstacles, drops or barriers: "
                "nothing can go wrong"
            )
        names = [item.name for group in (self.buildings, self.rock_faces, self.obstacles,
                                          self.kerbs, self.drops, self.barriers,
                                          self.people, self.people_stepping_out,
                                          self.surfaces) for item in group]
        duplicates = repeated_names(names)
        if duplicates:
            raise ValueError(f"names must be unique in the street, repeated: {duplicates}")
        return self


# --------------------------------------------------------------------------------------
# Manoeuvre
# --------------------------------------------------------------------------------------


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


class Line(Strict):
    """The rehearsed line: a polyline, or a start pose and straight/arc segments."""

    points: list[Point] | None = Field(None, description="Polyline of the line, metres")
    start: Point | None = None
    heading: Angle("Heading at the start, from +x anticlockwise", ge=-7, le=7) = 0.0
    segments: list[Segment] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Line:
        if self.points is not None:
            if self.segments is not None or self.start is not None:
                raise ValueError("give either 'points' or 'start' + 'segments', not both")
            if len(self.points) < 2:
                raise ValueError("a line needs at least 2 points")
        else:
            if self.segments is None or self.start is None:
                raise ValueError("give either 'points' or 'start' + 'segments'")
            if not self.segments:
                raise ValueError("'segments' is empty")
        return self


class Maneuver(Strict):
    """The rehearsed line and the speed plan along it (arc length s from the line start)."""

    line: Line
    entry_speed: Speed("Speed when the car starts on the line", gt=0, le=120)
    braking_point: Length("Arc length at which braking for the corner starts", ge=0) = None
    corner_speed: Speed("Planned speed through the corner", gt=0, le=120) = None
    corner_start: Length("Arc length where the corner begins (default: first arc)", ge=0) = None
    corner_end: Length("Arc length where the corner ends (default: end of the arcs)", ge=0) = None
    exit_speed: Speed("Speed after the corner", ge=0, le=120) = None
    exit_acceleration: Quantity(
        "acceleration", "Planned acceleration from the corner to the exit speed", gt=0, le=10
    ) = 1.5
    sideslip_limit: Angle(
        "Sideslip beyond which control is lost (a planned drift states a larger one)",
        gt=0,
        le=1.6,
    ) = math.radians(15.0)

    @model_validator(mode="after")
    def _plan(self) -> Maneuver:
        if (self.braking_point is None) != (self.corner_speed is None):
            raise ValueError("'braking_point' and 'corner_speed' go together")
        return self


class Driver(Strict):
    """Path-tracking driver: pure pursuit with preview, a speed controller, a delay."""

    reaction_delay: Time("Delay between what the driver sees and the car's command", ge=0,
                         le=3) = 0.2
    preview_time: Time("Pure-pursuit look-ahead time", gt=0, le=5) = 0.7
    min_preview: Length("Minimum look-ahead distance", gt=0.2, le=50) = 3.0
    steering_gain: Friction("Multiplier on the pure-pursuit steering command", gt=0, le=3) = 1.0
    countersteer_gain: Friction(
        "Steering added per radian of sideslip (catching a slide)", ge=0, le=3) = 0.8
    line_offset: Length(
        "How far left of the rehearsed line the driver actually aims (right: negative)",
        ge=-5, le=5) = 0.0
    steering_bias: Angle("Constant road-wheel steering error", ge=-0.3, le=0.3) = 0.0
    steering_weave_amplitude: Angle("Amplitude of a slow steering weave", ge=0, le=0.3) = 0.0
    steering_weave_frequency: Quantity(
        "frequency", "Frequency of the steering weave", ge=0, le=5) = 0.5
    steering_weave_phase: Angle("Phase of the steering weave", ge=-7, le=7) = 0.0
    speed_gain: Quantity("frequency", "Speed-error feedback gain [1/s]", gt=0, le=20) = 2.0
    expected_mu: Friction(
        "The grip the driver believes the surface has (default: the street surface's μ)",
        gt=0.02, le=1.5) = None
    grip_use: Friction(
        "Share of the believed grip the driver uses for braking and throttle in a turn",
        gt=0, le=1.2) = 0.85
    speed_preview: Time("How far ahead the driver reads the speed plan", ge=0, le=3) = 0.4
    perception_reaction_time: Time(
        "From first sight of a person stepping out to full braking (perception, decision "
        "and foot to the pedal)", gt=0, le=5) = 1.0
    evasion: Literal["brake", "brake_and_swerve"] = Field(
        "brake", description="What the driver does on detecting a person stepping out: "
        "full braking (wheels may lock: no ABS), or braking within the grip the driver "
        "believes in while steering away from the person's side")
    swerve_offset: Length(
        "How far sideways the driver steers away from the person when swerving", ge=0,
        le=5) = 1.0


class Simulation(Strict):
    time_step: Time("Integration step", gt=1e-4, le=0.05) = 0.01
    duration: Time("Simulated time", gt=0.1, le=600)
    chunk_blocks: int = Field(
        1, strict=True, ge=1, le=256,
        description="Seeding blocks (4096 samples each) per execution chunk"
    )
    keep_trajectories: int = Field(
        40, strict=True, ge=0, le=1000,
        description="Trajectories kept for plots (plus the worst ones)"
    )
    near_miss: Length("Clearance counted as a near miss", ge=0, le=5) = 0.3


# --------------------------------------------------------------------------------------
# Uncertain parameters
# --------------------------------------------------------------------------------------

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

# Angles written as bare numbers in distribution parameters are radians (SI), like elsewhere.

# --------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------


class ScenarioBase(Strict):
    """What every kind of stunt scenario has: a name, the sampling plan, the uncertain
    inputs and the named variants. A kind adds its own fields and ``kind: Literal[...]``."""

    name: Name = Field(description="Short title of the stunt")
    description: str = ""
    samples: int = Field(ge=1, le=MAX_SAMPLES, strict=True,
                         description="Default Monte Carlo sample count")
    seed: int = Field(ge=0, le=MAX_SEED, strict=True, description="Root seed of all random draws")
    takes: int = Field(
        1, strict=True, ge=1, le=10_000,
        description="Planned takes, rehearsals included (risk over the shoot: 1 − (1 − p)^N)",
    )
    uncertain: dict[str, DistributionSpec] = Field(default_factory=dict)
    variants: dict[str, dict[str, bool | Number]] = Field(
        default_factory=dict,
        description="Named mitigations: each maps dotted paths to new planned values "
        "(e.g. {'slower corner': {'maneuver.corner_speed': '15 km/h'}}) or switches "
        "({'parapet': {'street.barriers.parapet.present': true}}); compared with "
        "the baseline on common random numbers by `stuntsim compare FILE`",
    )

    @model_validator(mode="after")
    def _uncertain_paths_resolve(self) -> ScenarioBase:
        leaves = numeric_leaves(self)
        switches = switch_leaves(self)
        for name, changes in self.variants.items():
            if not 1 <= len(name) <= MAX_NAME:
                raise ValueError(f"variants: a variant's name must be 1–{MAX_NAME} characters, "
                                 f"got {len(name)}")
            if not changes:
                raise ValueError(f"variants.{name}: changes nothing")
            for path, value in changes.items():
                if path in switches:
                    if not isinstance(value, bool):
                        raise ValueError(
                            f"variants.{name}.{path}: is a switch, give true or false, "
                            f"got {value!r}"
                        )
                    continue
                if isinstance(value, bool):
                    raise ValueError(
                        f"variants.{name}.{path}: true/false is only for switches such as "
                        f"'street.barriers.<name>.present' or 'rig.present'"
                    )
                if path not in leaves:
                    close = difflib.get_close_matches(path, [*leaves, *switches], n=1,
                                                      cutoff=0.6)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise ValueError(
                        f"variants.{name}.{path}: names no numeric field of the scenario{hint}"
                    )
                try:
                    moved = _convert(leaves[path][1], value)
                except ValueError as err:
                    raise ValueError(f"variants.{name}.{path}: {err}") from None
                spec = self.uncertain.get(path)
                if spec is not None and moved != leaves[path][0]:
                    convert = partial(_convert, leaves[path][1])
                    if spec.build(leaves[path][0], convert) == spec.build(moved, convert):
                        raise ValueError(
                            f"variants.{name}.{path}: its distribution in `uncertain` gives "
                            f"its own location, so moving the planned value changes "
                            f"nothing; state the spread around the nominal instead "
                            f"(e.g. `half_width` or `sd` without `low`/`high`/`mean`)"
                        )
        for path, spec in self.uncertain.items():
            if path not in leaves:
                raise _path_error(path, leaves)
            nominal, dimension = leaves[path]
            try:
                dist = spec.build(nominal, partial(_convert, dimension))
            except ValueError as err:
                raise ValueError(f"uncertain.{path}: {err}") from None
            problem = _clamps_the_plan(dist, nominal)
            if problem:
                raise ValueError(
                    f"uncertain.{path}: {problem} (planned value "
                    f"{_show(nominal, dimension)}, distribution {_show_dist(dist, dimension)}): "
                    f"the planned value would have no effect; move the bounds or the value"
                )
        return self


#: A truncated distribution must keep at least this share of the law it truncates: below
#: it the bounds, not the stated spread, decide the draws (a normal with sd 10 cut to
#: [0.3, 0.7] is a uniform in disguise). A half-normal (mean on a bound) keeps exactly 1/2.
MIN_KEPT_MASS = 0.5


def _clamps_the_plan(dist: Distribution, nominal: float) -> str | None:
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


class CarScenario(ScenarioBase):
    """A car stunt: a vehicle on a rehearsed line through a street."""

    kind: Literal["car"]
    vehicle: Vehicle
    rig: Rig = Field(default_factory=lambda: Rig(),
                     description="Cameras and mounts strapped to the car")
    street: Street
    maneuver: Maneuver
    driver: Driver = Field(default_factory=Driver)
    simulation: Simulation

    @model_validator(mode="after")
    def _eye_outside_mounts(self) -> CarScenario:
        values = self.vehicle.resolved()
        eye = (values["eye_forward"], values["eye_left"], values["eye_height"])
        for mount in self.rig.mounts:
            if mount.contains(eye):
                raise ValueError(
                    f"rig.mounts.{mount.name}: encloses the driver's eye at {eye} m "
                    f"(car frame): the driver would see nothing"
                )
        return self


def scenario_kinds() -> dict[str, type[ScenarioBase]]:
    """Every kind of scenario by its ``kind`` value. The train kind lives with its model in
    :mod:`stuntsim.train.scenario` and is imported here on first use (it builds on this
    module)."""
    from stuntsim.train.scenario import TrainScenario

    return {"car": CarScenario, "train": TrainScenario}


@cache
def _adapter() -> TypeAdapter:
    union = Union[tuple(scenario_kinds().values())]  # noqa: UP007 (a runtime tuple)
    return TypeAdapter(Annotated[union, Field(discriminator="kind")])


def _path_error(path: str, leaves: Mapping[str, Any]) -> ValueError:
    close = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ValueError(f"uncertain.{path}: names no numeric field of the scenario{hint}")


def numeric_leaves(scenario: BaseModel) -> dict[str, tuple[float, str]]:
    """Every scalar quantity in a scenario: dotted path → (nominal SI value, dimension).

    Vehicle fields are listed with their preset values when not overridden, so
    ``vehicle.cg_height`` can be uncertain without being written out. List items are
    addressed by their ``name`` (or their index).
    """
    leaves: dict[str, tuple[float, str]] = {}
    for path, value, dimension in _walk(scenario, ""):
        leaves[path] = (value, dimension)
    vehicle = getattr(scenario, "vehicle", None)
    if isinstance(vehicle, Vehicle):
        fields = Vehicle.model_fields
        for key, value in vehicle.resolved().items():
            leaves[f"vehicle.{key}"] = (value, _dimension_of(fields[key]))
    return leaves


def switch_leaves(scenario: BaseModel) -> dict[str, bool]:
    """Every on/off field of a scenario (e.g. ``street.barriers.parapet.present``): dotted
    path → current value. Variants may flip them; they cannot be uncertain."""
    return {path: value for path, value, _ in _scalar_fields(scenario, "")
            if isinstance(value, bool)}


def describe_path(scenario: BaseModel, path: str) -> str:
    """A dotted path in plain words, from the schema's field descriptions.

    ``street.surfaces.wet cobbles.mu`` → "wet cobbles: peak friction on this patch".
    """
    model: Any = type(scenario)
    node: Any = scenario
    label = ""
    parts = path.split(".")
    description = None
    index = 0
    while index < len(parts):
        part = parts[index]
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return path
        field = fields[part]
        value = getattr(node, part, None) if node is not None else None
        if isinstance(value, list) and index + 1 < len(parts):
            named = [item for item in value if getattr(item, "name", None) == parts[index + 1]]
            node = named[0] if named else None
            label = parts[index + 1]
            model = _model_in(field.annotation)
            index += 2
            continue
        description = field.description
        node = value
        model = _model_in(field.annotation)
        if isinstance(value, BaseModel) and isinstance(getattr(value, "name", None), str):
            label = value.name
        index += 1
    if not description:
        return path
    lower_first = len(description) > 1 and not description[1].isupper()
    text = description[0].lower() + description[1:] if lower_first else description
    return f"{label}: {text}" if label else text


def _dimension_of(field) -> str:
    for item in field.metadata:
        if isinstance(item, Dim):
            return item.name
    return "dimensionless"


def _scalar_fields(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, value, pydantic field) of every field below ``model`` that is not a
    model or a list; list items are addressed by their ``name`` (or index); the
    ``uncertain`` section is skipped (it describes fields, it is not one)."""
    for key, field in type(model).model_fields.items():
        if key == "uncertain":
            continue
        value = getattr(model, key)
        path = f"{prefix}{key}"
        if isinstance(value, BaseModel):
            yield from _scalar_fields(value, path + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    label = getattr(item, "name", None) or str(index)
                    yield from _scalar_fields(item, f"{path}.{label}.")
        else:
            yield path, value, field


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, float, str]]:
    """The quantities (floats with a dimension) below ``model``: (path, value, dimension)."""
    for path, value, field in _scalar_fields(model, prefix):
        if isinstance(value, float) and any(isinstance(m, Dim) for m in field.metadata):
            yield path, value, _dimension_of(field)


# --------------------------------------------------------------------------------------
# Resolution: nominal values + distributions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with its parameters flattened and its distributions built.

    The validated pydantic model is ``scenario`` (quantities already SI floats); its fields
    also read through directly (``resolved.maneuver.entry_speed``).

    ``nominal`` maps every numeric dotted path to its SI value; ``distributions`` maps the
    uncertain paths to :class:`~stuntsim.risk.distributions.Distribution` objects;
    ``dimensions`` gives each path's physical dimension (for display units).
    """

    scenario: ScenarioBase
    nominal: dict[str, float]
    dimensions: dict[str, str]
    distributions: dict[str, Distribution]
    source: str
    sha256: str

    def __getattr__(self, name: str):
        # The validated model's fields read through: resolved.vehicle, resolved.street, …
        if name.startswith("__") or name == "scenario":
            raise AttributeError(name)
        return getattr(self.scenario, name)

    @property
    def uncertain_names(self) -> list[str]:
        return list(self.distributions)

    def variant(self, name: str) -> ResolvedScenario:
        """The scenario with one of its named ``variants`` applied (spreads move along)."""
        if name not in self.scenario.variants:
            raise KeyError(f"no variant {name!r}: {sorted(self.scenario.variants)}")
        resolved = self
        for path, value in self.scenario.variants[name].items():
            resolved = resolved.with_nominal(path, value)
        return resolved

    def with_nominal(self, path: str, value: float | str | bool) -> ResolvedScenario:
        """The same scenario with one nominal value moved; its spread moves with it.

        ``value`` is SI, or a string with a unit (``"40 km/h"``) as in a scenario file, or
        true/false for a switch (:func:`switch_leaves`).
        """
        data = self.scenario.model_dump(mode="python", exclude_none=True)
        _set_path(data, self.scenario, path, value)
        scenario = _validate(data, self.source)
        return resolve(scenario, source=self.source, sha256=self.sha256)


def resolve(scenario: ScenarioBase, *, source: str = "<memory>", sha256: str = "") -> (
    ResolvedScenario
):
    leaves = numeric_leaves(scenario)
    distributions = {}
    for path, spec in scenario.uncertain.items():
        nominal, dimension = leaves[path]
        distributions[path] = spec.build(nominal, partial(_convert, dimension))
    return ResolvedScenario(
        scenario=scenario,
        nominal={path: value for path, (value, _) in leaves.items()},
        dimensions={path: dim for path, (_, dim) in leaves.items()},
        distributions=distributions,
        source=source,
        sha256=sha256 or hashlib.sha256(
            scenario.model_dump_json().encode()
        ).hexdigest(),
    )


def _set_path(data: dict, scenario: BaseModel, path: str, value: float) -> None:
    parts = path.split(".")
    if parts[0] == "vehicle":
        data["vehicle"][parts[1]] = value
        return
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list):
            named = [item for item in node if item.get("name") == part]
            node = named[0] if named else node[int(part)]
        else:
            node = node[part]
    node[parts[-1]] = value


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read, validate and resolve a scenario file.

    Raises
    ------
    ScenarioError  naming the file, the field and what is wrong; never another exception
                   for a bad file.
    """
    path = Path(path)
    source = str(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("no such file", source=source) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", source=source) from None
    except OSError as err:
        raise ScenarioError(f"cannot read: {err.strerror}", source=source) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("not a text file (invalid UTF-8)", source=source) from None
    if "\x00" in text:
        raise ScenarioError("not a text file (contains NUL bytes)", source=source)
    scenario = parse_scenario(text, source=source)
    return resolve(scenario, source=source, sha256=hashlib.sha256(raw_bytes).hexdigest())


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the
    last one silently: a scenario must not say two things about one field)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class InputLimitError(ValueError):
    """A scenario file beyond :data:`MAX_FILE_BYTES`, :data:`MAX_NESTING`,
    :data:`MAX_VALUES` or :data:`MAX_TEXT`."""


def _safe_load_strict(text: str) -> Any:
    """``yaml.safe_load`` (no Python tags, only plain data) that also refuses duplicate keys
    and files beyond the input limits (checked on the event stream and the node graph,
    before anything is built: no recursion, no alias expansion)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise InputLimitError(f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InputLimitError(f"mappings and lists nest deeper than {MAX_NESTING} "
                                      f"levels (line {event.start_mark.line + 1})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT:
            raise InputLimitError(f"a value longer than {MAX_TEXT:,} characters "
                                  f"(line {event.start_mark.line + 1})")
    loader = _StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise InputLimitError(f"the file expands to more than {MAX_VALUES:,} values "
                                  f"(YAML aliases repeat what they point to)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """Values in the document once every alias is expanded (aliases share their node, so
    this counts each node once per reference, memoised: linear in the file's size)."""
    sizes: dict[int, int] = {}
    # iterative post-order walk (the nesting is bounded, but recursion is not needed)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([child for pair in node.value for child in pair]
                    if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > MAX_VALUES:
                return sizes[id(node)]
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def parse_scenario(text: str, *, source: str = "<string>") -> ScenarioBase:
    try:
        data = _safe_load_strict(text)
    except InputLimitError as err:
        raise ScenarioError(str(err), source=source) from None
    except RecursionError:  # belt and braces: MAX_NESTING stops this first
        raise ScenarioError("the file nests too deeply to read", source=source) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "malformed YAML"
        raise ScenarioError(f"invalid YAML{where}: {problem}", source=source) from None
    if data is None:
        raise ScenarioError("the file is empty", source=source)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"a scenario is a mapping of keys (kind, vehicle, street, …), "
            f"got a {type(data).__name__}",
            source=source,
        )
    return _validate(data, source)


def _validate(data: dict, source: str) -> ScenarioBase:
    kind = data.get("kind")
    kinds = scenario_kinds()
    if not isinstance(kind, str) or kind not in kinds:
        raise ScenarioError(
            f"must be one of {list(kinds)}, got {kind!r}", source=source, field="kind"
        )
    try:
        return kinds[kind].model_validate(data)
    except ValidationError as err:
        raise _readable(err, source, kinds[kind]) from None


def _readable(err: ValidationError, source: str, model: type[BaseModel]) -> ScenarioError:
    first = err.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if first["type"] == "extra_forbidden":
        message = "unknown key (not part of the scenario schema)"
    elif first["type"] == "missing":
        message = "required but missing"
    message = message.replace("Input should be", "must be")
    if first["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        dimension = _field_dimension(model, first["loc"])
        if dimension:
            message += f" {display_unit(dimension)}".rstrip()
    if "input" in first and first["type"] not in ("missing", "extra_forbidden"):
        shown = repr(first["input"])
        if (len(shown) <= 60 and not isinstance(first["input"], dict | list)
                and str(first["input"]) not in message):
            message = f"{message}, got {shown}"
    more = len(err.errors()) - 1
    if more:
        message += f" [+{more} more problem{'s' if more > 1 else ''}]"
    # A model-level error reports the offending path inside its message.
    if message.startswith(("uncertain.", "variants.")) and ":" in message:
        field, message = message.split(": ", 1)
    return ScenarioError(message, source=source, field=field)


def _field_dimension(model: Any, loc: tuple) -> str | None:
    """The physical dimension of the field at a validation-error location, if known."""
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        model = _model_in(field.annotation)
    return _dimension_of(field) if field is not None else None


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as ``list[Model]`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def scenario_json_schema() -> dict:
    """The JSON Schema of scenario files (for editors; committed as scenarios/…schema.json)."""
    schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "stuntsim scenario"
    return schema
