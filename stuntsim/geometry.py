r"""Street geometry: solids, people and surfaces, and clearance queries for car footprints.

A street is a set of solid polygons (building faces, rock faces, parked cars, kerbs), a few
people (upright circles), friction patches, **drops** (areas where the ground ends: the
void beyond a road edge, with the height of the fall) and **barriers** (a parapet or guard
rail with a containment limit), all in one world frame (x, y) in metres.
The hot path of a Monte Carlo run asks, every time step and for n samples at once, how far
each car's rectangular footprint is from the solids. :class:`DistanceField` answers that
in O(n) without looping over wall segments:

* a **signed distance grid** to the union of the solids (negative inside), exact at the
  grid nodes, together with the index of the nearest wall segment at every node. A query
  at a point interpolates the grid only for the sign and for far-away points; near the
  walls it re-evaluates the exact point–segment distance to the nearest segments of the
  four surrounding nodes, so it carries no interpolation error;
* the solids' **convex vertices** with a **broad phase** (a ~1 m cell grid listing, per
  cell, the vertices that can be within reach of a car standing in it), checked exactly
  against the rectangle.

Why corners plus convex vertices are exact
------------------------------------------
The distance between the car's rectangle R and a polygonal solid P is attained by a pair
(point of R, point of P) where at least one of the two is a vertex. If it is a vertex of
R (a footprint corner), the distance field at that corner is the answer. Otherwise it is a
vertex v of P against the interior of an edge of R; v is then a *convex* vertex of P (at a
reflex vertex one of the two adjacent edges is closer still), and the exact point–box
distance of v is the answer. Taking the minimum of both families is therefore the exact
rectangle–solid distance whenever they are separated, with no need for edge midpoints.
Overlapping solids are fine: outside their union the distance to all edges equals the
distance to the union.

Approximations
--------------
* Penetration depth (negative clearance) is the depth of the deepest footprint corner or
  solid vertex, not the full polygon overlap depth.
* A footprint that *straddles* a thin part of a solid (a building corner or a thin wall
  passing right through the car, with neither a car corner inside the solid nor a solid
  vertex inside the car) is not seen as overlapping; in a simulation that moves the car
  less than its width per step the contact is caught on the way in.
* Inside two overlapping solids the depth is measured to the nearer of the two
  boundaries (a lower bound on the depth inside the union).
* Farther than ``exact_band`` (1.25 m) from every solid the field is bilinearly
  interpolated from 0.5 m nodes (errors up to ~0.4 m measured at 2–5 m), but a footprint
  truly farther than ``exact_band`` is never reported nearer than that.
* Outside the grid bounds queries return :data:`FAR_DISTANCE`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from matplotlib.path import Path

__all__ = [
    "CATEGORIES",
    "COLLISION_CATEGORIES",
    "EN1317_CONTAINMENT",
    "FAR_DISTANCE",
    "Barrier",
    "DistanceField",
    "Drop",
    "FootprintClearance",
    "FrictionMap",
    "Person",
    "Solid",
    "StreetGeometry",
    "SurfacePatch",
    "Walker",
    "barrier_from_face",
    "breach_normal_speed",
    "circle_clearance",
    "drop_from_edge",
    "edge_margin",
    "footprint_corners",
    "impact_severity",
    "people_clearance",
    "rectangle",
    "solid_from_face",
    "walker_position",
    "wheel_contact_points",
]

CATEGORIES = ("building", "rock", "obstacle", "kerb")
"""Solid categories understood by :class:`StreetGeometry` (barriers and drops have their own
classes, :class:`Barrier` and :class:`Drop`)."""

COLLISION_CATEGORIES = ("building", "rock", "obstacle")
"""Categories a car crashes into and that never give way (a kerb is a separate, low edge it
can run over; a :class:`Barrier` holds only up to its containment limit)."""

FAR_DISTANCE = 1.0e6
"""Distance [m] returned for query points outside a :class:`DistanceField`'s bounds."""

_BLOCK_TARGET = 0.5  # [m] side of a build block (coarse node spacing) of the field
_DUMMY_FAR = 1.0e9  # [m] coordinate of the padding segment / vertex (never the nearest)


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


def circle_clearance(cx, cy, radius, x, y, yaw, front, rear, half_width) -> np.ndarray:
    """Signed clearance [m] between car footprints and circles (centres (n,) or scalar):
    the circle centre's signed distance to the rectangle minus the radius (exact)."""
    x, y, yaw, front, rear, half_width, cx, cy = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float))
          for v in (x, y, yaw, front, rear, half_width, cx, cy))
    )
    distance = _box_signed_distance(cx, cy, x, y, np.cos(yaw), np.sin(yaw), front, rear,
                                    half_width)[0]
    return distance - radius



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


def _test_impact_energy(mass, speed_kmh, angle_deg) -> float:
    """ISe = ½ m (v sin θ)² of an EN 1317-2 test impact [J]."""
    return 0.5 * mass * (speed_kmh / 3.6 * math.sin(math.radians(angle_deg))) ** 2


#: EN 1317-2:2010 containment levels → the impact severity [J] of their highest-energy test
#: (Table 1 test definitions: TB21 1300 kg 80 km/h 8°; TB22 1300 kg 80 km/h 15°; TB31
#: 1500 kg 80 km/h 20°; TB32 1500 kg 110 km/h 20°; TB41 10 t 70 km/h 8°; TB42 10 t 70 km/h
#: 15°; TB51 13 t bus 70 km/h 20°; TB61 16 t 80 km/h 20°; TB71 30 t 65 km/h 20°; TB81 38 t
#: 65 km/h 20°). Gives the widely quoted 43 kJ (N1), 82 kJ (N2), 127 kJ (H1), 288 kJ (H2),
#: 462 kJ (H3), 572 kJ (H4a), 725 kJ (H4b).
EN1317_CONTAINMENT: dict[str, float] = {
    "T1": _test_impact_energy(1300, 80, 8),
    "T2": _test_impact_energy(1300, 80, 15),
    "T3": _test_impact_energy(10000, 70, 8),
    "N1": _test_impact_energy(1500, 80, 20),
    "N2": _test_impact_energy(1500, 110, 20),
    "H1": _test_impact_energy(10000, 70, 15),
    "H2": _test_impact_energy(13000, 70, 20),
    "H3": _test_impact_energy(16000, 80, 20),
    "H4a": _test_impact_energy(30000, 65, 20),
    "H4b": _test_impact_energy(38000, 65, 20),
}


def impact_severity(mass, normal_speed):
    """Impact severity ISe = ½ m v_n² [J] (EN 1317-2), v_n the speed into the barrier."""
    v_n = np.maximum(np.asarray(normal_speed, dtype=float), 0.0)
    return 0.5 * np.asarray(mass, dtype=float) * v_n**2


