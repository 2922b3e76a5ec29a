r"""The stunt driver: pure-pursuit steering, a speed controller inside a grip budget, and the
transport delay between what the driver decides and what the car receives.

Each piece is a small function of arrays over samples, unit-tested against its own closed
form; :class:`Driver` puts them together for the closed loop (:mod:`stuntsim.kinds.car.model`).

Equations
---------
(D1) pure pursuit (Coulter 1992, CMU-RI-TR-92-01, eq. 1): aiming at a point a distance
     L_d ahead of the rear axle, at an angle α from the car's heading, the arc through
     both has curvature κ = 2 sin α / L_d, and a bicycle of wheelbase L follows it with
     the road-wheel angle δ = atan(κ L) = atan(2 L sin α / L_d).
(D2) preview L_d = L_min + T_p·v (speed-dependent look-ahead), aimed at the rehearsed line
     shifted sideways by the driver's line offset (and a swerve, see the lookout).
(D3) steering command δ_cmd = k_δ·δ_pp + k_β·β + δ_bias + A sin(ω t + φ): the pursuit
     angle times a steering gain, counter-steer against a slide (β the sideslip), a
     steady steering error and a slow weave.
(D4) grip budget: the driver believes the surface gives a = μ_believed·g·u (u the share
     they use) and keeps throttle and brakes inside the friction circle it defines:
     a_long ≤ √(a² − a_lat²), a_lat the lateral acceleration they feel, v·r; never below
     0.2·a (a driver who feels the limit still brakes a little).
(D5) speed controller a_cmd = a_plan + k_v (v_plan − v_x), clipped to
     [−min(a_long, F_brake/m), a_long]; the plan is read T_v·v ahead of the front axle.
(D6) transport delay: the car receives at step k what the driver decided at step
     k − round(d/Δt), d the reaction delay. Rounding to whole steps is deliberate: a
     delay is shifted by at most Δt/2 (5 ms at Δt = 10 ms, against drawn delays of
     0.1–0.3 s); before the first decision the first one is held.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from stuntsim.ufuncs import clip

__all__ = [
    "Driver",
    "DriverCommand",
    "TransportDelay",
    "longitudinal_budget",
    "pure_pursuit_steer",
    "speed_command",
]


def pure_pursuit_steer(alpha, lookahead_distance, wheelbase):
    """Road-wheel angle that puts the rear axle on the arc to the aim point [rad], (D1).

    Parameters
    ----------
    alpha : array_like               Angle of the aim point from the heading [rad].
    lookahead_distance : array_like  Distance L_d from the rear axle to the aim point [m].
    wheelbase : array_like           L [m].
    """
    return np.arctan2(2.0 * wheelbase * np.sin(alpha), lookahead_distance)


def longitudinal_budget(grip_budget, perceived_lateral):
    """Longitudinal acceleration left inside the believed friction circle [m/s²], (D4).

    Parameters
    ----------
    grip_budget : array_like         The acceleration the driver believes is available [m/s²].
    perceived_lateral : array_like   The lateral acceleration the driver feels [m/s²].
    """
    return np.sqrt(
        np.maximum(grip_budget**2 - perceived_lateral**2, (0.2 * grip_budget) ** 2)
    )


def speed_command(v_plan, a_plan, vx, gain, budget, max_brake_decel):
    """Longitudinal acceleration the driver asks for [m/s²], (D5).

    Parameters
    ----------
    v_plan, a_plan : array_like   The plan's speed [m/s] and acceleration [m/s²] ahead.
    vx : array_like               The car's forward speed [m/s].
    gain : array_like             k_v [1/s].
    budget : array_like           :func:`longitudinal_budget` [m/s²].
    max_brake_decel : array_like  F_brake/m [m/s²].
    """
    return clip(a_plan + gain * (v_plan - vx), -np.minimum(budget, max_brake_decel), budget)


class TransportDelay:
    """A per-sample transport delay of whole time steps (D6), for several channels at once.

    Parameters
    ----------
    delay : (n,) array   Delay per sample [s], ≥ 0.
    dt : float           Time step [s].
    channels : int       How many signals are delayed together (steering, acceleration…).
    """

    def __init__(self, delay, dt: float, channels: int):
        self.steps = np.rint(np.asarray(delay, dtype=float) / dt).astype(np.intp)
        self.ring = int(self.steps.max()) + 1
        self.buffers = np.zeros((channels, self.ring, self.steps.size))
        self._sample = np.arange(self.steps.size)
        self._flat = self.buffers.reshape(channels, -1)  # views: one flat gather per channel

    def push(self, step: int, *values: np.ndarray) -> tuple[np.ndarray, ...]:
        """Store this step's decisions; return what reaches the car at this step."""
        slot = step % self.ring
        for buffer, value in zip(self.buffers, values, strict=True):
            if step == 0:  # before the first decision, the first one is held
                buffer[:] = value
            buffer[slot] = value
        applied = (step - self.steps) % self.ring
        # element (applied[i], i) of each (ring, n) buffer, by its flat position: the same
        # values as buffer[applied, sample], with one index array instead of two
        applied *= self.steps.size
        applied += self._sample
        return tuple(flat.take(applied) for flat in self._flat)


