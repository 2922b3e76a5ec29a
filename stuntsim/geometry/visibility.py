r"""Driver visibility: the eye point, camera-rig occluders, sight lines and detection.

Three layers, all plain numpy and batched (the leading axis is the sample):

1. **Occluders in the car frame** — cameras, mounts and arms bolted to the car, as
   axis-aligned :class:`Box` es and vertical :class:`Cylinder` s. Seen from the driver's eye
   each covers an azimuth sector (:func:`azimuth_sector`) and an elevation range
   (:func:`elevation_range`); :func:`blocked_sectors` merges them with the body's own
   obstructions (A-pillars, given as sectors) and :func:`forward_blocked_share` states how
   much of the 180° forward field of vision (UN Regulation 125) they hide.
2. **Sight lines in the street** — :func:`segment_blocked` tests 2-D eye→target segments
   against opaque polygons (buildings: full-height walls); :func:`visible` says whether an
   upright person (a cylinder) can be seen at all, combining the buildings (2-D) with the
   rig occluders (an exact 3-D segment test in the car frame).
3. **Closed forms** — when a person behind a right-angle building corner first becomes
   visible (:func:`corner_visibility_distance`), the AASHTO stopping sight distance
   (:func:`stopping_sight_distance`), and the first detection time of a visibility history
   (:func:`detection_time`, :func:`update_detection_time` for streaming).

Frames and angles
-----------------
* **Car frame**: x forward, y left, z up [m]; origin at the car's reference point (e.g. its
  centre of gravity projected on the ground), so the road is z = 0 and the eye is at
  z = eye height. Occluders and the eye point are given in this frame.
* **World frame**: the street's (x, y) of :mod:`stuntsim.geometry`, z up from the road. A car
  pose (x, y, yaw) [m, m, rad] places the car frame in it; the road is flat and the car's
  pitch and roll are ignored.
* **Azimuth** [rad]: anticlockwise (toward the left) from straight ahead, in (−π, π];
  +π/2 is the driver's left. A sector is (az_min, az_max) read anticlockwise from az_min
  to az_max; a sector that straddles straight back (±π) comes out with az_min > az_max
  (e.g. (3.0, −3.0)). The full circle — the eye's vertical line passes through the
  occluder — is (−π, π).
* **Elevation** [rad]: above the horizontal through the eye, in [−π/2, π/2].

What is approximate
-------------------
* A person is a vertical cylinder, seen through a few sample points: the centre line and
  the two silhouette edges (the points ±r perpendicular to the horizontal line of sight,
  at apparent half-angle atan(r/d) instead of the exact asin(r/d), a difference of
  ≈ r³/(2d²) in position: 0.2 mm for r = 0.25 m at 2 m), each at a few heights. A person
  seen only through a gap narrower than the sample spacing is reported hidden.
* Buildings are opaque full-height prisms (no windows, no overhangs); the road is flat, so
  the 2-D building test is exact for them. Rig occluders are tested exactly (segment
  against box / cylinder). Parked cars and other low obstacles should not be passed as
  opaque polygons: they hide a child but not an adult's head.
* :func:`blocked_sectors` and :func:`forward_blocked_share` are azimuth-only (an occluder
  covering any elevation of a direction blocks that direction) unless an elevation window
  is given; an azimuth sector × elevation range rectangle slightly over-covers a box's
  true silhouette.
* Visibility is geometric: it says nothing of attention, glare or conspicuity; those belong
  to the perception–reaction time drawn downstream (REFERENCES.md, Green 2000).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stuntsim.constants import TO_KMH

__all__ = [
    "DRIVER_EYE_HEIGHT",
    "FORWARD_FIELD",
    "Box",
    "Cylinder",
    "azimuth_sector",
    "blocked_sectors",
    "clip_sectors",
    "corner_visibility_distance",
    "detection_time",
    "direction_angles",
    "elevation_range",
    "eye_in_world",
    "forward_blocked_share",
    "rig_blocked",
    "segment_blocked",
    "stopping_sight_distance",
    "update_detection_time",
    "visible",
    "visible_points",
    "widest_blocked_sector",
]

DRIVER_EYE_HEIGHT = 1.08
"""Design driver eye height above the road [m] (AASHTO 2011, REFERENCES.md). A classic Fiat
500's seated eye height is lower, about 1.0–1.1 m (an assumption)."""

FORWARD_FIELD = (-0.5 * math.pi, 0.5 * math.pi)
"""The driver's 180° forward field of vision [rad] (UN Regulation 125, M1 vehicles)."""

