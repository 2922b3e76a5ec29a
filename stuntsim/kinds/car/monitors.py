"""The car's hazard monitors: each follows its hazards' margins over a take, step by step.

A monitor is updated once per time step with the car's new state (only for the samples
still running, ``active``) and keeps running minima, never samples × steps (DESIGN:
streaming); at the end :meth:`margins` gives each hazard's margin (SI, failure ≤ 0,
:func:`stuntsim.risk.failed`) and :meth:`details` the facts behind them.

* :class:`Contacts` — ``collision`` (the footprint against buildings, rock, obstacles and
  barriers that hold; a barrier that gives way absorbs its containment energy, EN 1317)
  and ``departure`` (the nearest wheel's contact point against a drop edge);
* :class:`People` — ``person_struck`` (standing people and people stepping out) and,
  through the :class:`Lookout`, ``person_not_seen_in_time``;
* :class:`MotionLimits` — ``rollover`` (SSF·g − |a_y|), ``loss_of_control`` (sideslip
  left) and ``tripped_rollover`` (critical sliding velocity − sideways speed into a kerb).

Equations and sources are in :mod:`stuntsim.kinds.car.hazards` (thresholds),
:mod:`stuntsim.geometry` (clearances, barriers) and :mod:`stuntsim.geometry.visibility`
(sight lines).
"""

from __future__ import annotations

import numpy as np

from stuntsim.constants import GRAVITY as G
from stuntsim.geometry import (
    FootprintClearance,
    StreetGeometry,
    breach_normal_speed,
    circle_clearance,
    edge_margin,
    impact_severity,
    people_clearance,
    walker_position,
)
from stuntsim.geometry.visibility import eye_in_world, visible
from stuntsim.kinds.car.hazards import (
    critical_sliding_velocity,
    quasi_static_rollover_threshold,
    stopping_distance_margin,
)
from stuntsim.kinds.car.path import ReferencePath
from stuntsim.kinds.car.rig import body_occluders, rig_occluders
from stuntsim.ufuncs import clip

__all__ = ["Contacts", "Lookout", "MotionLimits", "People"]

SIDESLIP_MIN_SPEED = 3.0  # [m/s] below this, sideslip is not a sign of a slide
STOPPED_SPEED = 0.05  # [m/s] a car braking for a person counts as stopped below this
# Categories that hide what is behind them from the driver: full-height opaque prisms.
# Obstacles (parked cars) are lower than a standing adult and are not treated as opaque.
OPAQUE_CATEGORIES = ("building", "rock")


