"""The car stunt, closed loop: driver + single-track car + street, batched over samples.

Per time step, for all samples at once:

1. the friction under each axle from the street's surface patches (held over the step);
2. the driver: pure-pursuit steering towards a point on the rehearsed line ``L_d = L_min +
   T_p·v`` ahead of the rear axle, δ = atan(2 L sin α / L_d) (Coulter 1992, CMU-RI-TR-92-01,
   eq. 1) — aimed at the line shifted sideways by the driver's line offset — times a
   steering gain, plus counter-steer k_β·β against a slide, plus the
   steering error (bias and a slow weave); a speed controller a = a_plan + k_v (v_plan − v)
   reading the speed plan ``T_v·v`` ahead; both commands reach the car after the driver's
   reaction delay (a per-sample transport delay);
3. one RK4 step of :mod:`stuntsim.kinds.car.dynamics`, with gravity's share from the road's
   grade along the line (E12 there; the uphill direction is the line's heading where the
   car is, and μ is scaled by cos θ);
4. the margins (:mod:`stuntsim.kinds.car.hazards`) as running minima, so memory holds a few numbers
   per sample, never samples × steps. A sample stops at its first contact with a building,
   a rock face, an obstacle, a barrier that holds, or a person, or when a wheel is beyond a
   drop edge (the stunt has gone wrong; what follows is not modelled), or when it reaches
   the end of the line.

Barriers: at first contact with a barrier the impact severity ISe = ½ m v_n² (v_n the
velocity into it, EN 1317-2) is compared with its containment. Held: a collision. Not held:
the barrier absorbs its containment energy from the normal motion (v_n' = √(v_n² − 2E/m),
:func:`stuntsim.geometry.breach_normal_speed`), is ignored for that sample from then on, and
the car goes on (usually over the edge behind it). Only the nearest barrier is checked at a
step, so a car touching two barriers at once is judged on the nearer one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stuntsim.constants import GRAVITY as G
from stuntsim.errors import ScenarioError
from stuntsim.geometry import (
    StreetGeometry,
    SurfacePatch,
    Walker,
)
from stuntsim.kinds.car.driver import Driver, TransportDelay
from stuntsim.kinds.car.dynamics import (
    NumericalError,
    VehicleParams,
    check_finite,
    initial_state,
    rk4_step,
    slope_acceleration,
)
from stuntsim.kinds.car.hazards import (
    car_hazards,
)
from stuntsim.kinds.car.monitors import Contacts, MotionLimits, People
from stuntsim.kinds.car.moving_parts import MovingParts
from stuntsim.kinds.car.path import ReferencePath, SpeedPlan, path_from_points, path_from_segments
from stuntsim.kinds.car.rig import rigged_mass_properties
from stuntsim.kinds.car.street_templates import grid_fields, street_parts, template_offsets

VEHICLE_FIELDS = (
    "mass", "yaw_inertia", "cg_to_front", "cg_to_rear", "cg_height", "track_width", "length",
    "width", "front_overhang", "cornering_stiffness_front", "cornering_stiffness_rear",
    "max_steer", "max_steer_rate", "steer_time_constant", "max_drive_force", "max_drive_power",
    "max_brake_force", "brake_front_share", "drag_area", "rolling_resistance",
    "locked_friction_ratio",
)
#: The values :class:`CarModel` reads only take by take, through :class:`Parameters`
#: (:meth:`stuntsim.kinds.base.StuntKind.per_take_paths`: variants differing only in these
#: may share one model call). Left out, because they are also read once for a whole call:
#: the street's geometry and the corner's widths (the scene, the distance fields), the
#: line, ``street.gradient`` (one slope branch for the batch), ``street.surface.mu`` (the
#: driver's expected grip defaults to its nominal value), the people stepping out (their
#: start and size are in the street), the simulation's settings.
PER_TAKE_PATHS = (
    *(f"vehicle.{name}" for name in VEHICLE_FIELDS),
    "vehicle.roll_gyration_radius", "vehicle.eye_forward", "vehicle.eye_left",
    "vehicle.eye_height",
    "rig.mounts.*.mass",
    "maneuver.entry_speed", "maneuver.exit_speed", "maneuver.braking_point",
    "maneuver.corner_speed", "maneuver.exit_acceleration", "maneuver.sideslip_limit",
    *(f"driver.{name}" for name in (
        "preview_time", "min_preview", "steering_gain", "countersteer_gain",
        "steering_bias", "line_offset", "steering_weave_amplitude",
        "steering_weave_frequency", "steering_weave_phase", "speed_gain", "speed_preview",
        "grip_use", "reaction_delay", "perception_reaction_time", "swerve_offset",
        "expected_mu")),
    "street.surfaces.*.mu",
    "street.barriers.*.containment_energy",
    "street.drops.*.height",
)
# The mass properties the rig changes (stuntsim.kinds.car.rig, R1–R6).
RIGGED_FIELDS = ("mass", "yaw_inertia", "cg_to_front", "cg_to_rear", "cg_height",
                 "roll_gyration_radius")
# Grid of the street's distance fields. Near the walls (the exact band) clearances are
# computed exactly whatever the grid; the grid only sets memory and build time.
FIELD_RESOLUTION = 0.05  # [m]


def build_street(scenario) -> StreetGeometry:
    """The street's geometry from the scenario (nominal: geometry is not uncertain, but a
    corner template's widths may move its inner building take by take:
    :meth:`CarModel.moving_parts`).

    The solids, drops, barriers and standing people come from the street's template and
    lists (:func:`~stuntsim.kinds.car.street_templates.street_parts`). Distance fields
    are built on first use, over the area the rehearsed line can reach.
    """
    street = scenario.street
    parts = street_parts(street)
    return StreetGeometry(
        solids=parts.solids,
        drops=parts.drops,
        barriers=parts.barriers,
        people=parts.people,
        walkers=[
            Walker(w.name, w.role, np.asarray(w.start, dtype=float), w.radius, w.height)
            for w in street.people_stepping_out
        ],
        surfaces=[SurfacePatch(p.name, np.asarray(p.polygon), p.mu) for p in street.surfaces],
        default_mu=street.surface.mu,
        resolution=FIELD_RESOLUTION,
        area=_scene_bounds(scenario),
    )


#: Peak bytes per node of a scene's distance grids while they are built, all of a street's
#: fields together (tracemalloc: 31 B for the Rome street, 42 B for the cliff with its drop
#: edge; rounded up).
GRID_BYTES_PER_NODE = 48


def grid_memory(scenario) -> int:
    """Bytes the distance grids of ``scenario``'s street will take to build, from the area
    the line can reach and :data:`FIELD_RESOLUTION` (nothing is built)."""
    xmin, xmax, ymin, ymax = _scene_bounds(scenario)
    nodes = (math.floor((xmax - xmin) / FIELD_RESOLUTION) + 2) * (
        math.floor((ymax - ymin) / FIELD_RESOLUTION) + 2)
    # a corner whose widths move take by take queries its moving and its other solids
    # through two fields (street_templates.grid_fields): counted as a second street
    return int(nodes * GRID_BYTES_PER_NODE * grid_fields(scenario))


def _scene_bounds(scenario) -> tuple[float, float, float, float]:
    """The area the car can reach: the line's bounding box plus a generous margin."""
    path = reference_path(scenario)
    margin = 15.0
    return (
        float(path.x.min() - margin),
        float(path.x.max() + margin),
        float(path.y.min() - margin),
        float(path.y.max() + margin),
    )