_FULL_CIRCLE = (-math.pi, math.pi)
_TINY = 1e-12  # [m] or [-]: below this a direction component counts as zero


# --------------------------------------------------------------------------------------
# Occluders in the car frame
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Box:
    """An axis-aligned box in the car frame: a camera body, a mount plate, a light.

    Parameters
    ----------
    center : array_like   Centre (x, y, z) in the car frame [m].
    size : array_like     Full extents (length along x, width along y, height along z) [m],
                          each > 0.
    name : str            Label used in reports.
    """

    center: np.ndarray
    size: np.ndarray
    name: str = "box"

    def __post_init__(self):
        center = _vector(self.center, 3, f"box {self.name!r}: center")
        size = _vector(self.size, 3, f"box {self.name!r}: size")
        if not np.all(size > 0):
            raise ValueError(f"box {self.name!r}: size must be > 0 on every axis, got {size}")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "size", size)

    @property
    def lower(self) -> np.ndarray:
        """Corner (3,) with the smallest x, y, z [m]."""
        return self.center - 0.5 * self.size

    @property
    def upper(self) -> np.ndarray:
        """Corner (3,) with the largest x, y, z [m]."""
        return self.center + 0.5 * self.size

    def blocks(self, start, end) -> np.ndarray:
        """Whether the closed segments start→end (…, 3) [m, car frame] touch the box.

        Exact (slab method: the segment's parameter interval inside each pair of faces,
        intersected). Returns a bool array of the broadcast leading shape.
        """
        start, direction = _segment_arrays(start, end)
        enter, leave = _slab_interval(start, direction, self.lower, self.upper)
        return _hits_unit_interval(enter, leave)


@dataclass(frozen=True, eq=False)
class Cylinder:
    """A vertical cylinder in the car frame: a camera arm's post, a round light, a lens.

    Parameters
    ----------
    center : array_like   Axis position (x, y) in the car frame [m].
    radius : float        Radius [m], > 0.
    z_min, z_max : float  Bottom and top above the road [m], z_min < z_max.
    name : str            Label used in reports.
    """

    center: np.ndarray
    radius: float
    z_min: float
    z_max: float
    name: str = "cylinder"

    def __post_init__(self):
        object.__setattr__(self, "center", _vector(self.center, 2, f"cylinder {self.name!r}"))
        if not self.radius > 0:
            raise ValueError(f"cylinder {self.name!r}: radius must be > 0, got {self.radius}")
        if not self.z_min < self.z_max:
            raise ValueError(f"cylinder {self.name!r}: need z_min < z_max")
        for field in ("radius", "z_min", "z_max"):
            object.__setattr__(self, field, float(getattr(self, field)))

    def blocks(self, start, end) -> np.ndarray:
        """Whether the closed segments start→end (…, 3) [m, car frame] touch the cylinder.

        Exact: the parameter interval where the horizontal projection is within the radius
        (a quadratic), intersected with the interval where z is between z_min and z_max.
        """
        start, direction = _segment_arrays(start, end)
        rel_x, rel_y = start[..., 0] - self.center[0], start[..., 1] - self.center[1]
        dx, dy = direction[..., 0], direction[..., 1]
        quad_a = dx * dx + dy * dy
        half_b = dx * rel_x + dy * rel_y
        quad_c = rel_x * rel_x + rel_y * rel_y - self.radius**2
        discriminant = half_b * half_b - quad_a * quad_c
        vertical = quad_a < _TINY**2
        safe_a = np.where(vertical, 1.0, quad_a)
        root = np.sqrt(np.maximum(discriminant, 0.0))
        crosses = discriminant >= 0.0
        enter = np.where(
            vertical, np.where(quad_c <= 0, -np.inf, np.inf), (-half_b - root) / safe_a
        )
        leave = np.where(
            vertical, np.where(quad_c <= 0, np.inf, -np.inf), (-half_b + root) / safe_a
        )
        enter = np.where(crosses | vertical, enter, np.inf)
        leave = np.where(crosses | vertical, leave, -np.inf)
        z_enter, z_leave = _slab_1d(start[..., 2], direction[..., 2], self.z_min, self.z_max)
        return _hits_unit_interval(np.maximum(enter, z_enter), np.minimum(leave, z_leave))


Occluder = Box | Cylinder


