r"""A performer on a coach roof: postures, the forces that push them off, what holds them.

Frame: the roof plane of the performer's coach, x forward (direction of travel), y to
the left. Every function is batched: arrays of any broadcastable shape, typically
``(n,)`` per sample or ``(n, T)`` per sample and time step.

Equations (labels used in the code)
-----------------------------------
(P1)  q = ½ ρ |V|²,  F_aero = ½ ρ CdA |V| V          V: air velocity relative to the roof
(P2)  V = −(v_train + w cos θ_w + u cos θ_g, w sin θ_w + u sin θ_g)
      wind w and gust u *coming from* θ relative to the heading (0 = head-on,
      +π/2 = from the left)
(P3)  F_in = −m (a_long + g·gr/√(1 + gr²), a_lat)   inertial (d'Alembert) force in the
      roof plane; a_lat = hand · a_u (motion.py, (L1)), positive to the left; gr the
      gradient (uphill, gravity pulls the performer backwards)
(P4)  demand = |F_aero + F_in|                       force friction + holds must supply
(P5)  capacity = μ m g + F_hand + F_tether           (normal load kept at m g, below)
(P6)  dislodge margin = capacity − demand [N]
(P7)  overturning moment about the stance edge  M_o = |h_cp F_aero + h_cg F_in|
      restoring moment  M_r = m g b_s + F_hand l_hand      (b_s: half stance width)
      tipping margin = M_r − M_o [N·m]
(P8)  clearance margin = clearance above rail − (roof height + performer height) [m]

Why tipping can come first: with one horizontal force F at height h and no hand-hold,
sliding needs F > μ m g and tipping needs F > m g b_s / h; the performer tips before
sliding when μ > b_s / h (a standing person: b_s ≈ 0.15–0.2 m, h ≈ 0.96 m → μ > ≈ 0.2,
i.e. on any dry roof: an unsecured standing performer is tipped, not slid).

Sources and assumptions
-----------------------
- Drag areas (REFERENCES.md, "Train roof"): standing ≈ 0.84 m²; crouched 0.20–0.32 m²
  (0.25 used); prone: no source, ≈ 0.1 m² assumed. ρ ≈ 1.2 kg/m³. The same CdA is used
  for wind from any direction (a person's side area is somewhat smaller than the
  frontal one: conservative for crosswind, an assumption). Aerodynamic lift and the
  shielding of the roof boundary layer (the performer stands in the coach's boundary
  layer, where the air is slower than v_train near the roof) are not modelled — both
  conservative except that lift would reduce the normal load.
- Heights above the roof (assumptions, not from a source): standing 1.75 m (a tall
  adult), crouching 1.0 m, prone 0.35 m.
- Centre of mass of a standing adult ≈ 0.55 of stature above the soles (the commonly
  quoted segment-model figure; Dempster's data as tabulated by Winter, D. A. (2009),
  *Biomechanics and Motor Control of Human Movement*, 4th ed., ch. 4 — the fraction is
  not checked against the printed table here: treat as an assumption). Centre of
  aerodynamic pressure: no source found; ≈ 0.55 of height assumed (a roughly uniform
  frontal area from ankles to head).
- Normal load: kept at m g. The exact roof-normal load m (g cos φ cos θ + (v²/R) sin φ)
  differs by < 2 % for cant ≤ 180 mm and gradients ≤ 2 % at these speeds, and the
  vertical pitch/bounce of the coach (which *can* unload the feet briefly) is not
  modelled. μ for shoe on painted steel has no source (REFERENCES.md): make it a
  distribution; ≥ 0.5 is the "safe" dry-walkway value, contaminated 0.05–0.64.
- Quasi-static: the body is a rigid block; no stepping response (Krašna et al. 2021:
  1.0 m/s² braking pulses are recovered without a step, 2.5 m/s² need steps — the
  margin here has no credit for stepping) and no dynamic overshoot from jerk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from stuntsim.kinds.train.motion import GRAVITY

__all__ = [
    "AIR_DENSITY",
    "CROUCHING",
    "NSB_B5_ROOF_HEIGHT",
    "NSB_TYPE7_ROOF_HEIGHT",
    "POSTURES",
    "PRONE",
    "STANDING",
    "DemandForce",
    "Posture",
    "PostureArrays",
    "PostureChange",
    "PosturePlan",
    "capacity_force",
    "demand_force",
    "dislodge_margin",
    "drag_force",
    "drag_vector",
    "inertial_force",
    "posture_at",
    "posture_values",
    "relative_wind",
    "structure_clearance_margin",
    "tipping_force_threshold",
    "tipping_margin",
]

AIR_DENSITY = 1.2
"""Air density ρ [kg/m³] (REFERENCES.md, "Train roof")."""
NSB_B5_ROOF_HEIGHT = 4.075
"""Roof height above rail of an NSB B5 coach [m] (REFERENCES.md)."""
NSB_TYPE7_ROOF_HEIGHT = 3.83
"""Roof height above rail of an NSB Type 7 coach [m] (REFERENCES.md)."""


@dataclass(frozen=True)
class Posture:
    """A body position on the roof."""

    name: str
    height: float
    """Highest point above the roof [m] (assumption, see module docstring)."""
    drag_area: float
    """Drag area CdA [m²] (REFERENCES.md)."""
    cp_height: float
    """Height of the aerodynamic centre of pressure above the roof [m] (assumption)."""
    cg_height: float
    """Height of the centre of mass above the roof [m] (assumption)."""


STANDING = Posture(
    "standing", height=1.75, drag_area=0.84, cp_height=0.55 * 1.75, cg_height=0.55 * 1.75
)
CROUCHING = Posture(
    "crouching", height=1.0, drag_area=0.25, cp_height=0.55 * 1.0, cg_height=0.5 * 1.0
)
PRONE = Posture("prone", height=0.35, drag_area=0.10, cp_height=0.5 * 0.35, cg_height=0.5 * 0.35)
POSTURES: tuple[Posture, ...] = (STANDING, CROUCHING, PRONE)
"""Index 0 standing, 1 crouching, 2 prone: the indices :func:`posture_at` returns."""


class PostureArrays(NamedTuple):
    """Posture properties as arrays (fields as in :class:`Posture`)."""

    height: np.ndarray
    drag_area: np.ndarray
    cp_height: np.ndarray
    cg_height: np.ndarray


def posture_values(index, postures: Sequence[Posture] = POSTURES) -> PostureArrays:
    """Each posture property looked up per element of an integer index array."""
    index = np.asarray(index)
    table = {name: np.array([getattr(p, name) for p in postures]) for name in PostureArrays._fields}
    return PostureArrays(**{name: values[index] for name, values in table.items()})


# --------------------------------------------------------------------------- air


def drag_force(rho, cda, v_rel):
    r"""Aerodynamic drag ½ ρ CdA v² [N] (P1), signed like ``v_rel`` (½ ρ CdA v|v|).

    Parameters
    ----------
    rho : array_like    Air density ρ [kg/m³].
    cda : array_like    Drag area CdA [m²].
    v_rel : array_like  Air speed relative to the body [m/s].
    """
    v_rel = np.asarray(v_rel, dtype=float)
    return 0.5 * np.asarray(rho) * np.asarray(cda) * v_rel * np.abs(v_rel)


def relative_wind(
    v_train,
    wind_speed,
    wind_direction_rel,
    *,
    gust_speed=0.0,
    gust_direction_rel=None,
):
    r"""Air velocity relative to the roof, (along, across) [m/s] (P2).

    The train moves forward at ``v_train``; the wind and the gust *come from* the given
    directions relative to the train's heading [rad]: 0 a headwind, π a tailwind, +π/2
    from the left. The result is the air's velocity seen from the roof, x forward, y
    left: with no wind it is (−v_train, 0). The caller supplies the relative direction
    (wind direction minus :attr:`TrackState.heading`) so it turns with the track.

    Returns
    -------
    (along, across) : tuple of ndarray
    """
    v_train = np.asarray(v_train, dtype=float)
    theta_w = np.asarray(wind_direction_rel, dtype=float)
    theta_g = theta_w if gust_direction_rel is None else np.asarray(gust_direction_rel, float)
    wind = np.asarray(wind_speed, dtype=float)
    gust = np.asarray(gust_speed, dtype=float)
    along = -(v_train + wind * np.cos(theta_w) + gust * np.cos(theta_g))
    across = -(wind * np.sin(theta_w) + gust * np.sin(theta_g))
    return along, across


def drag_vector(rho, cda, air_along, air_across):
    r"""Aerodynamic force ½ ρ CdA |V| V in the roof plane, (along, across) [N] (P1)."""
    along = np.asarray(air_along, dtype=float)
    across = np.asarray(air_across, dtype=float)
    factor = 0.5 * np.asarray(rho) * np.asarray(cda) * np.hypot(along, across)
    return factor * along, factor * across


# --------------------------------------------------------------------------- demand


def inertial_force(mass, a_long, a_lat, gradient=0.0):
    r"""Inertial force plus the gravity component along a gradient, (along, across) [N] (P3).

    Parameters
    ----------
    mass : array_like      Performer's mass m [kg].
    a_long : array_like    Train's acceleration along the track [m/s²], braking < 0.
    a_lat : array_like     Lateral acceleration of the roof toward the left [m/s²]: for a
                           curve, hand · a_u with a_u from
                           :func:`stuntsim.kinds.train.motion.uncompensated_lateral_acceleration`.
    gradient : array_like  Rise over run [-], uphill > 0.
    """
    mass = np.asarray(mass, dtype=float)
    gradient = np.asarray(gradient, dtype=float)
    slope = gradient / np.sqrt(1.0 + gradient**2)
    return -mass * (np.asarray(a_long) + GRAVITY * slope), -mass * np.asarray(a_lat)


class DemandForce(NamedTuple):
    """Horizontal force in the roof plane the performer's holds must resist [N]."""

    along: np.ndarray
    across: np.ndarray
    magnitude: np.ndarray
    aero_along: np.ndarray
    aero_across: np.ndarray
    inertial_along: np.ndarray
    inertial_across: np.ndarray


