"""The car's hazards as margins: what each one measures, its unit, the thresholds behind
it, and the harm each would do.

Every hazard is a continuous margin in a physical unit; the hazard happened when the
margin is ≤ 0 (:func:`stuntsim.risk.failed`: zero clearance is contact). The functions
here are the physical thresholds the margins are measured against.
"""

from __future__ import annotations

import numpy as np

from stuntsim.constants import GRAVITY
from stuntsim.kinds.base import Hazard, harm_fact
from stuntsim.risk.montecarlo import failed

CAR_HAZARDS: dict[str, Hazard] = {
    hazard.name: hazard
    for hazard in (
        Hazard(
            "collision",
            "m",
            "closest approach of the car's footprint to a building, rock face, obstacle or "
            "a barrier that holds (negative: contact)",
        ),
        Hazard(
            "person_struck",
            "m",
            "closest approach of the car's footprint to a person's circle (negative: struck)",
        ),
        Hazard(
            "rollover",
            "m/s²",
            "lateral acceleration left before the inside wheels lift, SSF·g − |a_y| "
            "(quasi-static, untripped)",
        ),
        Hazard(
            "tripped_rollover",
            "m/s",
            "critical sliding velocity minus the sideways speed at which the car slides "
            "into a kerb",
        ),
        Hazard(
            "loss_of_control",
            "deg",
            "sideslip left before the stated limit, β_limit − |β| (a spin exhausts it)",
            display_scale=180.0 / np.pi,
        ),
    )
}


def quasi_static_rollover_threshold(track_width, cg_height):
    r"""Lateral acceleration at which the inside wheels lift [m/s²].

    a_y,lim = SSF·g with the static stability factor SSF = t / (2 h) (moment balance of a
    rigid car about its outside wheels; NHTSA rollover resistance rule, ch. 5; Gillespie,
    Fundamentals of Vehicle Dynamics, ch. 9). Suspension roll lowers the real threshold by
    a few per cent: the margin is optimistic by that much.

    Parameters
    ----------
    track_width : array_like  Track width t [m].
    cg_height : array_like    CG height h [m].
    """
    return GRAVITY * np.asarray(track_width) / (2.0 * np.asarray(cg_height))


def critical_sliding_velocity(track_width, cg_height, roll_gyration_radius):
    r"""Sideways speed at which a car tripped at its wheels just rolls over [m/s].

    Angular momentum about the trip edge is conserved at the trip, m v h = I_tip ω, and the
    roll then needs its kinetic energy ½ I_tip ω² to lift the CG over the edge,
    m g (√(h² + (t/2)²) − h). Hence

        CSV = √( 2 g (I_tip / (m h²)) (√(h² + (t/2)²) − h) ),
        I_tip = m (k² + h² + (t/2)²)  (parallel axes, k the roll radius of gyration).

    Chrstos, J. P. & Guenther, D. A. (1992), The measurement of static rollover metrics,
    SAE 920582 (the critical sliding velocity); REFERENCES.md gives the energy bound
    without the inertia factor, which this raises by √(I_tip / (m h²)).

    Parameters
    ----------
    track_width : array_like           t [m].
    cg_height : array_like             h [m].
    roll_gyration_radius : array_like  k about the CG's roll axis [m].
    """
    t_half = 0.5 * np.asarray(track_width)
    h = np.asarray(cg_height)
    k = np.asarray(roll_gyration_radius)
    lift = np.sqrt(h**2 + t_half**2) - h
    inertia_ratio = (k**2 + h**2 + t_half**2) / h**2
    return np.sqrt(2.0 * GRAVITY * inertia_ratio * lift)


def stopping_distance(speed, reaction_time, deceleration):
    """Reaction plus braking distance d = v t_r + v² / (2 a) [m] (REFERENCES.md)."""
    speed = np.asarray(speed)
    return speed * np.asarray(reaction_time) + speed**2 / (2.0 * np.asarray(deceleration))


DEPARTURE = Hazard(
    "departure",
    "m",
    "signed distance of the nearest wheel's contact point from a drop edge (negative: a "
    "wheel beyond the edge; a barrier that holds stops the car first, one that gives way "
    "does not)",
)


PERSON_NOT_SEEN_IN_TIME = Hazard(
    "person_not_seen_in_time",
    "m",
    "sight distance left when a person stepping out is first seen: the distance along the "
    "line from the car's front to the person's path, minus the stopping sight distance "
    "v·t_PR + v²/(2a) (negative: the driver cannot stop before the person's path)",
)


def car_hazards(has_drops: bool, has_people_stepping_out: bool = False) -> dict[str, Hazard]:
    """The car hazards of a street: :data:`CAR_HAZARDS`, plus ``departure`` where the
    ground ends somewhere (a street without drops has no departure hazard to report), plus
    ``person_not_seen_in_time`` where someone steps out into the street."""
    hazards = dict(CAR_HAZARDS)
    if has_drops:
        hazards["departure"] = DEPARTURE
    if has_people_stepping_out:
        hazards["person_not_seen_in_time"] = PERSON_NOT_SEEN_IN_TIME
    return hazards


