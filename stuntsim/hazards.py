"""Hazards as margins: what each one measures, its unit, and the thresholds behind it.

Every hazard is a continuous margin in a physical unit; the hazard happened when the
margin is below zero (DESIGN.md, principle 2). The functions here are the physical
thresholds the margins are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

G = 9.81  # [m/s²] standard gravity


@dataclass(frozen=True)
class Hazard:
    name: str
    unit: str
    description: str
    # Margins are kept in SI internally; ``display_scale`` converts to ``unit`` for people.
    display_scale: float = 1.0


CAR_HAZARDS: dict[str, Hazard] = {
    hazard.name: hazard
    for hazard in (
        Hazard(
            "collision",
            "m",
            "closest approach of the car's footprint to a building or obstacle "
            "(negative: contact)",
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
    return G * np.asarray(track_width) / (2.0 * np.asarray(cg_height))


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
    return np.sqrt(2.0 * G * inertia_ratio * lift)


def stopping_distance(speed, reaction_time, deceleration):
    """Reaction plus braking distance d = v t_r + v² / (2 a) [m] (REFERENCES.md)."""
    speed = np.asarray(speed)
    return speed * np.asarray(reaction_time) + speed**2 / (2.0 * np.asarray(deceleration))