def reference_path(scenario) -> ReferencePath:
    line = scenario.maneuver.line
    if line.points is not None:
        return path_from_points(line.points)
    segments = [
        ("straight", seg.straight) if seg.straight is not None
        else ("arc", seg.arc.radius, seg.arc.angle)
        for seg in line.segments
    ]
    return path_from_segments(line.start, line.heading, segments)


def _vehicle_params(car: dict[str, np.ndarray]) -> VehicleParams:
    """The dynamics' parameters from :meth:`CarModel.car_values`."""
    return VehicleParams(**{name: car[name] for name in VEHICLE_FIELDS})






class Parameters:
    """Per-sample parameter lookup: drawn values where uncertain, nominal otherwise.

    ``read`` collects every path looked up: the inputs the model takes take by take (an
    uncertain input the model never looks up here would be silently ignored: the runner
    refuses it, :func:`stuntsim.kinds.base.unread_uncertain`).
    """

    def __init__(self, nominal: dict[str, float], draws: dict[str, np.ndarray], n: int,
                 read: set[str] | None = None):
        self.nominal = nominal
        self.draws = draws
        self.n = n
        self.read = read if read is not None else set()

    def __call__(self, path: str) -> np.ndarray | float:
        self.read.add(path)
        if path in self.draws:
            return np.asarray(self.draws[path], dtype=float)
        return self.nominal[path]

    def array(self, path: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(self(path), dtype=float), (self.n,))