def azimuth_sector(eye, occluder: Occluder) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal angular sector an occluder covers, seen from the eye.

    For a box the sector's edges are the azimuths atan2(Δy, Δx) of its two outermost
    footprint corners (a convex polygon's angular extent from an outside point is reached
    at vertices); for a cylinder they are the centre's bearing ± asin(r / d), d the
    horizontal eye–axis distance.

    Parameters
    ----------
    eye : array_like          Eye point (3,) or (n, 3) in the car frame [m].
    occluder : Box or Cylinder

    Returns
    -------
    (az_min, az_max) : ndarrays, shape () or (n,)
        Sector edges [rad] in (−π, π], anticlockwise from straight ahead. A sector that
        straddles straight back has az_min > az_max; when the eye's vertical line passes
        through the occluder the sector is the full circle (−π, π).
    """
    eye = _points(eye, 3, "eye")
    if isinstance(occluder, Box):
        corners_x = occluder.center[0] + 0.5 * occluder.size[0] * np.array([1, 1, -1, -1])
        corners_y = occluder.center[1] + 0.5 * occluder.size[1] * np.array([1, -1, 1, -1])
        rel_x = corners_x - eye[..., 0, None]
        rel_y = corners_y - eye[..., 1, None]
        centre = np.arctan2(occluder.center[1] - eye[..., 1], occluder.center[0] - eye[..., 0])
        # corners relative to the centre's bearing: a convex footprint seen from outside
        # spans less than π, so the wrapped offsets never jump
        offset = _wrap(np.arctan2(rel_y, rel_x) - centre[..., None])
        az_min, az_max = centre + offset.min(axis=-1), centre + offset.max(axis=-1)
        gap_x = np.abs(eye[..., 0] - occluder.center[0]) - 0.5 * occluder.size[0]
        gap_y = np.abs(eye[..., 1] - occluder.center[1]) - 0.5 * occluder.size[1]
        around = (gap_x <= 0) & (gap_y <= 0)
    else:
        rel_x = occluder.center[0] - eye[..., 0]
        rel_y = occluder.center[1] - eye[..., 1]
        distance = np.hypot(rel_x, rel_y)
        around = distance <= occluder.radius
        half = np.arcsin(np.clip(occluder.radius / np.where(around, 1.0, distance), 0.0, 1.0))
        centre = np.arctan2(rel_y, rel_x)
        az_min, az_max = centre - half, centre + half
    az_min = np.where(around, _FULL_CIRCLE[0], _wrap(az_min))
    az_max = np.where(around, _FULL_CIRCLE[1], _wrap(az_max))
    return az_min, az_max


def elevation_range(eye, occluder: Occluder) -> tuple[np.ndarray, np.ndarray]:
    """Vertical angles an occluder covers, seen from the eye.

    The lowest elevation is atan2(z_bottom − z_eye, ρ) and the highest atan2(z_top − z_eye, ρ)
    with ρ the nearest horizontal distance to the occluder's footprint when the numerator
    is of the steep sign (below the eye for the bottom, above for the top) and the farthest
    otherwise: so a low hood mount may hide the road near the car and still leave a
    standing adult's head in view. The range is for the occluder as a whole; at a given
    azimuth the covered elevations are a sub-range.

    Parameters
    ----------
    eye : array_like          Eye point (3,) or (n, 3) in the car frame [m].
    occluder : Box or Cylinder

    Returns
    -------
    (el_min, el_max) : ndarrays, shape () or (n,)
        Elevations [rad] above the eye's horizontal plane, in [−π/2, π/2].
    """
    eye = _points(eye, 3, "eye")
    if isinstance(occluder, Box):
        off_x = np.abs(eye[..., 0] - occluder.center[0])
        off_y = np.abs(eye[..., 1] - occluder.center[1])
        half_x, half_y = 0.5 * occluder.size[0], 0.5 * occluder.size[1]
        nearest = np.hypot(np.maximum(off_x - half_x, 0.0), np.maximum(off_y - half_y, 0.0))
        farthest = np.hypot(off_x + half_x, off_y + half_y)
        bottom, top = occluder.lower[2], occluder.upper[2]
    else:
        distance = np.hypot(eye[..., 0] - occluder.center[0], eye[..., 1] - occluder.center[1])
        nearest = np.maximum(distance - occluder.radius, 0.0)
        farthest = distance + occluder.radius
        bottom, top = occluder.z_min, occluder.z_max
    drop, rise = bottom - eye[..., 2], top - eye[..., 2]
    el_min = np.arctan2(drop, np.where(drop < 0, nearest, farthest))
    el_max = np.arctan2(rise, np.where(rise > 0, nearest, farthest))
    return el_min, el_max


def direction_angles(eye, point) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation [rad] of points (…, 3) seen from the eye (…, 3), same frame."""
    eye, point = np.broadcast_arrays(_points(eye, 3, "eye"), _points(point, 3, "point"))
    rel = point - eye
    return np.arctan2(rel[..., 1], rel[..., 0]), np.arctan2(
        rel[..., 2], np.hypot(rel[..., 0], rel[..., 1])
    )


