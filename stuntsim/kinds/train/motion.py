r"""Train motion along the track, and the lateral acceleration it imposes on the roof.

Speed plan
----------
The train follows a target speed that changes at planned events (a position passed or a
time reached). The driver/traction control is modelled as a jerk-limited tracking law,
one step per time step for all samples at once:

(M1)  e = v_target − v                                     speed error [m/s]
(M2)  a_want = sign(e) · min(a_lim, √((j dt/2)² + 2 j E) − j dt/2),
      E = max(|e| − sign(e) a_k dt/2, 0)                    a_lim = accel_max if e > 0
                                                            else decel_max
(M3)  a_{k+1} = a_k + clip(a_want − a_k, −j dt, +j dt)      jerk limit j = jerk_max
(M4)  v_{k+1} = max(v_k + ½ (a_k + a_{k+1}) dt, 0)          trapezoidal integration
(M5)  s_{k+1} = s_k + ½ (v_k + v_{k+1}) dt

(M2) is the largest next acceleration a' from which the step itself, ½ (a_k + a') dt,
plus a ramp back to zero at the jerk limit, a'²/(2 j) (exact for the trapezoidal rule),
changes the speed by no more than |e|: the speed arrives at the target with zero
acceleration instead of overshooting. This is the time-optimal bang–bang law in the
acceleration/jerk phase plane (continuous form a = √(2 j |e|)), made discrete; it models
a driver's smooth speed control, not traction physics (no adhesion, power or gradient
resistance: the train is assumed able to follow its plan — say so in a scenario).
Acceleration and jerk hold exactly to their limits by construction ((M2)–(M3)); the
speed overshoots the target by < 1 mm/s at dt = 0.05 s for train-like limits. Closed
forms it reproduces: a change Δv at a_max takes Δv/a_max + a_max/j; a stop from v at
deceleration d covers v²/(2 d) + v d/(2 j).

Lateral acceleration on a canted curve
--------------------------------------
(L1)  a_u = v² / R − g · c / b              uncompensated (unbalanced) lateral
                                            acceleration in the track plane, small angles
(L2)  D = b v² / (g R) − c                  cant deficiency [m]: equilibrium cant minus cant
(L3)  a_u = g D / b ≈ g D[mm] / 1500        the rule of thumb, ≈ 1 m/s² per 152 mm
(L4)  a_plane = (v² / R) cos φ − g sin φ,   sin φ = c / b   exact in the roof plane
                                            (L1 is its first-order form)

b is the rail-head spacing (1.500 m standard gauge), c the cant, R the radius. At 97 km/h
on R = 275 m: v²/R = 2.64 m/s², with 150 mm cant a_u ≈ 1.66 m/s², D ≈ 250 mm
(REFERENCES.md, "Train roof"). Sources for (L1)–(L3): the standard railway-alignment
relations, e.g. Esveld, C. (2001), *Modern Railway Track*, 2nd ed., ch. 2 (cant and cant
deficiency); the figures in REFERENCES.md. (L4) is the resolution of centripetal
acceleration and gravity into the canted plane (rigid body, no suspension roll: real
coaches roll outward on their springs, adding a few tenths of a m/s² — not modelled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from stuntsim.constants import GRAVITY
from stuntsim.kinds.train.track import STANDARD_RAIL_HEAD_SPACING, Track
from stuntsim.ufuncs import clip

__all__ = [
    "GRAVITY",
    "SpeedEvent",
    "TrainMotion",
    "cant_deficiency",
    "jerk_limited_step",
    "lateral_acceleration_in_track_plane",
    "roof_lateral_acceleration",
    "simulate_train",
    "speed_at_cant_deficiency",
    "uncompensated_lateral_acceleration",
]



# --------------------------------------------------------------------------- lateral


def uncompensated_lateral_acceleration(
    v, radius, cant, track_gauge: float = STANDARD_RAIL_HEAD_SPACING
):
    r"""Uncompensated lateral acceleration a_u = v²/R − g·c/b [m/s²] (L1), small angles.

    Positive: toward the outside of the curve is where the performer is pushed (the roof
    must supply a_u toward the centre). Negative when the train runs below the
    equilibrium speed (cant excess). 0 on a straight (R = inf).

    Parameters
    ----------
    v : array_like            Train speed [m/s].
    radius : array_like       Curve radius R [m], ``inf`` on straights.
    cant : array_like         Cant c [m].
    track_gauge : float       Rail-head spacing b the cant is measured over [m]
                              (1.500 m standard gauge; REFERENCES.md).
    """
    v = np.asarray(v, dtype=float)
    return v**2 / np.asarray(radius, dtype=float) - GRAVITY * np.asarray(cant) / track_gauge


def cant_deficiency(v, radius, cant, track_gauge: float = STANDARD_RAIL_HEAD_SPACING):
    r"""Cant deficiency D = b v²/(g R) − c [m] (L2); a_u ≈ g·D/b, i.e. g·D[mm]/1500 (L3).

    Usual limits are ≈ 0.100–0.150 m (REFERENCES.md). Parameters as in
    :func:`uncompensated_lateral_acceleration`.
    """
    v = np.asarray(v, dtype=float)
    equilibrium = track_gauge * v**2 / (GRAVITY * np.asarray(radius, dtype=float))
    return equilibrium - np.asarray(cant)


def speed_at_cant_deficiency(radius, cant, deficiency=0.0,
                              track_gauge: float = STANDARD_RAIL_HEAD_SPACING):
    r"""The speed at which a curve runs with cant deficiency D [m/s]: (L2) solved for v,
    v = √(g R (c + D) / b). D = 0 is the equilibrium speed (no uncompensated lateral
    acceleration); D = 0.150 m a usual limit (REFERENCES.md)."""
    total = np.asarray(cant, dtype=float) + np.asarray(deficiency, dtype=float)
    return np.sqrt(GRAVITY * np.asarray(radius, dtype=float) * total / track_gauge)


def lateral_acceleration_in_track_plane(
    v, radius, cant, track_gauge: float = STANDARD_RAIL_HEAD_SPACING
):
    r"""Lateral acceleration in the canted roof plane, (v²/R) cos φ − g sin φ [m/s²] (L4).

    sin φ = c / b. Equal to :func:`uncompensated_lateral_acceleration` to first order in
    φ (the difference is (v²/R)(1 − cos φ) ≈ (v²/R) φ²/2).
    """
    sin_phi = np.asarray(cant, dtype=float) / track_gauge
    cos_phi = np.sqrt(1.0 - sin_phi**2)
    v = np.asarray(v, dtype=float)
    return v**2 / np.asarray(radius, dtype=float) * cos_phi - GRAVITY * sin_phi


def roof_lateral_acceleration(track: Track, s, v):
    r"""Signed uncompensated lateral acceleration along a run, positive to the left [m/s²].

    hand · a_u (L1) with the radius and cant of the track at each position: in a
    left-hand curve above the equilibrium speed the roof must push the performer to the
    left (toward the centre), so a d'Alembert force acts to the right on them
    (:func:`stuntsim.kinds.train.performer.inertial_force` takes this as ``a_lat``).

    Parameters
    ----------
    track : Track
    s : array_like  Positions [m], e.g. ``TrainMotion.s`` ``(n, T)``.
    v : array_like  Speeds [m/s], same shape.
    """
    state = track.at(s)
    a_u = uncompensated_lateral_acceleration(v, state.radius, state.cant, track.rail_head_spacing)
    return state.hand * a_u


# --------------------------------------------------------------------------- speed plan


@dataclass(frozen=True, eq=False)
class SpeedEvent:
    """A change of target speed, triggered per sample by a position or a time.

    Exactly one of ``position`` and ``time`` is given. Each field may be a float or an
    ``(n,)`` array (a drawn braking point, a drawn reaction time, …).
    """

    target: float | np.ndarray
    """New target speed [m/s], ≥ 0."""
    position: float | np.ndarray | None = None
    """Trigger when the chainage s of the performer's car reaches this [m]."""
    time: float | np.ndarray | None = None
    """Trigger at t ≥ this [s]."""

    def __post_init__(self):
        if (self.position is None) == (self.time is None):
            raise ValueError("a SpeedEvent needs exactly one of position= and time=")
        if np.any(np.asarray(self.target) < 0) or not np.all(np.isfinite(self.target)):
            raise ValueError("target speeds must be finite and ≥ 0 m/s")