def demand_force(
    mass, cda, air_along, air_across, a_long, a_lat, *, gradient=0.0, rho=AIR_DENSITY
) -> DemandForce:
    r"""Vector sum of aerodynamic and inertial forces in the roof plane (P1)–(P4).

    A braking train (a_long < 0) throws the performer forward while the air pushes them
    back: the two partly cancel in the vector sum, so braking can *lower* the demand on
    a fast train and raise it on a slow one.

    Parameters
    ----------
    mass : array_like        m [kg].
    cda : array_like         Drag area of the current posture [m²].
    air_along, air_across : array_like
                             Air velocity relative to the roof [m/s] (:func:`relative_wind`).
    a_long, a_lat, gradient : array_like
                             As in :func:`inertial_force`.
    rho : array_like         Air density [kg/m³].
    """
    aero_x, aero_y = drag_vector(rho, cda, air_along, air_across)
    in_x, in_y = inertial_force(mass, a_long, a_lat, gradient)
    along = aero_x + in_x
    across = aero_y + in_y
    return DemandForce(
        along=along,
        across=across,
        magnitude=np.hypot(along, across),
        aero_along=aero_x,
        aero_across=aero_y,
        inertial_along=in_x,
        inertial_across=in_y,
    )


def capacity_force(mass, mu, hand_grip=0.0, tether_rated_load=0.0):
    r"""Largest horizontal force the performer can resist [N] (P5): μ m g + F_hand + F_tether.

    Parameters
    ----------
    mass : array_like               m [kg]; the normal load is taken as m g (see module).
    mu : array_like                 Static friction, shoe (or clothing, prone) on roof [-].
    hand_grip : array_like          Sustained hand-hold pull [N] (0: no hand-hold).
    tether_rated_load : array_like  Rated load of a tether/harness line [N] (0: none).
                                    Counting the rated load as capacity treats a loaded
                                    tether as "dislodged but held"; a study that wants the
                                    fall arrested to count as a failure leaves it at 0.
    """
    return (
        np.asarray(mu) * np.asarray(mass) * GRAVITY
        + np.asarray(hand_grip)
        + np.asarray(tether_rated_load)
    )


