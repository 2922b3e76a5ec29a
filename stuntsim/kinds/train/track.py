r"""Railway track as consecutive segments, and structures along the line.

A track is a chain of :class:`Segment` objects laid end to end from chainage s = 0.
Each segment has a constant radius (``inf`` on a straight), a constant cant and a
constant gradient; :meth:`Track.at` looks those up for arrays of positions s [m]
(any shape, e.g. ``(n, T)`` for n samples over T time steps).

Conventions
-----------
- Position s is the chainage along the track centre line [m], from the start of the
  first segment.
- ``hand`` of a curve: +1 for a left-hand curve (centre of the curve to the left of the
  direction of travel, s increasing), −1 for a right-hand curve, 0 on a straight.
- Cant (superelevation) is the height of the outer rail above the inner rail [m],
  measured over the rail-head centres, ≈ 1.500 m apart on standard gauge (not the
  1.435 m gauge; REFERENCES.md, "Train roof"). Cant always raises the outer rail.
  Norwegian lines use at most 150–180 mm (REFERENCES.md).
- Gradient is rise over run [-], positive uphill in the direction of s.

Approximations, stated
----------------------
- No transition curves (clothoids) and no cant ramps: radius and cant change in a step
  at a segment boundary. Real transitions spread the change of lateral acceleration over
  tens of metres, so the step is conservative for the peak jerk but not for the
  acceleration itself (the same value is reached either way).
- No vertical curves between gradients.
- Positions outside [0, length] are an error: a study must lay enough track for the
  whole run (a sample that overruns is a modelling error, not a result).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

__all__ = [
    "STANDARD_RAIL_HEAD_SPACING",
    "STRUCTURE_KINDS",
    "Segment",
    "Structure",
    "Track",
    "TrackState",
]

STANDARD_RAIL_HEAD_SPACING = 1.500
"""Distance between rail-head centres on standard gauge [m], the base cant is measured
over (REFERENCES.md, "Train roof")."""

StructureKind = Literal["tunnel_portal", "bridge", "gantry", "overhead_wire"]
STRUCTURE_KINDS: tuple[str, ...] = ("tunnel_portal", "bridge", "gantry", "overhead_wire")


@dataclass(frozen=True)
class Segment:
    """One piece of track with constant radius, cant and gradient.

    Use :meth:`straight` and :meth:`curve` rather than the constructor.
    """

    length: float
    """Length along the centre line [m], > 0."""
    radius: float = np.inf
    """Horizontal radius [m], > 0; ``inf`` on a straight."""
    cant: float = 0.0
    """Cant (outer rail above inner rail) [m], ≥ 0; 0 on a straight."""
    gradient: float = 0.0
    """Rise over run [-], positive uphill in the direction of travel."""
    hand: int = 0
    """+1 left-hand curve, −1 right-hand curve, 0 straight."""

    def __post_init__(self):
        if not np.isfinite(self.length) or self.length <= 0:
            raise ValueError(f"segment length must be finite and > 0 m, got {self.length}")
        if not self.radius > 0:
            raise ValueError(f"radius must be > 0 m (inf for a straight), got {self.radius}")
        if not np.isfinite(self.cant) or self.cant < 0:
            raise ValueError(f"cant must be finite and ≥ 0 m, got {self.cant}")
        if not np.isfinite(self.gradient) or abs(self.gradient) > 0.2:
            raise ValueError(f"gradient must be within ±0.2 (rise over run), got {self.gradient}")
        if self.hand not in (-1, 0, 1):
            raise ValueError(f"hand must be +1 (left), -1 (right) or 0, got {self.hand}")
        straight = np.isinf(self.radius)
        if straight != (self.hand == 0):
            raise ValueError("a straight has hand 0 and radius inf; a curve has hand ±1")
        if straight and self.cant != 0.0:
            raise ValueError("a straight has no cant (no transitions are modelled)")

    @classmethod
    def straight(cls, length: float, *, gradient: float = 0.0) -> Segment:
        """A straight of ``length`` [m] with ``gradient`` [-]."""
        return cls(length=length, gradient=gradient)

    @classmethod
    def curve(
        cls,
        length: float,
        radius: float,
        *,
        cant: float = 0.0,
        gradient: float = 0.0,
        hand: Literal["left", "right"] = "left",
    ) -> Segment:
        """A curve of ``length`` [m], ``radius`` [m], ``cant`` [m] and ``gradient`` [-]."""
        if hand not in ("left", "right"):
            raise ValueError(f"hand must be 'left' or 'right', got {hand!r}")
        if not np.isfinite(radius):
            raise ValueError("a curve needs a finite radius; use Segment.straight")
        return cls(
            length=length,
            radius=radius,
            cant=cant,
            gradient=gradient,
            hand=1 if hand == "left" else -1,
        )


@dataclass(frozen=True)
class Structure:
    """Something the train passes under (or through), with its clearance above the rail."""

    name: str
    kind: StructureKind
    position: float
    """Chainage where the structure begins (portal, bridge edge, wire section start) [m]."""
    length: float
    """Extent along the track [m], ≥ 0 (0 for a thin gantry)."""
    clearance_above_rail: float
    """Lowest point of the structure above the top of rail [m] (for a contact wire: its
    height; Bane NOR: 5.02–5.63 m static, min 5.05 m under bridges and tunnels,
    exceptionally 4.80 m — REFERENCES.md)."""

    def __post_init__(self):
        if self.kind not in STRUCTURE_KINDS:
            raise ValueError(f"structure kind must be one of {STRUCTURE_KINDS}, got {self.kind!r}")
        if not np.isfinite(self.position):
            raise ValueError(f"structure position must be finite, got {self.position}")
        if not np.isfinite(self.length) or self.length < 0:
            raise ValueError(f"structure length must be finite and ≥ 0 m, got {self.length}")
        if not np.isfinite(self.clearance_above_rail) or self.clearance_above_rail <= 0:
            raise ValueError(
                f"clearance above rail must be finite and > 0 m, got {self.clearance_above_rail}"
            )


class TrackState(NamedTuple):
    """Track geometry at a set of positions; every field has the shape of the positions."""

    radius: np.ndarray
    """Horizontal radius [m]; ``inf`` on straights."""
    cant: np.ndarray
    """Cant [m]."""
    gradient: np.ndarray
    """Rise over run [-]."""
    hand: np.ndarray
    """+1 left-hand curve, −1 right-hand, 0 straight [-]."""
    heading: np.ndarray
    """Direction of travel relative to the start, counter-clockwise positive [rad]."""


@dataclass(frozen=True)
class Track:
    """Consecutive segments from chainage 0, and the structures along them."""

    segments: tuple[Segment, ...]
    structures: tuple[Structure, ...] = ()
    rail_head_spacing: float = STANDARD_RAIL_HEAD_SPACING
    """Base over which cant is measured [m]."""
    _starts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        segments = tuple(self.segments)
        if not segments:
            raise ValueError("a track needs at least one segment")
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "structures", tuple(self.structures))
        lengths = np.array([seg.length for seg in segments])
        starts = np.concatenate(([0.0], np.cumsum(lengths)))
        starts.setflags(write=False)
        object.__setattr__(self, "_starts", starts)
        for seg in segments:
            if seg.cant > 0.5 * self.rail_head_spacing:
                raise ValueError(f"cant {seg.cant} m is implausible for this rail spacing")

    @property
    def length(self) -> float:
        """Total length [m]."""
        return float(self._starts[-1])

    def segment_index(self, s) -> np.ndarray:
        """Index of the segment holding each position s [m] (a boundary belongs to the next
        segment; the very end to the last one)."""
        s = np.asarray(s, dtype=float)
        if np.any(~np.isfinite(s)) or np.any(s < 0.0) or np.any(s > self.length):
            bad = s[~(np.isfinite(s) & (s >= 0.0) & (s <= self.length))]
            raise ValueError(
                f"positions must lie on the track [0, {self.length}] m; got e.g. {bad.flat[0]}"
            )
        index = np.searchsorted(self._starts, s, side="right") - 1
        return np.minimum(index, len(self.segments) - 1)

    def at(self, s) -> TrackState:
        """Radius, cant, gradient, hand and heading at positions ``s`` [m] (any shape)."""
        s = np.asarray(s, dtype=float)
        index = self.segment_index(s)
        radius = np.array([seg.radius for seg in self.segments])
        cant = np.array([seg.cant for seg in self.segments])
        gradient = np.array([seg.gradient for seg in self.segments])
        hand = np.array([seg.hand for seg in self.segments])
        curvature = hand / radius  # signed [1/m], 0 on straights
        heading_start = np.concatenate(([0.0], np.cumsum(curvature * np.diff(self._starts))))
        heading = heading_start[index] + curvature[index] * (s - self._starts[index])
        return TrackState(
            radius=radius[index],
            cant=cant[index],
            gradient=gradient[index],
            hand=hand[index],
            heading=heading,
        )

    def overhead_clearance(self, s) -> np.ndarray:
        """Lowest structure clearance above rail over each position s [m]; ``inf`` where
        nothing is overhead. A structure covers [position, position + length] (both ends).

        A loop over structures (there are few), arrays over positions.
        """
        s = np.asarray(s, dtype=float)
        clearance = np.full(s.shape, np.inf)
        for structure in self.structures:
            over = (s >= structure.position) & (s <= structure.position + structure.length)
            clearance = np.where(
                over, np.minimum(clearance, structure.clearance_above_rail), clearance
            )
        return clearance

    def overhead_clearance_swept(self, s_path) -> np.ndarray:
        """Like :meth:`overhead_clearance` for a path sampled in time (last axis = time):
        step k covers the whole interval [s_{k−1}, s_k], so a thin gantry between two
        samples is not missed. Step 0 covers s_0 alone. Assumes s does not decrease.
        """
        s_path = np.asarray(s_path, dtype=float)
        previous = np.concatenate((s_path[..., :1], s_path[..., :-1]), axis=-1)
        clearance = np.full(s_path.shape, np.inf)
        for structure in self.structures:
            over = (s_path >= structure.position) & (
                previous <= structure.position + structure.length
            )
            clearance = np.where(
                over, np.minimum(clearance, structure.clearance_above_rail), clearance
            )
        return clearance
