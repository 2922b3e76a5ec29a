"""The car stunt's scenario schema: the vehicle (a preset with overrides), the camera rig,
the street, the rehearsed line and speed plan, the driver and the simulation settings.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from stuntsim.kinds.car.presets import PRESET_TITLES, VEHICLE_PRESETS
from stuntsim.kinds.car.street_checks import check_street
from stuntsim.kinds.car.street_templates import StreetTemplate
from stuntsim.scenario.base import ScenarioBase
from stuntsim.scenario.fields import (
    MAX_COURSE_LENGTH,
    MAX_POINTS,
    Angle,
    Course,
    Friction,
    Length,
    Name,
    Point,
    Points,
    Quantity,
    Segment,
    Speed,
    Strict,
    Time,
    check_polygon,
    dimension_of,
    polygon_or_line,
    repeated_names,
)

NO_PRESET = "none"
"""``vehicle.preset: none`` (or no preset at all): the file gives every vehicle field."""

PRESET_NAMES = (*VEHICLE_PRESETS, NO_PRESET)


class Vehicle(Strict):
    """A named preset with per-field overrides (SI, or with units); or, with ``preset:
    none`` or no preset, a full vehicle with every field written out."""

    preset: Literal[PRESET_NAMES] = Field(  # type: ignore[valid-type]
        NO_PRESET, description="Named vehicle preset (stuntsim/kinds/car/presets.py): "
        + "; ".join(f"{name}: {title}" for name, title in PRESET_TITLES.items())
        + f"; or '{NO_PRESET}' (the default) to write out every field of the vehicle",
    )
    mass: Quantity("mass", "Total mass incl. driver and rig", gt=50, le=5000) = None
    yaw_inertia: Quantity("inertia", "Yaw moment of inertia", gt=1, le=20000) = None
    cg_to_front: Length("CG to front axle, a", gt=0.1, le=4) = None
    cg_to_rear: Length("CG to rear axle, b", gt=0.1, le=4) = None
    cg_height: Length("CG height above ground", gt=0.1, le=2.5) = None
    track_width: Length("Track width (mean of front and rear)", gt=0.5, le=2.5) = None
    length: Length("Body length", gt=1, le=8) = None
    width: Length("Body width", gt=0.5, le=3) = None
    height: Length("Body height, road to roof (the outline a camera mount protrudes from)",
                   gt=0.5, le=4) = None
    front_overhang: Length("Front bumper ahead of the front axle", ge=0, le=2) = None
    cornering_stiffness_front: Quantity(
        "stiffness_per_angle", "Front axle cornering stiffness", gt=1000, le=500000
    ) = None
    cornering_stiffness_rear: Quantity(
        "stiffness_per_angle", "Rear axle cornering stiffness", gt=1000, le=500000
    ) = None
    max_steer: Angle("Road-wheel steering lock", gt=0, le=1.2) = None
    max_steer_rate: Quantity(
        "angular_rate", "Road-wheel steering rate limit", gt=0, le=20
    ) = None
    steer_time_constant: Time("Steering actuator time constant", gt=0, le=1) = None
    max_drive_force: Quantity("force", "Tractive force limit (rear axle)", ge=0, le=50000) = None
    max_drive_power: Quantity("power", "Engine power at the wheels", ge=0, le=2e6) = None
    max_brake_force: Quantity("force", "Brake system force capacity", gt=0, le=100000) = None
    brake_front_share: Friction("Brake balance: front share", ge=0, le=1) = None
    drag_area: Quantity("area", "Aerodynamic drag area Cd·A", ge=0, le=10) = None
    rolling_resistance: Friction("Rolling resistance coefficient", ge=0, le=0.2) = None
    locked_friction_ratio: Friction(
        "Locked-wheel (sliding) friction over peak friction, μ_sliding/μ_peak", ge=0.3, le=1
    ) = None
    top_speed: Speed("Top speed of the car", gt=1, le=120) = None
    roll_gyration_radius: Length("Roll radius of gyration about the CG", gt=0.05, le=2) = None
    eye_forward: Length(
        "Driver's eye ahead of the CG (car frame x; behind: negative)", ge=-3, le=3) = None
    eye_left: Length(
        "Driver's eye left of the car's centre line (car frame y; right: negative)",
        ge=-1.5, le=1.5) = None
    eye_height: Length("Driver's eye above the road (car frame z)", gt=0.3, le=4) = None

    @model_validator(mode="after")
    def _every_field_without_a_preset(self) -> Vehicle:
        if self.preset != NO_PRESET:
            return self
        missing = [key for key in type(self).model_fields
                   if key != "preset" and getattr(self, key) is None]
        if missing:
            presets = ", ".join(repr(name) for name in VEHICLE_PRESETS)
            raise ValueError(
                f"a vehicle without a preset needs every field; {len(missing)} missing: "
                f"{', '.join(missing)} (or name a preset: {presets})"
            )
        return self

    def resolved(self) -> dict[str, float]:
        """Preset values with this file's overrides applied (SI); without a preset, the
        file's values."""
        preset = VEHICLE_PRESETS.get(self.preset, {})
        values = {key: item.value for key, item in preset.items()}
        for key in type(self).model_fields:
            if key != "preset" and getattr(self, key) is not None:
                values[key] = getattr(self, key)
        return values


