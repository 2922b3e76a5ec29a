"""Parametric street templates: a street written as a few numbers (widths, a radius) rather
than as polygons, so that "how narrow may the street be?" is a question stuntsim can ask
(``stuntsim envelope FILE --param street.exit_width --range "3.5 m:6 m"``).

A car scenario's ``street:`` names a template and its parameters beside the usual lists::

    street:
      template: corner
      outer_corner: [2.5, -2.5]
      entry_width: 5 m
      exit_width: 5 m
      outer_building: {name: outer corner palazzo, along_entry: 62.5 m, along_exit: 62.5 m,
                       depth: 11.5 m}
      inner_building: {name: inner corner palazzo, along_entry: 57.5 m, along_exit: 57.5 m}
      obstacles: [...]          # anything else, as in any street (world coordinates)

The parameters are ordinary scenario fields: nominal values with units, addressable as
``street.exit_width`` by ``variants``, ``envelope``, ``uncertain`` and ``sensitivity``,
and validated (positive widths, a street the car fits in; a rehearsed line that leaves
the street is warned about). Everything a template cannot express stays available beside
it as polygons.

The corner (:func:`corner_polygons`)
------------------------------------
Two streets meeting at a right angle: the car comes along the *entry* street (direction
``heading``, default east) and turns ``left`` (or ``right``) into the *exit* street. In a
frame (u, v) with its origin at the **outer corner** O — where the walls on the outside
of the turn meet — u along the direction of travel in the entry street and v toward the
turn:

* the entry street is the strip 0 ≤ v ≤ w_A (``entry_width``), u ≤ 0;
* the exit street is the strip −w_B ≤ u ≤ 0 (``exit_width``), v ≥ 0;
* the inner corner, where the walls on the inside of the turn meet, is I = (−w_B, w_A);
* the outer building is an L behind the outer walls, its faces running ``along_entry`` back
  from O and ``along_exit`` on from O, ``depth`` deep behind them:
  (−L_e, 0), (0, 0), (0, L_x), (d, L_x), (d, −d), (−L_e, −d);
* the inner building is the block behind the inner walls, from I back ``along_entry`` and
  on ``along_exit`` (an L of ``depth`` when one is given);
* ``corner_radius`` rounds a building's corner at the turn: the corner vertex becomes a
  circular arc of that radius tangent to both faces (vertices every 2°, as the arcs of a
  :class:`~stuntsim.scenario.fields.Course`).

World coordinates are x = O + u·e_u + v·e_v with e_u = (cos h, sin h) and e_v the left
(turn: left) or right normal of e_u; quarter turns of h are exact (cos 90° = 0, not
6e-17), so a street drawn along the axes is reproduced to the bit.

**What stays and what moves.** The outer walls stay where they are: the rehearsed line
keeps to them ("keep right, turn on an 8 m radius"), and the pavement and the camera
operator in the outer corner are drawn against them. A wider or narrower street moves the
*inner* building as a whole, by Δ = −Δw_B·e_u + Δw_A·e_v (its far ends included: each
building is a rigid block drawn from its own corner). Objects and people that belong to
the inner side — a car parked against the inner wall, a marshal standing by it — say
``moves_with: <inner building's name>`` and give their position *from that building's
corner* (world axes), so they move with it. Everything else keeps its world coordinates.

A coordinator asking "how narrow may the exit street be?" therefore asks it about the same
choreography: the same line beside the same outer wall, the inner corner coming closer.
A width narrower than the car is refused. A width that makes the line run through a
building is a warning at ``stuntsim validate`` and in every run, naming the widths
(:func:`~stuntsim.kinds.car.street_checks.line_notes`): the line was drawn for a wider
street, and every take that follows it collides — in an envelope over the widths that is
a probability near 1, which is the answer there ("not this narrow with this line"); move
the line, or widen the street.

The hairpin (:func:`hairpin_courses`)
-------------------------------------
(SNV 640198a via Infrastructures 2022, 7(9), 112: hairpin radii "generally between 6 and
15 m"; the cliff file's sources.)
A road that comes in along ``heading``, turns ``angle`` (default 180°) round ``center``
with its centreline on ``radius`` R, and leaves; ``entry_length`` of straight road is
modelled before the bend and ``exit_length`` after it. The road is ``road_width`` w wide,
centred on the centreline (the rehearsed line of a closed road): its inner edge on
R − w/2, its outer edge on R + w/2, and ``verge`` g of ground beyond the outer edge before
the drop. The template places the street's parts that are listed *without a shape of their
own*:

* a rock face (``rock_faces``) on the inner edge, the rock on the inside of the bend,
  5 m deep (less on a bend too tight for that: 0.9 × its radius);
* a drop (``drops``) whose edge is on R + w/2 + g, the void outside;
* each barrier (``barriers``) standing on the road's outer edge: its face on
  R + w/2 − thickness, its back on the edge.

Their other fields keep their usual paths (``street.drops.the drop.height``,
``street.barriers.<name>.present``). Each edge is a :class:`Course` — the start pose
C + ρ·n − L_e·e_h (n the outward normal of the approach leg) and three segments: straight
L_e, an arc of radius ρ through the bend's angle, straight L_x.

Take by take (``uncertain: {street.exit_width: ...}``)
------------------------------------------------------
A corner's widths may be uncertain: the inner building (and what ``moves_with`` it) is a
rigid body moved by Δ per take, and a rigid motion is queried exactly by moving the take's
footprint by −Δ against the nominal building (:mod:`stuntsim.kinds.car.moving_parts`):
dist(F, W + Δ) = dist(F − Δ, W) for a footprint F and a wall W, since distances do not
change under a common translation.
Nothing else changes with a width: the line, the outer building, the surfaces and kerbs
keep their place. The sight lines to people stepping out are drawn past the nominal
buildings, so with people stepping out the widths are not taken per take (and are
refused, :func:`stuntsim.kinds.base.unread_uncertain`). A hairpin's road width, and any
other template length (a building's extent, a corner radius, a bend's radius) are refused
as uncertain inputs: changing them reshapes a part (an arc's radius) rather than moving it,
so one geometry cannot answer every take; ``stuntsim envelope --param street.road_width``
varies them run by run instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from stuntsim.geometry import (
    Barrier,
    Drop,
    Person,
    Solid,
    barrier_from_face,
    drop_from_edge,
    rectangle,
    solid_from_face,
)
from stuntsim.scenario.fields import (
    MAX_COURSE_LENGTH,
    Angle,
    Arc,
    Course,
    Length,
    Name,
    Point,
    Segment,
    Strict,
    polyline,
)

__all__ = [
    "CORNER_FIELDS",
    "HAIRPIN_FIELDS",
    "CornerBuilding",
    "StreetParts",
    "StreetTemplate",
    "corner_polygons",
    "hairpin_courses",
    "street_parts",
    "template_offsets",
]

#: The fields of each template (besides ``template``); ``turn`` and ``heading`` are both's.
CORNER_FIELDS = ("turn", "heading", "outer_corner", "entry_width", "exit_width",
                 "outer_building", "inner_building")
HAIRPIN_FIELDS = ("turn", "heading", "center", "radius", "road_width", "verge", "angle",
                  "entry_length", "exit_length")
_REQUIRED = {
    "corner": ("outer_corner", "entry_width", "exit_width", "outer_building",
               "inner_building"),
    "hairpin": ("center", "radius", "road_width", "entry_length", "exit_length"),
}
_EXAMPLE = {
    "outer_corner": "[2.5, -2.5]", "entry_width": "5 m", "exit_width": "5 m",
    "outer_building": "{name: ..., along_entry: 60 m, along_exit: 60 m, depth: 10 m}",
    "inner_building": "{name: ..., along_entry: 55 m, along_exit: 55 m}",
    "center": "[0, 0]", "radius": "12 m", "road_width": "6 m", "entry_length": "60 m",
    "exit_length": "50 m",
}
#: Depth of a hairpin's rock behind its face [m], as for any face (:func:`solid_from_face`).
ROCK_DEPTH = 5.0
#: Line points are checked against the template's parts every this many metres.
LINE_CHECK_SPACING = 0.05


class CornerBuilding(Strict):
    """One of a corner's two buildings, drawn from its own corner at the turn."""

    name: Name
    along_entry: Length("How far the building's face runs along the entry street, back "
                        "from its corner", gt=0, le=MAX_COURSE_LENGTH)
    along_exit: Length("How far its face runs along the exit street, on from its corner",
                       gt=0, le=MAX_COURSE_LENGTH)
    depth: Length("Depth of the building behind its faces (required for the outer "
                  "building; an inner building without one is a solid block)",
                  gt=0, le=MAX_COURSE_LENGTH) = None
    corner_radius: Length("Radius of the building's corner at the turn (0: a square "
                          "corner)", ge=0, le=1000) = 0.0


