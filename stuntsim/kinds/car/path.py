"""The rehearsed line as a densely sampled reference path, and the speed plan along it.

The line is given as straight and arc segments from a start pose (exact), or as a polyline
(whose corners are kept as they are: a polyline line is followed chord by chord). It is
resampled at a fixed arc-length spacing so that projecting a car onto it is an O(1)
update per sample and step (:meth:`ReferencePath.project`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from stuntsim.ufuncs import clip

SPACING = 0.05  # [m] arc-length spacing of the resampled path


@dataclass(frozen=True)
class ReferencePath:
    """A path sampled every ``spacing`` metres of arc length.

    Attributes
    ----------
    x, y : ndarray (m,)        Points [m].
    heading : ndarray (m,)     Tangent direction [rad], unwrapped.
    curvature : ndarray (m,)   Signed curvature [1/m], positive turning left.
    spacing : float            Arc-length step [m].
    corner_start, corner_end : float | None
        Arc length [m] where the arcs of a segment-defined line begin and end.
    """

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    curvature: np.ndarray
    spacing: float
    corner_start: float | None = None
    corner_end: float | None = None

    @property
    def length(self) -> float:
        return (self.x.size - 1) * self.spacing

    @property
    def s(self) -> np.ndarray:
        return np.arange(self.x.size) * self.spacing

    def point_at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points at arc lengths ``s`` [m]; beyond either end the path continues straight."""
        last = self.x.size - 1
        position = np.asarray(s) / self.spacing
        index = clip(np.floor(position).astype(np.intp), 0, last - 1)
        frac = position - index
        x = self.x[index] + frac * (self.x[index + 1] - self.x[index])
        y = self.y[index] + frac * (self.y[index + 1] - self.y[index])
        return x, y

    def heading_at(self, s: np.ndarray) -> np.ndarray:
        """Tangent direction [rad] at arc lengths ``s`` (nearest sample; constant past the ends)."""
        index = clip(np.rint(np.asarray(s) / self.spacing).astype(np.intp), 0, self.x.size - 1)
        return self.heading[index]

    @cached_property
    def _cos_heading(self) -> np.ndarray:  # tabulated once: np.cos is ~8× np.tan per element
        return np.cos(self.heading)

    @cached_property
    def _sin_heading(self) -> np.ndarray:
        return np.sin(self.heading)

    def project(
        self, px: np.ndarray, py: np.ndarray, s_guess: np.ndarray, iterations: int = 2
    ) -> tuple[np.ndarray, np.ndarray]:
        """Arc length of the nearest path point and signed lateral offset (left positive).

        Starts from a guess (the previous step's arc length) and slides along the local
        tangent: exact for a straight path, and converges in one or two iterations when
        the lateral offset is small against the radius of curvature. Cheap: O(n).
        """
        last = self.x.size - 1
        s = np.asarray(s_guess, dtype=float)
        for _ in range(iterations):
            index = clip(np.rint(s / self.spacing).astype(np.intp), 0, last)
            cos_h = self._cos_heading[index]
            sin_h = self._sin_heading[index]
            dx = px - self.x[index]
            dy = py - self.y[index]
            s = index * self.spacing + dx * cos_h + dy * sin_h
        lateral = -dx * sin_h + dy * cos_h
        return s, lateral


def path_from_segments(start, heading: float, segments, spacing: float = SPACING):
    """Sample straight and arc segments from a start pose.

    Parameters
    ----------
    start : (2,) [m]; heading : [rad]
    segments : iterable of ("straight", length [m]) or ("arc", radius [m], angle [rad])
        An arc turns left for a positive angle.
    """
    pieces_s = [0.0]
    pieces_k = []
    corner_start = corner_end = None
    total = 0.0
    for segment in segments:
        if segment[0] == "straight":
            length, curvature = segment[1], 0.0
        else:
            radius, angle = segment[1], segment[2]
            length, curvature = radius * abs(angle), np.sign(angle) / radius
            if corner_start is None:
                corner_start = total
            corner_end = total + length
        total += length
        pieces_s.append(total)
        pieces_k.append(curvature)
    n = max(int(np.ceil(total / spacing)), 1)
    s = np.linspace(0.0, total, n + 1)
    actual_spacing = total / n
    boundaries = np.asarray(pieces_s)
    piece = np.clip(np.searchsorted(boundaries, s, side="right") - 1, 0, len(pieces_k) - 1)
    curvature = np.asarray(pieces_k)[piece]
    # Heading is the integral of curvature; integrate exactly per piece.
    heading_at_boundary = heading + np.concatenate(
        ([0.0], np.cumsum(np.asarray(pieces_k) * np.diff(boundaries)))
    )
    psi = heading_at_boundary[piece] + curvature * (s - boundaries[piece])
    # Position: exact integration of (cos ψ, sin ψ) within each piece.
    x0, y0 = float(start[0]), float(start[1])
    bx, by = [x0], [y0]
    for k, (s0, s1) in enumerate(itertools.pairwise(boundaries)):
        bx.append(bx[-1] + _chord(heading_at_boundary[k], pieces_k[k], s1 - s0)[0])
        by.append(by[-1] + _chord(heading_at_boundary[k], pieces_k[k], s1 - s0)[1])
    dxs, dys = _chord(heading_at_boundary[piece], curvature, s - boundaries[piece])
    x = np.asarray(bx)[piece] + dxs
    y = np.asarray(by)[piece] + dys
    return ReferencePath(x, y, psi, curvature, actual_spacing, corner_start, corner_end)