def blocked_sectors(
    eye,
    occluders: Sequence[Occluder],
    *,
    body_sectors: Sequence[tuple[float, float, str]] = (),
    elevation: tuple[float, float] | None = None,
) -> list[tuple[float, float, str]]:
    """Merged azimuth sectors hidden from one eye point by the rig and the car body.

    Parameters
    ----------
    eye : array_like        One eye point (3,) in the car frame [m] (a design check of a
                            rig layout; for per-sample eyes use :func:`visible`).
    occluders : sequence of Box or Cylinder
    body_sectors : sequence of (az_min, az_max, name)
        Obstructions of the car itself (A-pillars, mirror housings) as azimuth sectors
        [rad], measured (SAE J1050) or assumed; az_min > az_max means straddling ±π.
    elevation : (el_min, el_max) or None
        If given [rad], an occluder counts only where its elevation range overlaps this
        window (e.g. the elevations at which a pedestrian's body appears at the distances
        that matter); body sectors always count.

    Returns
    -------
    list of (az_min, az_max, name)
        Disjoint sectors [rad] sorted by az_min, with −π ≤ az_min < az_max ≤ π: a sector
        straddling straight back is returned as two pieces, one ending at π and one
        starting at −π. Overlapping or touching sectors are merged and their names joined
        with "+".
    """
    eye = _points(eye, 3, "eye")
    if eye.shape != (3,):
        raise ValueError("blocked_sectors takes one eye point (3,)")
    sectors = [(float(lo), float(hi), str(name)) for lo, hi, name in body_sectors]
    for occluder in occluders:
        if elevation is not None:
            el_min, el_max = elevation_range(eye, occluder)
            if el_max < elevation[0] or el_min > elevation[1]:
                continue
        az_min, az_max = azimuth_sector(eye, occluder)
        sectors.append((float(az_min), float(az_max), occluder.name))
    return _merge(sectors)


def forward_blocked_share(
    sectors: Sequence[tuple[float, float, Any]], field: tuple[float, float] = FORWARD_FIELD
) -> float:
    """Share [-] of a field of vision hidden by azimuth sectors.

    Parameters
    ----------
    sectors : sequence of (az_min, az_max, name)
        Sectors [rad] as from :func:`blocked_sectors` (they are merged again here, so
        overlapping input is not double counted).
    field : (lo, hi)
        The field [rad], −π ≤ lo < hi ≤ π; default the 180° forward field of UN R125.

    Returns
    -------
    float   Blocked angle / field width, in [0, 1].
    """
    lo, hi = float(field[0]), float(field[1])
    if not -math.pi <= lo < hi <= math.pi:
        raise ValueError(f"field must satisfy -pi <= lo < hi <= pi, got {field}")
    blocked = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b, _ in _merge(sectors))
    return blocked / (hi - lo)


def widest_blocked_sector(
    sectors: Sequence[tuple[float, float, Any]], *, field: tuple[float, float] | None = None
) -> float:
    """Width [rad] of the widest contiguous blocked sector (0 if none).

    Parameters
    ----------
    sectors : sequence of (az_min, az_max, name)   Sectors [rad], merged here.
    field : (lo, hi) or None   If given [rad], sectors are clipped to it first.

    Two pieces meeting at ±π (one sector straddling straight back) count as one.
    """
    merged = _merge(sectors)
    if field is not None:
        merged = clip_sectors(merged, field)
    widths = [b - a for a, b, _ in merged]
    if len(merged) >= 2 and merged[0][0] <= -math.pi and merged[-1][1] >= math.pi:
        widths.append(widths[0] + widths[-1])
    return max(widths, default=0.0)


def clip_sectors(sectors: Sequence[tuple[float, float, Any]], field: tuple[float, float]
                 ) -> list[tuple[float, float, Any]]:
    """Disjoint sectors (as from :func:`blocked_sectors`) cut to a field (lo, hi) [rad];
    pieces wholly outside it are dropped."""
    lo, hi = float(field[0]), float(field[1])
    return [(max(a, lo), min(b, hi), name) for a, b, name in sectors if min(b, hi) > max(a, lo)]