class StreetTemplate(Strict):
    """The parameters of a street template (``template: corner`` or ``hairpin``); a street
    without ``template`` is drawn from its polygons alone. See
    :mod:`stuntsim.kinds.car.street_templates` for the geometry."""

    template: Literal["corner", "hairpin"] | None = Field(
        None, description="Draw the street from a template and its parameters: 'corner' "
        "(two streets at a right angle: outer_corner, entry_width, exit_width, "
        "outer_building, inner_building) or 'hairpin' (a bend on a road: center, radius, "
        "road_width, entry_length, exit_length; it places the rock faces, drops and "
        "barriers listed without a shape). Anything else is added as usual")
    turn: Literal["left", "right"] | None = Field(
        None, description="Which way the car turns (template; default left)")
    heading: Angle("Direction of travel into the template (corner: along the entry "
                   "street; hairpin: up the approach leg), from +x anticlockwise "
                   "(template; default 0)", ge=-7, le=7) = None
    outer_corner: Point | None = Field(
        None, description="Corner: where the walls on the outside of the turn meet [m]; "
        "they stay there when a width changes")
    entry_width: Length("Corner: width of the entry street, wall to wall", gt=0,
                        le=100) = None
    exit_width: Length("Corner: width of the exit street, wall to wall", gt=0, le=100) = None
    outer_building: CornerBuilding | None = Field(
        None, description="Corner: the building on the outside of the turn (an L behind "
        "the outer walls)")
    inner_building: CornerBuilding | None = Field(
        None, description="Corner: the building on the inside of the turn; it moves when a "
        "width changes")
    center: Point | None = Field(None, description="Hairpin: the centre of the bend [m]")
    radius: Length("Hairpin: radius of the road's centreline round the bend", gt=0.5,
                   le=10000) = None
    road_width: Length("Hairpin: width of the road, edge to edge, centred on the "
                       "centreline", gt=0, le=100) = None
    verge: Length("Hairpin: ground between the road's outer edge and the drop", ge=0,
                  le=100) = None
    angle: Angle("Hairpin: how far the road turns in the bend (default 180 deg)", gt=0,
                 le=6.2832) = None
    entry_length: Length("Hairpin: straight road modelled before the bend", gt=0,
                         le=MAX_COURSE_LENGTH) = None
    exit_length: Length("Hairpin: straight road modelled after the bend", gt=0,
                        le=MAX_COURSE_LENGTH) = None

    @model_validator(mode="before")
    @classmethod
    def _template_defaults(cls, data: Any) -> Any:
        """A template's optional parameters written in, so that every one of them is a
        field a study can move (``--param street.verge``)."""
        if isinstance(data, dict) and data.get("template") in _REQUIRED:
            data = dict(data)
            data.setdefault("turn", "left")
            data.setdefault("heading", 0.0)
            if data["template"] == "hairpin":
                data.setdefault("verge", 0.0)
                data.setdefault("angle", "180 deg")
        return data

    def template_names(self) -> list[str]:
        """Names of the parts the template draws that are not in the street's lists."""
        if self.template == "corner":
            return [b.name for b in (self.outer_building, self.inner_building)
                    if b is not None]
        return []

    def places_something(self) -> bool:
        """Whether the template draws anything a car can hit or fall from."""
        if self.template == "corner":
            return True
        if self.template == "hairpin":
            return any(_unplaced(item) for group in (self.rock_faces, self.drops,
                                                     self.barriers) for item in group)
        return False


