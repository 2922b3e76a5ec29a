"""The train-roof stunt: the track, the train's motion along it, the performers on the roof.

Physics (imported here)
-----------------------
:mod:`stuntsim.kinds.train.track`      segments (radius, cant, gradient) and structures
:mod:`stuntsim.kinds.train.motion`     jerk-limited speed plan; cant and lateral acceleration
:mod:`stuntsim.kinds.train.performer`  postures, wind, demand vs capacity, tipping, clearance

The stunt (import the modules themselves)
-----------------------------------------
:mod:`stuntsim.kinds.train.schema`     ``kind: train`` scenario files (pydantic, strict)
:mod:`stuntsim.kinds.train.model`      the batched run along the track: margins as running minima
:mod:`stuntsim.kinds.train.harm`       P(death) given a hazard (assumed relations, wide bands)
:mod:`stuntsim.kinds.train.kind`       the kind: its facts after a run, harm, report hooks
:mod:`stuntsim.kinds.train.report`     the train's sections of the report
:mod:`stuntsim.kinds.train.figures`    the figures
"""

from stuntsim.kinds.train.motion import (
    GRAVITY,
    SpeedEvent,
    TrainMotion,
    cant_deficiency,
    jerk_limited_step,
    lateral_acceleration_in_track_plane,
    roof_lateral_acceleration,
    simulate_train,
    uncompensated_lateral_acceleration,
)
from stuntsim.kinds.train.performer import (
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
from stuntsim.kinds.train.track import (
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
    "jerk_limited_step",
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

from stuntsim.kinds.registry import register
from stuntsim.kinds.train.kind import TrainKind

register(TrainKind())