def dislodge_margin(capacity, demand):
    """Capacity − demand [N] (P6), per time step; the hazard margin is its minimum over
    time (``margin.min(axis=-1)``). Negative: the performer slides or is pulled off their
    holds."""
    return np.asarray(capacity) - np.asarray(demand)


# --------------------------------------------------------------------------- tipping


def tipping_margin(
    mass,
    demand: DemandForce,
    cp_height,
    cg_height,
    half_stance,
    *,
    hand_grip=0.0,
    hand_lever=0.0,
):
    r"""Restoring minus overturning moment about the edge of the stance [N·m] (P7).

    M_o = |h_cp F_aero + h_cg F_in| (the two horizontal forces act at different heights,
    so their moments add as vectors about horizontal axes); M_r = m g b_s + F_hand
    l_hand. Negative: the performer pivots over the edge of their feet.

    Parameters
    ----------
    mass : array_like         m [kg].
    demand : DemandForce      From :func:`demand_force`.
    cp_height : array_like    Centre of pressure above the roof [m].
    cg_height : array_like    Centre of mass above the roof [m].
    half_stance : array_like  Distance from the CG's vertical to the stance edge in the
                              direction the force acts [m] (use the smaller of the
                              fore–aft and lateral half-widths to be conservative).
    hand_grip : array_like    Hand-hold pull [N].
    hand_lever : array_like   Moment arm of that pull about the stance edge [m] (e.g. the
                              height of a grab handle for a horizontal pull, or the
                              horizontal reach to a roof-level handle for a vertical one).
    """
    cp_height = np.asarray(cp_height)
    cg_height = np.asarray(cg_height)
    m_x = cp_height * demand.aero_along + cg_height * demand.inertial_along
    m_y = cp_height * demand.aero_across + cg_height * demand.inertial_across
    overturning = np.hypot(m_x, m_y)
    restoring = np.asarray(mass) * GRAVITY * np.asarray(half_stance) + np.asarray(
        hand_grip
    ) * np.asarray(hand_lever)
    return restoring - overturning