# ------------------------------------------------------------------------------ geometry
def _cos_sin(angle: float) -> tuple[float, float]:
    """(cos, sin) of an angle, exact at quarter turns (cos 90° is 0, not 6e-17)."""
    quarter = round(angle / (0.5 * math.pi))
    if abs(angle - quarter * 0.5 * math.pi) < 1e-12:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[quarter % 4]
    return math.cos(angle), math.sin(angle)


@dataclass(frozen=True)
class _Frame:
    """A corner's frame: origin O (the outer corner), e_u along the entry street, e_v
    toward the turn."""

    origin: tuple[float, float]
    e_u: tuple[float, float]
    e_v: tuple[float, float]

    @classmethod
    def of(cls, origin, heading: float, turn: str) -> _Frame:
        c, s = _cos_sin(heading)
        side = 1.0 if turn == "left" else -1.0
        return cls((float(origin[0]), float(origin[1])), (c, s), (-s * side, c * side))

    def world(self, u: float, v: float) -> tuple[float, float]:
        (ux, uy), (vx, vy) = self.e_u, self.e_v
        return (self.origin[0] + (ux * u + vx * v), self.origin[1] + (uy * u + vy * v))

    def vector(self, du, dv):
        """A displacement (du, dv) in world axes (arrays broadcast)."""
        (ux, uy), (vx, vy) = self.e_u, self.e_v
        return ux * du + vx * dv, uy * du + vy * dv


