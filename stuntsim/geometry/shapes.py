"""What a street is made of, as plain data in one world frame (x, y) in metres: solid
polygons (building faces, rock faces, parked cars, kerbs), people (upright circles, some
walking), friction patches, drops (where the ground ends, with the height of the fall) and
barriers (a parapet or guard rail with a containment limit), and the helpers that build
them from a scenario's faces, edges and rectangles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stuntsim.polygons import self_intersection

CATEGORIES = ("building", "rock", "obstacle", "kerb")
"""Solid categories understood by :class:`StreetGeometry` (barriers and drops have their own
classes, :class:`Barrier` and :class:`Drop`)."""


COLLISION_CATEGORIES = ("building", "rock", "obstacle")
"""Categories a car crashes into and that never give way (a kerb is a separate, low edge it
can run over; a :class:`Barrier` holds only up to its containment limit)."""


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Solid:
    """A solid object of the street: a simple closed polygon in the world frame.

    Parameters
    ----------
    name : str              Label used in reports.
    category : str          One of :data:`CATEGORIES`.
    polygon : array_like    Vertices (k, 2) [m], k ≥ 3, either orientation, the closing
                            vertex may be repeated. Stored counter-clockwise, read-only.
    """

    name: str
    category: str
    polygon: np.ndarray

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(
                f"solid {self.name!r}: category {self.category!r} is not one of {CATEGORIES}"
            )
        object.__setattr__(
            self, "polygon", _normalise_polygon(self.polygon, f"solid {self.name!r}")
        )


@dataclass(frozen=True, eq=False)
class Person:
    """A person standing in the street, an upright circle.

    Parameters
    ----------
    name : str            Label.
    role : str            e.g. "crew", "camera operator", "bystander".
    center : array_like   Centre (2,) [m].
    radius : float        Radius [m] (shoulder half-width plus any margin), > 0.
    """

    name: str
    role: str
    center: np.ndarray
    radius: float

    def __post_init__(self):
        center = np.array(self.center, dtype=float).reshape(-1)
        if center.shape != (2,) or not np.all(np.isfinite(center)):
            raise ValueError(f"person {self.name!r}: center must be two finite numbers")
        if not self.radius > 0:
            raise ValueError(f"person {self.name!r}: radius must be > 0, got {self.radius}")
        center.setflags(write=False)
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "radius", float(self.radius))


@dataclass(frozen=True, eq=False)
class Walker:
    """A person who steps out into the street during the run and walks a straight path.

    Only what is the same in every sample is here; when they step out, their heading,
    speed and walking distance may be drawn per sample (the car model holds those).

    Parameters
    ----------
    name, role : str
    start : array_like   Where they stand before stepping out (2,) [m].
    radius : float       Radius of their upright cylinder [m], > 0.
    height : float       Their height [m], > 0 (what the driver may see over a low mount).
    """

    name: str
    role: str
    start: np.ndarray
    radius: float
    height: float

    def __post_init__(self):
        start = np.asarray(self.start, dtype=float).reshape(2)
        start.setflags(write=False)
        object.__setattr__(self, "start", start)


def walker_position(start, heading, start_time, speed, distance, t):
    """Where a walker is at time t [s]: standing at ``start`` until ``start_time``, then
    walking at ``speed`` [m/s] along ``heading`` [rad] for ``distance`` [m], then standing.

    Returns (x, y) [m], broadcast over the inputs (each scalar or (n,)).
    """
    walked = np.clip((t - np.asarray(start_time)) * np.asarray(speed), 0.0,
                     np.asarray(distance))
    return start[0] + walked * np.cos(heading), start[1] + walked * np.sin(heading)


@dataclass(frozen=True, eq=False)
class SurfacePatch:
    """An area of the road with its own tyre–road friction.

    Parameters
    ----------
    name : str              Label.
    polygon : array_like    Simple polygon (k, 2) [m].
    mu : float              Peak tyre–road friction coefficient on the patch [-], > 0.
    """

    name: str
    polygon: np.ndarray
    mu: float

    def __post_init__(self):
        if not self.mu > 0:
            raise ValueError(f"surface {self.name!r}: mu must be > 0, got {self.mu}")
        object.__setattr__(
            self, "polygon", _normalise_polygon(self.polygon, f"surface {self.name!r}")
        )
        object.__setattr__(self, "mu", float(self.mu))


@dataclass(frozen=True, eq=False)
class Drop:
    """Where the ground ends: the void beyond a road edge, as a polygon, and its depth.

    The polygon's boundary along the road is the edge; a wheel whose contact point lies
    inside the polygon has left the road (the ``departure`` hazard). The polygon needs only
    to reach a few metres beyond the edge (:func:`drop_from_edge` builds it from the edge).

    Parameters
    ----------
    name : str              Label.
    polygon : array_like    Simple polygon (k, 2) [m].
    height : float          Height of the fall from the road edge to what stops it [m], > 0.
    """

    name: str
    polygon: np.ndarray
    height: float

    def __post_init__(self):
        if not self.height > 0:
            raise ValueError(f"drop {self.name!r}: height must be > 0, got {self.height}")
        object.__setattr__(self, "polygon", _normalise_polygon(self.polygon, f"drop {self.name!r}"))
        object.__setattr__(self, "height", float(self.height))


@dataclass(frozen=True, eq=False)
class Barrier:
    """A road restraint (parapet, guard rail, stone wall) that holds up to a limit.

    The limit is the impact severity it contains, the kinetic energy of the velocity
    component normal to the barrier, ISe = ½ m (v sin θ)² (EN 1317-2:2010, §3 and Table 1,
    where each containment level is defined by test impacts of given mass, speed and angle;
    :data:`EN1317_CONTAINMENT` gives the energies). An impact at or below the limit is held
    (a collision with the barrier); above it the barrier gives way, absorbs its limit and
    the car goes on with the rest (see :func:`breach_normal_speed`).

    Parameters
    ----------
    name : str                   Label.
    polygon : array_like         The barrier's footprint (k, 2) [m].
    containment_energy : float   ISe it holds [J], > 0 (``inf``: an unbreakable wall).
    """

    name: str
    polygon: np.ndarray
    containment_energy: float

    def __post_init__(self):
        if not self.containment_energy > 0:
            raise ValueError(
                f"barrier {self.name!r}: containment_energy must be > 0, "
                f"got {self.containment_energy}"
            )
        object.__setattr__(
            self, "polygon", _normalise_polygon(self.polygon, f"barrier {self.name!r}")
        )
        object.__setattr__(self, "containment_energy", float(self.containment_energy))


def drop_from_edge(name, edge, drop_side, height, depth=10.0) -> Drop:
    """A :class:`Drop` from the road edge as an open polyline and the side the void is on.

    Parameters
    ----------
    edge : array_like      Edge vertices (k, 2) [m], k ≥ 2, in order.
    drop_side : str        "left" or "right" of the direction along ``edge``.
    height : float         Height of the fall [m].
    depth : float          How far the polygon reaches beyond the edge [m] (only needs to
                           contain where a wheel can be when the departure is detected).
    """
    solid = solid_from_face(name, "building", edge, drop_side, thickness=depth)
    return Drop(name, solid.polygon, height)


def barrier_from_face(name, face, solid_side, thickness, containment_energy) -> Barrier:
    """A :class:`Barrier` from its road-side face (open polyline), side and thickness."""
    solid = solid_from_face(name, "building", face, solid_side, thickness=thickness)
    return Barrier(name, solid.polygon, containment_energy)


# --------------------------------------------------------------------------------------
# Polygon helpers
# --------------------------------------------------------------------------------------
def rectangle(center, length, width, heading_rad) -> np.ndarray:
    """Corners (4, 2) [m] of a rectangle (e.g. a parked car), counter-clockwise.

    Parameters
    ----------
    center : array_like   Centre (2,) [m].
    length : float        Extent along the heading [m].
    width : float         Extent across the heading [m].
    heading_rad : float   Heading of the length axis from +x [rad].
    """
    cx, cy = np.asarray(center, dtype=float)
    c, s = math.cos(heading_rad), math.sin(heading_rad)
    half_l, half_w = 0.5 * length, 0.5 * width
    local = np.array([[half_l, -half_w], [half_l, half_w], [-half_l, half_w], [-half_l, -half_w]])
    return np.column_stack(
        [cx + c * local[:, 0] - s * local[:, 1], cy + s * local[:, 0] + c * local[:, 1]]
    )


def solid_from_face(name, category, polyline, solid_side, thickness=5.0) -> Solid:
    """A solid extruded from a face given as an open polyline (e.g. a building front).

    The polygon is the polyline followed by the polyline offset by ``thickness`` toward
    the solid side, traversed backwards. Interior vertices of the offset use mitred joins
    (the offset segments' intersection), bevelled when the mitre would be longer than
    4·thickness (a turn sharper than about 150°).

    Parameters
    ----------
    name, category : str     As in :class:`Solid`.
    polyline : array_like    Face vertices (k, 2) [m], k ≥ 2, in order.
    solid_side : str         "left" or "right" of the direction of travel along the polyline.
    thickness : float        Depth of the solid behind the face [m], > 0.

    Limits
    ------
    Where the polyline turns toward the solid side, the offset runs on the inside of the
    turn and is shorter; every segment must be long enough to hold its share of the
    shortened offset (roughly length > thickness·tan(turn/2) at each such turn), or the
    polygon folds over itself. That is checked and raises ``ValueError``: pass a smaller
    thickness. Typical street corners (90° turns, faces of a few metres) are fine.
    """
    line = np.asarray(polyline, dtype=float)
    if line.ndim != 2 or line.shape[1] != 2 or len(line) < 2:
        raise ValueError(f"face {name!r}: polyline must have shape (k, 2) with k >= 2")
    if solid_side not in ("left", "right"):
        raise ValueError(f"face {name!r}: solid_side must be 'left' or 'right'")
    if not thickness > 0:
        raise ValueError(f"face {name!r}: thickness must be > 0")
    keep = np.concatenate([[True], np.any(np.diff(line, axis=0) != 0.0, axis=1)])
    line = line[keep]
    if len(line) < 2:
        raise ValueError(f"face {name!r}: polyline has fewer than two distinct points")
    direction = np.diff(line, axis=0)
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    left_normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    normal = left_normal if solid_side == "left" else -left_normal

    offset = [line[0] + thickness * normal[0]]
    for k in range(1, len(line) - 1):
        n_in, n_out = normal[k - 1], normal[k]
        bisector = n_in + n_out
        cos_half = float(np.dot(bisector, n_in)) / max(float(np.linalg.norm(bisector)), 1e-300)
        if cos_half > 0.25:  # mitre length thickness / cos_half ≤ 4·thickness
            offset.append(line[k] + thickness * bisector / np.linalg.norm(bisector) / cos_half)
        else:
            offset.extend([line[k] + thickness * n_in, line[k] + thickness * n_out])
    offset.append(line[-1] + thickness * normal[-1])
    polygon = np.vstack([line, np.array(offset)[::-1]])
    return Solid(name, category, polygon)


def _normalise_polygon(polygon, what: str) -> np.ndarray:
    """Counter-clockwise, read-only float copy without repeated vertices; checks simplicity."""
    poly = np.array(polygon, dtype=float)
    if poly.ndim != 2 or poly.shape[1] != 2:
        raise ValueError(f"{what}: polygon must have shape (k, 2), got {poly.shape}")
    if not np.all(np.isfinite(poly)):
        raise ValueError(f"{what}: polygon has non-finite coordinates")
    keep = np.any(poly != np.roll(poly, 1, axis=0), axis=1)  # drops repeats incl. closing
    poly = poly[keep] if keep.any() else poly[:1]
    if len(poly) < 3:
        raise ValueError(f"{what}: polygon needs at least 3 distinct vertices")
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    if abs(area) < 1e-12:
        raise ValueError(f"{what}: polygon has zero area")
    if area < 0:
        poly = poly[::-1].copy()
    problem = self_intersection(poly)
    if problem:
        raise ValueError(f"{what}: the polygon is not simple: {problem}")
    poly.setflags(write=False)
    return poly