class ClearanceBound:
    """A lower bound on each footprint's clearance between exact queries, to skip the
    queries that cannot change a margin.

    The clearance between the footprint (a rigid rectangle) and the solids is 1-Lipschitz
    in the footprint's displacement: no point of the rectangle moves farther than
    |Δc| + |Δψ|·R in a step (c the reference point, R the largest distance from it to a
    corner, |R(ψ') l − R(ψ) l| = 2|sin(Δψ/2)||l| ≤ |Δψ| R), so the true clearance now is
    at least the last queried one less the displacements summed since. The field's
    answer is exact within its ``exact_band`` and never below the band beyond it
    (:class:`~stuntsim.geometry.DistanceField`), so the bound starts from
    min(answer, band) less a rounding allowance (:attr:`allowance`: float32 coordinates).

    A monitor asks for the samples whose bound does not clear its threshold (the running
    minimum for a margin kept as a minimum, 0 for contact only) and queries just those;
    for every other sample the field's answer is provably above the threshold, so the
    margins, contacts and facts are bit for bit those of querying every sample at every
    step (each sample's answer depends on its own pose only:
    ``footprint_clearance(vertex_reach=...)``).
    """

    def __init__(self, field, front, rear, half_width, n: int):
        self.field = field
        self.front, self.rear, self.half_width = (np.broadcast_to(v, (n,)) for v in
                                                  (front, rear, half_width))
        self.reach = np.hypot(np.maximum(self.front, self.rear), self.half_width)
        self.vertex_reach = float(np.max(self.reach))
        self.allowance = 1e-3 + 1e-6 * field.extent  # [m] ≫ float32 rounding of the field
        self.bound = np.full(n, -np.inf)  # unknown: query
        self._pose: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def advance(self, x, y, yaw) -> None:
        """The footprints moved to (x, y, yaw): lower the bounds by how far they moved."""
        if self._pose is not None:
            px, py, pyaw = self._pose
            self.bound -= np.hypot(x - px, y - py) + np.abs(yaw - pyaw) * self.reach
        self._pose = (x, y, yaw)

    def query(self, need, x, y, yaw, cos_sin=None) -> tuple[np.ndarray,
                                                           FootprintClearance | None]:
        """The field's answers for the samples ``need`` (indices, answers); ``cos_sin``
        holds cos ψ and sin ψ of ``yaw`` if already computed."""
        index = np.flatnonzero(need)
        if not index.size:
            return index, None
        if cos_sin is None:
            cos_sin = np.cos(yaw), np.sin(yaw)
        clear = self.field.footprint_clearance(
            x[index], y[index], yaw[index], self.front[index], self.rear[index],
            self.half_width[index], vertex_reach=self.vertex_reach,
            cos_sin=(cos_sin[0][index], cos_sin[1][index]))
        self.bound[index] = np.minimum(clear.distance, self.field.exact_band) - self.allowance
        return index, clear


def _spread(n: int, index: np.ndarray, part: FootprintClearance | None) -> FootprintClearance:
    """Answers for ``index`` placed in a full-size result; elsewhere nothing is near."""
    full = FootprintClearance(distance=np.full(n, np.inf), solid_index=np.full(n, -1),
                              normal_x=np.zeros(n), normal_y=np.zeros(n),
                              contact_x=np.zeros(n), contact_y=np.zeros(n))
    if part is not None:
        for name in ("distance", "solid_index", "normal_x", "normal_y", "contact_x",
                     "contact_y"):
            getattr(full, name)[index] = getattr(part, name)
    return full