def _rounded(corner: tuple[float, float], radius: float) -> list[tuple[float, float]]:
    """A corner vertex (u, v) whose faces run toward −u and +v, rounded: the arc of
    ``radius`` centred at (u − r, v + r) from (u − r, v) to (u, v + r), a vertex every 2°
    at most (as :meth:`Course.points`); the corner itself when the radius is 0."""
    u, v = corner
    if radius <= 0:
        return [corner]
    pieces = math.ceil(90 / 2)
    cu, cv = u - radius, v + radius
    inner = [(cu + radius * math.cos(t), cv + radius * math.sin(t))
             for t in (-0.5 * math.pi + 0.5 * math.pi * k / pieces for k in range(1, pieces))]
    return [(cu, v), *inner, (u, cv)]


def corner_polygons(street) -> dict[str, list[tuple[float, float]]]:
    """The corner's two buildings as world polygons, by name: the outer building first
    (module docstring: the frame, the L and the block)."""
    frame = _Frame.of(street.outer_corner, street.heading, street.turn)
    outer, inner = street.outer_building, street.inner_building
    le, lx, d = outer.along_entry, outer.along_exit, outer.depth
    outer_local = [(-le, 0.0), *_rounded((0.0, 0.0), outer.corner_radius), (0.0, lx),
                   (d, lx), (d, -d), (-le, -d)]
    iu, iv = -street.exit_width, street.entry_width
    le, lx = inner.along_entry, inner.along_exit
    if inner.depth is None:
        inner_local = [(iu - le, iv), *_rounded((iu, iv), inner.corner_radius),
                       (iu, iv + lx), (iu - le, iv + lx)]
    else:
        d = inner.depth
        inner_local = [(iu - le, iv), *_rounded((iu, iv), inner.corner_radius),
                       (iu, iv + lx), (iu - d, iv + lx), (iu - d, iv + d), (iu - le, iv + d)]
    return {outer.name: [frame.world(u, v) for u, v in outer_local],
            inner.name: [frame.world(u, v) for u, v in inner_local]}


def corner_points(street) -> dict[str, tuple[float, float]]:
    """Each corner building's corner at the turn (world), by name: the origin of the
    positions of what ``moves_with`` it."""
    frame = _Frame.of(street.outer_corner, street.heading, street.turn)
    return {street.outer_building.name: frame.world(0.0, 0.0),
            street.inner_building.name: frame.world(-street.exit_width, street.entry_width)}


