r"""The train-roof scenario: a train on a track, structures over it, wind, performers on the roof.

``kind: train`` in a scenario file. The shared part (name, samples, seed, takes,
``uncertain``, ``variants``) is :class:`stuntsim.scenario.ScenarioBase`; quantities carry
units (``"97 km/h"``, ``"150 mm"``) and are SI inside. Sections:

``train``       roof height above rail, the speed plan (a first target, then speed
                changes at positions or times) and the jerk-limited driving limits
``track``       consecutive segments from chainage 0 (straight, or curve with radius, hand
                and cant; gradient), the compass bearing of the start
``structures``  tunnels, bridges, gantries, overhead wire: where they begin, their length,
                their clearance above rail (overhead) and the drop beside the track (a
                bridge over a gorge: a fall there is from higher up)
``wind``        mean wind and one gust (speed, direction it comes from, where it hits)
``performers``  each with mass, starting posture, posture changes at cues (a chainage, or
                a distance before/after a structure) reached after a reaction delay,
                shoe–roof friction, hand-hold, optional tether, and posture dimensions
``simulation``  time step, the longest run time, chunking, trajectories kept for plots

Geometry is planned, not uncertain: segment lengths and structure positions and lengths
may not be named under ``uncertain`` (they define the chainage every cue and event refers
to). Everything else numeric may be, and the model reads every one of them per sample.

The defaults of the posture dimensions are the presets of :mod:`stuntsim.kinds.train.performer`
(drag areas from REFERENCES.md; heights and centres are assumptions there) plus a
half stance width for tipping (assumption: 0.15 m standing, feet about shoulder width;
0.25 m crouching, wider base with a hand down; 0.45 m prone).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stuntsim.kinds.train.performer import (
    AIR_DENSITY,
    CROUCHING,
    NSB_B5_ROOF_HEIGHT,
    PRONE,
    STANDING,
)
from stuntsim.kinds.train.track import STANDARD_RAIL_HEAD_SPACING
from stuntsim.scenario import (
    Angle,
    Friction,
    Length,
    Name,
    Quantity,
    ScenarioBase,
    Speed,
    Strict,
    Time,
    repeated_names,
)

__all__ = [
    "POSTURE_NAMES",
    "Performer",
    "PostureCue",
    "SpeedChange",
    "Tether",
    "Track",
    "TrackSegment",
    "TrackStructure",
    "Train",
    "TrainScenario",
    "TrainSimulation",
    "Wind",
]

POSTURE_NAMES: tuple[str, ...] = ("standing", "crouching", "prone")
"""In the order of :data:`stuntsim.kinds.train.performer.POSTURES` (the model's posture index)."""
PostureName = Literal["standing", "crouching", "prone"]

_JERK = "jerk"

#: Half stance widths [m] (assumptions, see the module docstring).
HALF_BASE = {"standing": 0.15, "crouching": 0.25, "prone": 0.45}

#: Uncertain paths that may not be named: they define the chainage of everything else.
_FIXED_GEOMETRY = ("track.segments.*.length", "structures.*.at", "structures.*.length",
                   "simulation.*")


# --------------------------------------------------------------------------------------
# Train
# --------------------------------------------------------------------------------------


class SpeedChange(Strict):
    """A new target speed from a chainage (``at``) or a time (``time``) on."""

    name: Name = Field(description="What the change is for, e.g. 'slow for the spiral tunnel'")
    at: Length("Chainage of the performers' coach at which the new target applies",
               ge=0) = None
    time: Time("Time from the start at which the new target applies", ge=0) = None
    speed: Speed("New target speed", ge=0, le=70)

    @model_validator(mode="after")
    def _one_trigger(self) -> SpeedChange:
        if (self.at is None) == (self.time is None):
            raise ValueError("a speed change needs exactly one of 'at' (a chainage) or 'time'")
        return self


class Train(Strict):
    """The train: the performers' coach and the driver's speed plan (jerk-limited, see
    :mod:`stuntsim.kinds.train.motion`; no traction or adhesion limits: the plan is assumed
    achievable)."""

    roof_height: Length("Coach roof above the top of rail (NSB B5 4.075 m, Type 7 3.83 m)",
                        gt=2.0, le=5.5) = NSB_B5_ROOF_HEIGHT
    speed: Speed("Planned (target) speed from the start", ge=0, le=70)
    start_speed: Speed("Speed at the start (default: the planned speed, i.e. cruising)",
                       ge=0, le=70) = None
    start_position: Length("Chainage of the performers' coach at the start", ge=0) = 0.0
    max_acceleration: Quantity("acceleration", "Largest traction acceleration", gt=0,
                               le=3) = 0.3
    max_deceleration: Quantity("acceleration", "Largest service-braking deceleration "
                               "(a magnitude)", gt=0, le=3) = 0.7
    max_jerk: Quantity(_JERK, "Largest rate of change of acceleration [m/s³]", gt=0,
                       le=10) = 0.5
    events: list[SpeedChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_events(self) -> Train:
        names = [event.name for event in self.events]
        repeated = repeated_names(names)
        if repeated:
            raise ValueError(f"speed-change names must be unique, repeated: {repeated}")
        return self


# --------------------------------------------------------------------------------------
# Track and structures
# --------------------------------------------------------------------------------------


class TrackSegment(Strict):
    """A piece of track with constant radius, cant and gradient (no transition curves)."""

    name: Name = Field(description="Name of the segment, e.g. 'Stavem spiral'")
    length: Length("Length along the track", gt=0, le=200_000)
    radius: Length("Curve radius (omit on a straight)", gt=20, le=1e6) = None
    hand: Literal["left", "right"] | None = Field(
        None, description="Which way the curve turns in the direction of travel"
    )
    cant: Length("Cant: outer rail above inner rail (Norway: at most 150–180 mm)",
                 ge=0, le=0.2) = 0.0
    gradient: Friction("Gradient, rise over run, uphill positive", ge=-0.1, le=0.1) = 0.0

    @model_validator(mode="after")
    def _curve_or_straight(self) -> TrackSegment:
        if (self.radius is None) != (self.hand is None):
            raise ValueError("a curve needs both 'radius' and 'hand'; a straight has neither")
        if self.radius is None and self.cant != 0.0:
            raise ValueError("a straight has no cant (give 'radius' and 'hand' for a curve)")
        return self


class Track(Strict):
    """Consecutive segments from chainage 0."""

    segments: list[TrackSegment] = Field(min_length=1)
    rail_head_spacing: Length("Distance between rail-head centres the cant is measured "
                              "over (1.500 m on standard gauge)", gt=0.9,
                              le=2.0) = STANDARD_RAIL_HEAD_SPACING
    start_bearing: Angle("Compass bearing of the direction of travel at chainage 0 "
                         "(clockwise from north)", ge=-7, le=7) = 0.0

    @model_validator(mode="after")
    def _unique_names(self) -> Track:
        names = [segment.name for segment in self.segments]
        repeated = repeated_names(names)
        if repeated:
            raise ValueError(f"segment names must be unique, repeated: {repeated}")
        return self

    @property
    def length(self) -> float:
        """Total length [m]."""
        return float(sum(segment.length for segment in self.segments))


class TrackStructure(Strict):
    """Something along the line: overhead (a clearance) or under the track (a drop)."""

    name: Name
    kind: Literal["tunnel", "bridge", "gantry", "overhead_wire"] = Field(
        description="tunnel (the bore: sheltered from the wind), bridge (over the line, "
        "or carrying it), gantry (signal or camera gantry), overhead_wire"
    )
    at: Length("Chainage where it begins (tunnel portal, bridge edge)", ge=0)
    length: Length("Extent along the track (0 for a thin gantry)", ge=0, le=50_000) = 0.0
    clearance: Length("Lowest point overhead above the top of rail (omit if nothing is "
                      "overhead, e.g. a deck bridge the train runs over)", gt=2.0,
                      le=30) = None
    drop: Length("Depth below rail level beside the track here (a bridge over a gorge: "
                 "a fall is from higher up)", ge=0, le=1000) = 0.0

    @model_validator(mode="after")
    def _something(self) -> TrackStructure:
        if self.kind != "bridge" and self.clearance is None:
            raise ValueError(f"a {self.kind} needs its 'clearance' above rail")
        if self.clearance is None and self.drop == 0.0:
            raise ValueError("a bridge with no clearance overhead and no drop changes nothing: "
                             "give 'clearance' or 'drop'")
        return self


# --------------------------------------------------------------------------------------
# Wind
# --------------------------------------------------------------------------------------


class Wind(Strict):
    r"""Mean wind and one discrete gust, both *coming from* compass bearings.

    The gust is a 1 − cos pulse along the track: u(s) = ½ U (1 − cos(2π (s − s_g)/L_g))
    for s_g ≤ s ≤ s_g + L_g (the classic discrete-gust shape), zero elsewhere. Inside
    tunnels the ambient wind and the gust are zero.
    """

    speed: Speed("Mean wind speed", ge=0, le=60) = 0.0
    direction: Angle("Compass bearing the wind comes from (meteorological)", ge=-7,
                     le=7) = 0.0
    gust_speed: Speed("Peak of the gust above the mean wind", ge=0, le=60) = 0.0
    gust_direction: Angle("Compass bearing the gust comes from (default: the wind's)",
                          ge=-7, le=7) = None
    gust_at: Length("Chainage where the gust begins", ge=0) = 0.0
    gust_length: Length("Length of track over which the gust rises and falls", gt=0,
                        le=100_000) = 100.0
    air_density: Quantity("density", "Air density", gt=0.5, le=1.6) = AIR_DENSITY


# --------------------------------------------------------------------------------------
# Performers
# --------------------------------------------------------------------------------------


def _check_posture_heights(spec):
    for name in ("cp_height", "cg_height"):
        if getattr(spec, name) > spec.height:
            raise ValueError(f"{name} ({getattr(spec, name)} m) is above the posture's "
                             f"height ({spec.height} m)")
    return spec


class StandingPosture(Strict):
    """Standing (defaults: :data:`stuntsim.kinds.train.performer.STANDING`)."""

    height: Length("Highest point above the roof", gt=0.05, le=2.5) = STANDING.height
    drag_area: Quantity("area", "Drag area CdA", gt=0, le=3) = STANDING.drag_area
    cp_height: Length("Centre of aerodynamic pressure above the roof", gt=0,
                      le=2.5) = STANDING.cp_height
    cg_height: Length("Centre of mass above the roof", gt=0, le=2.5) = STANDING.cg_height
    half_base: Length("From the centre of mass's vertical to the tipping edge of the stance",
                      gt=0.01, le=1.5) = HALF_BASE["standing"]

    _heights = model_validator(mode="after")(_check_posture_heights)


class CrouchingPosture(Strict):
    """Crouching (defaults: :data:`stuntsim.kinds.train.performer.CROUCHING`)."""

    height: Length("Highest point above the roof", gt=0.05, le=2.5) = CROUCHING.height
    drag_area: Quantity("area", "Drag area CdA", gt=0, le=3) = CROUCHING.drag_area
    cp_height: Length("Centre of aerodynamic pressure above the roof", gt=0,
                      le=2.5) = CROUCHING.cp_height
    cg_height: Length("Centre of mass above the roof", gt=0, le=2.5) = CROUCHING.cg_height
    half_base: Length("From the centre of mass's vertical to the tipping edge of the stance",
                      gt=0.01, le=1.5) = HALF_BASE["crouching"]

    _heights = model_validator(mode="after")(_check_posture_heights)


class PronePosture(Strict):
    """Prone (defaults: :data:`stuntsim.kinds.train.performer.PRONE`)."""

    height: Length("Highest point above the roof", gt=0.05, le=2.5) = PRONE.height
    drag_area: Quantity("area", "Drag area CdA", gt=0, le=3) = PRONE.drag_area
    cp_height: Length("Centre of aerodynamic pressure above the roof", gt=0,
                      le=2.5) = PRONE.cp_height
    cg_height: Length("Centre of mass above the roof", gt=0, le=2.5) = PRONE.cg_height
    half_base: Length("From the centre of mass's vertical to the tipping edge of the stance",
                      gt=0.01, le=1.5) = HALF_BASE["prone"]

    _heights = model_validator(mode="after")(_check_posture_heights)


class Postures(Strict):
    """The performer's body in each posture."""

    standing: StandingPosture = Field(default_factory=StandingPosture)
    crouching: CrouchingPosture = Field(default_factory=CrouchingPosture)
    prone: PronePosture = Field(default_factory=PronePosture)


class PostureCue(Strict):
    """A planned posture change: at a chainage, or a distance before/after a structure."""

    name: Name | None = Field(None, description="Optional label (dotted paths use it)")
    posture: PostureName
    at: Length("Chainage of the cue", ge=0) = None
    before: str | None = Field(None, description="Name of a structure the cue is before")
    after: str | None = Field(None, description="Name of a structure the cue is after "
                              "(measured from its far end)")
    distance: Length("Distance of the cue before/after the structure", ge=0,
                     le=100_000) = None

    @model_validator(mode="after")
    def _one_cue(self) -> PostureCue:
        forms = sum(x is not None for x in (self.at, self.before, self.after))
        if forms != 1:
            raise ValueError("a posture change needs exactly one of 'at' (a chainage), "
                             "'before' or 'after' (a structure name)")
        if (self.distance is not None) != (self.at is None):
            raise ValueError("'distance' goes with 'before'/'after', not with 'at'")
        return self


class Tether(Strict):
    r"""A line from a harness to a roof anchor.

    It does not stop the performer losing their footing or tipping; it holds them on the
    train afterwards. The line carries the horizontal demand that friction and the
    hand-hold cannot, times a dynamic (snatch) factor for the slack taken up.
    """

    rated_load: Quantity("force", "Rated load of the line, its connectors and its anchor",
                         gt=0, le=100_000)
    dynamic_factor: Friction("Peak over quasi-static line load when the slack is taken up",
                             ge=1, le=5) = 2.0


class Performer(Strict):
    """A person on the roof of the performers' coach."""

    name: Name
    mass: Quantity("mass", "Body mass with costume and harness", gt=30, le=200)
    posture: PostureName = Field("standing", description="Posture at the start")
    changes: list[PostureCue] = Field(default_factory=list)
    reaction_delay: Time("From a cue to the new posture reached (perception–reaction "
                         "plus the movement)", ge=0, le=60) = 1.5
    shoe_friction: Friction("Static friction of shoe (or clothing, prone) on the roof",
                            gt=0.01, le=1.5)
    grip_force: Quantity("force", "Sustained horizontal pull the hand-hold gives (0: none)",
                         ge=0, le=5000) = 0.0
    grip_lever: Length("Moment arm of the hand-hold pull about the tipping edge", ge=0,
                       le=2.5) = 0.0
    tether: Tether | None = None
    postures: Postures = Field(default_factory=Postures)


# --------------------------------------------------------------------------------------
# Simulation and the scenario
# --------------------------------------------------------------------------------------


class TrainSimulation(Strict):
    time_step: Time("Integration step", gt=0.005, le=0.5) = 0.1
    duration: Time("Longest simulated time (the run ends earlier at the end of the track)",
                   gt=1, le=7200)
    chunk_blocks: int = Field(
        1, strict=True, ge=1, le=256,
        description="Seeding blocks (4096 samples each) per execution chunk"
    )
    keep_trajectories: int = Field(
        100, strict=True, ge=0, le=2000,
        description="Runs kept whole for the plots (plus the worst ones)"
    )


class TrainScenario(ScenarioBase):
    """A stunt on the roof of a moving train."""

    kind: Literal["train"]
    train: Train
    track: Track
    structures: list[TrackStructure] = Field(default_factory=list)
    wind: Wind = Field(default_factory=Wind)
    performers: list[Performer] = Field(min_length=1)
    simulation: TrainSimulation

    @model_validator(mode="after")
    def _consistent(self) -> TrainScenario:
        length = self.track.length
        names = [structure.name for structure in self.structures]
        repeated = repeated_names(names)
        if repeated:
            raise ValueError(f"structures: names must be unique, repeated: {repeated}")
        for structure in self.structures:
            if structure.at + structure.length > length:
                raise ValueError(
                    f"structures.{structure.name}: ends at {structure.at + structure.length:g}"
                    f" m, beyond the end of the track ({length:g} m)"
                )
        if self.train.start_position >= length:
            raise ValueError(f"train.start_position: {self.train.start_position:g} m is not "
                             f"before the end of the track ({length:g} m)")
        for event in self.train.events:
            if event.at is not None and event.at > length:
                raise ValueError(f"train.events.{event.name}.at: {event.at:g} m is beyond "
                                 f"the end of the track ({length:g} m)")
        people = [performer.name for performer in self.performers]
        repeated = sorted({name for name in people if people.count(name) > 1})
        if repeated:
            raise ValueError(f"performers: names must be unique, repeated: {repeated}")
        by_name = {structure.name: structure for structure in self.structures}
        for performer in self.performers:
            for index, cue in enumerate(performer.changes):
                where = f"performers.{performer.name}.changes.{cue.name or index}"
                target = cue.before or cue.after
                if target is not None and target not in by_name:
                    raise ValueError(f"{where}: no structure named {target!r} "
                                     f"(structures: {sorted(by_name)})")
                chainage = cue_chainage(cue, by_name)
                if not 0.0 <= chainage <= length:
                    raise ValueError(f"{where}: the cue falls at {chainage:g} m, off the "
                                     f"track (0 … {length:g} m)")
        for path in self.uncertain:
            if _is_fixed_geometry(path):
                raise ValueError(
                    f"uncertain.{path}: track geometry and the simulation settings are "
                    "planned, not uncertain (they define the chainage that cues and events "
                    "refer to); make a cue, a clearance or a speed uncertain instead"
                )
        return self


def cue_chainage(cue: PostureCue, structures: dict[str, TrackStructure],
                 distance: float | None = None, at: float | None = None) -> float:
    """Chainage of a posture cue [m]; ``distance``/``at`` override the cue's own (a draw).

    Works on arrays too (``distance``/``at`` may be per-sample arrays).
    """
    if cue.at is not None:
        return cue.at if at is None else at
    distance = cue.distance if distance is None else distance
    if cue.before is not None:
        return structures[cue.before].at - distance
    structure = structures[cue.after]
    return structure.at + structure.length + distance


def _is_fixed_geometry(path: str) -> bool:
    parts = path.split(".")
    for pattern in _FIXED_GEOMETRY:
        expected = pattern.split(".")
        if expected[-1] == "*" and parts[: len(expected) - 1] == expected[:-1]:
            return True
        if len(parts) == len(expected) and all(
            e in ("*", p) for e, p in zip(expected, parts, strict=True)
        ):
            return True
    return False