class Contacts:
    """``collision`` and ``departure``: the footprint against everything solid, barriers
    (held: a collision; given way: the car goes on, slower) and drop edges.

    Parameters
    ----------
    street : StreetGeometry
    p : Parameters             Per-sample values (drop heights, barrier limits may be drawn).
    car : dict                 Per-sample vehicle values (:meth:`CarModel.car_values`).
    n : int                    Samples.
    moving : MovingQuery, optional   The solids grouped by the street part they move with
                               take by take (a corner's inner building with uncertain
                               widths, :mod:`stuntsim.kinds.car.moving_parts`); None: the
                               street's one collision field.
    """

    def __init__(self, street: StreetGeometry, p, car, n: int, moving=None):
        self.street = street
        self.n = n
        self._moving = moving
        self.sample = np.arange(n)
        self.mass = car["mass"]
        self.a = car["cg_to_front"]
        self.b = car["cg_to_rear"]
        self.front = self.a + car["front_overhang"]
        self.rear = car["length"] - self.front
        self.half_width = 0.5 * car["width"]
        self.half_track = 0.5 * car["track_width"]
        # per-sample drop heights and barrier limits (either may be uncertain)
        self.drop_heights = np.stack(
            [p.array(f"street.drops.{d.name}.height") for d in street.drops]
            + [np.full(n, np.nan)], axis=1,
        )
        self.barrier_limits = np.stack(
            [p.array(f"street.barriers.{bar.name}.containment_energy")
             if f"street.barriers.{bar.name}.containment_energy" in p.nominal
             else np.full(n, bar.containment_energy) for bar in street.barriers]
            + [np.full(n, np.inf)], axis=1,
        )
        self.breached = np.zeros((n, len(street.barriers)), dtype=bool)
        self.n_solids = len(street.collision_solids)
        #: query every sample at every step (recorded takes: the clearance is recorded)
        self.every_step = False
        self._bound = (ClearanceBound(street.collision_field, self.front, self.rear,
                                      self.half_width, n)
                       if street.collision_solids and moving is None else None)
        inf = np.full(n, np.inf)
        self.min_clear = inf.copy()
        self.nearest_object = np.full(n, -1)
        self.min_departure = inf.copy()
        self.departure_drop = np.full(n, -1)
        self.departure_time = np.full(n, np.nan)
        self.departure_speed = np.full(n, np.nan)
        self.barrier_breached = np.full(n, -1)
        self.barrier_energy = np.full(n, np.nan)
        self.collision_object = np.full(n, -1)
        self.collision_time = np.full(n, np.nan)
        self.collision_speed = np.full(n, np.nan)
        self.collision_normal = np.full(n, np.nan)
        self.collision_angle = np.full(n, np.nan)
        self.edge = np.full(n, np.inf)  # this step's edge margin (for recording)

    def solids(self, active, x, y, yaw, cos_sin) -> FootprintClearance:
        """This step's clearance to the solids; updates the running minimum. ``cos_sin``
        holds cos ψ and sin ψ of ``yaw``."""
        if self._moving is not None:  # parts of the street move take by take
            clear = self._moving.solids(active, x, y, yaw, cos_sin, self.min_clear,
                                        self.every_step)
        elif self._bound is None:  # nothing solid beside the road (a drop and barriers only)
            clear = _nothing_near(self.n)
        else:
            # only where the field's answer could be a new minimum (ClearanceBound)
            self._bound.advance(x, y, yaw)
            need = active if self.every_step else active & ~(self._bound.bound > self.min_clear)
            clear = _spread(self.n, *self._bound.query(need, x, y, yaw, cos_sin))
        closer = active & (clear.distance < self.min_clear)
        self.min_clear = np.where(closer, clear.distance, self.min_clear)
        self.nearest_object = np.where(closer, clear.solid_index, self.nearest_object)
        return clear

    def barriers(self, active, hit, clear, state, x, y, yaw, vx, vy, speed):
        """Barriers touched this step: one that holds is a collision (``hit``, ``clear``
        take its facts); one that gives way takes its containment energy out of the normal
        motion (``state``'s vx, vy are changed in place). Returns (hit, clear, vx, vy,
        speed)."""
        street = self.street
        if street.barrier_field is None:
            return hit, clear, vx, vy, speed
        sample, mass = self.sample, self.mass
        fence = street.barrier_field.footprint_clearance(x, y, yaw, self.front, self.rear,
                                                         self.half_width)
        index = np.maximum(fence.solid_index, 0)
        intact = active & (fence.solid_index >= 0) & ~self.breached[sample, index]
        contact = intact & (fence.distance <= 0.0) & ~hit
        gives = np.zeros(self.n, dtype=bool)
        if contact.any():
            vx_world = np.cos(yaw) * vx - np.sin(yaw) * vy
            vy_world = np.sin(yaw) * vx + np.cos(yaw) * vy
            into = -(vx_world * fence.normal_x + vy_world * fence.normal_y)
            energy = impact_severity(mass, into)
            limit = self.barrier_limits[sample, index]
            self.barrier_energy = np.where(contact & np.isnan(self.barrier_energy), energy,
                                           self.barrier_energy)
            holds = contact & (energy <= limit)
            gives = contact & ~holds
            if holds.any():  # a collision with the barrier
                hit = hit | holds
                clear = _replace_clearance(clear, holds, fence, self.n_solids + index)
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
                self.breached[sample[gives], index[gives]] = True
                self.barrier_breached = np.where(gives & (self.barrier_breached < 0), index,
                                                 self.barrier_breached)
        # a barrier counts in the collision margin until it gives way
        fence_closer = intact & ~gives & (fence.distance < self.min_clear)
        self.min_clear = np.where(fence_closer, fence.distance, self.min_clear)
        self.nearest_object = np.where(fence_closer, self.n_solids + index,
                                       self.nearest_object)
        return hit, clear, vx, vy, speed

    def drops(self, active, hit, x, y, yaw, speed, t_now) -> np.ndarray:
        """Wheels over a drop edge this step (a car that hit something first is not)."""
        street = self.street
        if street.drop_field is None:
            return np.zeros(self.n, dtype=bool)
        edge_min, drop_here = edge_margin(street.drop_field, x, y, yaw, self.a, self.b,
                                          self.half_track)
        self.edge = edge_min
        drop_closer = active & (edge_min < self.min_departure)
        self.min_departure = np.where(drop_closer, edge_min, self.min_departure)
        self.departure_drop = np.where(drop_closer, drop_here, self.departure_drop)
        over = active & (edge_min <= 0.0) & ~hit
        self.departure_time = np.where(over, t_now, self.departure_time)
        self.departure_speed = np.where(over, speed, self.departure_speed)
        return over

    def note_hits(self, hit, clear, yaw, vx, vy, speed, t_now) -> None:
        """What was hit, when, how fast and at what angle (the first contact ends a take)."""
        if not hit.any():
            return
        vx_world = np.cos(yaw) * vx - np.sin(yaw) * vy
        vy_world = np.sin(yaw) * vx + np.cos(yaw) * vy
        normal_speed = -(vx_world * clear.normal_x + vy_world * clear.normal_y)
        self.collision_object = np.where(hit, clear.solid_index, self.collision_object)
        self.collision_time = np.where(hit, t_now, self.collision_time)
        self.collision_speed = np.where(hit, speed, self.collision_speed)
        self.collision_normal = np.where(hit, normal_speed, self.collision_normal)
        self.collision_angle = np.where(
            hit,
            np.arcsin(np.clip(normal_speed / np.maximum(speed, 1e-9), -1.0, 1.0)),
            self.collision_angle,
        )

    def margins(self, with_departure: bool) -> dict[str, np.ndarray]:
        out = {"collision": self.min_clear}
        if with_departure:
            out["departure"] = self.min_departure
        return out

    def details(self) -> dict[str, np.ndarray]:
        departed = np.isfinite(self.departure_time)
        return {
            "collision_object": np.where(self.collision_object >= 0, self.collision_object,
                                         self.nearest_object),
            "collision_time": self.collision_time,
            "collision_speed": self.collision_speed,
            "collision_normal_speed": self.collision_normal,
            "collision_angle": self.collision_angle,
            "departure_drop": self.departure_drop,
            "departure_time": self.departure_time,
            "departure_speed": self.departure_speed,
            "departure_height": np.where(
                departed, self.drop_heights[self.sample, self.departure_drop], np.nan),
            "barrier_breached": self.barrier_breached,
            "barrier_impact_energy": self.barrier_energy,
        }