@dataclass(frozen=True)
class HairpinCourses:
    """The hairpin's edges as courses: where its rock face and drop edge run, on which side
    of each (walking along it) the rock and the void are, and the course at any radius
    (:meth:`barrier`: a barrier's face)."""

    rock: Course
    rock_side: str
    drop: Course
    drop_side: str
    rock_depth: float  # [m] behind the rock face
    edge_radius: float  # [m] the road's outer edge, R + w/2
    at_radius: Callable[[float], Course]

    def barrier(self, thickness: float) -> Course:
        """The face of a barrier of ``thickness`` whose back stands on the road's edge."""
        return self.at_radius(self.edge_radius - thickness)


def _hairpin_course(center, outward, heading, radius, angle, entry_length, exit_length
                    ) -> Course:
    """A course at ``radius`` from the bend's centre: C + ρ·n − L_e·e_h, then straight
    L_e, the arc, straight L_x."""
    c, s = _cos_sin(heading)
    start = (center[0] + radius * outward[0] - entry_length * c,
             center[1] + radius * outward[1] - entry_length * s)
    return Course(start=start, heading=heading, segments=[
        Segment(straight=entry_length), Segment(arc=Arc(radius=radius, angle=angle)),
        Segment(straight=exit_length)])


def hairpin_courses(street) -> HairpinCourses:
    """The hairpin's rock face, drop edge and (through :meth:`HairpinCourses.barrier`)
    barrier faces (module docstring: radii R − w/2, R + w/2 + g, R + w/2 − thickness)."""
    c, s = _cos_sin(street.heading)
    side = 1.0 if street.turn == "left" else -1.0
    outward = (s * side, -c * side)  # from the centre to the approach leg
    angle = side * street.angle
    half = 0.5 * street.road_width
    edge = street.radius + half
    rock_radius = street.radius - half
    inner, outer = ("left", "right") if street.turn == "left" else ("right", "left")

    def course(radius):
        return _hairpin_course(street.center, outward, street.heading, radius, angle,
                               street.entry_length, street.exit_length)

    return HairpinCourses(
        rock=course(rock_radius), rock_side=inner, drop=course(edge + street.verge),
        drop_side=outer, rock_depth=min(ROCK_DEPTH, 0.9 * rock_radius), edge_radius=edge,
        at_radius=course)


def _unplaced(item) -> bool:
    """A rock face, drop or barrier listed without a shape of its own (a template places
    it)."""
    return all(getattr(item, name, None) is None for name in ("polygon", "face", "edge"))


# ------------------------------------------------------------------- the street's parts
@dataclass
class StreetParts:
    """Everything solid, every drop, barrier and standing person of a street in world
    coordinates, in the order the car model numbers them, with the template part each one
    moves with take by take (None: it stays)."""

    solids: list[Solid] = field(default_factory=list)
    solid_parts: list[str | None] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    barriers: list[Barrier] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    person_parts: list[str | None] = field(default_factory=list)
    #: the parts that move when a width changes (a corner's inner building)
    moving: tuple[str, ...] = ()