Point3 = Annotated[
    tuple[float, float, float],
    Field(description="A point [x, y, z] in metres in the car frame: x forward, y left, "
          "z up, origin on the road below the car's centre of gravity"),
]


Size3 = Annotated[
    tuple[float, float, float],
    Field(description="Box extents [length along x, width along y, height along z] in "
          "metres"),
]


class RigMount(Strict):
    """One camera (with its mount) strapped to the car: a box or an upright cylinder in the
    car frame, with its mass. Where it sits decides what the driver cannot see; its mass
    and height change the car's mass, yaw inertia and CG height."""

    name: Name
    location: Literal["hood", "door_left", "door_right", "roof", "front_bumper", "rear",
                      "other"] = Field(description="Where on the car the mount is")
    shape: Literal["box", "cylinder"] = "box"
    position: Point3 = Field(description="Centre of the box or cylinder, car frame [m]")
    size: Size3 | None = Field(None, description="Box extents [m] (shape: box)")
    radius: Length("Cylinder radius (shape: cylinder)", gt=0, le=2) = None
    height: Length("Cylinder height (shape: cylinder)", gt=0, le=3) = None
    mass: Quantity("mass", "Mass of camera, mount and arm together", ge=0, le=500)
    present: bool = Field(True, description="Whether this mount is on the car")

    @model_validator(mode="after")
    def _shape_fields(self) -> RigMount:
        if self.shape == "box":
            if self.size is None or self.radius is not None or self.height is not None:
                raise ValueError("a box mount takes 'size' [length, width, height] and no "
                                 "'radius' or 'height'")
            if not all(math.isfinite(v) and 0 < v <= 5 for v in self.size):
                raise ValueError(f"size must be three lengths in (0, 5] m, got {self.size}")
            bottom = self.position[2] - 0.5 * self.size[2]
        else:
            if self.radius is None or self.height is None or self.size is not None:
                raise ValueError("a cylinder mount takes 'radius' and 'height' and no 'size'")
            bottom = self.position[2] - 0.5 * self.height
        if not all(math.isfinite(v) and abs(v) <= 10 for v in self.position):
            raise ValueError(f"position must be three finite lengths within 10 m of the car, "
                             f"got {self.position}")
        if bottom < 0:
            raise ValueError(f"reaches {-bottom:.2f} m below the road (position z minus "
                             f"half its height)")
        return self

    def contains(self, point: tuple[float, float, float]) -> bool:
        """Whether a car-frame point [m] lies inside the mount."""
        dx, dy, dz = (p - c for p, c in zip(point, self.position, strict=True))
        if self.shape == "box":
            return all(abs(d) <= 0.5 * s for d, s in zip((dx, dy, dz), self.size, strict=True))
        return math.hypot(dx, dy) <= self.radius and abs(dz) <= 0.5 * self.height