class People:
    """``person_struck``: the footprint against standing people and people stepping out
    (whose watch, sight lines and the driver's response are the :class:`Lookout`)."""

    def __init__(self, scenario, path, street: StreetGeometry, p, car, n: int,
                 moving=None):
        self.street = street
        self.n = n
        self._moving = moving  # people who move with a street part take by take, or None
        self.front = car["cg_to_front"] + car["front_overhang"]
        self.rear = car["length"] - self.front
        self.half_width = 0.5 * car["width"]
        self.front_overhang = car["front_overhang"]
        self.lookout = (Lookout(scenario, path, street, p, car, n) if street.walkers
                        else None)
        self.min_person = np.full(n, np.inf)
        self.person_index = np.full(n, -1)
        self.person_time = np.full(n, np.nan)
        self.person_speed = np.full(n, np.nan)
        self.person_closest_speed = np.full(n, np.nan)

    def update(self, active, t_now, x, y, yaw, speed, s_front_axle, mu, grade,
               cos_sin=None) -> np.ndarray:
        """Clearances to everyone this step; the lookout looks. Returns who was struck.
        ``cos_sin``: cos ψ and sin ψ of ``yaw``, if already computed."""
        street, front, rear, half_width = self.street, self.front, self.rear, self.half_width
        if street.people:
            if self._moving is None:
                pdist, pindex = people_clearance(street.people, x, y, yaw, front, rear,
                                                 half_width, cos_sin=cos_sin)
            else:  # some of them move with a street part take by take
                pdist, pindex = self._moving.people_clearance(x, y, yaw, front, rear,
                                                              half_width, cos_sin=cos_sin)
            person_closer = active & (pdist < self.min_person)
            self.min_person = np.where(person_closer, pdist, self.min_person)
            struck = active & (pdist <= 0.0)
            self.person_index = np.where(struck | person_closer, pindex, self.person_index)
            self.person_closest_speed = np.where(person_closer, speed,
                                                 self.person_closest_speed)
            self.person_time = np.where(struck, t_now, self.person_time)
            self.person_speed = np.where(struck, speed, self.person_speed)
        else:
            struck = np.zeros(self.n, dtype=bool)
        watch = self.lookout
        if watch is not None:
            wdist, windex = watch.clearance(t_now, x, y, yaw, front, rear, half_width)
            walker_closer = active & (wdist < self.min_person)
            self.min_person = np.where(walker_closer, wdist, self.min_person)
            walker_struck = active & (wdist <= 0.0) & ~struck
            self.person_index = np.where(walker_struck | walker_closer, windex,
                                         self.person_index)
            self.person_closest_speed = np.where(walker_closer, speed,
                                                 self.person_closest_speed)
            self.person_time = np.where(walker_struck, t_now, self.person_time)
            self.person_speed = np.where(walker_struck, speed, self.person_speed)
            struck = struck | walker_struck
            watch.note_strike(walker_struck, windex, x, y, yaw, front)
            watch.look(t_now, active, x, y, yaw, s_front_axle + self.front_overhang,
                       speed, mu, grade)
        return struck

    def margins(self) -> dict[str, np.ndarray]:
        someone = bool(self.street.people or self.street.walkers)
        out = {"person_struck": self.min_person if someone else np.full(self.n, np.inf)}
        if self.lookout is not None:
            out["person_not_seen_in_time"] = self.lookout.margin()
        return out

    def details(self) -> dict[str, np.ndarray]:
        return {
            "person_index": self.person_index,
            "person_time": self.person_time,
            "person_speed": self.person_speed,
            "person_closest_speed": self.person_closest_speed,
            **(self.lookout.details() if self.lookout is not None
               else Lookout.no_details(self.n)),
        }