# --------------------------------------------------------------------------------------
# Sight lines in the street
# --------------------------------------------------------------------------------------
def segment_blocked(eye_x, eye_y, target_x, target_y, polygons) -> np.ndarray:
    """Whether 2-D sight lines cross an opaque polygon's edge.

    Buildings are opaque full-height prisms, so on a flat road a sight line is blocked
    exactly when its horizontal projection properly crosses one of their edges. Grazing
    a corner or ending on an edge does not block (a touch is not a crossing), so a
    person standing against a wall is not hidden by that wall.

    Parameters
    ----------
    eye_x, eye_y : array_like         Eye positions [m], world frame; broadcastable with
                                      the targets, typically (n,).
    target_x, target_y : array_like   Target points [m], e.g. (n,) or (n, k).
    polygons : sequence               Opaque polygons (k, 2) [m] or objects with a
                                      ``polygon`` attribute (:class:`stuntsim.geometry.Solid`).

    Returns
    -------
    ndarray of bool, the broadcast shape of the inputs.
    """
    ex, ey, tx, ty = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (eye_x, eye_y, target_x, target_y))
    )
    blocked = np.zeros(ex.shape, dtype=bool)
    starts, ends = _edges(polygons)
    seg_x, seg_y = tx - ex, ty - ey
    for (ax, ay), (bx, by) in zip(starts, ends, strict=True):
        # signs of the edge's end points about the sight line, and of the sight line's
        # end points about the edge: opposite on both sides = a proper crossing
        side_a = seg_x * (ay - ey) - seg_y * (ax - ex)
        side_b = seg_x * (by - ey) - seg_y * (bx - ex)
        edge_x, edge_y = bx - ax, by - ay
        side_eye = edge_x * (ey - ay) - edge_y * (ex - ax)
        side_target = edge_x * (ty - ay) - edge_y * (tx - ax)
        blocked |= (side_a * side_b < 0) & (side_eye * side_target < 0)
    return blocked


def eye_in_world(car_pose, eye) -> np.ndarray:
    """Eye points (n, 3) in the world frame [m] from car poses and the car-frame eye.

    Parameters
    ----------
    car_pose : (x, y, yaw)   Reference point [m] and heading [rad] of the car, each (n,) or
                             scalar.
    eye : array_like         Eye point (3,) or (n, 3) in the car frame [m].
    """
    x, y, yaw = (np.asarray(v, dtype=float) for v in car_pose)
    eye = _points(eye, 3, "eye")
    c, s = np.cos(yaw), np.sin(yaw)
    wx = x + c * eye[..., 0] - s * eye[..., 1]
    wy = y + s * eye[..., 0] + c * eye[..., 1]
    wx, wy, wz = np.broadcast_arrays(wx, wy, eye[..., 2])
    return np.stack([wx, wy, wz], axis=-1)


def rig_blocked(start, end, occluders: Sequence[Occluder]) -> np.ndarray:
    """Whether segments start→end (…, 3) [m, car frame] touch any rig occluder (exact)."""
    start, end = np.broadcast_arrays(_points(start, 3, "start"), _points(end, 3, "end"))
    blocked = np.zeros(start.shape[:-1], dtype=bool)
    for occluder in occluders:
        blocked |= occluder.blocks(start, end)
    return blocked