class TrainMotion(NamedTuple):
    """A simulated run; ``t`` is ``(T,)``, the rest ``(n, T)``."""

    t: np.ndarray
    """Time [s]."""
    s: np.ndarray
    """Chainage of the performer's car [m]."""
    v: np.ndarray
    """Speed [m/s], ≥ 0."""
    a_long: np.ndarray
    """Longitudinal acceleration along the track [m/s²], positive forward."""
    jerk: np.ndarray
    """(a_{k} − a_{k−1}) / dt [m/s³]; 0 at k = 0."""


def simulate_train(
    track: Track,
    v_target,
    *,
    accel_max,
    decel_max,
    jerk_max,
    duration: float,
    dt: float = 0.05,
    events: Sequence[SpeedEvent] = (),
    s0=0.0,
    v0=None,
) -> TrainMotion:
    r"""Jerk-limited tracking of a planned speed, batched over samples (M1)–(M5).

    Parameters
    ----------
    track : Track             The line; start position and event positions must lie on it.
    v_target : array_like     Initial target speed [m/s], ``(n,)`` or scalar.
    accel_max : array_like    Largest traction acceleration [m/s²], > 0.
    decel_max : array_like    Largest service-braking deceleration [m/s²], > 0 (a
                              magnitude).
    jerk_max : array_like     Largest rate of change of acceleration [m/s³], > 0.
    duration : float          Simulated time [s].
    dt : float                Time step [s].
    events : sequence of SpeedEvent
                              Later target changes; when several fire in one step the
                              later one in the sequence wins.
    s0 : array_like           Start chainage [m].
    v0 : array_like or None   Start speed [m/s]; ``None``: start at ``v_target`` (cruise).

    Returns
    -------
    TrainMotion  t ``(T,)`` with T = round(duration/dt) + 1; s, v, a_long, jerk ``(n, T)``.

    Positions may run past the end of the track; :meth:`Track.at` rejects them, so lay
    enough track for ``duration``.
    """
    if not (np.isfinite(dt) and dt > 0 and np.isfinite(duration) and duration >= 0):
        raise ValueError("dt must be > 0 s and duration ≥ 0 s, both finite")
    accel_max, decel_max, jerk_max = (
        np.asarray(x, dtype=float) for x in (accel_max, decel_max, jerk_max)
    )
    for name, value in (("accel_max", accel_max), ("decel_max", decel_max), ("jerk_max", jerk_max)):
        if np.any(~(value > 0)) or np.any(~np.isfinite(value)):
            raise ValueError(f"{name} must be finite and > 0")
    target = np.asarray(v_target, dtype=float)
    if np.any(~np.isfinite(target)) or np.any(target < 0):
        raise ValueError("v_target must be finite and ≥ 0 m/s")
    s0 = np.asarray(s0, dtype=float)
    track.segment_index(s0)  # raises if the start is off the track
    for event in events:
        if event.position is not None:
            track.segment_index(event.position)

    shape = np.broadcast_shapes(
        target.shape,
        accel_max.shape,
        decel_max.shape,
        jerk_max.shape,
        s0.shape,
        *(np.shape(e.target) for e in events),
        *(np.shape(e.position if e.time is None else e.time) for e in events),
    )
    v_now = np.broadcast_to(target if v0 is None else np.asarray(v0, float), shape).copy()
    if np.any(v_now < 0) or np.any(~np.isfinite(v_now)):
        raise ValueError("v0 must be finite and ≥ 0 m/s")
    target = np.broadcast_to(target, shape).copy()
    s_now = np.broadcast_to(s0, shape).copy()
    a_now = np.zeros(shape)

    n_steps = round(duration / dt)
    t = np.arange(n_steps + 1) * dt
    s_out = np.empty((*shape, n_steps + 1))
    v_out = np.empty_like(s_out)
    a_out = np.empty_like(s_out)
    fired = [np.zeros(shape, dtype=bool) for _ in events]

    for k in range(n_steps + 1):
        for i, event in enumerate(events):
            trigger = (s_now >= event.position) if event.time is None else (t[k] >= event.time)
            new = trigger & ~fired[i]
            target = np.where(new, event.target, target)
            fired[i] |= trigger
        s_out[..., k], v_out[..., k], a_out[..., k] = s_now, v_now, a_now
        if k == n_steps:
            break
        s_now, v_now, a_now = jerk_limited_step(
            s_now, v_now, a_now, target, accel_max, decel_max, jerk_max, dt
        )

    jerk = np.zeros_like(a_out)
    jerk[..., 1:] = np.diff(a_out, axis=-1) / dt
    return TrainMotion(t=t, s=s_out, v=v_out, a_long=a_out, jerk=jerk)