def breach_normal_speed(mass, normal_speed, containment_energy):
    """Normal speed left after breaking through a barrier [m/s].

    Energy balance across the breach: the barrier absorbs its containment energy E_c from
    the normal motion, ½ m v_n'² = ½ m v_n² − E_c, so v_n' = √(v_n² − 2 E_c / m) (0 when the
    barrier holds). An idealisation: a real barrier that gives way absorbs less than its
    rating in some failure modes (posts snapping, a car vaulting a low wall) and more in
    others; the tangential speed is kept (no friction along the barrier).
    """
    v_n = np.maximum(np.asarray(normal_speed, dtype=float), 0.0)
    left = v_n**2 - 2.0 * np.asarray(containment_energy, dtype=float) / np.asarray(mass, float)
    return np.sqrt(np.maximum(left, 0.0))


def wheel_contact_points(x, y, yaw, cg_to_front, cg_to_rear, half_track):
    """World positions of the four tyre contact points, shape (4, n) each [m].

    Rows: front left, front right, rear left, rear right; a wheel's contact point is at
    (+a or −b, ±t/2) in the body frame (x forward, y left), rotated by the yaw ψ.
    """
    x, y, yaw, a, b, half = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in
          (x, y, yaw, cg_to_front, cg_to_rear, half_track))
    )
    u = np.stack([a, a, -b, -b])
    w = np.stack([half, -half, half, -half])
    c, s = np.cos(yaw), np.sin(yaw)
    return x + c * u - s * w, y + s * u + c * w


def edge_margin(field: DistanceField, x, y, yaw, cg_to_front, cg_to_rear, half_track):
    """The ``departure`` margin at a pose: signed distance of the nearest wheel's contact
    point from the drops [m] (positive on the road, negative beyond an edge).

    Returns
    -------
    margin : ndarray (n,)   [m]
    drop_index : ndarray (n,)   the drop nearest that wheel (index into the field's solids)
    """
    wx, wy = wheel_contact_points(x, y, yaw, cg_to_front, cg_to_rear, half_track)
    distance, index = field.point_distance(wx.ravel(), wy.ravel())
    distance = distance.reshape(wx.shape)
    nearest = np.argmin(distance, axis=0)
    columns = np.arange(wx.shape[1])
    return distance[nearest, columns], index.reshape(wx.shape)[nearest, columns]


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


@dataclass(frozen=True, eq=False)
class FootprintClearance:
    """Result of :meth:`DistanceField.footprint_clearance`, one entry per sample.

    Attributes
    ----------
    distance : ndarray (n,)      Signed clearance footprint–solids [m]; < 0 = penetration.
    solid_index : ndarray (n,)   Index of the responsible solid in ``field.solids``
                                 (-1 if there is none in the field's bounds).
    normal_x, normal_y : ndarray (n,)   Unit contact normal, from the solid toward the car
                                        (zero where the footprint is beyond the exact band).
    contact_x, contact_y : ndarray (n,) The point of the footprint nearest to the solid [m]
                                 (a corner, or the foot of a solid vertex on a car side).
    """

    distance: np.ndarray
    solid_index: np.ndarray
    normal_x: np.ndarray
    normal_y: np.ndarray
    contact_x: np.ndarray
    contact_y: np.ndarray


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
    if not _is_simple(poly):
        raise ValueError(f"{what}: polygon intersects itself")
    poly.setflags(write=False)
    return poly


def _is_simple(poly: np.ndarray) -> bool:
    """True if no two non-adjacent edges of the closed polygon intersect (O(k²))."""
    k = len(poly)
    a, b = poly, np.roll(poly, -1, axis=0)
    i, j = np.triu_indices(k, 2)
    non_adjacent = ~((i == 0) & (j == k - 1))
    i, j = i[non_adjacent], j[non_adjacent]
    return not np.any(_segments_intersect(a[i], b[i], a[j], b[j]))


def _segments_intersect(p1, p2, q1, q2) -> np.ndarray:
    """Closed segments p1p2 and q1q2 (arrays (..., 2)) intersect, touching included."""

    def orient(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
            c[..., 0] - a[..., 0]
        )

    def on_segment(a, b, c):  # c collinear with ab: within its bounding box
        return (
            (np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
            & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
            & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
            & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1]))
        )

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    proper = (d1 * d2 < 0) & (d3 * d4 < 0)
    touching = (
        ((d1 == 0) & on_segment(q1, q2, p1))
        | ((d2 == 0) & on_segment(q1, q2, p2))
        | ((d3 == 0) & on_segment(p1, p2, q1))
        | ((d4 == 0) & on_segment(p1, p2, q2))
    )
    return proper | touching


# --------------------------------------------------------------------------------------
# Footprint helpers
# --------------------------------------------------------------------------------------
def footprint_corners(x, y, yaw, front, rear, half_width) -> np.ndarray:
    """Corners (n, 4, 2) [m] of car footprints, counter-clockwise from front-right.

    Parameters
    ----------
    x, y : array_like        Reference point (e.g. the centre of gravity) [m], (n,) or scalar.
    yaw : array_like         Heading ψ of the car's longitudinal axis from +x [rad].
    front, rear : array_like Extent ahead of / behind the reference point [m], > 0.
    half_width : array_like  Half the footprint width [m].
    """
    x, y, yaw, front, rear, half_width = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (x, y, yaw, front, rear, half_width))
    )
    c, s = np.cos(yaw), np.sin(yaw)
    along = np.stack([front, front, -rear, -rear], axis=-1)
    across = np.stack([-half_width, half_width, half_width, -half_width], axis=-1)
    cx = x[:, None] + c[:, None] * along - s[:, None] * across
    cy = y[:, None] + s[:, None] * along + c[:, None] * across
    return np.stack([cx, cy], axis=-1)


def _box_signed_distance(px, py, x, y, c, s, front, rear, half_width):
    """Signed distance [m] of points to car boxes (negative inside) and the local offsets.

    All inputs broadcast. Returns (distance, u, w, qu, qw): u, w the point in the box frame
    relative to the box centre, qu, qw the per-axis excess over the half extents.
    """
    dx, dy = px - x, py - y
    u = dx * c + dy * s - 0.5 * (front - rear)
    w = dy * c - dx * s
    qu = np.abs(u) - 0.5 * (front + rear)
    qw = np.abs(w) - half_width
    pos_u, pos_w = np.maximum(qu, 0.0), np.maximum(qw, 0.0)
    outside = np.sqrt(pos_u * pos_u + pos_w * pos_w)
    return outside + np.minimum(np.maximum(qu, qw), 0.0), u, w, qu, qw


def _box_normal(u, w, qu, qw, c, s):
    """Unit normal pointing from an outside/inside point toward the box (−∇ box distance)."""
    pos_u, pos_w = np.maximum(qu, 0.0), np.maximum(qw, 0.0)
    out = np.sqrt(pos_u * pos_u + pos_w * pos_w)
    outside = out > 0.0
    safe = np.where(outside, out, 1.0)
    along_u = qu >= qw
    gu = np.where(outside, pos_u / safe, np.where(along_u, 1.0, 0.0)) * np.where(u < 0, -1.0, 1.0)
    gw = np.where(outside, pos_w / safe, np.where(along_u, 0.0, 1.0)) * np.where(w < 0, -1.0, 1.0)
    return -(c * gu - s * gw), -(s * gu + c * gw)