#: The per-take facts a chunk returns beside its margins (merged by the runner into
#: ``result.details``).
DETAIL_FIELDS = (
    "collision_object", "collision_time", "collision_speed", "collision_normal_speed",
    "collision_angle", "person_index", "person_time", "person_speed", "person_closest_speed",
    "kerb_slide_speed", "departure_drop", "departure_time", "departure_speed",
    "departure_height", "barrier_breached", "barrier_impact_energy",
    "max_speed", "max_lateral_acceleration", "completed", "ending", "progress",
    "walker_index", "walker_step_out_time", "walker_seen_time", "walker_detect_time",
    "walker_sight_distance", "walker_sight_speed", "walker_stop_time", "walker_struck_front",
)


@dataclass
class ChunkOutcome:
    """What one chunk of samples yields: margins (SI) and the facts behind them."""

    margins: dict[str, np.ndarray]
    collision_object: np.ndarray  # index into StreetGeometry.collision_solids, −1: none
    collision_time: np.ndarray  # [s], NaN: none
    collision_speed: np.ndarray  # [m/s]
    collision_normal_speed: np.ndarray  # [m/s] into the object
    collision_angle: np.ndarray  # [rad] 0 grazing … π/2 head-on
    person_index: np.ndarray
    person_time: np.ndarray
    person_speed: np.ndarray  # [m/s] at the strike (NaN: none)
    person_closest_speed: np.ndarray  # [m/s] when the car came closest to a person
    kerb_slide_speed: np.ndarray  # [m/s] largest sideways speed into a kerb
    departure_drop: np.ndarray  # index into StreetGeometry.drops, −1: none (nearest if safe)
    departure_time: np.ndarray  # [s], NaN: none
    departure_speed: np.ndarray  # [m/s] when the first wheel went over the edge
    departure_height: np.ndarray  # [m] the height of that drop, NaN: none
    barrier_breached: np.ndarray  # index into StreetGeometry.barriers, −1: none
    barrier_impact_energy: np.ndarray  # [J] ISe of the first barrier impact, NaN: none
    max_speed: np.ndarray
    max_lateral_acceleration: np.ndarray
    completed: np.ndarray  # bool: the take got through the stunt (ending > 0)
    ending: np.ndarray  # stuntsim.completion.ENDINGS code: 0 still under way at the end
    progress: np.ndarray  # [m] furthest point along the rehearsed line (the CG's arc length)
    # People stepping out (the one with the smallest sight margin; NaN / −1: none)
    walker_index: np.ndarray  # index into StreetGeometry.walkers
    walker_step_out_time: np.ndarray  # [s] when they stepped out
    walker_seen_time: np.ndarray  # [s] first clear line from the eye to them
    walker_detect_time: np.ndarray  # [s] emergency braking began (≥ seen + t_PR), NaN: none
    walker_sight_distance: np.ndarray  # [m] car front to their path when first seen
    walker_sight_speed: np.ndarray  # [m/s] car speed when first seen
    walker_stop_time: np.ndarray  # [s] the car stood still after braking for them
    walker_struck_front: np.ndarray  # 1: struck by the car's front, 0: by a side, NaN: not
    trajectories: dict[str, np.ndarray] | None = field(default=None)

    @property
    def details(self) -> dict[str, np.ndarray]:
        """The per-take facts (every field but the margins and trajectories), by name."""
        return {key: getattr(self, key) for key in DETAIL_FIELDS}