def visible_points(
    eye_world,
    person,
    polygons=(),
    *,
    occluders: Sequence[Occluder] = (),
    car_pose=None,
    across: Sequence[float] = (-1.0, 0.0, 1.0),
    height_fractions: Sequence[float] = (0.1, 0.5, 0.9),
) -> np.ndarray:
    """Which sample points of a person the eye can see, batched over samples.

    Sample points: lateral offsets ``across`` × radius along the horizontal perpendicular
    to the line of sight (−1 and +1 are the silhouette edges, 0 the centre line), each at
    ``height_fractions`` × the person's height. A point is seen when the 2-D sight line
    crosses no polygon (:func:`segment_blocked`) and the 3-D sight line touches no rig
    occluder (:func:`rig_blocked`, in the car frame).

    Parameters
    ----------
    eye_world : array_like       Eye points (n, 3) or (3,) [m], world frame, z above the road
                                 (see :func:`eye_in_world`).
    person : (x, y, radius, height)
        The person as an upright cylinder on the road [m], each (n,) or scalar.
    polygons : sequence          Opaque polygons (buildings), as in :func:`segment_blocked`.
    occluders : sequence of Box or Cylinder   Rig occluders in the car frame.
    car_pose : (x, y, yaw) or None
        Pose of the car frame in the world [m, m, rad], each (n,) or scalar; None means the
        car frame is the world frame (occluders given in world coordinates).
    across : sequence of float         Lateral sample offsets [-] in units of the radius.
    height_fractions : sequence of float  Sample heights [-] as fractions of the height.

    Returns
    -------
    ndarray of bool (n, len(across), len(height_fractions)).
    """
    eye = _points(eye_world, 3, "eye_world")
    pose = (0.0, 0.0, 0.0) if car_pose is None else car_pose
    ex, ey, ez, px, py, radius, height, car_x, car_y, car_yaw = (
        np.atleast_1d(a)
        for a in np.broadcast_arrays(
            eye[..., 0],
            eye[..., 1],
            eye[..., 2],
            *(np.asarray(v, dtype=float) for v in (*person, *pose)),
        )
    )
    across = np.asarray(across, dtype=float)
    fractions = np.asarray(height_fractions, dtype=float)

    # unit horizontal perpendicular to the line of sight (any unit vector if degenerate)
    look_x, look_y = px - ex, py - ey
    length = np.hypot(look_x, look_y)
    safe = np.where(length > _TINY, length, 1.0)
    perp_x = np.where(length > _TINY, -look_y / safe, 0.0)
    perp_y = np.where(length > _TINY, look_x / safe, 1.0)
    target_x = px[:, None] + across * radius[:, None] * perp_x[:, None]  # (n, L)
    target_y = py[:, None] + across * radius[:, None] * perp_y[:, None]

    clear_2d = ~segment_blocked(ex[:, None], ey[:, None], target_x, target_y, polygons)
    shape = (*target_x.shape, len(fractions))
    clear = np.broadcast_to(clear_2d[:, :, None], shape).copy()
    if occluders:
        target_z = np.broadcast_to(fractions * height[:, None, None], shape)
        start, end = _to_car_frame(
            (car_x, car_y, car_yaw), ex, ey, ez, target_x, target_y, target_z
        )
        clear &= ~rig_blocked(start, end, occluders)
    return clear


def visible(eye_world, person, polygons=(), **options) -> np.ndarray:
    """Whether any sample point of a person is visible, bool (n,).

    Same arguments as :func:`visible_points` (which documents the sampling); the person is
    visible when the line from the eye to at least one sample point is clear.
    """
    return visible_points(eye_world, person, polygons, **options).any(axis=(1, 2))


# --------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------
def corner_visibility_distance(eye_offset, person_offset, person_depth, *, person_radius=0.0):
    r"""Distance before a right-angle building corner at which a person behind it is seen.

    Plan view, the car driving along +x on the main street; the near-side building fills
    the quadrant x < 0, y < 0 with its corner at the origin; the side street runs off
    toward −y for x > 0 (the building face x = 0 is the corner line)::

            eye (−L, a) ●─────────────▶            main street
        ─────────────────────┐ O (corner)   y = 0  near-side building line
              building       │     ● person (b, −d)
                             │ x = 0  side street

    * a = ``eye_offset``: the eye's lateral distance from the near-side building line [m];
    * b = ``person_offset``: the person's distance beyond the corner line, into the side
      street [m];
    * d = ``person_depth``: how far the person stands back from the main street's building
      line, along the side street [m].

    A point person is hidden while the sight line passes behind the corner. The line from
    (−L, a) to (b, −d) crosses y = 0 at x = (a b − L d) / (a + d), so by similar triangles
    it clears the corner when L d < a b:

    .. math::  L^* = \frac{a\,b}{d}

    A person of radius r is seen once the line eye–corner passes within r of the centre on
    the far side, (L d − a b) = r √(L² + a²); the larger root of that quadratic is

    .. math::  L^* = a\,\frac{b\,d + r\sqrt{b^2 + d^2 - r^2}}{d^2 - r^2}

    which reduces to a b / d at r = 0. The distance from the eye to the person's crossing
    line x = b along the street at that moment is L* + b (the sight distance to compare
    with :func:`stopping_sight_distance` for a person stepping straight out).

    Parameters
    ----------
    eye_offset : array_like      a [m], > 0.
    person_offset : array_like   b [m], ≥ r.
    person_depth : array_like    d [m]; where d ≤ r the person already stands in the main
                                 street's clear space and is always visible: +inf.
    person_radius : array_like   r [m], ≥ 0 (default a point).

    Returns
    -------
    ndarray   L* [m], the eye's distance before the corner line when the person first
              becomes visible (the eye sees the person for every L < L*).

    References
    ----------
    Similar triangles in plan view, the same construction as the sight triangles of
    intersection sight distance (AASHTO, A Policy on Geometric Design of Highways and
    Streets, 2011, ch. 9).
    """
    a, b, d, r = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=float)
            for v in (eye_offset, person_offset, person_depth, person_radius)
        )
    )
    behind = d > r
    d_safe = np.where(behind, d, r + 1.0)
    root = np.sqrt(np.maximum(b * b + d_safe * d_safe - r * r, 0.0))
    distance = a * (b * d_safe + r * root) / (d_safe * d_safe - r * r)
    return np.where(behind, distance, np.inf)[()]