class MotionLimits:
    """``rollover``, ``loss_of_control`` and ``tripped_rollover`` from the car's motion."""

    def __init__(self, street: StreetGeometry, p, car, n: int):
        self.street = street
        self.front = car["cg_to_front"] + car["front_overhang"]
        self.rear = car["length"] - self.front
        self.half_width = 0.5 * car["width"]
        self.rollover_limit = quasi_static_rollover_threshold(car["track_width"],
                                                              car["cg_height"])
        self.csv = critical_sliding_velocity(
            car["track_width"], car["cg_height"], car["roll_gyration_radius"]
        )
        self.sideslip_limit = p.array("maneuver.sideslip_limit")
        inf = np.full(n, np.inf)
        self.min_roll = inf.copy()
        self.min_loc = inf.copy()
        self.kerb_slide = np.zeros(n)
        self.max_speed = np.zeros(n)
        self.max_ay = np.zeros(n)
        self._kerb_bound = (ClearanceBound(street.kerb_field, self.front, self.rear,
                                           self.half_width, n)
                            if street.kerb_field is not None else None)

    def update(self, active, ay_signed, speed, vx, vy) -> None:
        """Lateral acceleration, sideslip and speed this step."""
        ay = np.abs(ay_signed)
        self.min_roll = np.where(active, np.minimum(self.min_roll, self.rollover_limit - ay),
                                 self.min_roll)
        slip = np.where(speed > SIDESLIP_MIN_SPEED, np.abs(np.arctan2(vy, vx)), 0.0)
        self.min_loc = np.where(active, np.minimum(self.min_loc, self.sideslip_limit - slip),
                                self.min_loc)
        self.max_speed = np.where(active, np.maximum(self.max_speed, speed), self.max_speed)
        self.max_ay = np.where(active, np.maximum(self.max_ay, ay), self.max_ay)

    def kerbs(self, active, x, y, yaw, vy, cos_sin) -> None:
        """The sideways (body-lateral) speed pushed into a kerb the footprint touches;
        ``cos_sin`` holds cos ψ and sin ψ of ``yaw``."""
        if self._kerb_bound is None:
            return
        # only footprints that may touch a kerb (ClearanceBound): the margin needs contact
        self._kerb_bound.advance(x, y, yaw)
        index, kerb = self._kerb_bound.query(active & ~(self._kerb_bound.bound > 0.0),
                                             x, y, yaw, cos_sin)
        if kerb is None:
            return
        vy = vy[index]
        lateral_x, lateral_y = -cos_sin[1][index] * vy, cos_sin[0][index] * vy
        into = -(lateral_x * kerb.normal_x + lateral_y * kerb.normal_y)
        touching = kerb.distance <= 0.0
        self.kerb_slide[index] = np.where(touching,
                                          np.maximum(self.kerb_slide[index], into),
                                          self.kerb_slide[index])

    def margins(self) -> dict[str, np.ndarray]:
        return {"rollover": self.min_roll, "tripped_rollover": self.csv - self.kerb_slide,
                "loss_of_control": self.min_loc}

    def details(self) -> dict[str, np.ndarray]:
        return {"kerb_slide_speed": self.kerb_slide, "max_speed": self.max_speed,
                "max_lateral_acceleration": self.max_ay}


