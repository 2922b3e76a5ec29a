"""Vehicle presets: every figure with its source, or marked as an assumption.

Values are SI. A figure marked ``assumption`` has no published source (docs/REFERENCES.md
lists the sourced ones);
a scenario that relies on it should make it uncertain (the Rome scenario does).

Presets (:data:`VEHICLE_PRESETS`, one line each in :data:`PRESET_TITLES`): the Fiat 500
Nuova of the Rome chase, a modern Fiat 500 (a supermini), a BMW 550i (a large rear-drive
saloon) and a Mercedes ML 63 AMG camera car with a Russian Arm crane (a tracking vehicle).
The CG heights and tracks of the modern three are NHTSA's measurements of the production
cars. The model drives the rear axle and has no ABS: the front-drive Fiat and the
four-wheel-drive camera car take their drive force at the rear, and every preset's wheels
can lock (each preset's figures say so where it matters).
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
    "height": PresetValue(1.320, "1.320 m (car-param.com; period data)"),
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

# ----------------------------------------------------------------------- the modern presets
# Figures quoted in customary units are converted once, with exact factors. Each preset's
# sourced figures are copied, with their sources, into docs/REFERENCES.md ("More cars").
_LB = 0.45359237  # kg per pound (exact)
_INCH = 0.0254  # m per inch (exact)
_HP = 745.69987  # W per mechanical horsepower
_LBFT = 1.3558179  # N·m per pound-foot
_DRIVER = 80.0  # [kg] the stunt driver: ASSUMPTION (no source; an adult man)
_DRIVELINE = 0.90  # share of the engine's power reaching the wheels: ASSUMPTION
_DRIVER_NOTE = "+ 80 kg driver (assumption)"
_NHTSA = ("NHTSA NCAP rollover stability measurement (the NCAP data set 2001-2020 as "
          "compiled by K. Tse, kktse.github.io, 2022; REFERENCES.md)")
_CORNERING_NOTE = (
    "cornering stiffness per newton of static axle load (cornering coefficient) of a "
    "radial passenger-car tyre in the linear range, {k:.1f}/rad (≈ {deg:.2f} per degree), "
    "less per newton on the more heavily loaded axle (tyre load sensitivity), chosen so "
    "that the production car understeers as such cars are built to (Gillespie 1992, ch. 6): "
    "assumption, no tyre data found"
)
_BRAKE_NOTE = (
    "front-biased so that the front axle locks first (UN R13-H Annex 5, see "
    "fiat_500_nuova): above the ideal share (b + h z)/L = {ideal:.3f} at z = 0.8 for this "
    "preset's b and h (Gillespie 1992, ch. 3). The value is an assumption: a fixed share "
    "stands in for the real car's electronic brake-force distribution, and the model has "
    "no ABS (its wheels lock)"
)
_ROLLING_NOTE = ("0.013 for passenger-car tyres on concrete or asphalt, J. Y. Wong, Theory "
                 "of Ground Vehicles, Table 1.1: quoted secondhand, not checked in a printed "
                 "edition: assumption")
_LOCKED_NOTE = "as fiat_500_nuova (Wong, Table 1.3; same caveats): assumption"
_STEER_RATE_NOTE = "≈ 60°/s at the road wheels for a fast driver: assumption (as fiat_500_nuova)"
_STEER_LAG_NOTE = "steering actuator lag: assumption (as fiat_500_nuova)"
_YAW_NOTE = "Iz ≈ m·a·b (dynamic index 1, Gillespie ch. 6): assumption"


def _axles(front_share: float, wheelbase: float) -> tuple[float, float]:
    """CG to the front and to the rear axle (a, b) [m] from the static front weight share."""
    return (1.0 - front_share) * wheelbase, front_share * wheelbase


def _lock_from_turning_circle(diameter: float, wheelbase: float, track: float) -> float:
    """Road-wheel lock [rad] of the single-track model from a turning circle's diameter.

    Ackermann geometry (Gillespie 1992, ch. 6, low-speed turning): the outer front wheel runs
    on R_o = D/2, the centre of the rear axle on R = √(R_o² − L²) − t/2, and the single-track
    model's lock gives the same rear-axle circle, tan δ = L/R. Tyre width, kerb-to-kerb vs
    wall-to-wall and rear-wheel steering are ignored.
    """
    rear_axle = math.sqrt((0.5 * diameter) ** 2 - wheelbase**2) - 0.5 * track
    return math.atan(wheelbase / rear_axle)


def _first_gear_force(torque: float, ratio: float, radius: float) -> float:
    """Tractive force in first gear [N]: engine torque × overall ratio × driveline efficiency
    / tyre rolling radius."""
    return torque * ratio * _DRIVELINE / radius


class _Load(NamedTuple):
    """A mass carried by a camera car, its CG above the road, and where the figure comes
    from; all at the vehicle's own CG fore and aft (an assumption) and treated as points."""

    name: str
    mass: float  # [kg]
    height: float  # [m]
    source: str