class CarModel:
    """The car stunt as a batched function of the uncertain draws."""

    def __init__(self, resolved):
        self.resolved = resolved
        self.scenario = resolved.scenario
        self.path = reference_path(self.scenario)
        self._street: StreetGeometry | None = None
        self._moving: MovingParts | None = None
        #: the hazards of this street (``departure`` only where there is a drop)
        self.hazards = car_hazards(bool(self.scenario.street.drops),
                                   bool(self.scenario.street.people_stepping_out))
        #: every input the model has looked up take by take (Parameters.read)
        self.read_paths: set[str] = set()

    @property
    def street(self) -> StreetGeometry:
        if self._street is None:
            try:
                self._street = build_street(self.scenario)
            except ValueError as err:  # e.g. a face that folds over at its thickness
                raise ScenarioError(f"street: {err}", source=self.resolved.source) from None
        return self._street

    def moving_parts(self) -> MovingParts:
        """The street's solids and people grouped by the part they move with take by take
        (:mod:`stuntsim.kinds.car.moving_parts`), built on first use."""
        if self._moving is None:
            parts = street_parts(self.scenario.street)
            self._moving = MovingParts(self.street, parts.solid_parts, parts.person_parts)
        return self._moving

    def __getstate__(self):  # ship the scenario to workers, not the distance fields
        state = self.__dict__.copy()
        state["_street"] = None
        state["_moving"] = None
        return state

    # ---------------------------------------------------------------- parameters
    def car_values(self, p: Parameters) -> dict[str, np.ndarray]:
        """Per-sample vehicle values (n,), with the camera rig's mass, CG and inertia
        folded in (:func:`stuntsim.kinds.car.rig.rigged_mass_properties`), the driver's eye in
        the bare car's frame, and ``cg_shift_forward``: how far the rig moved the CG [m]."""
        fields = (*VEHICLE_FIELDS, "roll_gyration_radius", "eye_forward", "eye_left",
                  "eye_height")
        values = {name: p.array(f"vehicle.{name}") for name in fields}
        mounts = self.scenario.rig.active_mounts()
        values["cg_shift_forward"] = np.zeros(p.n)
        if mounts:
            rigged = rigged_mass_properties(
                values, mounts, [p.array(f"rig.mounts.{m.name}.mass") for m in mounts]
            )
            values.update({name: np.broadcast_to(rigged[name], (p.n,))
                           for name in (*RIGGED_FIELDS, "cg_shift_forward")})
        return values

    def vehicle_params(self, p: Parameters) -> VehicleParams:
        return _vehicle_params(self.car_values(p))

    def speed_plan(self, p: Parameters) -> SpeedPlan:
        maneuver = self.scenario.maneuver
        corner_start = maneuver.corner_start
        corner_end = maneuver.corner_end
        if corner_start is None:
            corner_start = self.path.corner_start if self.path.corner_start is not None else 0.0
        if corner_end is None:
            corner_end = self.path.corner_end if self.path.corner_end is not None else 0.0
        entry = p("maneuver.entry_speed")
        has_plan = maneuver.braking_point is not None
        exit_speed = p("maneuver.exit_speed") if maneuver.exit_speed is not None else entry
        return SpeedPlan(
            entry_speed=entry,
            braking_point=p("maneuver.braking_point") if has_plan else None,
            corner_speed=p("maneuver.corner_speed") if has_plan else None,
            corner_start=float(corner_start),
            corner_end=float(max(corner_end, corner_start)),
            exit_speed=exit_speed,
            exit_acceleration=p("maneuver.exit_acceleration"),
        )

    def planned_speed(self) -> np.ndarray:
        """The nominal speed plan at the reference path's samples [m/s] (for plots)."""
        plan = self.speed_plan(Parameters(self.resolved.nominal, {}, 1))
        return np.asarray(plan.speed_and_acceleration(self.path.s)[0], dtype=float)

    def planned_duration(self) -> float:
        """How long the nominal plan takes to drive the whole line [s]: ∫ ds / v_plan(s)
        (trapezoidal, speeds floored at 0.5 m/s: a plan that stops never ends)."""
        inverse = 1.0 / np.maximum(self.planned_speed(), 0.5)
        return float(np.sum(0.5 * (inverse[1:] + inverse[:-1]) * np.diff(self.path.s)))

    def completion_advice(self, progress: np.ndarray) -> str:
        """What to change when takes run out of simulated time (for the warning/error);
        ``progress``: how far along the line the unfinished takes got [m]."""
        reached = (f"{float(np.min(progress)):.0f}–{float(np.max(progress)):.0f} m"
                   if progress.size else "the end")
        return (f"the unfinished takes got {reached} along the "
                f"{self.path.length:.0f} m line in simulation.duration = "
                f"{self.scenario.simulation.duration:g} s; the plan needs about "
                f"{self.planned_duration():.1f} s at its planned speeds: lengthen "
                f"simulation.duration")

    # ---------------------------------------------------------------- simulation
    def simulate(
        self, draws: dict[str, np.ndarray], n: int, *, record: bool = False,
        first_sample: int = 0, on_step=None,
    ) -> ChunkOutcome:
        """Run ``n`` samples with the given draws (path → (n,) array) to the end.

        ``first_sample`` is only used to name a sample in an error message; ``on_step``
        (optional) is called as ``on_step(step, n_steps, running)`` at each time step, for
        a progress bar (:mod:`stuntsim.progress`; it changes nothing). A draw or a
        state that is not finite raises :class:`~stuntsim.errors.NumericalError` naming
        the sample and the step (numpy's overflow warnings on the way there are silenced:
        the error says it better).
        """
        with np.errstate(invalid="ignore", over="ignore"):
            return self._simulate(draws, n, record=record, first_sample=first_sample,
                                  on_step=on_step)

    def _simulate(self, draws, n, *, record, first_sample, on_step=None) -> ChunkOutcome:
        for path_name, values in draws.items():
            bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=float)))
            if bad.size:
                raise NumericalError(
                    f"the drawn {path_name} is {values[bad[0]]} in sample "
                    f"{first_sample + bad[0]} of the run",
                    sample=int(first_sample + bad[0]), step=0,
                )
        p = Parameters(self.resolved.nominal, draws, n, read=self.read_paths)
        street = self.street
        sim = self.scenario.simulation
        dt = sim.time_step
        n_steps = int(np.ceil(sim.duration / dt))
        car = self.car_values(p)
        params = _vehicle_params(car)
        plan = self.speed_plan(p)
        path = self.path

        a = car["cg_to_front"]
        b = car["cg_to_rear"]
        wheelbase = a + b
        grade = p.array("street.gradient")
        has_grade = bool(np.any(grade != 0.0))

        # Surface friction per sample: column 0 the street surface, then each patch.
        mu_table = np.stack(
            [p.array("street.surface.mu")]
            + [p.array(f"street.surfaces.{patch.name}.mu") for patch in street.surfaces],
            axis=1,
        )
        row = np.arange(n) * mu_table.shape[1]
        mu_flat = mu_table.ravel()

        # The driver and the delay of their commands (stuntsim.kinds.car.driver). Their grip
        # budget is what they believe the surface offers (the plan's μ, not the drawn one:
        # a surprise on the day is exactly what goes wrong), times how much of it they use.
        max_brake_decel = np.asarray(params.max_brake_force) / car["mass"]
        expected_mu = (
            p.array("driver.expected_mu") if self.scenario.driver.expected_mu is not None
            else np.full(n, self.resolved.nominal["street.surface.mu"])
        )
        driver = Driver(p, path, plan, wheelbase, max_brake_decel,
                        p.array("driver.grip_use") * expected_mu * G)
        delay = TransportDelay(p.array("driver.reaction_delay"), dt, channels=2)

        # The hazard monitors (stuntsim.kinds.car.monitors); a corner's uncertain widths move
        # its inner building take by take (stuntsim.kinds.car.moving_parts)
        offsets = template_offsets(self.scenario, self.resolved.nominal, p)
        moving = None
        if offsets:
            front = a + car["front_overhang"]
            moving = self.moving_parts().query(offsets, front, car["length"] - front,
                                               0.5 * car["width"], n)
        contacts = Contacts(street, p, car, n, moving=moving)
        contacts.every_step = record  # a recorded take records its clearance every step
        people = People(self.scenario, path, street, p, car, n, moving=moving)
        motion = MotionLimits(street, p, car, n)
        watch = people.lookout

        # State at the start of the line, at the entry speed.
        state = initial_state(
            n,
            x=float(path.x[0]),
            y=float(path.y[0]),
            yaw=float(path.heading[0]),
            speed=np.broadcast_to(plan.entry_speed, (n,)).astype(float),
        )
        s_rear = -b.copy()
        active = np.ones(n, dtype=bool)
        ending = np.zeros(n, dtype=np.int8)  # stuntsim.completion.ENDINGS
        progress = np.zeros(n)
        recorded: dict[str, list[np.ndarray]] = {} if record else None

        # cos ψ and sin ψ of the current state, computed once per step and shared by the
        # driver and the monitors (np.cos and np.sin cost ~8 times np.tan per element)
        cos_yaw, sin_yaw = np.cos(state[2]), np.sin(state[2])
        for step in range(n_steps):
            if on_step is not None:  # a progress bar's report (stuntsim.progress): reads only
                on_step(step, n_steps, active)
            t = step * dt
            x, y, yaw = state[0], state[1], state[2]

            # 1. friction under each axle, held over the step
            patch_f = street.friction.patch_index(x + a * cos_yaw, y + a * sin_yaw)
            patch_r = street.friction.patch_index(x - b * cos_yaw, y - b * sin_yaw)
            mu_front = mu_flat[row + patch_f + 1]
            mu_rear = mu_flat[row + patch_r + 1]

            # 2. the driver decides; the car gets what they decided a reaction delay ago,
            # or full braking from the moment a person is detected
            command = driver.command(t, state, s_rear, b,
                                     None if watch is None else watch.swerve(t),
                                     cos_sin=(cos_yaw, sin_yaw))
            s_rear = command.s_rear
            steer_applied, accel_applied = delay.push(step, command.steer, command.accel)
            if watch is not None:
                accel_applied = np.where(
                    watch.braking(t),
                    -(max_brake_decel if watch.swerve_offset is None
                      else np.minimum(command.budget, max_brake_decel)),
                    accel_applied,
                )

            # 3. the car, with gravity's share on the grade (uphill: the line's heading)
            if has_grade:
                slope_x, slope_y, cos_grade = slope_acceleration(
                    grade, yaw, path.heading_at(s_rear + b), G
                )
                mu_front = mu_front * cos_grade
                mu_rear = mu_rear * cos_grade
            else:
                slope_x = slope_y = 0.0
            new_state, out = rk4_step(
                state, dt, steer_applied, accel_applied, params, mu_front, mu_rear,
                slope_x=slope_x, slope_y=slope_y,
            )
            state = np.where(active, new_state, state)
            try:
                check_finite(state, step + 1)
            except NumericalError as err:
                raise NumericalError(
                    f"{err} (sample {first_sample + err.sample} of the run)",
                    sample=first_sample + err.sample, step=err.step,
                ) from None
            x, y, yaw, vx, vy = state[0], state[1], state[2], state[3], state[4]
            cos_yaw, sin_yaw = np.cos(yaw), np.sin(yaw)  # (the barriers change vx, vy only)
            speed = np.hypot(vx, vy)
            t_now = t + dt

            # 4. the monitors, only for samples still running
            clear = contacts.solids(active, x, y, yaw, (cos_yaw, sin_yaw))
            struck = people.update(active, t_now, x, y, yaw, speed, s_rear + wheelbase,
                                   0.5 * (mu_front + mu_rear), grade,
                                   cos_sin=(cos_yaw, sin_yaw))
            motion.update(active, out.ay, speed, vx, vy)
            motion.kerbs(active, x, y, yaw, vy, (cos_yaw, sin_yaw))
            hit = active & (clear.distance <= 0.0)
            hit, clear, vx, vy, speed = contacts.barriers(active, hit, clear, state, x, y, yaw,
                                                          vx, vy, speed)
            over = contacts.drops(active, hit, x, y, yaw, speed, t_now)
            contacts.note_hits(hit, clear, yaw, vx, vy, speed, t_now)

            if recorded is not None:
                for key, value in (
                    ("t", np.full(n, t_now)), ("x", x), ("y", y), ("yaw", yaw),
                    ("speed", speed), ("ay", out.ay), ("sideslip", np.arctan2(vy, vx)),
                    ("s", s_rear + b), ("mu_front", mu_front), ("mu_rear", mu_rear),
                    ("steer", state[6]), ("clearance", clear.distance),
                    ("edge", contacts.edge), ("active", active.copy()),
                    *(watch.recorded(t_now, x, y, yaw) if watch is not None else ()),
                ):
                    recorded.setdefault(key, []).append(np.array(value, dtype=float))

            # 5. how the take ends: the end of the line, a hazard, or a stop for a person
            s_now = s_rear + b
            progress = np.where(active, np.maximum(progress, s_now), progress)
            ended = active & (hit | struck | over)
            finished = active & (s_now >= path.length) & ~ended
            stopped = (watch.stopped(active, speed, t_now) & ~ended & ~finished
                       if watch is not None else False)
            ending[ended] = 2
            ending[finished] = 1
            ending[stopped] = 3
            active &= ~(ended | finished | stopped)
            if not active.any():
                break

        margins = {**contacts.margins(with_departure=False), **people.margins(),
                   **motion.margins()}
        margins = {name: margins[name] for name in (
            "collision", "person_struck", "rollover", "tripped_rollover", "loss_of_control")}
        if "departure" in self.hazards:
            margins["departure"] = contacts.margins(with_departure=True)["departure"]
        if watch is not None:
            margins["person_not_seen_in_time"] = watch.margin()
        return ChunkOutcome(
            margins=margins,
            **contacts.details(),
            **people.details(),
            **motion.details(),
            completed=ending > 0,
            ending=ending,
            progress=progress,
            trajectories=(
                {key: np.stack(values, axis=1) for key, values in recorded.items()}
                if recorded is not None else None
            ),
        )