class DriverCommand(NamedTuple):
    """What the driver decides at one step (before the transport delay)."""

    steer: np.ndarray  # road-wheel angle command [rad]
    accel: np.ndarray  # longitudinal acceleration command [m/s²]
    budget: np.ndarray  # the longitudinal acceleration left in the believed grip [m/s²]
    s_rear: np.ndarray  # arc length of the rear axle's projection on the line [m]


class Driver:
    """The driver of one chunk of samples: parameters per sample, one :meth:`command` per
    step (D1–D5).

    Parameters
    ----------
    p : Parameters          Per-sample scenario values
                            (:class:`stuntsim.kinds.car.model.Parameters`).
    path : ReferencePath    The rehearsed line.
    plan : SpeedPlan        The speed plan along it.
    wheelbase, max_brake_decel : (n,) arrays [m], [m/s²].
    grip_budget : (n,) array   The acceleration the driver believes available [m/s²] (D4).
    """

    def __init__(self, p, path, plan, wheelbase, max_brake_decel, grip_budget):
        self.path = path
        self.plan = plan
        self.wheelbase = wheelbase
        self.max_brake_decel = max_brake_decel
        self.grip_budget = grip_budget
        self.preview_time = p.array("driver.preview_time")
        self.min_preview = p.array("driver.min_preview")
        self.steer_gain = p.array("driver.steering_gain")
        self.countersteer = p.array("driver.countersteer_gain")
        self.bias = p.array("driver.steering_bias")
        self.line_offset = p.array("driver.line_offset")
        self.has_offset = bool(np.any(self.line_offset != 0.0))
        self.weave_amp = p.array("driver.steering_weave_amplitude")
        self.weave_omega = 2 * np.pi * p.array("driver.steering_weave_frequency")
        self.weave_phase = p.array("driver.steering_weave_phase")
        self.speed_gain = p.array("driver.speed_gain")
        self.speed_preview = p.array("driver.speed_preview")

    def command(self, t: float, state: np.ndarray, s_rear: np.ndarray, cg_to_rear,
                swerve=None, cos_sin=None) -> DriverCommand:
        """The driver's decision at time ``t`` for the car in ``state`` (7, n).

        ``s_rear`` is the previous step's arc length of the rear axle (a guess for the
        projection); ``swerve`` an extra sideways aim [m] (None: no lookout); ``cos_sin``
        cos ψ and sin ψ of the state's heading, if already computed.
        """
        path = self.path
        x, y, yaw, vx, vy, yaw_rate = state[:6]
        cos_yaw, sin_yaw = (np.cos(yaw), np.sin(yaw)) if cos_sin is None else cos_sin
        speed = np.hypot(vx, vy)
        # (D1, D2) pure pursuit from the rear axle
        rx, ry = x - cg_to_rear * cos_yaw, y - cg_to_rear * sin_yaw
        s_rear, _ = path.project(rx, ry, s_rear)
        lookahead = self.min_preview + self.preview_time * speed
        lx, ly = path.point_at(s_rear + lookahead)
        offset = self.line_offset if swerve is None else self.line_offset + swerve
        if self.has_offset or swerve is not None:
            aim_heading = path.heading_at(s_rear + lookahead)
            lx = lx - np.sin(aim_heading) * offset
            ly = ly + np.cos(aim_heading) * offset
        alpha = np.arctan2(ly - ry, lx - rx) - yaw
        distance = np.maximum(np.hypot(lx - rx, ly - ry), 1e-3)
        pursuit = pure_pursuit_steer(alpha, distance, self.wheelbase)
        # (D3) gain, counter-steer, bias, weave
        sideslip = np.arctan2(vy, np.maximum(np.abs(vx), 0.5))
        steer = (
            self.steer_gain * pursuit
            + self.countersteer * sideslip
            + self.bias
            + self.weave_amp * np.sin(self.weave_omega * t + self.weave_phase)
        )
        # (D4, D5) the speed plan ahead of the front axle, inside the believed grip
        s_front = s_rear + self.wheelbase
        v_plan, a_plan = self.plan.speed_and_acceleration(s_front + self.speed_preview * speed)
        budget = longitudinal_budget(self.grip_budget, speed * yaw_rate)
        accel = speed_command(v_plan, a_plan, vx, self.speed_gain, budget,
                              self.max_brake_decel)
        return DriverCommand(steer, accel, budget, s_rear)