def _combined(loads: tuple[_Load, ...], roll_radius: float) -> tuple[float, float, float]:
    """Total mass [kg], CG height [m] and roll radius of gyration about the combined CG [m]
    of a vehicle (the first load, with its own ``roll_radius``) and point loads: the
    mass-weighted mean height, and the parallel-axis theorem about the new CG,
    k² = (m₀ k₀² + Σ mᵢ (hᵢ − h)²) / m (the same relations as the camera rig's R1-R6,
    :mod:`stuntsim.kinds.car.rig`)."""
    mass = sum(load.mass for load in loads)
    height = sum(load.mass * load.height for load in loads) / mass
    inertia = loads[0].mass * roll_radius**2 + sum(
        load.mass * (load.height - height) ** 2 for load in loads)
    return mass, height, math.sqrt(inertia / mass)


# Fiat 500 (type 312, 2007-2024; the 1.4 16V petrol as sold in the USA from model year 2012,
# the car NHTSA measured). Front-wheel drive: the model drives the rear axle (dynamics.py,
# "Rear-wheel drive only"), so acceleration out of a corner uses the wrong axle's grip.
_F5_MASS = 2363 * _LB + _DRIVER
_F5_WHEELBASE = 2.300
_F5_FRONT_SHARE = 0.62
_F5_A, _F5_B = _axles(_F5_FRONT_SHARE, _F5_WHEELBASE)
_F5_CG_HEIGHT = 0.548
_F5_TRACK = 1.410
_F5_CF, _F5_CR = 8.0, 10.0  # [1/rad] cornering coefficients, front and rear