def tipping_force_threshold(mass, force_height, half_stance, *, hand_grip=0.0, hand_lever=0.0):
    r"""Horizontal force at one height that just tips the performer [N]:
    F_tip = (m g b_s + F_hand l_hand) / h (P7 with M_o = F h)."""
    return (
        np.asarray(mass) * GRAVITY * np.asarray(half_stance)
        + np.asarray(hand_grip) * np.asarray(hand_lever)
    ) / np.asarray(force_height)


# --------------------------------------------------------------------------- clearance


def structure_clearance_margin(clearance_above_rail, roof_height_above_rail, performer_height):
    r"""Clearance − (roof height + performer height) [m] (P8); negative: struck.

    Parameters
    ----------
    clearance_above_rail : array_like    Lowest point of the structure above rail [m]
                                         (``inf`` where nothing is overhead).
    roof_height_above_rail : array_like  e.g. :data:`NSB_B5_ROOF_HEIGHT` 4.075 m.
    performer_height : array_like        Highest point of the performer above the roof [m].

    The coach's sway and bounce, and the cant's tilt of a performer off the centre line,
    are not included (add them as an uncertain allowance on the clearance).
    """
    return np.asarray(clearance_above_rail) - (
        np.asarray(roof_height_above_rail) + np.asarray(performer_height)
    )


# --------------------------------------------------------------------------- postures


@dataclass(frozen=True, eq=False)
class PostureChange:
    """Change to ``posture`` (an index into the posture table) at a cue."""

    posture: int
    at: float | np.ndarray
    """Cue: a time [s] or a chainage [m] (see :attr:`PosturePlan.basis`); per sample or
    scalar."""


@dataclass(frozen=True, eq=False)
class PosturePlan:
    """A planned sequence of postures, cued by time or by position along the track."""

    initial: int
    changes: tuple[PostureChange, ...] = ()
    basis: Literal["time", "position"] = "time"

    def __post_init__(self):
        if self.basis not in ("time", "position"):
            raise ValueError(f"basis must be 'time' or 'position', got {self.basis!r}")
        object.__setattr__(self, "changes", tuple(self.changes))


def posture_at(t, plan: PosturePlan, reaction_delay=0.0, *, s=None) -> np.ndarray:
    r"""Posture index per sample and time step, with a reaction delay after each cue.

    A change happens at t_cue + delay: for a time plan t_cue is the planned time; for a
    position plan it is the first time step at which the sample's chainage s reaches the
    cue (``inf``, never, if it does not). Changes apply in plan order, so a later change
    overrides an earlier one once both have happened.

    Parameters
    ----------
    t : array_like               Time steps [s], ``(T,)``.
    plan : PosturePlan
    reaction_delay : array_like  Delay between cue and posture change [s], ``(n,)`` or
                                 scalar, ≥ 0 (uncertain: draw it).
    s : array_like or None       Chainage ``(n, T)`` [m]; required for a position plan.

    Returns
    -------
    ndarray of int, ``(n, T)`` (or ``(T,)`` when nothing is per sample).
    """
    t = np.asarray(t, dtype=float)
    delay = np.asarray(reaction_delay, dtype=float)
    if np.any(delay < 0) or np.any(~np.isfinite(delay)):
        raise ValueError("reaction_delay must be finite and ≥ 0 s")
    if plan.basis == "position":
        if s is None:
            raise ValueError("a position-cued plan needs the chainage s (n, T)")
        s = np.asarray(s, dtype=float)
    shapes = [delay.shape, *(np.shape(c.at) for c in plan.changes)]
    if s is not None:
        shapes.append(s.shape[:-1])
    batch = np.broadcast_shapes(*shapes)
    index = np.full((*batch, t.shape[-1]), plan.initial, dtype=int)
    for change in plan.changes:
        cue = np.asarray(change.at, dtype=float)
        if plan.basis == "time":
            cue_time = np.broadcast_to(cue, batch)
        else:
            reached = s >= cue[..., None]
            first = np.argmax(reached, axis=-1)
            cue_time = np.where(reached.any(axis=-1), t[first], np.inf)
        switch_time = cue_time + delay
        index = np.where(t >= switch_time[..., None], change.posture, index)
    return index
