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
3. one RK4 step of :mod:`stuntsim.car.dynamics`, with gravity's share from the road's
   grade along the line (E12 there; the uphill direction is the line's heading where the
   car is, and μ is scaled by cos θ);
4. the margins (:mod:`stuntsim.hazards`) as running minima, so memory holds a few numbers
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

from dataclasses import dataclass, field

import numpy as np

from stuntsim.car.dynamics import (
    NumericalError,
    VehicleParams,
    check_finite,
    initial_state,
    rk4_step,
    slope_acceleration,
)
from stuntsim.car.path import ReferencePath, SpeedPlan, path_from_points, path_from_segments
from stuntsim.car.rig import body_occluders, rig_occluders, rigged_mass_properties
from stuntsim.constants import GRAVITY as G
from stuntsim.geometry import (
    Barrier,
    Drop,
    Person,
    Solid,
    StreetGeometry,
    SurfacePatch,
    Walker,
    barrier_from_face,
    breach_normal_speed,
    circle_clearance,
    drop_from_edge,
    edge_margin,
    impact_severity,
    people_clearance,
    rectangle,
    solid_from_face,
    walker_position,
)
from stuntsim.hazards import (
    car_hazards,
    critical_sliding_velocity,
    quasi_static_rollover_threshold,
    stopping_distance_margin,
)
from stuntsim.scenario import polyline
from stuntsim.visibility import eye_in_world, visible

VEHICLE_FIELDS = (
    "mass", "yaw_inertia", "cg_to_front", "cg_to_rear", "cg_height", "track_width", "length",
    "width", "front_overhang", "cornering_stiffness_front", "cornering_stiffness_rear",
    "max_steer", "max_steer_rate", "steer_time_constant", "max_drive_force", "max_drive_power",
    "max_brake_force", "brake_front_share", "drag_area", "rolling_resistance",
    "locked_friction_ratio",
)
SIDESLIP_MIN_SPEED = 3.0  # [m/s] below this, sideslip is not a sign of a slide
STOPPED_SPEED = 0.05  # [m/s] a car braking for a person counts as stopped below this
# The mass properties the rig changes (stuntsim.car.rig, R1–R6).
RIGGED_FIELDS = ("mass", "yaw_inertia", "cg_to_front", "cg_to_rear", "cg_height",
                 "roll_gyration_radius")
# Categories that hide what is behind them from the driver: full-height opaque prisms.
# Obstacles (parked cars) are lower than a standing adult and are not treated as opaque.
OPAQUE_CATEGORIES = ("building", "rock")
# Grid of the street's distance fields. Near the walls (the exact band) clearances are
# computed exactly whatever the grid; the grid only sets memory and build time.
FIELD_RESOLUTION = 0.05  # [m]


def build_street(scenario) -> StreetGeometry:
    """The street's geometry from the scenario (nominal: geometry is not uncertain).

    Distance fields are built on first use, over the area the rehearsed line can reach.
    """
    street = scenario.street
    solids = []
    for category, group in (("building", street.buildings), ("rock", street.rock_faces)):
        for building in group:
            if building.polygon is not None:
                solids.append(Solid(building.name, category, np.asarray(building.polygon)))
            else:
                solids.append(
                    solid_from_face(
                        building.name, category, np.asarray(polyline(building.face)),
                        building.solid_side,
                    )
                )
    for obstacle in street.obstacles:
        if obstacle.rectangle is not None:
            r = obstacle.rectangle
            polygon = rectangle(np.asarray(r.center), r.length, r.width, r.heading)
        else:
            polygon = np.asarray(obstacle.polygon)
        solids.append(Solid(obstacle.name, "obstacle", polygon))
    solids += [Solid(k.name, "kerb", np.asarray(k.polygon)) for k in street.kerbs]
    drops = [
        Drop(d.name, np.asarray(d.polygon), d.height) if d.polygon is not None
        else drop_from_edge(d.name, np.asarray(polyline(d.edge)), d.drop_side, d.height)
        for d in street.drops
    ]
    barriers = [
        Barrier(b.name, np.asarray(b.polygon), b.containment()) if b.polygon is not None
        else barrier_from_face(b.name, np.asarray(polyline(b.face)), b.solid_side,
                               b.thickness, b.containment())
        for b in street.barriers if b.present
    ]
    return StreetGeometry(
        solids=solids,
        drops=drops,
        barriers=barriers,
        people=[
            Person(p.name, p.role, np.asarray(p.position, dtype=float), p.radius)
            for p in street.people
        ],
        walkers=[
            Walker(w.name, w.role, np.asarray(w.start, dtype=float), w.radius, w.height)
            for w in street.people_stepping_out
        ],
        surfaces=[SurfacePatch(p.name, np.asarray(p.polygon), p.mu) for p in street.surfaces],
        default_mu=street.surface.mu,
        resolution=FIELD_RESOLUTION,
        area=_scene_bounds(scenario),
    )


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