FIAT_500_2007: dict[str, PresetValue] = {
    "mass": PresetValue(
        _F5_MASS,
        f"kerb 2,363 lb = 1,072 kg, 2012 US 1.4 (automotiverhythms.com launch report; "
        f"2,350 lb in europeancarweb.com) {_DRIVER_NOTE}",
        assumption=True,
    ),
    "cg_to_front": PresetValue(
        _F5_A, "wheelbase 2.300 m (it.motor1.com; 90.6 in, automotiverhythms.com) × 38 % of "
        "the weight on the rear axle: 62 % front is an assumption (transverse engine ahead "
        "of the front axle; no weighbridge figure found)", True,
    ),
    "cg_to_rear": PresetValue(
        _F5_B, "wheelbase 2.300 m (it.motor1.com) × 62 % front weight (assumption)", True
    ),
    "yaw_inertia": PresetValue(_F5_MASS * _F5_A * _F5_B, _YAW_NOTE, True),
    "cg_height": PresetValue(
        _F5_CG_HEIGHT, f"0.548 m, 2012 Fiat 500, {_NHTSA}; with the driver's 80 kg it "
        "would sit a little higher (not corrected)"
    ),
    "track_width": PresetValue(
        _F5_TRACK, f"1.410 m, mean of front and rear, 2012 Fiat 500, {_NHTSA} (its SSF "
        "1.285 = t/(2h))"
    ),
    "length": PresetValue(3.546, "3.546 m (it.motor1.com; 139.6 in, automotiverhythms.com)"),
    "width": PresetValue(1.627, "1.627 m (it.motor1.com)"),
    "height": PresetValue(1.488, "1.488 m (it.motor1.com)"),
    "front_overhang": PresetValue(
        0.69, "length − wheelbase = 1.246 m split 0.69 m front / 0.56 m rear: assumption", True
    ),
    "cornering_stiffness_front": PresetValue(
        _F5_CF * _F5_FRONT_SHARE * _F5_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_F5_CF, deg=math.radians(_F5_CF)) + " (front)", True,
    ),
    "cornering_stiffness_rear": PresetValue(
        _F5_CR * (1 - _F5_FRONT_SHARE) * _F5_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_F5_CR, deg=math.radians(_F5_CR)) + " (rear)", True,
    ),
    "max_steer": PresetValue(math.radians(35.0), "road-wheel lock 35°: assumption (no "
                             "turning-circle figure found)", True),
    "max_steer_rate": PresetValue(math.radians(60.0), _STEER_RATE_NOTE, True),
    "steer_time_constant": PresetValue(0.05, _STEER_LAG_NOTE, True),
    "max_drive_force": PresetValue(
        _first_gear_force(98 * _LBFT, 13.0, 0.29),
        "98 lb-ft = 133 N·m (europeancarweb.com) × overall first-gear ratio ≈ 13 × "
        "efficiency 0.9 / rolling radius 0.29 m: ratio, efficiency and radius are "
        "assumptions. Front-wheel drive, applied at the rear by the model", True,
    ),
    "max_drive_power": PresetValue(
        101 * _HP * _DRIVELINE, "101 hp = 75 kW at 6,500 rpm (europeancarweb.com) × "
        "driveline efficiency 0.9 (assumption)", True,
    ),
    "max_brake_force": PresetValue(
        _F5_MASS * 1.0 * GRAVITY, "brakes able to lock the wheels on dry asphalt (1 g): "
        "assumption", True,
    ),
    "brake_front_share": PresetValue(
        0.83, _BRAKE_NOTE.format(ideal=(_F5_B + _F5_CG_HEIGHT * 0.8) / _F5_WHEELBASE), True
    ),
    "drag_area": PresetValue(0.65, "Cd ≈ 0.32 × A ≈ 2.0 m²: assumption", True),
    "rolling_resistance": PresetValue(0.013, _ROLLING_NOTE, True),
    "locked_friction_ratio": PresetValue(0.88, _LOCKED_NOTE, True),
    "top_speed": PresetValue(106 * 0.44704, "106 mph = 171 km/h (europeancarweb.com)"),
    "roll_gyration_radius": PresetValue(
        0.4 * _F5_TRACK, "roll radius of gyration ≈ 0.4 × track: assumption", True
    ),
    "eye_forward": PresetValue(
        -0.45, "eye about 1.3 m behind the front axle: assumption", True
    ),
    "eye_left": PresetValue(
        0.36, "left-hand drive; seat centred in the left half of the cabin: assumption", True
    ),
    "eye_height": PresetValue(
        1.20, "a tall small car: seated eye about 1.2 m above the road, above AASHTO's "
        "1.08 m design eye (REFERENCES.md): assumption", True,
    ),
}


# BMW 550i (F10, 2010-2016): a large rear-drive saloon (the 4.4 L twin-turbo V8; NHTSA
# measured a model-year 2011 550i).
_B5_MASS = 4343 * _LB + _DRIVER
_B5_WHEELBASE = 2.968
_B5_FRONT_SHARE = 0.52
_B5_A, _B5_B = _axles(_B5_FRONT_SHARE, _B5_WHEELBASE)
_B5_CG_HEIGHT = 0.540
_B5_TRACK = 1.610
_B5_CF, _B5_CR = 8.5, 10.0