def jerk_limited_step(s, v, a, target, accel_max, decel_max, jerk_max, dt):
    r"""One step of the jerk-limited speed tracking law (M1)–(M5), batched.

    The step :func:`simulate_train` takes; a model that keeps only running quantities
    (never samples × steps) calls it in its own time loop.

    Parameters
    ----------
    s, v, a : array_like   Chainage [m], speed [m/s] and acceleration [m/s²] at step k.
    target : array_like    Target speed [m/s].
    accel_max, decel_max, jerk_max : array_like
                           Limits [m/s², m/s² (a magnitude), m/s³], > 0.
    dt : float             Time step [s].

    Returns
    -------
    (s, v, a) at step k + 1.
    """
    jerk_step = jerk_max * dt
    half_jerk_step = 0.5 * jerk_step
    error = target - v  # (M1)
    direction = np.sign(error)
    limit = np.where(error > 0, accel_max, decel_max)
    # speed still to gain after this step's share of the current acceleration
    room = np.maximum(np.abs(error) - 0.5 * direction * a * dt, 0.0)
    wanted = direction * np.minimum(  # (M2)
        limit, np.sqrt(half_jerk_step**2 + 2.0 * jerk_max * room) - half_jerk_step
    )
    a_next = a + clip(wanted - a, -jerk_step, jerk_step)  # (M3)
    v_next = np.maximum(v + 0.5 * (a + a_next) * dt, 0.0)  # (M4)
    s_next = s + 0.5 * (v + v_next) * dt  # (M5)
    return s_next, v_next, a_next