class Rig(Strict):
    """The camera rig: mounts on the car (none by default)."""

    present: bool = Field(True, description="Whether the rig is on the car at all (a "
                          "variant may take it off: 'rig.present: false')")
    mounts: list[RigMount] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Rig:
        names = [m.name for m in self.mounts]
        duplicates = repeated_names(names)
        if duplicates:
            raise ValueError(f"mount names must be unique, repeated: {duplicates}")
        return self

    def active_mounts(self) -> list[RigMount]:
        """The mounts on the car in this configuration."""
        return [m for m in self.mounts if m.present] if self.present else []


class Surface(Strict):
    name: Name = Field(description="What the surface is, e.g. 'dry sampietrini'")
    mu: Friction("Peak tyre-road friction coefficient", gt=0.02, le=1.5)


class Building(Strict):
    """A building: a closed polygon, or a face (open polyline) with the solid on one side."""

    name: Name
    polygon: Points | None = Field(None, description="Closed outline, metres")
    face: Points | Course | None = Field(
        None, description="Open polyline of the building face (points, or start + segments)"
    )
    solid_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the face (walking along it) is the building"
    )

    @model_validator(mode="after")
    def _one_shape(self) -> Building:
        if self.polygon is not None or self.face is not None:  # none: a template places
            polygon_or_line(self, "face", "solid_side", ("polygon", "face"))  # it (or not:
        return self  # street_checks.check_street says so)


class RockFace(Building):
    """A rock face or cutting beside the road (a solid that never gives way): a closed
    polygon, or a face (open polyline) with the rock on one side."""


class Drop(Strict):
    """Where the ground ends: a road edge with a fall beyond it.

    Give the edge as an open polyline and the side the void is on (walking along the edge),
    or the void as a closed polygon whose boundary along the road is the edge.
    """

    name: Name
    edge: Points | Course | None = Field(
        None, description="Open polyline of the road edge (points, or start + segments)"
    )
    drop_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the edge (walking along it) the ground falls away"
    )
    polygon: Points | None = Field(None, description="The void beyond the edge, metres")
    height: Length("Height of the fall from the road edge to where it stops", gt=0, le=3000)

    @model_validator(mode="after")
    def _one_shape(self) -> Drop:
        if self.polygon is not None or self.edge is not None:  # none: a hairpin places it
            polygon_or_line(self, "edge", "drop_side", ("edge", "polygon"))
        return self


CONTAINMENT_LEVELS = ("T1", "T2", "T3", "N1", "N2", "H1", "H2", "H3", "H4a", "H4b")


class Barrier(Strict):
    """A parapet, guard rail or low wall that holds an impact up to its containment limit.

    The limit is an impact severity ISe = ½ m (v sin θ)² (EN 1317-2): give it as an energy
    (``containment_energy: 20 kJ``) or as an EN 1317 containment level (``N1`` = 43 kJ,
    ``N2`` = 82 kJ, ``H1`` = 127 kJ, …). ``present: false`` takes the barrier away (a
    variant can put it in: ``street.barriers.<name>.present: true``).
    """

    name: Name
    face: Points | Course | None = Field(
        None, description="Open polyline of the road-side face (points, or start + segments)"
    )
    solid_side: Literal["left", "right"] | None = Field(
        None, description="Which side of the face (walking along it) the barrier is on"
    )
    polygon: Points | None = Field(None, description="The barrier's footprint, metres")
    thickness: Length("Thickness behind the face", gt=0.02, le=5) = 0.4
    containment_energy: Quantity(
        "energy", "Impact severity the barrier holds, ½ m (v sin θ)²", gt=0, le=1e8
    ) = None
    containment_level: Literal[CONTAINMENT_LEVELS] | None = Field(  # type: ignore[valid-type]
        None, description="EN 1317-2 containment level instead of an energy"
    )
    present: bool = Field(True, description="Whether the barrier is installed")

    @model_validator(mode="after")
    def _one_shape(self) -> Barrier:
        if self.polygon is not None or self.face is not None:  # none: a hairpin places it
            polygon_or_line(self, "face", "solid_side", ("face", "polygon"))
        if (self.containment_energy is None) == (self.containment_level is None):
            raise ValueError("give exactly one of 'containment_energy' or 'containment_level'")
        return self

    def containment(self) -> float:
        """The impact severity it holds [J]."""
        if self.containment_energy is not None:
            return self.containment_energy
        from stuntsim.geometry import EN1317_CONTAINMENT

        return EN1317_CONTAINMENT[self.containment_level]