def people_clearance(people: Sequence[Person], x, y, yaw, front, rear, half_width):
    """Exact clearance between car footprints and people (circles).

    distance = (signed distance from the circle centre to the rectangle) − radius, minimised
    over people; negative means the footprint overlaps the person.

    Parameters
    ----------
    people : sequence of Person
    x, y, yaw, front, rear, half_width : array_like   As in :func:`footprint_corners`.

    Returns
    -------
    distance : ndarray (n,)      [m]; ``inf`` if there are no people.
    person_index : ndarray (n,)  Index into ``people`` of the nearest one (-1 if none).
    """
    x, y, yaw, front, rear, half_width = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (x, y, yaw, front, rear, half_width))
    )
    c, s = np.cos(yaw), np.sin(yaw)
    best = np.full(x.shape, np.inf)
    index = np.full(x.shape, -1, dtype=np.intp)
    for k, person in enumerate(people):
        d = (
            _box_signed_distance(
                person.center[0], person.center[1], x, y, c, s, front, rear, half_width
            )[0]
            - person.radius
        )
        closer = d < best
        best = np.minimum(best, d)
        index += (k - index) * closer  # arithmetic select: faster than np.where
    return best, index


# --------------------------------------------------------------------------------------
# Distance field
# --------------------------------------------------------------------------------------
class DistanceField:
    """Signed distance to a set of solids on a grid, with exact near-wall queries.

    Parameters
    ----------
    solids : iterable of Solid
    bounds : (xmin, xmax, ymin, ymax), optional   Area covered [m]; default: bounding box
                of the solids enlarged by ``margin``. Queries outside return
                :data:`FAR_DISTANCE` (a car that left the grid is treated as far from
                everything: choose bounds that contain everywhere the car can go).
    resolution : float   Grid spacing h [m]. Near-wall accuracy does not depend on it (the
                exact segment distance is re-evaluated); it sets the build time and memory
                (9 M nodes, ≈ 72 MB, for 60 m × 60 m at 2 cm; a 5–10 cm grid gives the
                same near-wall answers, see the tests).
    margin : float       [m] see ``bounds``.
    exact_band : float   [m] Distances with |d| ≤ exact_band are exact; farther out the
                grid is interpolated from 0.5 m nodes (values never below exact_band).
                Must exceed the 1 m accuracy requirement.
    broad_cell : float   Cell size of the convex-vertex broad phase [m].

    Query
    -----
    Each grid cell carries a code: 2·segment + inside when its four nodes share their
    nearest segment and side (almost every cell within ``exact_band``), else -1. A point in
    a coded cell costs one gather and one exact point–segment distance; other points
    (medial axes, the boundary itself, far from the walls, outside the bounds) take a
    slower path that interpolates the node values for the sign and re-evaluates the
    exact distance to the nearest segments of the four surrounding nodes. Computation is
    float32 in coordinates relative to the grid origin (~1e-5 m rounding at 100 m).

    Build
    -----
    1. Exact distances (brute force over all segments) at coarse nodes every ~0.5 m.
    2. Blocks of the fine grid between coarse nodes whose corners are all farther than
       exact_band + block diagonal from every edge (Lipschitz bound) are filled by
       bilinear interpolation of the coarse nodes.
    3. The remaining blocks (a band around the walls) get exact distances, computed only
       against their candidate segments (those within d(corner) + 2·diagonal of every
       block corner, which must contain the nearest one), and the sign from a
       point-in-polygon test.
    """

    def __init__(
        self,
        solids: Iterable[Solid],
        *,
        bounds=None,
        resolution: float = 0.02,
        margin: float = 5.0,
        exact_band: float = 1.25,
        broad_cell: float = 1.0,
    ):
        self.solids = tuple(solids)
        if not resolution > 0 or not exact_band > 0 or not broad_cell > 0 or not margin >= 0:
            raise ValueError("resolution, exact_band and broad_cell must be > 0, margin >= 0")
        self.resolution = float(resolution)
        self.exact_band = float(exact_band)
        self.broad_cell = float(broad_cell)
        if bounds is None:
            if self.solids:
                every = np.vstack([solid.polygon for solid in self.solids])
                lo, hi = every.min(axis=0) - margin, every.max(axis=0) + margin
            else:
                lo, hi = np.array([-margin, -margin]), np.array([margin, margin])
            bounds = (lo[0], hi[0], lo[1], hi[1])
        xmin, xmax, ymin, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with max > min: {bounds}")
        self.bounds = (xmin, xmax, ymin, ymax)
        self._segments = _Segments(self.solids)
        self._vertices = _convex_vertices(self.solids)
        self._vertex_tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._build_grid()
        # float32 copies relative to the grid origin for the hot path
        segs = self._segments
        self._seg32 = {
            "ax": (segs.ax_padded - self._x0).astype(np.float32),
            "ay": (segs.ay_padded - self._y0).astype(np.float32),
            "ex": segs.ex_padded.astype(np.float32),
            "ey": segs.ey_padded.astype(np.float32),
            "inv_len2": segs.inv_len2_padded.astype(np.float32),
            "nx": np.append(segs.nx, 1.0).astype(np.float32),
            "ny": np.append(segs.ny, 0.0).astype(np.float32),
        }
        self._vx32 = (self._vertices.x - self._x0).astype(np.float32)
        self._vy32 = (self._vertices.y - self._y0).astype(np.float32)

    # ---- public queries -----------------------------------------------------------
    def point_distance(self, px, py):
        """Signed distance [m] from points to the solids (negative inside).

        Exact (to float32 rounding, ~1e-5 m) within ``exact_band`` of a wall, interpolated
        beyond, :data:`FAR_DISTANCE` outside the bounds.

        Returns
        -------
        distance : ndarray (n,)       [m]
        solid_index : ndarray (n,)    Nearest solid (-1 outside the bounds / no solids).
        """
        px, py = np.broadcast_arrays(
            np.atleast_1d(np.asarray(px, dtype=float)), np.atleast_1d(np.asarray(py, dtype=float))
        )
        rx = (px.ravel() - self._x0).astype(np.float32)
        ry = (py.ravel() - self._y0).astype(np.float32)
        distance, segment = self._query(rx, ry)
        solid = self._segments.solid_padded[segment]
        return distance.astype(float).reshape(px.shape), solid.reshape(px.shape)

    def footprint_clearance(self, x, y, yaw, front, rear, half_width) -> FootprintClearance:
        """Signed clearance between car footprints (rectangles) and the solids.

        The footprint spans −rear … +front along the heading ψ and ±half_width across it.
        clearance = min( field at the 4 corners , box distance of every convex solid vertex
        within reach ) — the exact rectangle–union distance whenever the footprint is
        within ``exact_band`` of a solid without touching it (see the module docstring).
        Negative values are the depth of the deepest corner or solid vertex.

        Parameters
        ----------
        x, y, yaw, front, rear, half_width : array_like, (n,) or scalar
            As in :func:`footprint_corners` [m, rad].

        Returns
        -------
        FootprintClearance   float64 arrays; solid_index −1 (and an arbitrary normal) where
                             the footprint is outside the bounds or there are no solids;
                             NaN positions give NaN clearance.
        """
        arrays = np.broadcast_arrays(
            *(
                np.atleast_1d(np.asarray(a, dtype=float))
                for a in (x, y, yaw, front, rear, half_width)
            )
        )
        # float32 in coordinates relative to the grid origin: ~1e-5 m rounding at 100 m
        rx = (arrays[0] - self._x0).astype(np.float32)
        ry = (arrays[1] - self._y0).astype(np.float32)
        c, s = np.cos(arrays[2]).astype(np.float32), np.sin(arrays[2]).astype(np.float32)
        front, rear, half_width = (a.astype(np.float32) for a in arrays[3:])

        # (a) the four corners against the field
        local = ((front, -half_width), (front, half_width), (-rear, half_width))
        local += ((-rear, -half_width),)
        # one query for all four corners (fewer, larger numpy calls)
        n = rx.shape[0]
        all_x = np.concatenate([rx + c * along - s * across for along, across in local])
        all_y = np.concatenate([ry + s * along + c * across for along, across in local])
        all_d, all_seg = self._query(all_x, all_y)
        clearance, seg = all_d[:n].copy(), all_seg[:n].copy()
        contact_x, contact_y = all_x[:n].copy(), all_y[:n].copy()
        for k in range(1, 4):
            part = slice(k * n, (k + 1) * n)
            d = all_d[part]
            # select arithmetically: np.where and argmin are slow on random masks
            closer = d < clearance
            clearance = np.minimum(clearance, d)
            seg += (all_seg[part] - seg) * closer
            contact_x += (all_x[part] - contact_x) * closer
            contact_y += (all_y[part] - contact_y) * closer
        # contact normal: from the nearest point of the responsible segment to the corner;
        # computed only where the footprint is within the exact band (zero elsewhere)
        segs = self._seg32
        normal_x = np.zeros(n, dtype=np.float32)
        normal_y = np.zeros(n, dtype=np.float32)
        near = np.flatnonzero(clearance <= self.exact_band)
        if near.size:
            cx, cy, sg, cl = contact_x[near], contact_y[near], seg[near], clearance[near]
            _, qx, qy = _segment_distance_sq(cx, cy, segs, sg)
            offset_x, offset_y = cx - qx, cy - qy
            length = np.sqrt(offset_x * offset_x + offset_y * offset_y)
            has_offset = length > 1e-6
            scale = (1 - 2 * (cl < 0)) * has_offset / np.maximum(length, np.float32(1e-6))
            normal_x[near] = offset_x * scale + segs["nx"][sg] * ~has_offset
            normal_y[near] = offset_y * scale + segs["ny"][sg] * ~has_offset
        solid_index = self._segments.solid_padded[seg]

        # (b) convex solid vertices against the box (exact point–box distance)
        if self._vertices.solid.size > 1:
            longest = np.maximum(front + rear, 2 * half_width)
            reach = float(np.max(np.hypot(np.maximum(front, rear), half_width)))
            cell_of, table_t, counts = self._vertex_lookup(rx, ry, reach + self.exact_band)
            # a vertex within exact_band of the box is within exact_band + longest/2 of a
            # corner, so samples whose corners are all farther than that can skip it
            active = np.flatnonzero(
                (counts[cell_of] > 0) & (clearance <= self.exact_band + 0.5 * longest)
            )
            if active.size:
                self._vertex_pass(
                    active, cell_of, table_t, rx, ry, c, s, front, rear, half_width,
                    clearance, solid_index, normal_x, normal_y, contact_x, contact_y,
                )  # fmt: skip
        return FootprintClearance(
            clearance.astype(float),
            solid_index,
            normal_x.astype(float),
            normal_y.astype(float),
            contact_x.astype(float) + self._x0,
            contact_y.astype(float) + self._y0,
        )

    @property
    def grid_x(self) -> np.ndarray:
        """Node x coordinates (nx,) [m] of :attr:`values`."""
        return self._x0 + self.resolution * np.arange(self._nx)

    @property
    def grid_y(self) -> np.ndarray:
        """Node y coordinates (ny,) [m] of :attr:`values`."""
        return self._y0 + self.resolution * np.arange(self._ny)

    @property
    def values(self) -> np.ndarray:
        """Signed distance at the nodes, (ny, nx) float32 [m] (for plots and checks)."""
        return self._values.reshape(self._ny, self._nx)

    @property
    def nearest_solid(self) -> np.ndarray:
        """Index of the nearest solid at each node, (ny, nx) (-1: no solids)."""
        return self._segments.solid_padded[self._node_segment].reshape(self._ny, self._nx)

    @property
    def convex_vertices(self) -> np.ndarray:
        """The solids' convex vertices (m, 2) [m] checked against the footprint sides."""
        return np.column_stack([self._vertices.x[:-1], self._vertices.y[:-1]])

    # ---- queries, internals ---------------------------------------------------------
    def _query(self, rx, ry):
        """Signed distance (float32) and nearest segment for points relative to the origin.

        Fast path: the point's grid cell has one nearest segment and one side at all four
        nodes (its code is 2·segment + inside), so the exact distance to that segment is
        the answer. Other cells (near a medial axis or the boundary, far from the walls,
        outside the grid) take :meth:`_query_slow`.
        """
        gx = rx * np.float32(1.0 / self.resolution) + np.float32(1.0)
        gy = ry * np.float32(1.0 / self.resolution) + np.float32(1.0)
        # fmax/fmin send NaN to the outside ring (the slow path then returns NaN)
        gx = np.fmin(np.fmax(gx, np.float32(0.0)), np.float32(self._nx + 0.5))
        gy = np.fmin(np.fmax(gy, np.float32(0.0)), np.float32(self._ny + 0.5))
        row = self._nx + 1
        code = self._codes[gy.astype(np.intp) * row + gx.astype(np.intp)]
        seg = (code >> 1).astype(np.intp)  # slow cells: -1, the far padding segment
        d2, _, _ = _segment_distance_sq(rx, ry, self._seg32, seg)
        distance = np.sqrt(d2) * (1 - 2 * (code & 1)).astype(np.float32)
        slow = np.flatnonzero(code < 0)
        if slow.size:
            distance[slow], seg[slow] = self._query_slow(rx[slow], ry[slow])
        return distance, seg

    def _query_slow(self, rx, ry):
        """Bilinear sign plus exact distance to the four surrounding nodes' segments."""
        n = rx.shape[0]
        distance = np.full(n, FAR_DISTANCE, dtype=np.float32)
        distance[np.isnan(rx) | np.isnan(ry)] = np.nan
        segment = np.full(n, -1, dtype=np.intp)
        fx, fy = rx / np.float32(self.resolution), ry / np.float32(self.resolution)
        inside = (fx >= 0) & (fx <= self._nx - 1) & (fy >= 0) & (fy <= self._ny - 1)
        idx = np.flatnonzero(inside)
        if self._segments.count == 0 or idx.size == 0:
            return distance, segment
        rx, ry, fx, fy = rx[idx], ry[idx], fx[idx], fy[idx]
        i = np.minimum(fx.astype(np.intp), self._nx - 2)
        j = np.minimum(fy.astype(np.intp), self._ny - 2)
        tx, ty = fx - i, fy - j
        k00 = j * self._nx + i
        keys = (k00, k00 + 1, k00 + self._nx, k00 + self._nx + 1)
        v = [self._values[key] for key in keys]
        interp = (1 - ty) * ((1 - tx) * v[0] + tx * v[1]) + ty * ((1 - tx) * v[2] + tx * v[3])
        distance[idx] = interp
        segment[idx] = self._node_segment[k00]
        # Exact distances only where they matter (within the band): far from the walls
        # (e.g. on a street's medial axis) the interpolated value is what is returned.
        near = np.flatnonzero(np.abs(interp) <= self.exact_band)
        if not near.size:
            return distance, segment
        rx, ry = rx[near], ry[near]
        keys = tuple(key[near] for key in keys)
        best_seg = self._node_segment[keys[0]].astype(np.intp)
        best_d2, _, _ = _segment_distance_sq(rx, ry, self._seg32, best_seg)
        for key in keys[1:]:
            other = self._node_segment[key].astype(np.intp)
            differ = np.flatnonzero(other != best_seg)
            if differ.size:
                d2, _, _ = _segment_distance_sq(rx[differ], ry[differ], self._seg32, other[differ])
                closer = d2 < best_d2[differ]
                best_d2[differ[closer]] = d2[closer]
                best_seg[differ[closer]] = other[differ[closer]]
        exact = np.sqrt(best_d2)
        distance[idx[near]] = np.where(interp[near] < 0, -exact, exact)
        segment[idx[near]] = best_seg
        return distance, segment

    def _vertex_pass(
        self, active, cell_of, table_t, rx, ry, c, s, front, rear, half_width,
        clearance, solid_index, normal_x, normal_y, contact_x, contact_y,
    ):  # fmt: skip
        """Update the results in place where a convex vertex is nearer than the corners."""
        xa, ya, ca, sa = rx[active], ry[active], c[active], s[active]
        fa, ra, wa = front[active], rear[active], half_width[active]
        u0 = xa * ca + ya * sa + 0.5 * (fa - ra)  # box centre in the rotated frame
        w0 = ya * ca - xa * sa
        half_length = 0.5 * (fa + ra)
        cells = cell_of[active]
        vx32, vy32 = self._vx32, self._vy32
        best = np.full(active.size, np.inf, dtype=np.float32)
        best_id = np.full(active.size, vx32.size - 1, dtype=np.intp)  # the far dummy
        for slot_ids in table_t:  # K slots, each one pass over the active samples
            vid = slot_ids[cells]
            vx, vy = vx32[vid], vy32[vid]
            qu = np.abs(vx * ca + vy * sa - u0) - half_length
            qw = np.abs(vy * ca - vx * sa - w0) - wa
            pu, pw = np.maximum(qu, np.float32(0.0)), np.maximum(qw, np.float32(0.0))
            d = np.sqrt(pu * pu + pw * pw) + np.minimum(np.maximum(qu, qw), np.float32(0.0))
            closer = d < best
            best = np.minimum(best, d)
            best_id += (vid - best_id) * closer
        win = np.flatnonzero(best < clearance[active])
        if not win.size:
            return
        hit, vid = active[win], best_id[win]
        vx, vy = vx32[vid], vy32[vid]
        d, u, w, qu, qw = _box_signed_distance(
            vx, vy, rx[hit], ry[hit], c[hit], s[hit], front[hit], rear[hit], half_width[hit]
        )
        nx, ny = _box_normal(u, w, qu, qw, c[hit], s[hit])
        clearance[hit] = d
        solid_index[hit] = self._vertices.solid[vid]
        normal_x[hit], normal_y[hit] = nx, ny
        contact_x[hit] = vx + nx * d  # the foot of the vertex on the car's side
        contact_y[hit] = vy + ny * d

    def _vertex_lookup(self, rx, ry, reach):
        """Broad phase: cell per sample, the (K, cells) vertex table and counts for ``reach``.

        The cell grid has a ring of empty cells, so clipped indices of outside (or NaN)
        positions land on a cell without vertices.
        """
        key = math.ceil(reach / 0.25) * 0.25  # few distinct tables: reach rounded up
        if key not in self._vertex_tables:
            self._vertex_tables[key] = self._build_vertex_table(key)
        table_t, counts = self._vertex_tables[key]
        inv = np.float32(1.0 / self.broad_cell)
        ci = np.fmin(np.fmax(rx * inv + 1, 0), np.float32(self._ncx + 1.5)).astype(np.intp)
        cj = np.fmin(np.fmax(ry * inv + 1, 0), np.float32(self._ncy + 1.5)).astype(np.intp)
        return cj * (self._ncx + 2) + ci, table_t, counts

    def _build_vertex_table(self, reach):
        """Per broad cell, the convex vertices within ``reach`` of the cell, padded to K."""
        cell = self.broad_cell
        vx, vy = self._vertices.x[:-1] - self._x0, self._vertices.y[:-1] - self._y0
        dummy = len(vx)
        xs = cell * np.arange(self._ncx)
        ys = cell * np.arange(self._ncy)
        # distance from each vertex to each cell rectangle [x, x+cell] × [y, y+cell]
        gap_x = np.maximum(np.maximum(xs - vx[:, None], vx[:, None] - xs - cell), 0.0)
        gap_y = np.maximum(np.maximum(ys - vy[:, None], vy[:, None] - ys - cell), 0.0)
        within = (gap_x[:, None, :] ** 2 + gap_y[:, :, None] ** 2) <= reach**2  # (v, ncy, ncx)
        within = within.reshape(len(vx), -1).T  # (cells, v)
        count = within.sum(axis=1)
        width = max(int(count.max()), 1)
        order = np.argsort(~within, axis=1, kind="stable")[:, :width]
        inner = np.where(np.take_along_axis(within, order, axis=1), order, dummy)
        table = np.full((self._ncy + 2, self._ncx + 2, width), dummy, dtype=np.intp)
        table[1:-1, 1:-1] = inner.reshape(self._ncy, self._ncx, width)
        counts = np.zeros((self._ncy + 2, self._ncx + 2), dtype=np.intp)
        counts[1:-1, 1:-1] = count.reshape(self._ncy, self._ncx)
        return np.ascontiguousarray(table.reshape(-1, width).T), counts.reshape(-1)

    # ---- build ------------------------------------------------------------------------
    def _build_grid(self):
        xmin, xmax, ymin, ymax = self.bounds
        h = self.resolution
        m = max(1, round(_BLOCK_TARGET / h))
        nbx = math.ceil((math.floor((xmax - xmin) / h + 1e-9) + 1) / m)
        nby = math.ceil((math.floor((ymax - ymin) / h + 1e-9) + 1) / m)
        self._x0, self._y0 = xmin, ymin
        self._nx, self._ny = nbx * m, nby * m
        self._ncx = max(1, math.ceil((self._nx - 1) * h / self.broad_cell))
        self._ncy = max(1, math.ceil((self._ny - 1) * h / self.broad_cell))
        segs = self._segments
        self._codes = np.full((self._ny + 1) * (self._nx + 1), -1, dtype=np.int16)
        if segs.count == 0:
            self._values = np.full(self._nx * self._ny, np.float32(FAR_DISTANCE))
            self._node_segment = np.full(self._nx * self._ny, -1, dtype=np.int16)
            return
        seg_dtype = np.int16 if segs.count < np.iinfo(np.int16).max else np.int32

        # 1. coarse nodes, exact (brute force over all segments)
        block = m * h
        diag = block * math.sqrt(2.0)
        xc = block * np.arange(nbx + 1)  # relative to (x0, y0)
        yc = block * np.arange(nby + 1)
        gx, gy = np.meshgrid(xc, yc)  # (nby+1, nbx+1)
        coarse_d, coarse_seg = segs.nearest(gx.ravel(), gy.ravel(), self._x0, self._y0)
        coarse_in = self._inside(gx.ravel() + self._x0, gy.ravel() + self._y0)
        coarse_d = coarse_d.reshape(gx.shape)
        coarse_seg = coarse_seg.reshape(gx.shape)
        coarse_sd = np.where(coarse_in.reshape(gx.shape), -coarse_d, coarse_d).astype(np.float32)

        # 2. fill every block by bilinear interpolation, magnitude at least exact_band
        t = (np.arange(m) / m).astype(np.float32)
        c00, c10 = coarse_sd[:-1, :-1], coarse_sd[:-1, 1:]
        c01, c11 = coarse_sd[1:, :-1], coarse_sd[1:, 1:]
        ty, tx = t[None, None, :, None], t[None, None, None, :]
        blocks = ((1 - ty) * ((1 - tx) * c00[..., None, None] + tx * c10[..., None, None])).astype(
            np.float32
        )
        blocks += ty * ((1 - tx) * c01[..., None, None] + tx * c11[..., None, None])
        np.copysign(np.maximum(np.abs(blocks), np.float32(self.exact_band)), blocks, out=blocks)
        corners = ((slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)))
        corners += ((slice(1, None), slice(None, -1)), (slice(1, None), slice(1, None)))
        corner_d = np.stack([coarse_d[c] for c in corners])  # (4, nby, nbx)
        corner_seg = np.stack([coarse_seg[c] for c in corners])
        block_seg = np.take_along_axis(corner_seg, np.argmin(corner_d, axis=0)[None], axis=0)[0]
        seg_blocks = np.broadcast_to(block_seg[..., None, None], blocks.shape).astype(seg_dtype)

        # 3. exact values in the band blocks
        band = corner_d.min(axis=0) <= self.exact_band + diag
        band_j, band_i = np.nonzero(band)
        if band_j.size:
            candidates = self._band_candidates(band_j, band_i, corner_d, xc, yc, diag)
            self._fill_band(blocks, seg_blocks, band_j, band_i, candidates, m)
        self._values = blocks.transpose(0, 2, 1, 3).reshape(-1)
        self._node_segment = seg_blocks.transpose(0, 2, 1, 3).reshape(-1)
        self._build_cell_codes(np.repeat(np.repeat(band, m, axis=0), m, axis=1))

    def _build_cell_codes(self, band_nodes):
        """Per grid cell: 2·segment + inside if its four nodes agree (and are exact), else -1.

        Stored with a ring of -1 cells around the grid so that a clipped index lands on it.
        """
        ny, nx = self._ny, self._nx
        code_dtype = np.int16 if 2 * self._segments.count + 1 < np.iinfo(np.int16).max else np.int32
        node_code = self._node_segment.reshape(ny, nx).astype(code_dtype) * 2
        node_code += (self._values.reshape(ny, nx) < 0).astype(code_dtype)
        node_code[~band_nodes] = -1
        cell = node_code[:-1, :-1].copy()
        for other in (node_code[:-1, 1:], node_code[1:, :-1], node_code[1:, 1:]):
            cell[other != cell] = -1
        codes = np.full((ny + 1, nx + 1), -1, dtype=code_dtype)
        codes[1:ny, 1:nx] = cell
        self._codes = codes.reshape(-1)

    def _band_candidates(self, band_j, band_i, corner_d, xc, yc, diag):
        """(nb, C) candidate segment ids per band block, padded with the dummy segment."""
        segs = self._segments
        ok = np.ones((band_j.size, segs.count), dtype=bool)
        for k, (dj, di) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            px = xc[band_i + di] + self._x0
            py = yc[band_j + dj] + self._y0
            for start in range(0, band_j.size, 4096):
                sl = slice(start, start + 4096)
                d2 = segs.distance_sq_all(px[sl], py[sl])
                limit = corner_d[k][band_j[sl], band_i[sl]] + 2.0 * diag
                ok[sl] &= d2 <= (limit**2)[:, None]
        width = max(int(ok.sum(axis=1).max()), 1)
        order = np.argsort(~ok, axis=1, kind="stable")[:, :width]
        return np.where(np.take_along_axis(ok, order, axis=1), order, segs.count)

    def _fill_band(self, blocks, seg_blocks, band_j, band_i, candidates, m):
        """Exact signed distances at all nodes of the band blocks (chunked)."""
        segs = self._segments
        h = self.resolution
        local = (h * np.arange(m)).astype(np.float32)
        # float32 in coordinates relative to the grid origin: ~1e-5 m error at 100 m
        ax = (segs.ax_padded - self._x0).astype(np.float32)
        ay = (segs.ay_padded - self._y0).astype(np.float32)
        ex, ey = segs.ex_padded.astype(np.float32), segs.ey_padded.astype(np.float32)
        inv = segs.inv_len2_padded.astype(np.float32)
        chunk = max(1, 2**18 // (m * m))
        for start in range(0, band_j.size, chunk):
            bj, bi = band_j[start : start + chunk], band_i[start : start + chunk]
            cand = candidates[start : start + chunk]
            px = (bi * m * h).astype(np.float32)[:, None, None] + local[None, None, :]
            py = (bj * m * h).astype(np.float32)[:, None, None] + local[None, :, None]
            best = np.full((bj.size, m, m), np.inf, dtype=np.float32)
            best_seg = np.zeros((bj.size, m, m), dtype=np.intp)
            for slot in range(cand.shape[1]):
                sid = cand[:, slot]
                col = (slice(None), None, None)
                dx = px - ax[sid][col]
                dy = py - ay[sid][col]
                tt = np.clip((dx * ex[sid][col] + dy * ey[sid][col]) * inv[sid][col], 0.0, 1.0)
                qx = dx - tt * ex[sid][col]
                qy = dy - tt * ey[sid][col]
                d2 = qx * qx + qy * qy
                closer = d2 < best
                np.copyto(best, d2, where=closer)
                owner = np.where(
                    tt <= 0.0,
                    segs.owner_start_padded[sid][col],
                    np.where(tt >= 1.0, segs.owner_end_padded[sid][col], sid[col]),
                )
                np.copyto(best_seg, owner, where=closer)
            dist = np.sqrt(best)
            gx = np.broadcast_to(px, dist.shape).ravel().astype(float) + self._x0
            gy = np.broadcast_to(py, dist.shape).ravel().astype(float) + self._y0
            inside = self._inside(gx, gy).reshape(dist.shape)
            blocks[bj, bi] = np.where(inside, -dist, dist)
            seg_blocks[bj, bi] = best_seg

    def _inside(self, px, py):
        """Point inside any solid (matplotlib's point-in-polygon, bounding-box prefilter)."""
        inside = np.zeros(px.shape, dtype=bool)
        for solid in self.solids:
            lo, hi = solid.polygon.min(axis=0), solid.polygon.max(axis=0)
            box = np.flatnonzero(
                (px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]) & ~inside
            )
            if box.size:
                inside[box] = Path(solid.polygon).contains_points(
                    np.column_stack([px[box], py[box]])
                )
        return inside