BMW_550I_F10: dict[str, PresetValue] = {
    "mass": PresetValue(
        _B5_MASS, f"4,343 lb = 1,970 kg, 2011 550i with the manual gearbox (Automobiles De "
        f"Luxe road test quoted by bmw-sg.com, 2010-11-11) {_DRIVER_NOTE}", True,
    ),
    "cg_to_front": PresetValue(
        _B5_A, "wheelbase 2.968 m (BMW 5 Series (F10) data as quoted by piglix.com from "
        "Wikipedia) × 48 % rear weight: 52 % front is an assumption (front V8; no "
        "weighbridge figure found)", True,
    ),
    "cg_to_rear": PresetValue(
        _B5_B, "wheelbase 2.968 m (as cg_to_front) × 52 % front weight (assumption)", True
    ),
    "yaw_inertia": PresetValue(_B5_MASS * _B5_A * _B5_B, _YAW_NOTE, True),
    "cg_height": PresetValue(_B5_CG_HEIGHT, f"0.540 m, 2011 BMW 550i, {_NHTSA}"),
    "track_width": PresetValue(
        _B5_TRACK, f"1.610 m, mean of front and rear, 2011 BMW 550i, {_NHTSA} (its SSF "
        "1.491 = t/(2h))"
    ),
    "length": PresetValue(4.899, "4.899-4.907 m, saloon (piglix.com / Wikipedia, F10)"),
    "width": PresetValue(1.860, "1.860 m (piglix.com / Wikipedia, F10)"),
    "height": PresetValue(1.464, "1.462-1.464 m (piglix.com / Wikipedia, F10)"),
    "front_overhang": PresetValue(
        0.85, "length − wheelbase = 1.93 m split 0.85 m front / 1.08 m rear: assumption", True
    ),
    "cornering_stiffness_front": PresetValue(
        _B5_CF * _B5_FRONT_SHARE * _B5_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_B5_CF, deg=math.radians(_B5_CF)) + " (front)", True,
    ),
    "cornering_stiffness_rear": PresetValue(
        _B5_CR * (1 - _B5_FRONT_SHARE) * _B5_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_B5_CR, deg=math.radians(_B5_CR)) + " (rear)", True,
    ),
    "max_steer": PresetValue(
        _lock_from_turning_circle(11.3, _B5_WHEELBASE, _B5_TRACK),
        "from the smallest turning circle, 11.3 m (37 ft; BMW 5 Series F10 owner's manual, "
        "Dimensions, as reproduced by bavarianmw.com), by Ackermann geometry (see "
        "_lock_from_turning_circle): 36.6°. With Integral Active Steering the rear wheels "
        "help; the model has none, so the front lock is slightly overstated",
    ),
    "max_steer_rate": PresetValue(math.radians(60.0), _STEER_RATE_NOTE, True),
    "steer_time_constant": PresetValue(0.05, _STEER_LAG_NOTE, True),
    "max_drive_force": PresetValue(
        _first_gear_force(450 * _LBFT, 13.0, 0.34),
        "450 lb-ft = 610 N·m (AutoWeek long-term 550i, 2011) × overall first-gear ratio ≈ "
        "13 × efficiency 0.9 / rolling radius 0.34 m: ratio, efficiency and radius are "
        "assumptions (the tyres' grip limits it long before)", True,
    ),
    "max_drive_power": PresetValue(
        400 * _HP * _DRIVELINE, "400 hp = 298 kW (AutoWeek 2011; bmw-sg.com) × driveline "
        "efficiency 0.9 (assumption)", True,
    ),
    "max_brake_force": PresetValue(
        _B5_MASS * 1.0 * GRAVITY, "brakes able to lock the wheels on dry asphalt (1 g): "
        "assumption", True,
    ),
    "brake_front_share": PresetValue(
        0.70, _BRAKE_NOTE.format(ideal=(_B5_B + _B5_CG_HEIGHT * 0.8) / _B5_WHEELBASE), True
    ),
    "drag_area": PresetValue(0.66, "Cd ≈ 0.29 × A ≈ 2.3 m²: assumption", True),
    "rolling_resistance": PresetValue(0.013, _ROLLING_NOTE, True),
    "locked_friction_ratio": PresetValue(0.88, _LOCKED_NOTE, True),
    "top_speed": PresetValue(250 / TO_KMH, "250 km/h, the usual electronic limiter of "
                             "German saloons: assumption (not found for this car)", True),
    "roll_gyration_radius": PresetValue(
        0.4 * _B5_TRACK, "roll radius of gyration ≈ 0.4 × track: assumption", True
    ),
    "eye_forward": PresetValue(
        -0.15, "eye about 1.6 m behind the front axle (long bonnet): assumption", True
    ),
    "eye_left": PresetValue(0.37, "left-hand drive: assumption", True),
    "eye_height": PresetValue(
        1.12, "a saloon's seated eye, near AASHTO's 1.08 m design eye (REFERENCES.md): "
        "assumption", True,
    ),
}