#: The g of AASHTO's metric stopping-sight-distance formula (its 254 ≈ 2 · 9.81 · 3.6²). It
#: is part of the standard's closed form, kept as the standard writes it; the models use
#: stuntsim.constants.GRAVITY.
AASHTO_G = 9.81


def stopping_sight_distance(speed, reaction_time, deceleration, grade=0.0):
    r"""AASHTO stopping sight distance: reaction distance plus braking distance.

    .. math::  SSD = 0.278\,V\,t + \frac{V^2}{254\,(a / 9.81 + G)}

    with V in km/h, t [s], a [m/s²], SSD [m]; 0.278 ≈ 1/3.6 and 254 ≈ 2 · 9.81 · 3.6², so
    this is v t + v² / (2 (a + g G)) in SI units to within 0.1 %. The AASHTO design values
    t = 2.5 s, a = 3.4 m/s² give 18.4 m at 20 km/h and 31.1 m at 30 km/h (REFERENCES.md).
    (AASHTO's level-road form 0.039 V² / a rounds 9.81/254 up and gives ≈ 0.05–0.1 m more.)

    Parameters
    ----------
    speed : array_like          Initial speed [m/s], ≥ 0 (converted to km/h inside).
    reaction_time : array_like  Perception–reaction time t [s].
    deceleration : array_like   Braking deceleration a [m/s²], > 0.
    grade : array_like          Road grade G [-] (rise / run), positive uphill (the "+" of
                                AASHTO's ±G), negative downhill.

    Returns
    -------
    ndarray   SSD [m]; +inf where a / 9.81 + G ≤ 0 (the car cannot stop on that grade).

    References
    ----------
    AASHTO (2011). A Policy on Geometric Design of Highways and Streets, 6th ed., ch. 3
    (stopping sight distance, braking on grades).
    """
    v_kmh = TO_KMH * np.asarray(speed, dtype=float)
    t, a, g = (np.asarray(v, dtype=float) for v in (reaction_time, deceleration, grade))
    braking_ratio = a / AASHTO_G + g
    can_stop = braking_ratio > 0
    braking = v_kmh**2 / (254.0 * np.where(can_stop, braking_ratio, 1.0))
    return np.where(can_stop, 0.278 * v_kmh * t + braking, np.inf)[()]


def detection_time(visible_history, times=None) -> np.ndarray:
    """First time a target is visible, per sample.

    Parameters
    ----------
    visible_history : array_like of bool (n, T)   Visibility at each time step.
    times : array_like (T,) or None               Time of each step [s].

    Returns
    -------
    ndarray (n,)
        Without ``times``: the first step index where visibility is true, −1 if never.
        With ``times``: that step's time [s], NaN if never.

    For streaming runs that keep no (n, T) history use :func:`update_detection_time`.
    """
    history = np.asarray(visible_history, dtype=bool)
    if history.ndim != 2:
        raise ValueError(f"visible_history must be (n, T), got shape {history.shape}")
    seen = history.any(axis=1)
    index = np.where(seen, history.argmax(axis=1), -1)
    if times is None:
        return index
    times = np.asarray(times, dtype=float)
    if times.shape != (history.shape[1],):
        raise ValueError(f"times must have shape ({history.shape[1]},), got {times.shape}")
    if times.size == 0:
        return np.full(index.shape, np.nan)
    return np.where(seen, times[np.maximum(index, 0)], np.nan)


def update_detection_time(first_time, visible_now, time) -> np.ndarray:
    """Streaming form of :func:`detection_time`: keep the first time visibility was true.

    Parameters
    ----------
    first_time : array_like (n,)   Detection times so far [s], NaN where not yet seen.
    visible_now : array_like (n,)  Visibility at this step.
    time : float                   This step's time [s].

    Returns
    -------
    ndarray (n,)   Updated detection times [s].
    """
    first_time = np.asarray(first_time, dtype=float)
    return np.where(np.isnan(first_time) & np.asarray(visible_now, dtype=bool), time, first_time)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def _wrap(angle):
    """Angles wrapped into (−π, π] [rad]."""
    return np.pi - np.mod(np.pi - angle, 2.0 * np.pi)