def _chord(psi0, curvature, length):
    """Displacement after ``length`` on a circle of ``curvature`` from heading ``psi0``."""
    psi0 = np.asarray(psi0, dtype=float)
    curvature = np.asarray(curvature, dtype=float)
    length = np.asarray(length, dtype=float)
    straight = np.abs(curvature) < 1e-12
    safe_k = np.where(straight, 1.0, curvature)
    dx_arc = (np.sin(psi0 + safe_k * length) - np.sin(psi0)) / safe_k
    dy_arc = (np.cos(psi0) - np.cos(psi0 + safe_k * length)) / safe_k
    dx = np.where(straight, length * np.cos(psi0), dx_arc)
    dy = np.where(straight, length * np.sin(psi0), dy_arc)
    return dx, dy


def path_from_points(points, spacing: float = SPACING) -> ReferencePath:
    """Resample a polyline at a fixed arc-length spacing (corners kept)."""
    pts = np.asarray(points, dtype=float)
    seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    if np.any(seg <= 0):
        raise ValueError("the line has repeated points")
    knots = np.concatenate(([0.0], np.cumsum(seg)))
    n = max(int(np.ceil(knots[-1] / spacing)), 1)
    s = np.linspace(0.0, knots[-1], n + 1)
    x = np.interp(s, knots, pts[:, 0])
    y = np.interp(s, knots, pts[:, 1])
    piece = np.clip(np.searchsorted(knots, s, side="right") - 1, 0, len(seg) - 1)
    psi = np.unwrap(np.arctan2(np.diff(pts[:, 1]), np.diff(pts[:, 0])))[piece]
    curvature = np.gradient(psi, s)
    return ReferencePath(x, y, psi, curvature, knots[-1] / n)


@dataclass(frozen=True)
class SpeedPlan:
    """Planned speed along the line (arrays broadcast over samples).

    v_ref(s) = entry speed before the braking point; then a constant deceleration (linear
    in v²) down to the corner speed at the corner start; the corner speed through the
    corner; then the exit speed. Without a braking point the plan is the entry speed.
    All fields [m] or [m/s], scalars or (n,) arrays.
    """

    entry_speed: np.ndarray
    braking_point: np.ndarray | None
    corner_speed: np.ndarray | None
    corner_start: float
    corner_end: float
    exit_speed: np.ndarray
    exit_acceleration: np.ndarray | float = 1.5

    def speed(self, s: np.ndarray) -> np.ndarray:
        """Reference speed v_ref(s) [m/s] and the planned acceleration dv/dt [m/s²]."""
        return self.speed_and_acceleration(s)[0]

    def speed_and_acceleration(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        entry = self.entry_speed
        if self.braking_point is None:
            v = np.broadcast_to(entry, np.shape(s)).astype(float)
            return v, np.zeros_like(v)
        corner = self.corner_speed
        brake_start = np.minimum(self.braking_point, self.corner_start - 0.1)
        brake_length = self.corner_start - brake_start
        # v² falls linearly from entry² to corner² over [brake_start, corner_start].
        decel = (entry**2 - corner**2) / (2.0 * brake_length)  # [m/s²], ≥ 0 when slowing
        v_sq_brake = entry**2 - 2.0 * decel * (s - brake_start)
        in_brake = (s >= brake_start) & (s < self.corner_start)
        in_corner = (s >= self.corner_start) & (s <= self.corner_end)
        after = s > self.corner_end
        v = np.where(in_brake, np.sqrt(np.maximum(v_sq_brake, 0.0)), entry)
        v = np.where(in_corner, corner, v)
        # After the corner: v² grows linearly (the planned acceleration) to the exit speed.
        v_exit_sq = corner**2 + 2.0 * self.exit_acceleration * (s - self.corner_end)
        accelerating = after & (v_exit_sq < self.exit_speed**2)
        v_after = np.where(accelerating, np.sqrt(np.maximum(v_exit_sq, 0.0)), self.exit_speed)
        v = np.where(after, v_after, v)
        a = np.where(in_brake, -decel, 0.0)
        a = np.where(accelerating, self.exit_acceleration, a)
        return v, a