# A tracking (camera) car: a Mercedes-Benz ML 63 AMG (W164, 2006-2011) carrying a
# Filmotechnic "Russian Arm" camera crane on its roof and a crew of three (driver,
# technician, arm operator: complex.com, 2011, via Gizmodo). Such a car exists (an ML 63
# AMG W164 of 2010 rebuilt as a camera car: autosbans.ru). Four-wheel drive: the model
# drives the rear axle only. The arm's load is part of the preset; a scenario that changes
# it overrides mass, cg_height and roll_gyration_radius, or uses rig mounts instead.
_ML_WHEELBASE = 114.8 * _INCH
_ML_FRONT_SHARE = 0.52
_ML_A, _ML_B = _axles(_ML_FRONT_SHARE, _ML_WHEELBASE)
_ML_BASE_CG = 0.670
_ML_TRACK = 1.628
_ML_LOADS = (
    _Load("ML 63 AMG (W164)", 2345.0 + 40.0, _ML_BASE_CG,
          "2,345 kg, the W166 ML 63 AMG (driving.ca, 2012) + 40 kg: the W166 is 40 kg "
          "lighter than its W164 predecessor (iol.co.za, 2011); whether a driver is "
          f"included is not said. CG height: 0.670 m, 2006 ML350 (W164), {_NHTSA}; the "
          "AMG's lower suspension and heavier V8 are not accounted (assumption)"),
    _Load("crew of three", 3 * _DRIVER, 1.00,
          "driver, technician and arm operator (complex.com, 2011) at 80 kg each, seated "
          "CG 1.0 m above the road: assumption"),
    _Load("monitors, controls, batteries, roof frame", 300.0, 0.90,
          "assumption, chosen so that the total agrees with the one published weight of a "
          "comparable build: an ML55 AMG Russian Arm car, about 5,000 lb, 'over 7,500 "
          "pounds' with six people aboard (motor1.com, 2017)"),
    _Load("Russian Arm crane and head", 320.0, 2.10,
          "'almost 700 lbs' and about 12 ft long (complex.com, 2011, via Gizmodo); 'ca. "
          "180 kg' for the whole apparatus in another account (a blog, 2019): the larger "
          "is taken. CG 2.1 m above the road, over the 1.816 m roof, parked: assumption"),
)
_ML_MASS, _ML_CG_HEIGHT, _ML_ROLL_RADIUS = _combined(_ML_LOADS, 0.4 * _ML_TRACK)
_ML_CF, _ML_CR = 7.5, 9.0
_ML_LOAD_TEXT = "; ".join(f"{load.name}: {load.mass:.0f} kg at {load.height:.2f} m "
                          f"({load.source})" for load in _ML_LOADS)