def _nothing_near(n: int):
    """A FootprintClearance for a street with no solids: infinitely far from everything."""
    from stuntsim.geometry import FootprintClearance

    zeros = np.zeros(n)
    return FootprintClearance(distance=np.full(n, np.inf), solid_index=np.full(n, -1),
                              normal_x=zeros, normal_y=zeros, contact_x=zeros,
                              contact_y=zeros)


def _replace_clearance(clear, where, other, other_index):
    """A FootprintClearance taking ``other``'s facts where ``where`` (a barrier that held)."""
    return type(clear)(
        distance=np.where(where, other.distance, clear.distance),
        solid_index=np.where(where, other_index, clear.solid_index),
        normal_x=np.where(where, other.normal_x, clear.normal_x),
        normal_y=np.where(where, other.normal_y, clear.normal_y),
        contact_x=np.where(where, other.contact_x, clear.contact_x),
        contact_y=np.where(where, other.contact_y, clear.contact_y),
    )


class Parameters:
    """Per-sample parameter lookup: drawn values where uncertain, nominal otherwise."""

    def __init__(self, nominal: dict[str, float], draws: dict[str, np.ndarray], n: int):
        self.nominal = nominal
        self.draws = draws
        self.n = n

    def __call__(self, path: str) -> np.ndarray | float:
        if path in self.draws:
            return np.asarray(self.draws[path], dtype=float)
        return self.nominal[path]

    def array(self, path: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(self(path), dtype=float), (self.n,))


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