class _Segments:
    """All polygon edges of a set of solids as flat arrays (plus one far padding segment)."""

    def __init__(self, solids: Sequence[Solid]):
        if solids:
            a = np.vstack([solid.polygon for solid in solids])
            b = np.vstack([np.roll(solid.polygon, -1, axis=0) for solid in solids])
            solid = np.concatenate([np.full(len(s.polygon), k) for k, s in enumerate(solids)])
        else:
            a = b = np.zeros((0, 2))
            solid = np.zeros(0, dtype=np.intp)
        self.count = len(a)
        e = b - a
        length = np.hypot(e[:, 0], e[:, 1])
        self.solid = solid.astype(np.intp)
        # counter-clockwise polygons: the outward normal is the edge direction turned right
        self.nx, self.ny = e[:, 1] / length, -e[:, 0] / length
        self.solid_padded = np.append(self.solid, -1)  # index -1: no segment, no solid
        self.ax_padded = np.append(a[:, 0], _DUMMY_FAR)
        self.ay_padded = np.append(a[:, 1], _DUMMY_FAR)
        self.ex_padded = np.append(e[:, 0], 0.0)
        self.ey_padded = np.append(e[:, 1], 0.0)
        self.inv_len2_padded = np.append(1.0 / length**2, 0.0)
        # A point nearest to a shared vertex is equally near both edges that meet there;
        # naming one canonical edge per vertex keeps such regions on the fast query path.
        index = np.arange(self.count)
        sizes = [len(s.polygon) for s in solids]
        first = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes).astype(np.intp)
        size = np.repeat(sizes, sizes).astype(np.intp)
        prev = first + (index - first - 1) % np.maximum(size, 1)
        nxt = first + (index - first + 1) % np.maximum(size, 1)
        self.owner_start_padded = np.append(np.minimum(index, prev), self.count)
        self.owner_end_padded = np.append(np.minimum(index, nxt), self.count)

    def distance_sq_all(self, px, py):
        """Squared distances (n, S) from points to every segment."""
        s = slice(None, self.count)
        dx = px[:, None] - self.ax_padded[None, s]
        dy = py[:, None] - self.ay_padded[None, s]
        ex, ey = self.ex_padded[None, s], self.ey_padded[None, s]
        t = np.clip((dx * ex + dy * ey) * self.inv_len2_padded[None, s], 0.0, 1.0)
        return (dx - t * ex) ** 2 + (dy - t * ey) ** 2

    def nearest(self, px, py, x0, y0):
        """Exact unsigned distance and nearest segment for points relative to (x0, y0)."""
        distance = np.empty(px.shape)
        segment = np.empty(px.shape, dtype=np.intp)
        rows = max(1, 2**20 // max(self.count, 1))
        for start in range(0, px.size, rows):
            sl = slice(start, start + rows)
            d2 = self.distance_sq_all(px[sl] + x0, py[sl] + y0)
            segment[sl] = np.argmin(d2, axis=1)
            distance[sl] = np.sqrt(np.take_along_axis(d2, segment[sl, None], axis=1)[:, 0])
        return distance, segment


def _segment_distance_sq(px, py, segs, seg):
    """Squared distance of points to segments ``seg`` (ids into ``segs``) and nearest points."""
    ax, ay, ex, ey = segs["ax"][seg], segs["ay"][seg], segs["ex"][seg], segs["ey"][seg]
    dx, dy = px - ax, py - ay
    t = np.clip((dx * ex + dy * ey) * segs["inv_len2"][seg], 0.0, 1.0)
    qx, qy = ax + t * ex, ay + t * ey
    return (px - qx) ** 2 + (py - qy) ** 2, qx, qy


@dataclass(frozen=True)
class _Vertices:
    x: np.ndarray  # (m+1,) the last entry is the far padding vertex
    y: np.ndarray
    solid: np.ndarray


def _convex_vertices(solids: Sequence[Solid]) -> _Vertices:
    """Convex (outward-pointing) vertices of the solids, not strictly inside another solid."""
    xs, ys, owner = [], [], []
    for k, solid in enumerate(solids):
        p = solid.polygon
        before, after = p - np.roll(p, 1, axis=0), np.roll(p, -1, axis=0) - p
        turn = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
        scale = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
        convex = turn > 1e-9 * scale  # left turn on a counter-clockwise polygon
        for other_k, other in enumerate(solids):
            if other_k != k:  # a vertex buried in another solid can never be touched
                convex &= ~_strictly_inside(p, other.polygon)
        xs.append(p[convex, 0])
        ys.append(p[convex, 1])
        owner.append(np.full(int(convex.sum()), k))
    x = np.concatenate([*xs, [_DUMMY_FAR]])
    y = np.concatenate([*ys, [_DUMMY_FAR]])
    solid = np.concatenate([*owner, [-1]]).astype(np.intp)
    return _Vertices(x, y, solid)


def _strictly_inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Points (k, 2) inside the polygon and not on its boundary (within 1e-9 m)."""
    inside = Path(polygon).contains_points(points)
    a, b = polygon, np.roll(polygon, -1, axis=0)
    e = b - a
    d = points[:, None, :] - a[None, :, :]
    t = np.clip(np.sum(d * e, axis=2) / np.sum(e * e, axis=1), 0.0, 1.0)
    gap = np.linalg.norm(d - t[..., None] * e[None, :, :], axis=2).min(axis=1)
    return inside & (gap > 1e-9)


# --------------------------------------------------------------------------------------
# Friction
# --------------------------------------------------------------------------------------
class FrictionMap:
    """Tyre–road friction μ as a function of position.

    Parameters
    ----------
    patches : sequence of SurfacePatch   Later patches override earlier ones where they
                                         overlap.
    default_mu : float                   μ outside every patch [-].
    resolution : float or None           Raster cell size [m] (default 0.1). The patch
                                         index is precomputed at cell centres and looked up
                                         by cell, so μ is exact except within
                                         resolution/√2 of a patch boundary. ``None``: exact
                                         point-in-polygon tests at every call (slower).
    """

    def __init__(
        self, patches: Sequence[SurfacePatch], default_mu: float, *, resolution: float | None = 0.1
    ):
        if not default_mu > 0:
            raise ValueError(f"default_mu must be > 0, got {default_mu}")
        self.patches = tuple(patches)
        self.default_mu = float(default_mu)
        self.resolution = resolution
        # index -1 (no patch) reads the last entry: the default
        self._mu = np.array([p.mu for p in self.patches] + [self.default_mu])
        self._raster = None
        if resolution is not None and self.patches:
            if not resolution > 0:
                raise ValueError("resolution must be > 0 or None")
            every = np.vstack([p.polygon for p in self.patches])
            self._lo = every.min(axis=0)
            shape = np.ceil((every.max(axis=0) - self._lo) / resolution).astype(int) + 1
            self._shape = (int(shape[1]), int(shape[0]))  # (rows = y, cols = x)
            gx = self._lo[0] + resolution * (np.arange(self._shape[1]) + 0.5)
            gy = self._lo[1] + resolution * (np.arange(self._shape[0]) + 0.5)
            px, py = (a.ravel() for a in np.meshgrid(gx, gy))
            self._raster = self._patch_index(px, py).astype(np.int16).reshape(self._shape)

    def mu_at(self, px, py) -> np.ndarray:
        """Friction coefficient μ [-] at points (n,) (world frame, metres)."""
        return self._mu[self.patch_index(px, py)]

    def patch_index(self, px, py) -> np.ndarray:
        """Index (n,) into ``patches`` of the patch at each point, -1 where there is none.

        For callers that draw μ per patch per sample (an uncertain μ table).
        """
        px, py = np.broadcast_arrays(
            np.atleast_1d(np.asarray(px, dtype=float)), np.atleast_1d(np.asarray(py, dtype=float))
        )
        if not self.patches:
            return np.full(px.shape, -1, dtype=np.intp)
        if self._raster is None:
            return self._patch_index(px.ravel(), py.ravel()).reshape(px.shape)
        i = np.floor((px - self._lo[0]) / self.resolution)
        j = np.floor((py - self._lo[1]) / self.resolution)
        valid = (i >= 0) & (i < self._shape[1]) & (j >= 0) & (j < self._shape[0])
        flat = np.where(valid, j * self._shape[1] + i, 0).astype(np.intp)
        return np.where(valid, self._raster.ravel()[flat], -1).astype(np.intp)

    def _patch_index(self, px, py):
        index = np.full(px.shape, -1, dtype=np.intp)
        for k, patch in enumerate(self.patches):
            lo, hi = patch.polygon.min(axis=0), patch.polygon.max(axis=0)
            box = np.flatnonzero((px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]))
            if box.size:
                hit = Path(patch.polygon).contains_points(np.column_stack([px[box], py[box]]))
                index[box[hit]] = k
        return index


# --------------------------------------------------------------------------------------
# A whole street
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StreetGeometry:
    """Everything in the street, with lazily built query structures.

    Parameters
    ----------
    solids : sequence of Solid
    people : sequence of Person
    surfaces : sequence of SurfacePatch   Later ones override earlier ones.
    drops : sequence of Drop              Where the ground ends.
    barriers : sequence of Barrier        Restraints with a containment limit.
    default_mu : float                    μ where no surface patch applies [-].
    resolution : float                    Distance-grid spacing [m].
    margin : float                        Space around the contents in :attr:`bounds` [m].
    area : (xmin, xmax, ymin, ymax) or None
        The region the distance grids cover [m] (default: the contents plus ``margin``);
        the car model passes the region its line can reach.
    """

    solids: Sequence[Solid] = ()
    people: Sequence[Person] = ()
    walkers: Sequence[Walker] = ()
    surfaces: Sequence[SurfacePatch] = ()
    drops: Sequence[Drop] = ()
    barriers: Sequence[Barrier] = ()
    default_mu: float = 0.8
    resolution: float = 0.02
    margin: float = 5.0
    area: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        for name in ("solids", "people", "walkers", "surfaces", "drops", "barriers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) [m] of all contents plus ``margin`` (grids and plots)."""
        if self.area is not None:
            return tuple(float(v) for v in self.area)
        points = [s.polygon for s in self.solids] + [p.polygon for p in self.surfaces]
        points += [d.polygon for d in self.drops] + [b.polygon for b in self.barriers]
        points += [np.vstack([p.center - p.radius, p.center + p.radius]) for p in self.people]
        if not points:
            return (-self.margin, self.margin, -self.margin, self.margin)
        every = np.vstack(points)
        lo, hi = every.min(axis=0) - self.margin, every.max(axis=0) + self.margin
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))

    @cached_property
    def collision_solids(self) -> tuple[Solid, ...]:
        """Solids of :data:`COLLISION_CATEGORIES`, indexed by ``collision_field``."""
        return tuple(s for s in self.solids if s.category in COLLISION_CATEGORIES)

    def person_label(self, index: int) -> str:
        """"name (role)" of a person by the car model's ``person_index`` numbering:
        ``people`` first, then ``walkers``; "" for −1."""
        if index < 0:
            return ""
        everyone = (*self.people, *self.walkers)
        person = everyone[index]
        return f"{person.name} ({person.role})"

    def collision_name(self, index: int) -> str:
        """Name of what a car collided with: ``collision_solids`` first, then ``barriers``
        (the car model's ``collision_object`` numbering); "" for −1."""
        if index < 0:
            return ""
        solids = self.collision_solids
        if index < len(solids):
            return solids[index].name
        return self.barriers[index - len(solids)].name

    def collision_category(self, index: int) -> str:
        """Category of what a car collided with ("barrier" for a barrier), "" for −1."""
        if index < 0:
            return ""
        solids = self.collision_solids
        return solids[index].category if index < len(solids) else "barrier"

    @cached_property
    def kerbs(self) -> tuple[Solid, ...]:
        """Solids of category "kerb", indexed by ``kerb_field``."""
        return tuple(s for s in self.solids if s.category == "kerb")

    @cached_property
    def collision_field(self) -> DistanceField:
        """Distance field of buildings, rock faces and obstacles (built on first use)."""
        return DistanceField(self.collision_solids, bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def barrier_field(self) -> DistanceField | None:
        """Distance field of the barriers (indexed like ``barriers``), or None."""
        return self._field_of(self.barriers)

    @cached_property
    def drop_field(self) -> DistanceField | None:
        """Distance field of the drops (indexed like ``drops``), or None.

        Positive on the road, negative beyond an edge: at a wheel's contact point it is the
        ``departure`` margin.
        """
        return self._field_of(self.drops)

    def _field_of(self, items) -> DistanceField | None:
        """A distance field over named polygons (drops, barriers), indexed like ``items``."""
        if not items:
            return None
        return DistanceField([Solid(item.name, "obstacle", item.polygon) for item in items],
                             bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def kerb_field(self) -> DistanceField | None:
        """Distance field of the kerbs, or None when the street has none."""
        if not self.kerbs:
            return None
        return DistanceField(self.kerbs, bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def friction(self) -> FrictionMap:
        """Friction map of the surface patches."""
        return FrictionMap(self.surfaces, self.default_mu)

    def people_clearance(self, x, y, yaw, front, rear, half_width):
        """:func:`people_clearance` for this street's people."""
        return people_clearance(self.people, x, y, yaw, front, rear, half_width)