class Rectangle(Strict):
    center: Point
    length: Length("Length along the heading", gt=0, le=30)
    width: Length("Width across the heading", gt=0, le=10)
    heading: Angle("Heading of the long axis, from +x anticlockwise", ge=-7, le=7) = 0.0


class Obstacle(Strict):
    """A solid obstacle: a rectangle (a parked car) or a polygon."""

    name: Name
    rectangle: Rectangle | None = None
    polygon: Points | None = None
    moves_with: Name | None = Field(
        None, description="The name of a corner template's building this obstacle "
        "belongs to: its coordinates (rectangle centre or polygon) are then measured from that "
        "building's corner at the turn (world axes, metres), and it moves with the "
        "building when a width changes")

    @model_validator(mode="after")
    def _one_shape(self) -> Obstacle:
        if (self.rectangle is None) == (self.polygon is None):
            raise ValueError("give exactly one of 'rectangle' or 'polygon'")
        if self.polygon is not None:
            check_polygon(list(self.polygon))
        return self


class Kerb(Strict):
    """A raised edge (pavement, step) that can trip a car sliding sideways into it."""

    name: Name
    polygon: Points
    height: Length("Kerb height", gt=0.02, le=0.5) = 0.12

    _poly = field_validator("polygon")(check_polygon)


class Person(Strict):
    name: Name
    role: Literal["crew", "bystander", "performer", "marshal"] = "crew"
    position: Point
    radius: Length("Radius of the upright circle around the person", gt=0.1, le=1.5) = 0.3
    moves_with: Name | None = Field(
        None, description="The name of a corner template's building this person "
        "belongs to: its position are then measured from that "
        "building's corner at the turn (world axes, metres), and it moves with the "
        "building when a width changes")


class SteppingOut(Strict):
    """A person who steps out into the street during the run (from a doorway, an alley or
    from behind a corner) and walks in a straight line at a steady speed, then stands."""

    name: Name
    role: Literal["crew", "bystander", "performer", "marshal"] = "crew"
    start: Point = Field(description="Where the person stands before stepping out [m]")
    heading: Angle("Direction the person walks (0: east / +x, 90 deg: north / +y)",
                   ge=-7, le=7)
    start_time: Time("When the person steps out, from the start of the run", ge=0, le=600)
    walking_speed: Speed("Walking speed", gt=0.1, le=8) = 1.4
    walk_distance: Length("How far the person walks before stopping", gt=0, le=100) = 8.0
    radius: Length("Radius of the upright cylinder around the person", gt=0.1, le=1.0) = 0.25
    height: Length(
        "Height of the person (a standing adult about 1.7 m, a child or a crouching crew "
        "member about 1 m)", gt=0.3, le=2.5) = 1.7


class SurfacePatch(Strict):
    name: Name = Field(description="e.g. 'wet patch by the nasone'")
    polygon: Points
    mu: Friction("Peak friction on this patch", gt=0.02, le=1.5)

    _poly = field_validator("polygon")(check_polygon)