def street_parts(street) -> StreetParts:
    """The street's parts from its template (if any) and its lists, world coordinates.

    Order (the car model's numbering of what was hit): the template's buildings, the
    listed buildings, the rock faces, the obstacles, the kerbs; drops and barriers (those
    present) as listed; people as listed. A part listed without a shape is placed by the
    template; an obstacle or person that ``moves_with`` a corner building is placed from
    that building's corner.
    """
    parts = StreetParts()
    corners: dict[str, tuple[float, float]] = {}
    hairpin = hairpin_courses(street) if street.template == "hairpin" else None
    if street.template == "corner":
        inner = street.inner_building.name
        parts.moving = (inner,)
        corners = corner_points(street)
        for name, polygon in corner_polygons(street).items():
            parts.solids.append(Solid(name, "building", np.asarray(polygon)))
            parts.solid_parts.append(name if name == inner else None)
    for category, group in (("building", street.buildings), ("rock", street.rock_faces)):
        for building in group:
            if building.polygon is not None:
                solid = Solid(building.name, category, np.asarray(building.polygon))
            elif building.face is not None:
                solid = solid_from_face(building.name, category,
                                        np.asarray(polyline(building.face)),
                                        building.solid_side)
            else:  # a hairpin's rock face
                solid = solid_from_face(building.name, category,
                                        np.asarray(hairpin.rock.points()), hairpin.rock_side,
                                        thickness=hairpin.rock_depth)
            parts.solids.append(solid)
            parts.solid_parts.append(None)
    for obstacle in street.obstacles:
        origin = _origin(obstacle, corners)
        if obstacle.rectangle is not None:
            r = obstacle.rectangle
            polygon = rectangle(_placed(r.center, origin), r.length, r.width, r.heading)
        else:
            polygon = np.asarray([_placed(point, origin) for point in obstacle.polygon])
        parts.solids.append(Solid(obstacle.name, "obstacle", polygon))
        parts.solid_parts.append(_part(obstacle, parts.moving))
    for kerb in street.kerbs:
        parts.solids.append(Solid(kerb.name, "kerb", np.asarray(kerb.polygon)))
        parts.solid_parts.append(None)
    for d in street.drops:
        if d.polygon is not None:
            parts.drops.append(Drop(d.name, np.asarray(d.polygon), d.height))
        elif d.edge is not None:
            parts.drops.append(drop_from_edge(d.name, np.asarray(polyline(d.edge)),
                                              d.drop_side, d.height))
        else:
            parts.drops.append(drop_from_edge(d.name, np.asarray(hairpin.drop.points()),
                                              hairpin.drop_side, d.height))
    for b in street.barriers:
        if not b.present:
            continue
        if b.polygon is not None:
            parts.barriers.append(Barrier(b.name, np.asarray(b.polygon), b.containment()))
        elif b.face is not None:
            parts.barriers.append(barrier_from_face(b.name, np.asarray(polyline(b.face)),
                                                    b.solid_side, b.thickness,
                                                    b.containment()))
        else:
            parts.barriers.append(barrier_from_face(
                b.name, np.asarray(hairpin.barrier(b.thickness).points()),
                hairpin.drop_side, b.thickness, b.containment()))
    for person in street.people:
        center = _placed(person.position, _origin(person, corners))
        parts.people.append(Person(person.name, person.role,
                                   np.asarray(center, dtype=float), person.radius))
        parts.person_parts.append(_part(person, parts.moving))
    return parts


def _origin(item, corners) -> tuple[float, float] | None:
    name = getattr(item, "moves_with", None)
    return None if name is None else corners[name]


def _placed(point, origin) -> np.ndarray:
    """A point given from a building's corner, in world coordinates (as given when the
    item does not move with a building)."""
    point = np.asarray(point, dtype=float)
    return point if origin is None else np.asarray(origin, dtype=float) + point


def _part(item, moving) -> str | None:
    name = getattr(item, "moves_with", None)
    return name if name in moving else None


def template_offsets(scenario, nominal: dict[str, float], p) -> dict[str, tuple]:
    """How far each moving part is displaced in each take: {part: (dx (n,), dy (n,))}.

    Only a corner's widths move anything (the inner building, by −Δw_B·e_u + Δw_A·e_v,
    Δ from the nominal width); they are read take by take (``p``, which records the
    read) only when drawn, and not at all when people step out (their sight lines are
    drawn past the nominal buildings): an uncertain width is then refused as unread.
    Empty when nothing moves: the model then queries the street as one.
    """
    street = scenario.street
    if street.template != "corner" or street.people_stepping_out:
        return {}
    paths = ("street.entry_width", "street.exit_width")
    if not any(path in p.draws for path in paths):
        return {}
    d_entry = p.array(paths[0]) - nominal[paths[0]]
    d_exit = p.array(paths[1]) - nominal[paths[1]]
    frame = _Frame.of(street.outer_corner, street.heading, street.turn)
    dx, dy = frame.vector(-d_exit, d_entry)
    return {street.inner_building.name: (np.asarray(dx, dtype=float),
                                         np.asarray(dy, dtype=float))}


def grid_fields(scenario) -> int:
    """How many distance fields of the street's solids a run builds: one, or one per
    group of parts when a corner's widths move take by take (the moving building and
    the rest)."""
    street = scenario.street
    moving = (street.template == "corner" and not street.people_stepping_out
              and any(path in scenario.uncertain
                      for path in ("street.entry_width", "street.exit_width")))
    return 2 if moving else 1