def stopping_distance_margin(distance, speed, reaction_time, deceleration):
    r"""Sight distance left over the stopping sight distance [m].

    .. math::  m = D - \left(v\,t_{PR} + \frac{v^2}{2a}\right)

    the stopping-sight-distance logic (AASHTO 2011, ch. 3: reaction distance plus braking
    distance, here in SI with the car's own achievable deceleration a instead of the
    design 3.4 m/s²; :func:`stuntsim.geometry.visibility.stopping_sight_distance` is the AASHTO
    form in km/h).

    Parameters
    ----------
    distance : array_like       D, distance from the car's front to the conflict point
                                when the person is first seen [m].
    speed : array_like          v at that moment [m/s].
    reaction_time : array_like  Perception–reaction time t_PR [s].
    deceleration : array_like   Achievable deceleration a [m/s²]; where a ≤ 0 the car
                                cannot stop and the margin is −inf.
    """
    d, v, t, a = (np.asarray(x, dtype=float) for x in (distance, speed, reaction_time,
                                                       deceleration))
    can_stop = a > 0
    braking = v * v / (2.0 * np.where(can_stop, a, 1.0))
    return np.where(can_stop, d - v * t - braking, -np.inf)[()]


# --------------------------------------------------------------------------------------
# Harm: how bad each hazard would be, per sample (stuntsim.severity holds the relations)
# --------------------------------------------------------------------------------------

#: For each car hazard: who is hurt, and which relation turns the sample's facts into a
#: probability of death and of serious injury. None: no relation (say so in the output).
CAR_HARM_RELATIONS: dict[str, dict[str, str | None]] = {
    "collision": {
        "who": "car occupants (stunt driver)",
        "fatality": "NHTSA frontal Δv curve (DOT HS 813 219), Δv = (1 + e)·normal speed",
        "serious_injury": "NHTSA frontal MAIS3+ Δv curve (DOT HS 813 219)",
    },
    "person_struck": {
        "who": "the person struck",
        "fatality": "Rosén & Sander (2009) pedestrian fatality vs impact speed",
        "serious_injury": "Tefft (2013) pedestrian AIS4+ vs impact speed",
    },
    "rollover": {
        "who": "car occupants (belted)",
        "fatality": None,
        "serious_injury": "MAIS3+ per rollover, belted near side (NASS-CDS 1992–2004)",
    },
    "tripped_rollover": {
        "who": "car occupants (belted)",
        "fatality": None,
        "serious_injury": "MAIS3+ per rollover, belted near side (NASS-CDS 1992–2004)",
    },
    "loss_of_control": {"who": "-", "fatality": None, "serious_injury": None},
    "person_not_seen_in_time": {
        "who": "-, a warning: the harm is counted under person_struck",
        "fatality": None, "serious_injury": None,
    },
    "departure": {
        "who": "car occupants (stunt driver)",
        "fatality": "fall from the drop height, log-logistic on Smith et al.'s LD50 "
                    "(ASSUMPTION for occupants of a falling car: no published relation)",
        "serious_injury": None,
    },
}


def car_harm(margins: dict[str, np.ndarray], details: dict[str, np.ndarray]):
    """Per-sample probabilities of death and of serious injury, for each car hazard.

    Zero in samples where the hazard did not happen; NaN where no relation exists (see
    :data:`CAR_HARM_RELATIONS`). A wall or a parked car is treated as a rigid barrier
    (conservative for a parked car that moves when struck); a glancing impact's Δv uses the
    normal component of the impact velocity.

    Returns
    -------
    dict hazard -> {"fatality": (n,), "serious_injury": (n,)}
    """
    from stuntsim import severity

    out = {}
    for name, values in margins.items():
        happened = failed(values)
        fatal = np.full(values.shape, np.nan)
        serious = np.full(values.shape, np.nan)
        if name == "collision":
            normal = harm_fact(details, "collision_normal_speed", happened, name)
            delta_v = severity.delta_v_rigid_barrier(np.maximum(normal, 0.0))
            fatal = np.where(happened, severity.occupant_fatality_frontal(delta_v), 0.0)
            serious = np.where(happened, severity.occupant_mais3_frontal(delta_v), 0.0)
        elif name == "person_struck":
            speed = harm_fact(details, "person_speed", happened, name)
            fatal = np.where(happened, severity.pedestrian_fatality_rosen_sander(speed), 0.0)
            serious = np.where(happened, severity.pedestrian_tefft(speed)["serious"], 0.0)
        elif name in ("rollover", "tripped_rollover"):
            serious = np.where(happened, severity.rollover_serious_injury(), 0.0)
        elif name == "departure":
            height = harm_fact(details, "departure_height", happened, name)
            fatal = np.where(happened, severity.fall_fatality(height), 0.0)
        out[name] = {"fatality": fatal, "serious_injury": serious}
    return out
