"""Train roof physics: the track, the train's motion along it, the performer on the roof.

Modules
-------
:mod:`stuntsim.train.track`      segments (radius, cant, gradient) and structures
:mod:`stuntsim.train.motion`     jerk-limited speed plan; cant and lateral acceleration
:mod:`stuntsim.train.performer`  postures, wind, demand vs capacity, tipping, clearance

The physics layer only: no scenario or CLI integration yet.
"""

from stuntsim.train.motion import (
    GRAVITY,
    SpeedEvent,
    TrainMotion,
    cant_deficiency,
    lateral_acceleration_in_track_plane,
    roof_lateral_acceleration,
    simulate_train,
    uncompensated_lateral_acceleration,
)
from stuntsim.train.performer import (
    AIR_DENSITY,
    CROUCHING,
    NSB_B5_ROOF_HEIGHT,
    NSB_TYPE7_ROOF_HEIGHT,
    POSTURES,
    PRONE,
    STANDING,
    DemandForce,
    Posture,
    PostureChange,
    PosturePlan,
    capacity_force,
    demand_force,
    dislodge_margin,
    drag_force,
    drag_vector,
    inertial_force,
    posture_at,
    posture_values,
    relative_wind,
    structure_clearance_margin,
    tipping_force_threshold,
    tipping_margin,
)
from stuntsim.train.track import (
    STANDARD_RAIL_HEAD_SPACING,
    STRUCTURE_KINDS,
    Segment,
    Structure,
    Track,
    TrackState,
)

__all__ = [
    "AIR_DENSITY",
    "CROUCHING",
    "GRAVITY",
    "NSB_B5_ROOF_HEIGHT",
    "NSB_TYPE7_ROOF_HEIGHT",
    "POSTURES",
    "PRONE",
    "STANDARD_RAIL_HEAD_SPACING",
    "STANDING",
    "STRUCTURE_KINDS",
    "DemandForce",
    "Posture",
    "PostureChange",
    "PosturePlan",
    "Segment",
    "SpeedEvent",
    "Structure",
    "Track",
    "TrackState",
    "TrainMotion",
    "cant_deficiency",
    "capacity_force",
    "demand_force",
    "dislodge_margin",
    "drag_force",
    "drag_vector",
    "inertial_force",
    "lateral_acceleration_in_track_plane",
    "posture_at",
    "posture_values",
    "relative_wind",
    "roof_lateral_acceleration",
    "simulate_train",
    "structure_clearance_margin",
    "tipping_force_threshold",
    "tipping_margin",
    "uncompensated_lateral_acceleration",
]
