"""Vehicle presets: every figure with its source, or marked as an assumption.

Values are SI. A figure marked ``assumption`` has no source in ../shared/REFERENCES.md;
a scenario that relies on it should make it uncertain (the Rome scenario does).
"""

from __future__ import annotations

import math
from typing import NamedTuple


class PresetValue(NamedTuple):
    value: float
    source: str
    assumption: bool = False


_G = 9.81

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
        _MASS * 0.95 * _G, "drum brakes able to lock the wheels on dry asphalt: assumption", True
    ),
    "brake_front_share": PresetValue(
        0.60,
        "front-biased so the front axle locks first, as braking regulations require "
        "(UN R13-H adhesion utilisation); 0.60 is an assumption",
        True,
    ),
    "drag_area": PresetValue(0.50, "Cd ≈ 0.38 × A ≈ 1.3 m²: assumption", True),
    "rolling_resistance": PresetValue(0.015, "cross-ply/radial on cobbles: assumption", True),
    "top_speed": PresetValue(95 / 3.6, "85-95 km/h (oldtimerclub-lachendorf.de; quattroruote)"),
    "roll_gyration_radius": PresetValue(
        0.45, "roll radius of gyration about the CG ≈ 0.4 × track: assumption", True
    ),
}

VEHICLE_PRESETS: dict[str, dict[str, PresetValue]] = {"fiat_500_nuova": FIAT_500_NUOVA}