class CarModel:
    """The car stunt as a batched function of the uncertain draws."""

    def __init__(self, resolved):
        self.resolved = resolved
        self.scenario = resolved.scenario
        self.path = reference_path(self.scenario)
        self._street: StreetGeometry | None = None
        #: the hazards of this street (``departure`` only where there is a drop)
        self.hazards = car_hazards(bool(self.scenario.street.drops),
                                   bool(self.scenario.street.people_stepping_out))

    @property
    def street(self) -> StreetGeometry:
        if self._street is None:
            self._street = build_street(self.scenario)
        return self._street

    def __getstate__(self):  # ship the scenario to workers, not the distance fields
        state = self.__dict__.copy()
        state["_street"] = None
        return state

    # ---------------------------------------------------------------- parameters
    def car_values(self, p: Parameters) -> dict[str, np.ndarray]:
        """Per-sample vehicle values (n,), with the camera rig's mass, CG and inertia
        folded in (:func:`stuntsim.car.rig.rigged_mass_properties`), the driver's eye in
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
        first_sample: int = 0,
    ) -> ChunkOutcome:
        """Run ``n`` samples with the given draws (path → (n,) array) to the end.

        ``first_sample`` is only used to name a sample in an error message. A draw or a
        state that is not finite raises :class:`~stuntsim.errors.NumericalError` naming
        the sample and the step (numpy's overflow warnings on the way there are silenced:
        the error says it better).
        """
        with np.errstate(invalid="ignore", over="ignore"):
            return self._simulate(draws, n, record=record, first_sample=first_sample)

    def _simulate(self, draws, n, *, record, first_sample) -> ChunkOutcome:
        for path_name, values in draws.items():
            bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=float)))
            if bad.size:
                raise NumericalError(
                    f"the drawn {path_name} is {values[bad[0]]} in sample "
                    f"{first_sample + bad[0]} of the run",
                    sample=int(first_sample + bad[0]), step=0,
                )
        p = Parameters(self.resolved.nominal, draws, n)
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
        length = car["length"]
        front = a + car["front_overhang"]
        rear = length - front
        half_width = 0.5 * car["width"]
        half_track = 0.5 * car["track_width"]
        mass = car["mass"]
        grade = p.array("street.gradient")
        has_grade = bool(np.any(grade != 0.0))
        # per-sample drop heights and barrier limits (either may be uncertain)
        drop_heights = np.stack(
            [p.array(f"street.drops.{d.name}.height") for d in street.drops]
            + [np.full(n, np.nan)], axis=1,
        )
        barrier_limits = np.stack(
            [p.array(f"street.barriers.{bar.name}.containment_energy")
             if f"street.barriers.{bar.name}.containment_energy" in p.nominal
             else np.full(n, bar.containment_energy) for bar in street.barriers]
            + [np.full(n, np.inf)], axis=1,
        )
        breached = np.zeros((n, len(street.barriers)), dtype=bool)
        n_solids = len(street.collision_solids)

        # Surface friction per sample: column 0 the street surface, then each patch.
        mu_table = np.stack(
            [p.array("street.surface.mu")]
            + [p.array(f"street.surfaces.{patch.name}.mu") for patch in street.surfaces],
            axis=1,
        )
        row = np.arange(n) * mu_table.shape[1]
        mu_flat = mu_table.ravel()

        # Driver
        delay_steps = np.rint(p.array("driver.reaction_delay") / dt).astype(np.intp)
        ring = int(delay_steps.max()) + 1
        steer_buffer = np.zeros((ring, n))
        accel_buffer = np.zeros((ring, n))
        sample = np.arange(n)
        preview_time = p.array("driver.preview_time")
        min_preview = p.array("driver.min_preview")
        steer_gain = p.array("driver.steering_gain")
        countersteer = p.array("driver.countersteer_gain")
        bias = p.array("driver.steering_bias")
        line_offset = p.array("driver.line_offset")
        has_offset = bool(np.any(line_offset != 0.0))
        weave_amp = p.array("driver.steering_weave_amplitude")
        weave_omega = 2 * np.pi * p.array("driver.steering_weave_frequency")
        weave_phase = p.array("driver.steering_weave_phase")
        speed_gain = p.array("driver.speed_gain")
        speed_preview = p.array("driver.speed_preview")
        max_brake_decel = np.asarray(params.max_brake_force) / mass
        # The driver's grip budget: what they believe the surface offers (the plan's μ, not
        # the drawn one: a surprise on the day is exactly what goes wrong), times how much
        # of it they use. Throttle and brakes stay inside the friction circle it defines.
        expected_mu = (
            p.array("driver.expected_mu") if self.scenario.driver.expected_mu is not None
            else np.full(n, self.resolved.nominal["street.surface.mu"])
        )
        grip_budget = p.array("driver.grip_use") * expected_mu * G

        # Thresholds
        rollover_limit = quasi_static_rollover_threshold(car["track_width"], car["cg_height"])
        csv = critical_sliding_velocity(
            car["track_width"], car["cg_height"], car["roll_gyration_radius"]
        )
        sideslip_limit = p.array("maneuver.sideslip_limit")

        # State at the start of the line, at the entry speed.
        state = initial_state(
            n,
            x=float(path.x[0]),
            y=float(path.y[0]),
            yaw=float(path.heading[0]),
            speed=np.broadcast_to(plan.entry_speed, (n,)).astype(float),
        )
        s_rear = -b.copy()

        inf = np.full(n, np.inf)
        min_clear = inf.copy()
        min_person = inf.copy()
        min_roll = inf.copy()
        min_loc = inf.copy()
        min_departure = inf.copy()
        departure_drop = np.full(n, -1)
        departure_time = np.full(n, np.nan)
        departure_speed = np.full(n, np.nan)
        barrier_breached = np.full(n, -1)
        barrier_energy = np.full(n, np.nan)
        kerb_slide = np.zeros(n)
        max_speed = np.zeros(n)
        max_ay = np.zeros(n)
        collision_object = np.full(n, -1)
        collision_time = np.full(n, np.nan)
        collision_speed = np.full(n, np.nan)
        collision_normal = np.full(n, np.nan)
        collision_angle = np.full(n, np.nan)
        nearest_object = np.full(n, -1)
        person_index = np.full(n, -1)
        person_time = np.full(n, np.nan)
        person_speed = np.full(n, np.nan)
        person_closest_speed = np.full(n, np.nan)
        active = np.ones(n, dtype=bool)
        ending = np.zeros(n, dtype=np.int8)  # stuntsim.completion.ENDINGS
        progress = np.zeros(n)
        recorded: dict[str, list[np.ndarray]] = {} if record else None
        watch = _Lookout(self, street, p, car, n) if street.walkers else None

        # The clearance at the start counts too (a car parked inside a wall is a collision).
        for step in range(n_steps):
            t = step * dt
            x, y, yaw, vx, vy, yaw_rate = state[:6]
            cos_yaw, sin_yaw = np.cos(yaw), np.sin(yaw)
            speed = np.hypot(vx, vy)

            # 1. friction under each axle, held over the step
            patch_f = street.friction.patch_index(x + a * cos_yaw, y + a * sin_yaw)
            patch_r = street.friction.patch_index(x - b * cos_yaw, y - b * sin_yaw)
            mu_front = mu_flat[row + patch_f + 1]
            mu_rear = mu_flat[row + patch_r + 1]

            # 2. driver (pure pursuit from the rear axle, counter-steer, speed plan)
            rx, ry = x - b * cos_yaw, y - b * sin_yaw
            s_rear, _ = path.project(rx, ry, s_rear)
            lookahead = min_preview + preview_time * speed
            lx, ly = path.point_at(s_rear + lookahead)
            offset = line_offset if watch is None else line_offset + watch.swerve(t)
            if has_offset or watch is not None:
                aim_heading = path.heading_at(s_rear + lookahead)
                lx = lx - np.sin(aim_heading) * offset
                ly = ly + np.cos(aim_heading) * offset
            alpha = np.arctan2(ly - ry, lx - rx) - yaw
            distance = np.maximum(np.hypot(lx - rx, ly - ry), 1e-3)
            pursuit = np.arctan2(2.0 * wheelbase * np.sin(alpha), distance)
            sideslip = np.arctan2(vy, np.maximum(np.abs(vx), 0.5))
            steer_cmd = (
                steer_gain * pursuit
                + countersteer * sideslip
                + bias
                + weave_amp * np.sin(weave_omega * t + weave_phase)
            )
            s_front = s_rear + wheelbase
            v_plan, a_plan = plan.speed_and_acceleration(s_front + speed_preview * speed)
            perceived_lateral = speed * yaw_rate
            longitudinal_budget = np.sqrt(
                np.maximum(grip_budget**2 - perceived_lateral**2, (0.2 * grip_budget) ** 2)
            )
            accel_cmd = np.clip(
                a_plan + speed_gain * (v_plan - vx),
                -np.minimum(longitudinal_budget, max_brake_decel),
                longitudinal_budget,
            )

            # reaction delay: the car gets what the driver decided delay_steps ago
            slot = step % ring
            if step == 0:
                steer_buffer[:] = steer_cmd
                accel_buffer[:] = accel_cmd
            steer_buffer[slot] = steer_cmd
            accel_buffer[slot] = accel_cmd
            applied = (step - delay_steps) % ring
            steer_applied = steer_buffer[applied, sample]
            accel_applied = accel_buffer[applied, sample]
            if watch is not None:  # emergency braking from the moment a person is detected
                accel_applied = np.where(
                    watch.braking(t),
                    -(max_brake_decel if watch.swerve_offset is None
                      else np.minimum(longitudinal_budget, max_brake_decel)),
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
            speed = np.hypot(vx, vy)
            t_now = t + dt

            # 4. margins, only for samples still running
            if street.collision_solids:
                clear = street.collision_field.footprint_clearance(x, y, yaw, front, rear,
                                                                   half_width)
            else:  # nothing solid beside the road (a drop and barriers only)
                clear = _nothing_near(n)
            closer = active & (clear.distance < min_clear)
            min_clear = np.where(closer, clear.distance, min_clear)
            nearest_object = np.where(closer, clear.solid_index, nearest_object)

            if street.people:
                pdist, pindex = people_clearance(street.people, x, y, yaw, front, rear,
                                                 half_width)
                person_closer = active & (pdist < min_person)
                min_person = np.where(person_closer, pdist, min_person)
                struck = active & (pdist <= 0.0)
                person_index = np.where(struck | person_closer, pindex, person_index)
                person_closest_speed = np.where(person_closer, speed, person_closest_speed)
                person_time = np.where(struck, t_now, person_time)
                person_speed = np.where(struck, speed, person_speed)
            else:
                struck = np.zeros(n, dtype=bool)
            if watch is not None:
                wdist, windex = watch.clearance(t_now, x, y, yaw, front, rear, half_width)
                walker_closer = active & (wdist < min_person)
                min_person = np.where(walker_closer, wdist, min_person)
                walker_struck = active & (wdist <= 0.0) & ~struck
                person_index = np.where(walker_struck | walker_closer, windex, person_index)
                person_closest_speed = np.where(walker_closer, speed, person_closest_speed)
                person_time = np.where(walker_struck, t_now, person_time)
                person_speed = np.where(walker_struck, speed, person_speed)
                struck = struck | walker_struck
                watch.note_strike(walker_struck, windex, x, y, yaw, front)
                watch.look(t_now, active, x, y, yaw, s_rear + wheelbase + car["front_overhang"],
                           speed, 0.5 * (mu_front + mu_rear), grade)

            ay = np.abs(out.ay)
            min_roll = np.where(active, np.minimum(min_roll, rollover_limit - ay), min_roll)
            slip = np.where(speed > SIDESLIP_MIN_SPEED, np.abs(np.arctan2(vy, vx)), 0.0)
            min_loc = np.where(active, np.minimum(min_loc, sideslip_limit - slip), min_loc)
            max_speed = np.where(active, np.maximum(max_speed, speed), max_speed)
            max_ay = np.where(active, np.maximum(max_ay, ay), max_ay)

            if street.kerb_field is not None:
                kerb = street.kerb_field.footprint_clearance(x, y, yaw, front, rear,
                                                              half_width)
                # sideways (body-lateral) velocity component pushed into the kerb
                lateral_x, lateral_y = -np.sin(yaw) * vy, np.cos(yaw) * vy
                into = -(lateral_x * kerb.normal_x + lateral_y * kerb.normal_y)
                touching = active & (kerb.distance <= 0.0)
                kerb_slide = np.where(touching, np.maximum(kerb_slide, into), kerb_slide)

            hit = active & (clear.distance <= 0.0)

            if street.barrier_field is not None:
                fence = street.barrier_field.footprint_clearance(x, y, yaw, front, rear,
                                                                 half_width)
                index = np.maximum(fence.solid_index, 0)
                intact = active & (fence.solid_index >= 0) & ~breached[sample, index]
                contact = intact & (fence.distance <= 0.0) & ~hit
                gives = np.zeros(n, dtype=bool)
                if contact.any():
                    vx_world = np.cos(yaw) * vx - np.sin(yaw) * vy
                    vy_world = np.sin(yaw) * vx + np.cos(yaw) * vy
                    into = -(vx_world * fence.normal_x + vy_world * fence.normal_y)
                    energy = impact_severity(mass, into)
                    limit = barrier_limits[sample, index]
                    barrier_energy = np.where(contact & np.isnan(barrier_energy), energy,
                                              barrier_energy)
                    holds = contact & (energy <= limit)
                    gives = contact & ~holds
                    if holds.any():  # a collision with the barrier
                        hit = hit | holds
                        clear = _replace_clearance(clear, holds, fence, n_solids + index)
                    if gives.any():
                        # it absorbs its containment energy from the normal motion
                        lost = np.where(
                            gives, np.maximum(into, 0.0) - breach_normal_speed(mass, into, limit),
                            0.0,
                        )
                        vx_world = vx_world + lost * fence.normal_x
                        vy_world = vy_world + lost * fence.normal_y
                        state[3] = np.cos(yaw) * vx_world + np.sin(yaw) * vy_world
                        state[4] = -np.sin(yaw) * vx_world + np.cos(yaw) * vy_world
                        vx, vy = state[3], state[4]
                        speed = np.hypot(vx, vy)
                        breached[sample[gives], index[gives]] = True
                        barrier_breached = np.where(gives & (barrier_breached < 0), index,
                                                    barrier_breached)
                # a barrier counts in the collision margin until it gives way
                fence_closer = intact & ~gives & (fence.distance < min_clear)
                min_clear = np.where(fence_closer, fence.distance, min_clear)
                nearest_object = np.where(fence_closer, n_solids + index, nearest_object)

            if street.drop_field is not None:
                edge_min, drop_here = edge_margin(street.drop_field, x, y, yaw, a, b,
                                                  half_track)
                drop_closer = active & (edge_min < min_departure)
                min_departure = np.where(drop_closer, edge_min, min_departure)
                departure_drop = np.where(drop_closer, drop_here, departure_drop)
                over = active & (edge_min <= 0.0) & ~hit
                departure_time = np.where(over, t_now, departure_time)
                departure_speed = np.where(over, speed, departure_speed)
            else:
                over = np.zeros(n, dtype=bool)

            if hit.any():
                vx_world = np.cos(yaw) * vx - np.sin(yaw) * vy
                vy_world = np.sin(yaw) * vx + np.cos(yaw) * vy
                normal_speed = -(vx_world * clear.normal_x + vy_world * clear.normal_y)
                collision_object = np.where(hit, clear.solid_index, collision_object)
                collision_time = np.where(hit, t_now, collision_time)
                collision_speed = np.where(hit, speed, collision_speed)
                collision_normal = np.where(hit, normal_speed, collision_normal)
                collision_angle = np.where(
                    hit,
                    np.arcsin(np.clip(normal_speed / np.maximum(speed, 1e-9), -1.0, 1.0)),
                    collision_angle,
                )

            if recorded is not None:
                for key, value in (
                    ("t", np.full(n, t_now)), ("x", x), ("y", y), ("yaw", yaw),
                    ("speed", speed), ("ay", out.ay), ("sideslip", np.arctan2(vy, vx)),
                    ("s", s_rear + b), ("mu_front", mu_front), ("mu_rear", mu_rear),
                    ("steer", state[6]), ("clearance", clear.distance),
                    ("edge", edge_min if street.drop_field is not None else np.full(n, np.inf)),
                    ("active", active.copy()),
                    *(watch.recorded(t_now, x, y, yaw) if watch is not None else ()),
                ):
                    recorded.setdefault(key, []).append(np.array(value, dtype=float))

            s_now = s_rear + b
            progress = np.where(active, np.maximum(progress, s_now), progress)
            ended = active & (hit | struck | over)
            finished = active & (s_now >= path.length) & ~ended
            # a car that braked for a person and stands still has ended its take
            stopped = (watch.stopped(active, speed, t_now) & ~ended & ~finished
                       if watch is not None else False)
            ending[ended] = 2
            ending[finished] = 1
            ending[stopped] = 3
            active &= ~(ended | finished | stopped)
            if not active.any():
                break

        margins = {
            "collision": min_clear,
            "person_struck": (min_person if (street.people or street.walkers)
                              else np.full(n, np.inf)),
            "rollover": min_roll,
            "tripped_rollover": csv - kerb_slide,
            "loss_of_control": min_loc,
        }
        if "departure" in self.hazards:
            margins["departure"] = min_departure
        if watch is not None:
            margins["person_not_seen_in_time"] = watch.margin()
        collision_object = np.where(collision_object >= 0, collision_object, nearest_object)
        departed = np.isfinite(departure_time)
        return ChunkOutcome(
            margins=margins,
            collision_object=collision_object,
            collision_time=collision_time,
            collision_speed=collision_speed,
            collision_normal_speed=collision_normal,
            collision_angle=collision_angle,
            person_index=person_index,
            person_time=person_time,
            person_speed=person_speed,
            person_closest_speed=person_closest_speed,
            kerb_slide_speed=kerb_slide,
            departure_drop=departure_drop,
            departure_time=departure_time,
            departure_speed=departure_speed,
            departure_height=np.where(departed, drop_heights[sample, departure_drop], np.nan),
            barrier_breached=barrier_breached,
            barrier_impact_energy=barrier_energy,
            max_speed=max_speed,
            max_lateral_acceleration=max_ay,
            completed=ending > 0,
            ending=ending,
            progress=progress,
            **(watch.details() if watch is not None else _Lookout.no_details(n)),
            trajectories=(
                {key: np.stack(values, axis=1) for key, values in recorded.items()}
                if recorded is not None else None
            ),
        )


class _Lookout:
    """The driver watching for people who step out: sight lines, detection, response.

    Per step and sample, for each person stepping out (:class:`stuntsim.geometry.Walker`):

    * where they are (:func:`stuntsim.geometry.walker_position`) and how close the car's
      footprint comes to them (``person_struck``);
    * from the moment they step out until first seen: whether a clear line runs from the
      driver's eye to any of their sample points, past the opaque buildings and rock (2-D,
      full height) and past the car's body and the camera rig (3-D, in the car frame)
      (:func:`stuntsim.visibility.visible`). The eye and the occluders are given in the
      bare car's frame; the rig moves the CG forward by x_c, so that frame's origin is
      the simulated CG moved back by x_c;
    * detection = first seen + the perception–reaction time t_PR: from then on, as soon as
      the person is in the car's way (the collision-course test below, with the car's front
      short of them), the brake command is full braking (the brakes and the tyres limit
      what it achieves; no ABS, so wheels that lock slide on the sliding friction and give
      no steering: E13 of :mod:`stuntsim.car.dynamics`); with
      ``evasion: brake_and_swerve`` the driver instead brakes only within the grip they
      believe they have (threshold braking, so the wheels keep rolling if the belief is
      right) and aims ``swerve_offset`` to the side away from the person;
    * the sight margin (``person_not_seen_in_time``, :func:`stuntsim.hazards.
      stopping_distance_margin`), judged once: when the person is first seen, or when the
      car's front reaches their path unseen (D ≤ 0 then). D is the arc length from the
      car's front to where the person's walk crosses the rehearsed line; a = min(ρ μ g cos θ,
      F_brake/m) + g sin θ on the grade θ (uphill positive), μ the friction under the car
      at that moment and ρ the locked-friction ratio μ_sliding/μ_peak, because full
      braking without ABS locks the wheels once F_brake/m exceeds the grip (ρ = 1 with
      ``brake_and_swerve``: threshold braking keeps them rolling); this is the stopping
      distance of a car sliding on locked wheels, v²/(2 ρ μ g) (Wong, Table 1.3), a little
      pessimistic where only the front axle locks. D is measured to the person's near side
      (the crossing point less their radius). There is no collision course (margin +inf,
      no braking) when the person's walk never crosses the line, when they step out after
      the car has passed, when they have already crossed the car's lane, or when at the
      present speed the car's rear clears their path before they reach its lane (they
      would pass behind it).
    """

    def __init__(self, model: CarModel, street: StreetGeometry, p: Parameters, car, n: int):
        scenario = model.scenario
        self.walkers = street.walkers
        self.first_index = len(street.people)
        self.n = n
        specs = scenario.street.people_stepping_out

        def per_walker(field_name):
            return np.stack([p.array(f"street.people_stepping_out.{w.name}.{field_name}")
                             for w in specs])

        self.heading = per_walker("heading")
        self.start_time = per_walker("start_time")
        self.speed = per_walker("walking_speed")
        self.distance = per_walker("walk_distance")
        self.radius = per_walker("radius")
        self.height = per_walker("height")
        starts = np.stack([w.start for w in self.walkers])
        crossing = [_walk_crossing(model.path, starts[k], self.heading[k], self.distance[k])
                    for k in range(len(specs))]
        self.cross_s = np.stack([c[0] for c in crossing])  # (K, n) arc length on the line
        self.cross_walk = np.stack([c[1] for c in crossing])  # (K, n) walked to the line
        self.eye = np.stack([car["eye_forward"], car["eye_left"], car["eye_height"]], axis=1)
        self.shift = car["cg_shift_forward"]
        self.car_length = car["length"]
        self.lane_half = 0.5 * car["width"]
        self.max_brake_decel = car["max_brake_force"] / car["mass"]
        self.locked_friction_ratio = car["locked_friction_ratio"]
        self.occluders = [*body_occluders(scenario.vehicle.preset),
                          *rig_occluders(scenario.rig)]
        self.opaque = [s for s in street.solids if s.category in OPAQUE_CATEGORIES]
        self.reaction = p.array("driver.perception_reaction_time")
        swerve = scenario.driver.evasion == "brake_and_swerve"
        self.swerve_offset = p.array("driver.swerve_offset") if swerve else None

        shape = self.heading.shape
        self.seen_time = np.full(shape, np.nan)
        self.judged = np.zeros(shape, dtype=bool)
        self.sight_margin = np.full(shape, np.inf)
        self.sight_distance = np.full(shape, np.nan)
        self.sight_speed = np.full(shape, np.nan)
        self.alarm_time = np.full(shape, np.inf)  # [s] braking for walker k began
        self.detect_time = np.full(n, np.inf)  # [s] braking for anyone began
        self.swerve_side = np.zeros(n)
        self.stop_time = np.full(n, np.nan)
        self.struck_front = np.full(n, np.nan)  # 1: struck by the front, 0: by a side
        self.position = (np.zeros(shape), np.zeros(shape))

    # -------------------------------------------------------------- per step
    def clearance(self, t, x, y, yaw, front, rear, half_width):
        """Closest approach [m] of the footprint to anyone stepping out, and who (index in
        the car model's person numbering: after the standing people)."""
        best = np.full(self.n, np.inf)
        index = np.full(self.n, -1)
        px = np.empty(self.heading.shape)
        py = np.empty(self.heading.shape)
        for k, walker in enumerate(self.walkers):
            px[k], py[k] = walker_position(walker.start, self.heading[k], self.start_time[k],
                                           self.speed[k], self.distance[k], t)
            d = circle_clearance(px[k], py[k], self.radius[k], x, y, yaw, front, rear,
                                 half_width)
            closer = d < best
            best = np.where(closer, d, best)
            index = np.where(closer, self.first_index + k, index)
        self.position = (px, py)
        return best, index

    def note_strike(self, struck, index, x, y, yaw, front):
        """Where on the car a person was struck: the front (their centre ahead of the front
        face less their radius) or a side (they walked into the flank)."""
        if not struck.any():
            return
        px, py = self.position
        k = np.clip(index - self.first_index, 0, len(self.walkers) - 1)
        sample = np.arange(self.n)
        ahead = ((px[k, sample] - x) * np.cos(yaw) + (py[k, sample] - y) * np.sin(yaw)
                 >= front - self.radius[k, sample])
        self.struck_front = np.where(struck, ahead.astype(float), self.struck_front)

    def look(self, t, active, x, y, yaw, s_front, speed, mu, grade):
        """Update sight, detection and the sight margin after a step ending at time t."""
        px, py = self.position
        c, s = np.cos(yaw), np.sin(yaw)
        frame_x, frame_y = x - self.shift * c, y - self.shift * s
        for k in range(len(self.walkers)):
            out = active & (t >= self.start_time[k])
            looking = out & np.isnan(self.seen_time[k])
            seen = np.zeros(self.n, dtype=bool)
            if looking.any():
                i = np.flatnonzero(looking)
                pose = (frame_x[i], frame_y[i], yaw[i])
                seen[i] = visible(eye_in_world(pose, self.eye[i]),
                                  (px[k, i], py[k, i], self.radius[k, i], self.height[k, i]),
                                  self.opaque, occluders=self.occluders, car_pose=pose)
            self.seen_time[k] = np.where(seen, t, self.seen_time[k])

            # on a collision course? (the car's front short of the person's near side)
            distance = self.cross_s[k] - s_front - self.radius[k]
            walked = np.clip((t - self.start_time[k]) * self.speed[k], 0.0, self.distance[k])
            lane = self.lane_half + self.radius[k]
            to_lane = self.cross_walk[k] - lane - walked  # [m] still to walk to the lane
            arrive = t + np.maximum(to_lane, 0.0) / self.speed[k]
            clears = t + (np.maximum(distance, 0.0) + self.car_length) / np.maximum(speed, 0.1)
            across = walked > self.cross_walk[k] + lane  # already through the car's lane
            conflict = np.isfinite(self.cross_s[k]) & ~across & (arrive <= clears)

            # the driver brakes once the reaction time since first sight has passed and the
            # person is still in the car's way ahead
            alarm = (out & (t >= self.seen_time[k] + self.reaction) & conflict
                     & (distance > 0.0) & np.isinf(self.alarm_time[k]))
            if alarm.any():
                self.alarm_time[k] = np.where(alarm, t, self.alarm_time[k])
                newly = alarm & (t < self.detect_time)
                left = -s * (px[k] - x) + c * (py[k] - y)  # swerve away from their side
                self.swerve_side = np.where(newly, -np.sign(left), self.swerve_side)
                self.detect_time = np.where(newly, t, self.detect_time)

            passed = out & ~self.judged[k] & (distance <= 0.0)
            judge = out & ~self.judged[k] & (seen | passed)
            if not judge.any():
                continue
            theta = np.arctan(grade)
            grip = mu * G * np.cos(theta)
            if self.swerve_offset is None:  # full braking, no ABS: sliding on locked wheels
                grip = grip * self.locked_friction_ratio
            decel = np.minimum(grip, self.max_brake_decel) + G * np.sin(theta)
            margin = stopping_distance_margin(np.maximum(distance, 0.0),
                                              speed, self.reaction, decel)
            self.sight_margin[k] = np.where(judge & conflict, margin, self.sight_margin[k])
            self.sight_distance[k] = np.where(judge, distance, self.sight_distance[k])
            self.sight_speed[k] = np.where(judge, speed, self.sight_speed[k])
            self.judged[k] |= judge

    def braking(self, t) -> np.ndarray:
        return t >= self.detect_time

    def swerve(self, t) -> np.ndarray | float:
        if self.swerve_offset is None:
            return 0.0
        return np.where(t >= self.detect_time, self.swerve_side * self.swerve_offset, 0.0)

    def stopped(self, active, speed, t) -> np.ndarray:
        now = active & (t >= self.detect_time) & (speed < STOPPED_SPEED)
        self.stop_time = np.where(now & np.isnan(self.stop_time), t, self.stop_time)
        return now

    def recorded(self, t, x, y, yaw):
        px, py = self.position
        c, s = np.cos(yaw), np.sin(yaw)
        forward = self.eye[:, 0] - self.shift
        eye_x = x + c * forward - s * self.eye[:, 1]
        eye_y = y + s * forward + c * self.eye[:, 1]
        return (("walker_x", px[0]), ("walker_y", py[0]), ("eye_x", eye_x), ("eye_y", eye_y),
                ("walker_seen", ~np.isnan(self.seen_time[0])),
                ("braking", t >= self.detect_time))

    # -------------------------------------------------------------- results
    def margin(self) -> np.ndarray:
        return self.sight_margin.min(axis=0)

    def details(self) -> dict[str, np.ndarray]:
        k = np.argmin(self.sight_margin, axis=0)
        sample = np.arange(self.n)
        return {
            "walker_index": k,
            "walker_step_out_time": self.start_time[k, sample],
            "walker_seen_time": self.seen_time[k, sample],
            "walker_detect_time": np.where(np.isinf(self.alarm_time[k, sample]), np.nan,
                                           self.alarm_time[k, sample]),
            "walker_sight_distance": self.sight_distance[k, sample],
            "walker_sight_speed": self.sight_speed[k, sample],
            "walker_stop_time": self.stop_time,
            "walker_struck_front": self.struck_front,
        }

    @staticmethod
    def no_details(n: int) -> dict[str, np.ndarray]:
        nan = np.full(n, np.nan)
        return {"walker_index": np.full(n, -1), "walker_step_out_time": nan,
                "walker_seen_time": nan, "walker_detect_time": nan,
                "walker_sight_distance": nan, "walker_sight_speed": nan,
                "walker_stop_time": nan, "walker_struck_front": nan}


def _walk_crossing(path: ReferencePath, start, heading, distance, batch: int = 1024):
    """Where straight walks cross the rehearsed line (first crossing along the line).

    Parameters
    ----------
    path : ReferencePath
    start : (2,)           The walk's start [m].
    heading, distance : (n,)  Walking direction [rad] and length [m].

    Returns
    -------
    (s, w) : (n,) arrays   Arc length on the line [m] and distance walked to get there [m];
                           NaN where the walk does not cross the line.
    """
    n = heading.size
    s_out = np.full(n, np.nan)
    w_out = np.full(n, np.nan)
    rel_x, rel_y = path.x - start[0], path.y - start[1]
    seg = np.hypot(np.diff(path.x), np.diff(path.y))
    s_points = np.concatenate([[0.0], np.cumsum(seg)])
    for lo in range(0, n, batch):
        hi = min(n, lo + batch)
        c, s = np.cos(heading[lo:hi, None]), np.sin(heading[lo:hi, None])
        side = c * rel_y - s * rel_x  # (b, m): which side of the walk line each point is
        along = c * rel_x + s * rel_y  # distance along the walk
        change = np.sign(side[:, :-1]) * np.sign(side[:, 1:]) <= 0
        frac = side[:, :-1] / np.where(change, side[:, :-1] - side[:, 1:], 1.0)
        frac = np.where(np.isfinite(frac), np.clip(frac, 0.0, 1.0), 0.0)
        walk = along[:, :-1] + frac * (along[:, 1:] - along[:, :-1])
        ok = change & (walk >= 0.0) & (walk <= distance[lo:hi, None])
        first = np.argmax(ok, axis=1)
        found = ok.any(axis=1)
        rows = np.arange(hi - lo)
        s_out[lo:hi] = np.where(found, s_points[first] + frac[rows, first] * seg[first], np.nan)
        w_out[lo:hi] = np.where(found, walk[rows, first], np.nan)
    return s_out, w_out
