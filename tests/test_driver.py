"""The driver's parts against their own closed forms: pure pursuit, the grip budget, the
speed controller, the transport delay, and the monitors' margins on simple motions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stuntsim.constants import GRAVITY
from stuntsim.kinds.car.driver import (
    Driver,
    TransportDelay,
    longitudinal_budget,
    pure_pursuit_steer,
    speed_command,
)
from stuntsim.kinds.car.dynamics import initial_state
from stuntsim.kinds.car.hazards import quasi_static_rollover_threshold
from stuntsim.kinds.car.monitors import MotionLimits
from stuntsim.kinds.car.path import SpeedPlan, path_from_segments


# ------------------------------------------------------------------------ pure pursuit
@pytest.mark.parametrize("radius", [8.0, 20.0, 150.0])
@pytest.mark.parametrize("alpha_deg", [5.0, 20.0, 45.0])
def test_pure_pursuit_steers_onto_the_arc_through_the_aim_point(radius, alpha_deg):
    # Coulter (1992), eq. 1: the arc through the rear axle and an aim point at angle α and
    # distance L_d has curvature κ = 2 sin α / L_d; a point on a circle of radius R through
    # the rear axle, tangent to the heading, is at chord L_d = 2 R sin α. The bicycle then
    # needs δ = atan(L κ) = atan(L / R) (kinematic bicycle, Rajamani 2012 §2.2).
    wheelbase = 1.84
    alpha = math.radians(alpha_deg)
    chord = 2.0 * radius * math.sin(alpha)
    steer = pure_pursuit_steer(alpha, chord, wheelbase)
    assert steer == pytest.approx(math.atan(wheelbase / radius), rel=1e-12)
    assert pure_pursuit_steer(-alpha, chord, wheelbase) == pytest.approx(-steer)


def test_pure_pursuit_is_straight_for_an_aim_point_dead_ahead():
    assert pure_pursuit_steer(0.0, 5.0, 1.84) == 0.0


# ------------------------------------------------------------ grip budget and controller
def test_the_grip_budget_is_the_friction_circle_with_a_floor():
    # (D4): √(a² − a_lat²) inside the circle; 0.2 a when the lateral acceleration uses it up
    grip = 0.85 * 0.5 * GRAVITY
    assert longitudinal_budget(grip, 0.0) == pytest.approx(grip)
    assert longitudinal_budget(grip, 0.6 * grip) == pytest.approx(0.8 * grip)  # 3-4-5
    assert longitudinal_budget(grip, 2.0 * grip) == pytest.approx(0.2 * grip)


def test_the_speed_controller_is_proportional_and_clipped():
    # (D5): a = a_plan + k (v_plan − v), clipped to [−min(budget, F/m), budget]
    assert speed_command(10.0, 0.5, 9.0, 2.0, 4.0, 9.0) == pytest.approx(2.5)
    assert speed_command(10.0, 0.0, 5.0, 2.0, 4.0, 9.0) == pytest.approx(4.0)
    assert speed_command(5.0, 0.0, 10.0, 2.0, 4.0, 3.0) == pytest.approx(-3.0)
    assert speed_command(5.0, 0.0, 10.0, 2.0, 2.5, 9.0) == pytest.approx(-2.5)


# -------------------------------------------------------------------- transport delay
@pytest.mark.parametrize(("delay", "steps"), [(0.0, 0), (0.15, 15), (0.3, 30), (0.154, 15),
                                               (0.156, 16)])
def test_a_delay_shifts_a_step_input_by_whole_steps(delay, steps):
    # (D6): the car receives at step k what the driver decided at k − round(d/Δt): a step
    # decided at step 40 arrives at step 40 + round(d/Δt), and the first decision is held
    # before (Δt = 0.01 s: 0.154 s rounds to 15 steps, 0.156 s to 16)
    dt, step_at = 0.01, 40
    buffer = TransportDelay(np.array([delay]), dt, channels=1)
    received = []
    for k in range(100):
        decided = np.array([1.0 if k >= step_at else 0.0])
        (out,) = buffer.push(k, decided)
        received.append(float(out[0]))
    first = received.index(1.0)
    assert first == step_at + steps
    assert all(value == 1.0 for value in received[first:])


def test_each_sample_has_its_own_delay_and_channels_stay_apart():
    # delays 0, 0.05 and 0.1 s at Δt = 0.01 s: 0, 5 and 10 steps; what is decided at step
    # 20 arrives at steps 20, 25 and 30, on both channels
    buffer = TransportDelay(np.array([0.0, 0.05, 0.1]), 0.01, channels=2)
    arrivals = np.full((2, 3), -1)
    for k in range(40):
        value = np.full(3, float(k))
        steer, accel = buffer.push(k, value, -value)
        for channel, out in enumerate((steer, -accel)):
            arrived = (out == 20.0) & (arrivals[channel] < 0)
            arrivals[channel, arrived] = k
    np.testing.assert_array_equal(arrivals, [[20, 25, 30], [20, 25, 30]])


# --------------------------------------------------------------------------- the driver
class _Params:
    def __init__(self, values, n):
        self.values, self.n = values, n

    def array(self, path):
        return np.full(self.n, float(self.values[path]))


DRIVER = {
    "driver.preview_time": 0.7, "driver.min_preview": 3.0, "driver.steering_gain": 1.0,
    "driver.countersteer_gain": 0.8, "driver.steering_bias": 0.01,
    "driver.line_offset": 0.0, "driver.steering_weave_amplitude": 0.0,
    "driver.steering_weave_frequency": 0.5, "driver.steering_weave_phase": 0.0,
    "driver.speed_gain": 2.0, "driver.speed_preview": 0.4,
}


def test_on_a_straight_line_the_driver_steers_only_its_bias_and_holds_the_speed():
    # on the line, aligned with it, no slide: pursuit 0, counter-steer 0 → δ = bias;
    # at the planned speed with no planned acceleration → a = 0
    path = path_from_segments((0.0, 0.0), 0.0, [("straight", 100.0)])
    plan = SpeedPlan(entry_speed=10.0, braking_point=None, corner_speed=None,
                     corner_start=0.0, corner_end=0.0, exit_speed=10.0,
                     exit_acceleration=1.0)
    n = 2
    driver = Driver(_Params(DRIVER, n), path, plan, np.full(n, 1.84), np.full(n, 9.0),
                    np.full(n, 4.0))
    state = initial_state(n, x=20.0, y=0.0, yaw=0.0, speed=10.0)
    command = driver.command(0.0, state, np.full(n, 19.0), np.full(n, 0.74))
    np.testing.assert_allclose(command.steer, 0.01, atol=1e-12)
    np.testing.assert_allclose(command.accel, 0.0, atol=1e-12)
    np.testing.assert_allclose(command.s_rear, 20.0 - 0.74, atol=1e-9)


# -------------------------------------------------------------------------- monitors
def test_the_rollover_and_sideslip_margins_follow_their_closed_forms():
    # rollover margin SSF·g − |a_y| (NHTSA; SSF = t / 2h); loss of control β_lim − |β|
    car = {"cg_to_front": np.full(3, 1.1), "front_overhang": np.full(3, 0.5),
           "length": np.full(3, 2.97), "width": np.full(3, 1.32),
           "track_width": np.full(3, 1.12), "cg_height": np.full(3, 0.55),
           "roll_gyration_radius": np.full(3, 0.45)}

    class Street:
        kerb_field = None

    monitor = MotionLimits(Street(), _Params({"maneuver.sideslip_limit": 0.3}, 3), car, 3)
    active = np.array([True, True, False])
    monitor.update(active, np.array([-4.0, 2.0, 9.0]), np.array([10.0, 2.0, 10.0]),
                   np.array([10.0, 2.0, 10.0]) * np.cos(0.1), np.array([10.0, 2.0, 10.0])
                   * np.sin(0.1))
    margins = monitor.margins()
    limit = quasi_static_rollover_threshold(1.12, 0.55)
    assert limit == pytest.approx(GRAVITY * 1.12 / 1.1)
    np.testing.assert_allclose(margins["rollover"][:2], [limit - 4.0, limit - 2.0])
    assert margins["rollover"][2] == np.inf  # not running: not counted
    # sideslip counts above 3 m/s only (a car at walking pace is not sliding)
    np.testing.assert_allclose(margins["loss_of_control"][:2], [0.3 - 0.1, 0.3])