def _merge(sectors) -> list[tuple[float, float, str]]:
    """Split sectors straddling ±π, then merge overlapping or touching ones (names joined)."""
    pieces = []
    for lo, hi, name in sectors:
        lo, hi = float(lo), float(hi)
        if not (-math.pi <= lo <= math.pi and -math.pi <= hi <= math.pi):
            raise ValueError(f"sector {name!r}: edges must be in [-pi, pi], got ({lo}, {hi})")
        if lo <= hi:
            pieces.append((lo, hi, str(name)))
        else:  # straddles straight back
            pieces.extend([(lo, math.pi, str(name)), (-math.pi, hi, str(name))])
    pieces.sort(key=lambda piece: piece[0])
    merged: list[tuple[float, float, list[str]]] = []
    for lo, hi, name in pieces:
        if merged and lo <= merged[-1][1]:
            last_lo, last_hi, names = merged[-1]
            if name not in names:
                names.append(name)
            merged[-1] = (last_lo, max(last_hi, hi), names)
        else:
            merged.append((lo, hi, [name]))
    return [(lo, hi, "+".join(names)) for lo, hi, names in merged]


def _edges(polygons) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (E, 2) of all edges of closed polygons."""
    starts, ends = [np.zeros((0, 2))], [np.zeros((0, 2))]
    for polygon in polygons:
        vertices = np.asarray(getattr(polygon, "polygon", polygon), dtype=float)
        if vertices.ndim != 2 or vertices.shape[1] != 2 or len(vertices) < 2:
            raise ValueError(f"a polygon must have shape (k, 2), got {vertices.shape}")
        starts.append(vertices)
        ends.append(np.roll(vertices, -1, axis=0))
    return np.vstack(starts), np.vstack(ends)


def _to_car_frame(car_pose, ex, ey, ez, target_x, target_y, target_z):
    """Sight segments (n, L, H, 3) from world to car frame (flat road, no pitch or roll)."""
    x, y, yaw = car_pose  # each (n,), broadcast with the eye
    c, s = np.cos(yaw), np.sin(yaw)
    sx, sy = c * (ex - x) + s * (ey - y), -s * (ex - x) + c * (ey - y)
    x, y, c, s = (v[:, None] for v in (x, y, c, s))
    tx = c * (target_x - x) + s * (target_y - y)
    ty = -s * (target_x - x) + c * (target_y - y)
    shape = target_z.shape
    start = np.stack([sx, sy, ez], axis=-1)[:, None, None, :]
    end = np.stack(
        [np.broadcast_to(tx[..., None], shape), np.broadcast_to(ty[..., None], shape), target_z],
        axis=-1,
    )
    return start, end


def _segment_arrays(start, end):
    start, end = np.broadcast_arrays(_points(start, 3, "start"), _points(end, 3, "end"))
    return start, end - start


def _slab_1d(start, direction, lo, hi):
    """Parameter interval (enter, leave) of s + t·d within [lo, hi] (±inf if parallel)."""
    parallel = np.abs(direction) < _TINY
    safe = np.where(parallel, 1.0, direction)
    t_lo, t_hi = (lo - start) / safe, (hi - start) / safe
    inside = (start >= lo) & (start <= hi)
    enter = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t_lo, t_hi))
    leave = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t_lo, t_hi))
    return enter, leave


def _slab_interval(start, direction, lower, upper):
    enter = np.full(start.shape[:-1], -np.inf)
    leave = np.full(start.shape[:-1], np.inf)
    for axis in range(3):
        a, b = _slab_1d(start[..., axis], direction[..., axis], lower[axis], upper[axis])
        enter, leave = np.maximum(enter, a), np.minimum(leave, b)
    return enter, leave


def _hits_unit_interval(enter, leave):
    """The parameter interval [enter, leave] meets the segment's [0, 1]."""
    return (np.maximum(enter, 0.0) <= np.minimum(leave, 1.0)) & (enter <= leave)


def _vector(value, size: int, what: str) -> np.ndarray:
    vector = np.array(value, dtype=float).reshape(-1)
    if vector.shape != (size,) or not np.all(np.isfinite(vector)):
        raise ValueError(f"{what} must be {size} finite numbers, got {value!r}")
    vector.setflags(write=False)
    return vector


def _points(value, size: int, what: str) -> np.ndarray:
    points = np.asarray(value, dtype=float)
    if points.ndim == 0 or points.shape[-1] != size:
        raise ValueError(f"{what} must have shape ({size},) or (..., {size}), got {points.shape}")
    return points