MERCEDES_ML63_CAMERA_CAR: dict[str, PresetValue] = {
    "mass": PresetValue(_ML_MASS, f"the sum of: {_ML_LOAD_TEXT}", True),
    "cg_to_front": PresetValue(
        _ML_A, "wheelbase 114.8 in = 2.916 m, 2006 ML350 W164 (theautochannel.com, "
        "2005-09-15; 2,915 mm in goauto.com.au) × 48 % rear weight: 52 % front and the "
        "loads at the vehicle's own CG fore and aft are assumptions", True,
    ),
    "cg_to_rear": PresetValue(
        _ML_B, "wheelbase 2.916 m (as cg_to_front) × 52 % front weight (assumption)", True
    ),
    "yaw_inertia": PresetValue(_ML_MASS * _ML_A * _ML_B, _YAW_NOTE, True),
    "cg_height": PresetValue(
        _ML_CG_HEIGHT, "mass-weighted mean of the loads' CG heights (see mass); the "
        "vehicle's own 0.670 m is NHTSA's, the others are assumptions: make it uncertain",
        True,
    ),
    "track_width": PresetValue(
        _ML_TRACK, f"1.628 m, mean of front and rear, 2006 ML350 (W164), {_NHTSA} (its SSF "
        "1.214 = t/(2h)); the AMG's wider wheels are not accounted (assumption)", True,
    ),
    "length": PresetValue(188.2 * _INCH, "188.2 in = 4.780 m, 2006 ML350 (theautochannel."
                          "com); the arm is not part of the footprint"),
    "width": PresetValue(75.2 * _INCH, "75.2 in = 1.910 m, 2006 ML350 (theautochannel.com)"),
    "height": PresetValue(71.5 * _INCH, "71.5 in = 1.816 m to the roof, 2006 ML350 "
                          "(theautochannel.com); the arm stands above it"),
    "front_overhang": PresetValue(
        0.93, "length − wheelbase = 1.86 m split evenly: assumption", True
    ),
    "cornering_stiffness_front": PresetValue(
        _ML_CF * _ML_FRONT_SHARE * _ML_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_ML_CF, deg=math.radians(_ML_CF)) + " (front; lower: a "
        "heavily laden SUV tyre)", True,
    ),
    "cornering_stiffness_rear": PresetValue(
        _ML_CR * (1 - _ML_FRONT_SHARE) * _ML_MASS * GRAVITY,
        _CORNERING_NOTE.format(k=_ML_CR, deg=math.radians(_ML_CR)) + " (rear)", True,
    ),
    "max_steer": PresetValue(math.radians(35.0), "road-wheel lock 35°: assumption (no "
                             "turning-circle figure found)", True),
    "max_steer_rate": PresetValue(math.radians(60.0), _STEER_RATE_NOTE, True),
    "steer_time_constant": PresetValue(0.05, _STEER_LAG_NOTE, True),
    "max_drive_force": PresetValue(
        _first_gear_force(630.0, 16.0, 0.37),
        "630 N·m (the W164 ML 63's 6.2 L V8: iol.co.za, 2011) × overall first-gear ratio "
        "≈ 16 × efficiency 0.9 / rolling radius 0.37 m: ratio, efficiency and radius are "
        "assumptions. Four-wheel drive, applied at the rear by the model", True,
    ),
    "max_drive_power": PresetValue(
        375e3 * _DRIVELINE, "375 kW (the W164 ML 63's 6.2 L V8: iol.co.za, 2011) × "
        "driveline efficiency 0.9 (assumption)", True,
    ),
    "max_brake_force": PresetValue(
        _ML_MASS * 1.0 * GRAVITY, "brakes able to lock the wheels on dry asphalt (1 g) "
        "with the arm's load: assumption", True,
    ),
    "brake_front_share": PresetValue(
        0.77, _BRAKE_NOTE.format(ideal=(_ML_B + _ML_CG_HEIGHT * 0.8) / _ML_WHEELBASE), True
    ),
    "drag_area": PresetValue(
        1.29, "Cd 0.34 (the W164 M-Class: goauto.com.au, 2004) × A ≈ 2.9 m² (assumption) "
        "+ ≈ 0.3 m² for the arm (assumption)", True,
    ),
    "rolling_resistance": PresetValue(0.013, _ROLLING_NOTE, True),
    "locked_friction_ratio": PresetValue(0.88, _LOCKED_NOTE, True),
    "top_speed": PresetValue(
        150 / TO_KMH, "the Russian Arm is used up to 150 km/h (a blog, "
        "jedentageinbisschenschlauer.blogspot.com, 2019, not the maker's data): the rig's "
        "limit, not the car's (the W166 ML 63 is limited to 250 km/h, iol.co.za): "
        "assumption", True,
    ),
    "roll_gyration_radius": PresetValue(
        _ML_ROLL_RADIUS, "parallel-axis sum about the combined CG of the vehicle's own "
        "0.4 × track (assumption) and the loads as points (see mass)", True,
    ),
    "eye_forward": PresetValue(
        -0.30, "eye about 1.7 m behind the front axle: assumption", True
    ),
    "eye_left": PresetValue(0.38, "left-hand drive: assumption", True),
    "eye_height": PresetValue(
        1.45, "an SUV's seated eye, about 1.45 m above the road: assumption", True
    ),
}

PRESET_TITLES: dict[str, str] = {
    "fiat_500_nuova": "Fiat 500 Nuova (1957-1975) dressed for the Rome chase, rear engine, "
                      "rear-wheel drive",
    "fiat_500_2007": "Fiat 500 (type 312, 2007-2024), 1.4 16V, front-wheel drive "
                     "(modelled as rear-wheel drive)",
    "bmw_550i_f10": "BMW 550i (F10, 2010-2016), a large rear-drive saloon",
    "mercedes_ml63_camera_car": "Mercedes-Benz ML 63 AMG (W164) tracking car with a "
                                "Russian Arm crane and a crew of three, four-wheel drive "
                                "(modelled as rear-wheel drive)",
}
"""One line per preset, for the README and error messages."""


VEHICLE_PRESETS: dict[str, dict[str, PresetValue]] = {
    "fiat_500_nuova": FIAT_500_NUOVA,
    "fiat_500_2007": FIAT_500_2007,
    "bmw_550i_f10": BMW_550I_F10,
    "mercedes_ml63_camera_car": MERCEDES_ML63_CAMERA_CAR,
}
"""Every vehicle preset by the name a scenario gives as ``vehicle.preset``."""
