"""Vehicle presets: every figure with its source, or marked as an assumption.

Values are SI. A figure marked ``assumption`` has no published source (docs/REFERENCES.md
lists the sourced ones);
a scenario that relies on it should make it uncertain (the Rome scenario does).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from stuntsim.constants import GRAVITY, TO_KMH


class PresetValue(NamedTuple):
    value: float
    source: str
    assumption: bool = False



# Fiat 500 "Nuova" (1957–1975) as dressed for the Rome chase: a purpose-built car wearing the
# Nuova 500 body with a stunt driver's pod (REFERENCES.md, "The stunts"). Mass includes a
# driver and a light camera/pod installation.
_MASS = 620.0
_WHEELBASE = 1.840
_FRONT_SHARE = 0.40
_A = (1.0 - _FRONT_SHARE) * _WHEELBASE  # CG to front axle: rear-heavy, so the CG sits rearward
_B = _FRONT_SHARE * _WHEELBASE

FIAT_500_NUOVA: dict[str, PresetValue] = {
    "mass": PresetValue(
        _MASS,
        "kerb 470-499 kg, 680 kg fully loaded (period data; Wikipedia); +80 kg driver "
        "+~70 kg pod and rig: assumption",
        assumption=True,
    ),
    "cg_to_front": PresetValue(
        _A, "wheelbase 1.840 m (car-param.com) × 60 % rear weight (assumption)", assumption=True
    ),
    "cg_to_rear": PresetValue(
        _B, "wheelbase 1.840 m (car-param.com) × 40 % front weight (assumption)", assumption=True
    ),
    "yaw_inertia": PresetValue(
        _MASS * _A * _B,
        "Iz ≈ m·a·b (dynamic index 1, Gillespie ch. 6): assumption",
        assumption=True,
    ),
    "cg_height": PresetValue(0.55, "about 0.50-0.55 m: assumption (REFERENCES.md)", True),
    "track_width": PresetValue(1.12, "about 1.12/1.13 m front/rear: assumption", True),
    "length": PresetValue(2.970, "2.970 m (car-param.com; period data)"),
    "width": PresetValue(1.320, "1.320 m (car-param.com; period data)"),
    "front_overhang": PresetValue(
        0.50, "length − wheelbase = 1.13 m split front/rear: assumption", True
    ),
    "cornering_stiffness_front": PresetValue(
        20_000.0,
        "125 R12 tyres (fiat500club.org.uk); ≈ 8.2/rad × the 2.4 kN static front axle "
        "load: assumption",
        True,
    ),
    "cornering_stiffness_rear": PresetValue(
        28_000.0,
        "125 R12 tyres; ≈ 7.7/rad × the 3.6 kN static rear axle load (tyre load "
        "sensitivity: less per newton on the heavier axle): assumption",
        True,
    ),
    "max_steer": PresetValue(math.radians(35.0), "road-wheel lock 35°: assumption", True),
    "max_steer_rate": PresetValue(
        math.radians(60.0), "≈ 60°/s at the road wheels for a fast driver: assumption", True
    ),
    "steer_time_constant": PresetValue(0.05, "steering actuator lag: assumption", True),
    "max_drive_force": PresetValue(
        2_500.0, "first-gear tractive force of a tuned stunt 500: assumption", True
    ),
    "max_drive_power": PresetValue(
        13_200.0, "18 CV (13.2 kW), 500 F (quattroruote; oldtimerclub-lachendorf.de)"
    ),
    "max_brake_force": PresetValue(
        _MASS * 0.95 * GRAVITY, "drum brakes able to lock the wheels on dry asphalt: assumption",
        True,
    ),
    "brake_front_share": PresetValue(
        0.70,
        "front-biased so that the front axle locks first: UN R13-H Annex 5 asks that the "
        "front axle's adhesion utilisation curve lie above the rear's for braking rates "
        "z = 0.15-0.8 (M1; wording checked in the same requirement of Directive "
        "71/320/EEC, Annex II, Appendix, 3.1.1), i.e. a front share above the ideal "
        "(b + h z)/L (Gillespie 1992, ch. 3, braking). With b/L = 0.40-0.42 (the camera "
        "rig moves the CG forward) and h = 0.50-0.62 m as the scenarios draw it, the "
        "ideal share at z = 0.8 is at most 0.68; 0.60 let the rear lock first above "
        "z = 0.67. The value itself is an assumption (the car's brakes are not documented)",
        True,
    ),
    "drag_area": PresetValue(0.50, "Cd ≈ 0.38 × A ≈ 1.3 m²: assumption", True),
    "rolling_resistance": PresetValue(0.015, "cross-ply/radial on cobbles: assumption", True),
    "locked_friction_ratio": PresetValue(
        0.88,
        "μ_sliding/μ_peak of a locked wheel: 0.75/0.85 for dry asphalt (sliding 0.75, peak "
        "0.8-0.9), J. Y. Wong, Theory of Ground Vehicles, Table 1.3 'Average values of "
        "coefficient of road adhesion' (wet asphalt 0.45-0.6/0.5-0.7, gravel 0.55/0.6, "
        "snow 0.15/0.2). ASSUMPTION: the table's figures were checked only as quoted "
        "secondhand, not in a printed edition, and that cobbles (sampietrini) behave like "
        "asphalt is not sourced",
        True,
    ),
    "top_speed": PresetValue(95 / TO_KMH, "85-95 km/h (oldtimerclub-lachendorf.de; quattroruote)"),
    "roll_gyration_radius": PresetValue(
        0.45, "roll radius of gyration about the CG ≈ 0.4 × track: assumption", True
    ),
    # The driver's eye in the car frame (origin on the road below the CG, x forward, y left).
    "eye_forward": PresetValue(
        0.05, "driver seated about mid-wheelbase, eye above the CG: assumption", True
    ),
    "eye_left": PresetValue(
        0.27, "left-hand drive; seat centred in the left half of a 1.1 m cabin: assumption",
        True,
    ),
    "eye_height": PresetValue(
        1.05,
        "seated eye height of a classic Fiat 500 about 1.0-1.1 m: assumption (REFERENCES.md; "
        "AASHTO's design eye is 1.08 m)",
        True,
    ),
}

VEHICLE_PRESETS: dict[str, dict[str, PresetValue]] = {"fiat_500_nuova": FIAT_500_NUOVA}


class BodyPart(NamedTuple):
    """A part of the car's own body that can stand between the driver's eye and the street:
    an axis-aligned box in the car frame (origin on the road below the CG, x forward, y left,
    z up) [m]."""

    name: str
    center: tuple[float, float, float]
    size: tuple[float, float, float]


# The Nuova 500's body as the driver sees it, sketched from its 2.970 × 1.320 × 1.320 m
# outline (car-param.com) with the CG 1.104 m behind the front axle and the front bumper
# 0.50 m ahead of it (the presets above). Every figure below is an ASSUMPTION: no measured
# obstruction angles (SAE J1050) of the car were found. The A-pillars rake back; each is
# represented by its section at about eye height (x ≈ 0.62 m), a vertical 7 × 6 cm post,
# which gives obstruction angles of about 6-7° (left) and 4° (right) seen from the eye,
# of the order of the ~6° A-pillar limit often quoted for UN R125 (REFERENCES.md, not
# verified in the text).
FIAT_500_NUOVA_BODY: tuple[BodyPart, ...] = (
    BodyPart("bonnet and scuttle", (1.20, 0.0, 0.54), (0.80, 1.28, 0.58)),  # top 0.83 m
    BodyPart("left A-pillar", (0.62, 0.58, 1.07), (0.07, 0.06, 0.46)),
    BodyPart("right A-pillar", (0.62, -0.58, 1.07), (0.07, 0.06, 0.46)),
    BodyPart("roof", (-0.24, 0.0, 1.295), (1.32, 1.20, 0.05)),
    BodyPart("left door below the window", (-0.10, 0.63, 0.565), (1.80, 0.06, 0.63)),
    BodyPart("right door below the window", (-0.10, -0.63, 0.565), (1.80, 0.06, 0.63)),
    BodyPart("left B-pillar", (-0.35, 0.60, 1.08), (0.08, 0.06, 0.40)),
    BodyPart("right B-pillar", (-0.35, -0.60, 1.08), (0.08, 0.06, 0.40)),
)

BODY_PRESETS: dict[str, tuple[BodyPart, ...]] = {"fiat_500_nuova": FIAT_500_NUOVA_BODY}