def _nothing_near(n: int) -> FootprintClearance:
    """A FootprintClearance for a street with no solids: infinitely far from everything."""
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


class Lookout:
    """The driver watching for people who step out: sight lines, detection, response.

    Per step and sample, for each person stepping out (:class:`stuntsim.geometry.Walker`):

    * where they are (:func:`stuntsim.geometry.walker_position`) and how close the car's
      footprint comes to them (``person_struck``);
    * from the moment they step out until first seen: whether a clear line runs from the
      driver's eye to any of their sample points, past the opaque buildings and rock (2-D,
      full height) and past the car's body and the camera rig (3-D, in the car frame)
      (:func:`stuntsim.geometry.visibility.visible`). The eye and the occluders are given in the
      bare car's frame; the rig moves the CG forward by x_c, so that frame's origin is
      the simulated CG moved back by x_c;
    * detection = first seen + the perception–reaction time t_PR: from then on, as soon as
      the person is in the car's way (the collision-course test below, with the car's front
      short of them), the brake command is full braking (the brakes and the tyres limit
      what it achieves; no ABS, so wheels that lock slide on the sliding friction and give
      no steering: E13 of :mod:`stuntsim.kinds.car.dynamics`); with
      ``evasion: brake_and_swerve`` the driver instead brakes only within the grip they
      believe they have (threshold braking, so the wheels keep rolling if the belief is
      right) and aims ``swerve_offset`` to the side away from the person;
    * the sight margin (``person_not_seen_in_time``, :func:`stuntsim.kinds.car.hazards.
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

    def __init__(self, scenario, path: ReferencePath, street: StreetGeometry, p, car,
                 n: int):
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
        crossing = [_walk_crossing(path, starts[k], self.heading[k], self.distance[k])
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
        k = clip(index - self.first_index, 0, len(self.walkers) - 1)
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
            walked = clip((t - self.start_time[k]) * self.speed[k], 0.0, self.distance[k])
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
