"""The car's footprint against people, edges and solids: the rectangle's corners, exact
point–box distances, the wheels' contact points against a drop edge, and the facts a
clearance query returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from stuntsim.geometry.shapes import Person

if TYPE_CHECKING:  # the field is only an argument here (distance.py imports this module)
    from stuntsim.geometry.distance import DistanceField


def circle_clearance(cx, cy, radius, x, y, yaw, front, rear, half_width) -> np.ndarray:
    """Signed clearance [m] between car footprints and circles (centres (n,) or scalar):
    the circle centre's signed distance to the rectangle minus the radius (exact)."""
    x, y, yaw, front, rear, half_width, cx, cy = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float))
          for v in (x, y, yaw, front, rear, half_width, cx, cy))
    )
    distance = box_signed_distance(cx, cy, x, y, np.cos(yaw), np.sin(yaw), front, rear,
                                    half_width)[0]
    return distance - radius


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


def box_signed_distance(px, py, x, y, c, s, front, rear, half_width):
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


def box_normal(u, w, qu, qw, c, s):
    """Unit normal pointing from an outside/inside point toward the box (−∇ box distance)."""
    pos_u, pos_w = np.maximum(qu, 0.0), np.maximum(qw, 0.0)
    out = np.sqrt(pos_u * pos_u + pos_w * pos_w)
    outside = out > 0.0
    safe = np.where(outside, out, 1.0)
    along_u = qu >= qw
    gu = np.where(outside, pos_u / safe, np.where(along_u, 1.0, 0.0)) * np.where(u < 0, -1.0, 1.0)
    gw = np.where(outside, pos_w / safe, np.where(along_u, 0.0, 1.0)) * np.where(w < 0, -1.0, 1.0)
    return -(c * gu - s * gw), -(s * gu + c * gw)


def people_clearance(people: Sequence[Person], x, y, yaw, front, rear, half_width, *,
                     cos_sin=None):
    """Exact clearance between car footprints and people (circles).

    distance = (signed distance from the circle centre to the rectangle) − radius, minimised
    over people; negative means the footprint overlaps the person.

    Parameters
    ----------
    people : sequence of Person
    x, y, yaw, front, rear, half_width : array_like   As in :func:`footprint_corners`.
    cos_sin : (cos ψ, sin ψ), optional   Already computed for ``yaw`` (the same values, so
                             the same answer; saves two of the slowest numpy calls).

    Returns
    -------
    distance : ndarray (n,)      [m]; ``inf`` if there are no people.
    person_index : ndarray (n,)  Index into ``people`` of the nearest one (-1 if none).
    """
    x, y, yaw, front, rear, half_width = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (x, y, yaw, front, rear, half_width))
    )
    c, s = (np.cos(yaw), np.sin(yaw)) if cos_sin is None else np.broadcast_arrays(*cos_sin)
    best = np.full(x.shape, np.inf)
    index = np.full(x.shape, -1, dtype=np.intp)
    for k, person in enumerate(people):
        d = (
            box_signed_distance(
                person.center[0], person.center[1], x, y, c, s, front, rear, half_width
            )[0]
            - person.radius
        )
        closer = d < best
        best = np.minimum(best, d)
        index += (k - index) * closer  # arithmetic select: faster than np.where
    return best, index