class Street(StreetTemplate):
    """What the car drives through: polygons, faces and edges, people and surfaces, all in
    one world frame; or a template (``template: corner | hairpin``,
    :mod:`stuntsim.kinds.car.street_templates`) with these beside it."""

    surface: Surface = Field(description="The surface everywhere outside the patches")
    gradient: Friction(
        "Grade of the road along the rehearsed line, rise over run, positive uphill in the "
        "direction of travel (e.g. '8 %')", ge=-0.4, le=0.4,
    ) = 0.0
    buildings: list[Building] = Field(default_factory=list)
    rock_faces: list[RockFace] = Field(default_factory=list)
    obstacles: list[Obstacle] = Field(default_factory=list)
    kerbs: list[Kerb] = Field(default_factory=list)
    drops: list[Drop] = Field(default_factory=list)
    barriers: list[Barrier] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    people_stepping_out: list[SteppingOut] = Field(
        default_factory=list,
        description="People who step out into the street during the run: the driver must "
        "see them (past buildings and the camera rig), react and brake",
    )
    surfaces: list[SurfacePatch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Street:
        if not (self.buildings or self.rock_faces or self.obstacles or self.drops
                or self.barriers or self.places_something()):
            raise ValueError(
                "the street has no buildings, rock faces, obstacles, drops or barriers: "
                "nothing can go wrong"
            )
        names = [item.name for group in (self.buildings, self.rock_faces, self.obstacles,
                                          self.kerbs, self.drops, self.barriers,
                                          self.people, self.people_stepping_out,
                                          self.surfaces) for item in group]
        names += self.template_names()  # a corner's two buildings
        duplicates = repeated_names(names)
        if duplicates:
            raise ValueError(f"names must be unique in the street, repeated: {duplicates}")
        return self


class Line(Strict):
    """The rehearsed line: a polyline, or a start pose and straight/arc segments."""

    points: Points | None = Field(None, description="Polyline of the line, metres")
    start: Point | None = None
    heading: Angle("Heading at the start, from +x anticlockwise", ge=-7, le=7) = 0.0
    segments: list[Segment] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Line:
        if self.points is not None:
            if self.segments is not None or self.start is not None:
                raise ValueError("give either 'points' or 'start' + 'segments', not both")
            if len(self.points) < 2:
                raise ValueError("a line needs at least 2 points")
        else:
            if self.segments is None or self.start is None:
                raise ValueError("give either 'points' or 'start' + 'segments'")
            if not self.segments:
                raise ValueError("'segments' is empty")
            if len(self.segments) > MAX_POINTS:
                raise ValueError(f"at most {MAX_POINTS} segments, got {len(self.segments)}")
        length = (sum(seg.length for seg in self.segments) if self.segments is not None
                  else sum(math.dist(a, b) for a, b in itertools.pairwise(self.points)))
        if length > MAX_COURSE_LENGTH:
            raise ValueError(f"the line is {length / 1000:.4g} km long; a rehearsed line may be "
                             f"at most {MAX_COURSE_LENGTH / 1000:g} km")
        return self


class Maneuver(Strict):
    """The rehearsed line and the speed plan along it (arc length s from the line start)."""

    line: Line
    entry_speed: Speed("Speed when the car starts on the line", gt=0, le=120)
    braking_point: Length("Arc length at which braking for the corner starts", ge=0) = None
    corner_speed: Speed("Planned speed through the corner", gt=0, le=120) = None
    corner_start: Length("Arc length where the corner begins (default: first arc)", ge=0) = None
    corner_end: Length("Arc length where the corner ends (default: end of the arcs)", ge=0) = None
    exit_speed: Speed("Speed after the corner", ge=0, le=120) = None
    exit_acceleration: Quantity(
        "acceleration", "Planned acceleration from the corner to the exit speed", gt=0, le=10
    ) = 1.5
    sideslip_limit: Angle(
        "Sideslip beyond which control is lost (a planned drift states a larger one)",
        gt=0,
        le=1.6,
    ) = math.radians(15.0)

    @model_validator(mode="after")
    def _plan(self) -> Maneuver:
        if (self.braking_point is None) != (self.corner_speed is None):
            raise ValueError("'braking_point' and 'corner_speed' go together")
        return self


class Driver(Strict):
    """Path-tracking driver: pure pursuit with preview, a speed controller, a delay."""

    reaction_delay: Time("Delay between what the driver sees and the car's command", ge=0,
                         le=3) = 0.2
    preview_time: Time("Pure-pursuit look-ahead time", gt=0, le=5) = 0.7
    min_preview: Length("Minimum look-ahead distance", gt=0.2, le=50) = 3.0
    steering_gain: Friction("Multiplier on the pure-pursuit steering command", gt=0, le=3) = 1.0
    countersteer_gain: Friction(
        "Steering added per radian of sideslip (catching a slide)", ge=0, le=3) = 0.8
    line_offset: Length(
        "How far left of the rehearsed line the driver actually aims (right: negative)",
        ge=-5, le=5) = 0.0
    steering_bias: Angle("Constant road-wheel steering error", ge=-0.3, le=0.3) = 0.0
    steering_weave_amplitude: Angle("Amplitude of a slow steering weave", ge=0, le=0.3) = 0.0
    steering_weave_frequency: Quantity(
        "frequency", "Frequency of the steering weave", ge=0, le=5) = 0.5
    steering_weave_phase: Angle("Phase of the steering weave", ge=-7, le=7) = 0.0
    speed_gain: Quantity("frequency", "Speed-error feedback gain [1/s]", gt=0, le=20) = 2.0
    expected_mu: Friction(
        "The grip the driver believes the surface has (default: the street surface's μ)",
        gt=0.02, le=1.5) = None
    grip_use: Friction(
        "Share of the believed grip the driver uses for braking and throttle in a turn",
        gt=0, le=1.2) = 0.85
    speed_preview: Time("How far ahead the driver reads the speed plan", ge=0, le=3) = 0.4
    perception_reaction_time: Time(
        "From first sight of a person stepping out to full braking (perception, decision "
        "and foot to the pedal)", gt=0, le=10) = 1.0  # 10 s: not reacting at all; the
    # lognormal tails drawn around ≈ 1 s (Fambro et al. 1998) stay below it in all but
    # ~1e-8 of the draws, so holding draws at the cap changes nothing measurable
    evasion: Literal["brake", "brake_and_swerve"] = Field(
        "brake", description="What the driver does on detecting a person stepping out: "
        "full braking (wheels may lock: no ABS), or braking within the grip the driver "
        "believes in while steering away from the person's side")
    swerve_offset: Length(
        "How far sideways the driver steers away from the person when swerving", ge=0,
        le=5) = 1.0


class Simulation(Strict):
    time_step: Time("Integration step", gt=1e-4, le=0.05) = 0.01
    duration: Time("Simulated time", gt=0.1, le=600)
    chunk_blocks: int = Field(
        1, strict=True, ge=1, le=256,
        description="Seeding blocks (4096 samples each) per execution chunk"
    )
    keep_trajectories: int = Field(
        40, strict=True, ge=0, le=1000,
        description="Trajectories kept for plots (plus the worst ones)"
    )
    near_miss: Length("Clearance counted as a near miss", ge=0, le=5) = 0.3


class CarScenario(ScenarioBase):
    """A car stunt: a vehicle on a rehearsed line through a street."""

    kind: Literal["car"]
    vehicle: Vehicle
    rig: Rig = Field(default_factory=lambda: Rig(),
                     description="Cameras and mounts strapped to the car")
    street: Street
    maneuver: Maneuver
    driver: Driver = Field(default_factory=Driver)
    simulation: Simulation

    def implied_leaves(self) -> dict[str, tuple[float, str]]:
        """The vehicle's fields as its preset gives them, overridden or not, by dotted path
        (so ``vehicle.cg_height`` can be uncertain without being written out)."""
        fields = Vehicle.model_fields
        return {f"vehicle.{key}": (value, dimension_of(fields[key]))
                for key, value in self.vehicle.resolved().items()}

    @model_validator(mode="after")
    def _eye_outside_mounts(self) -> CarScenario:
        values = self.vehicle.resolved()
        eye = (values["eye_forward"], values["eye_left"], values["eye_height"])
        for mount in self.rig.mounts:
            if mount.contains(eye):
                raise ValueError(
                    f"rig.mounts.{mount.name}: encloses the driver's eye at {eye} m "
                    f"(car frame): the driver would see nothing"
                )
        return self

    @model_validator(mode="after")
    def _street_fits(self) -> CarScenario:
        """A street template's fields and parts, a street the car fits in and a rehearsed
        line that stays on it (:func:`~stuntsim.kinds.car.street_checks.check_street`)."""
        check_street(self)
        return self
