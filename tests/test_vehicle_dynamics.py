"""Closed-form checks of the tyre model and the batched single-track model.

Each test states where its expected number comes from. The test car resembles a
Nuova Fiat 500 (REFERENCES.md): wheelbase 1.84 m (period data), 40/60 weight split,
h = 0.55 m and track 1.12 m (assumptions listed there), mass 600 kg with driver;
Cf = 20 kN/rad, Cr = 28 kN/rad and I_z = m a b are round test values, not sourced; the
locked-friction ratio 0.88 is dry asphalt's 0.75 sliding over its 0.85 mid-range peak
(Wong, Theory of Ground Vehicles, Table 1.3). Locked wheels: tests/test_locked_wheels.py.
"""

import numpy as np
import pytest

from stuntsim.kinds.car.dynamics import (
    GRAVITY,
    STATE_NAMES,
    STEER,
    VX,
    VY,
    YAW,
    YAW_RATE,
    NumericalError,
    VehicleParams,
    check_finite,
    derivatives,
    initial_state,
    rk4_step,
    simulate_open_loop,
)
from stuntsim.kinds.car.tyres import axle_forces, combined_slip, fiala_lateral_force

WHEELBASE = 1.84
MASS = 600.0
CG_TO_FRONT = 0.6 * WHEELBASE  # 40 % of the weight on the front axle
CG_TO_REAR = WHEELBASE - CG_TO_FRONT
DT = 0.01


def fiat_500(**overrides) -> VehicleParams:
    fields = dict(
        mass=MASS,
        yaw_inertia=MASS * CG_TO_FRONT * CG_TO_REAR,
        cg_to_front=CG_TO_FRONT,
        cg_to_rear=CG_TO_REAR,
        cg_height=0.55,
        track_width=1.12,
        length=2.97,
        width=1.32,
        front_overhang=0.50,
        cornering_stiffness_front=20e3,
        cornering_stiffness_rear=28e3,
        max_steer=0.6,
        max_steer_rate=1.5,
        steer_time_constant=0.05,
        max_drive_force=3000.0,
        max_drive_power=13e3,
        max_brake_force=6000.0,
        brake_front_share=0.6,
        drag_area=0.7,
        rolling_resistance=0.015,
        locked_friction_ratio=0.88,
    )
    fields.update(overrides)
    return VehicleParams(**fields)


def no_resistance(**overrides) -> VehicleParams:
    return fiat_500(drag_area=0.0, rolling_resistance=0.0, **overrides)


# ------------------------------------------------------------------------------- tyres


def test_fiala_matches_the_cubic_law_and_saturates():
    # Expected: the Fiala polynomial exactly as written in Hindiyeh & Gerdes (2014),
    # Fy = −C z + C²/(3Fp) z|z| − C³/(27Fp²) z³ for |z| < 3Fp/C, else −Fp sign z.
    stiffness, peak = 20e3, 3000.0
    alpha = np.linspace(-0.6, 0.6, 2001)
    z = np.tan(alpha)
    cubic = -stiffness * z + stiffness**2 / (3 * peak) * z * np.abs(z)
    cubic -= stiffness**3 / (27 * peak**2) * z**3
    expected = np.where(np.abs(z) < 3 * peak / stiffness, cubic, -peak * np.sign(z))
    force = fiala_lateral_force(alpha, stiffness, peak)
    np.testing.assert_allclose(force, expected, rtol=1e-12, atol=1e-9)
    # Small slip: Fy ≈ −C α (the linear tyre); the force opposes the slip.
    assert fiala_lateral_force(1e-5, stiffness, peak) == pytest.approx(-stiffness * 1e-5, rel=1e-3)
    assert np.all(np.abs(force) <= peak)


def test_fiala_with_no_peak_force_gives_zero_without_warnings():
    # Fp = 0 (a wheel in the air, or all grip used longitudinally) → 0 N; pytest turns
    # any RuntimeWarning (division by zero) into an error.
    force = fiala_lateral_force(np.array([-0.3, 0.0, 0.2]), 20e3, 0.0)
    assert np.all(force == 0.0)


def test_friction_ellipse_leaves_no_lateral_force_at_full_longitudinal_force():
    # Friction ellipse (Hindiyeh & Gerdes 2014): |Fx| = μFz leaves √((μFz)² − Fx²) = 0
    # (a spinning rolling axle; a locked axle slides instead: tests/test_locked_wheels.py).
    fx, fy = combined_slip(-1e6, 0.1, 20e3, 0.8, 3000.0)
    assert fx == pytest.approx(-0.8 * 3000.0)
    assert fy == 0.0
    # Fx = 0.6 μFz leaves a lateral peak of 0.8 μFz (3-4-5 triangle), reached at full slide.
    fx, fy = combined_slip(0.6 * 2400.0, 0.5, 20e3, 0.8, 3000.0)
    assert fx == pytest.approx(1440.0)
    assert fy == pytest.approx(-0.8 * 2400.0)


# ------------------------------------------------------------------------- parameters


def test_static_stability_factor_and_rollover_threshold():
    # SSF = t/(2h) and a_y = SSF·g (NHTSA rollover rating; REFERENCES.md).
    params = fiat_500()
    assert params.static_stability_factor == pytest.approx(1.12 / (2 * 0.55))
    assert params.rollover_threshold == pytest.approx(1.12 / (2 * 0.55) * GRAVITY)
    assert params.wheelbase == pytest.approx(WHEELBASE)
    assert params.rear_overhang == pytest.approx(2.97 - 1.84 - 0.50)
    # K = (m/L)(b/Cf − a/Cr) (Gillespie 1992 ch. 6, in SI): the rear-heavy car oversteers.
    expected_k = MASS / WHEELBASE * (CG_TO_REAR / 20e3 - CG_TO_FRONT / 28e3)
    assert params.understeer_gradient == pytest.approx(expected_k)
    assert params.understeer_gradient < 0


def test_params_reject_nonsense_and_accept_per_sample_arrays():
    with pytest.raises(ValueError, match="mass"):
        fiat_500(mass=-1.0)
    with pytest.raises(ValueError, match="brake_front_share"):
        fiat_500(brake_front_share=1.5)
    with pytest.raises(ValueError, match="different lengths"):
        fiat_500(mass=np.full(3, MASS), cg_height=np.full(4, 0.5))
    params = fiat_500(cg_height=np.array([0.5, 0.55, 0.6]))
    np.testing.assert_allclose(
        params.static_stability_factor, 1.12 / (2 * np.array([0.5, 0.55, 0.6]))
    )
    assert params.with_overrides(cg_height=0.7).cg_height == 0.7


# ---------------------------------------------------------------------- single track


def _run(params, state, steer, accel, steps, mu=1.0):
    return simulate_open_loop(
        state, np.full(steps, steer), np.full(steps, accel), params, DT, mu=mu
    )


@pytest.mark.parametrize("speed", [10.0, 15.0, 20.0])
def test_steady_yaw_rate_gain_matches_the_linear_bicycle(speed):
    # r/δ = V / (L + K V²), Gillespie (1992) ch. 6 / Rajamani (2012) §3.3, linear tyres.
    # δ = 0.1° keeps the tyres in their linear range (a_y < 0.3 m/s²); μ = 1.
    # No drag or rolling resistance; the gain is compared at the speed actually held.
    # (Measured: +0.02 % at 10 m/s, +0.4 % at 20 m/s. Nearer this oversteering car's
    # critical speed √(L/|K|) ≈ 46 m/s the Fiala softening and the slow settling grow.)
    params = no_resistance()
    steer = np.deg2rad(0.1)
    state = initial_state(1, speed=speed)
    state[STEER] = steer
    result = _run(params, state, steer, 0.0, steps=400)
    final = result.states[0, :, -1]
    speed_now = final[VX]
    expected = speed_now / (WHEELBASE + params.understeer_gradient * speed_now**2)
    assert final[YAW_RATE] / steer == pytest.approx(expected, rel=0.02)


def test_steady_yaw_rate_gain_at_half_a_degree_shows_the_fiala_softening():
    # At δ = 0.5° and 20 m/s (a_y ≈ 2.3 m/s²) the Fiala tyre is already ~8 % softer
    # than linear at the rear (1 − (1 − u)³ vs 3u), so the oversteering car's gain rises
    # above the linear V/(L + K V²) — a few per cent, not more (bound from the same law).
    params = no_resistance()
    steer = np.deg2rad(0.5)
    state = initial_state(1, speed=20.0)
    state[STEER] = steer
    final = _run(params, state, steer, 0.0, steps=400).states[0, :, -1]
    linear = final[VX] / (WHEELBASE + params.understeer_gradient * final[VX] ** 2)
    gain = final[YAW_RATE] / steer
    assert linear < gain < 1.1 * linear


def test_full_braking_stopping_distance_is_v_squared_over_2_mu_g():
    # d = v²/(2 μ g) (REFERENCES.md): brake capacity 2 m g > μ m g on every axle and the
    # request −3 g, so both axles lock and slide all the way down, here with the sliding
    # μ equal to the peak μ (locked_friction_ratio 1; below 1: test_locked_wheels.py).
    speeds = np.array([15.0, 25.0, 15.0, 25.0])
    mu = np.array([0.5, 0.5, 0.8, 0.8])
    params = no_resistance(max_brake_force=2 * MASS * GRAVITY, locked_friction_ratio=1.0)
    result = simulate_open_loop(
        initial_state(4, speed=speeds), 0.0, np.full(600, -3 * GRAVITY), params, DT, mu=mu
    )
    distance = result.state("x")[:, -1]
    np.testing.assert_allclose(distance, speeds**2 / (2 * mu * GRAVITY), rtol=0.03)
    assert np.all(result.state("vx")[:, -1] == 0.0)  # stopped, and exactly so
    # Deceleration while sliding: μ g (Coulomb friction on all four wheels).
    np.testing.assert_allclose(result.ax[:, 10], -mu * GRAVITY, rtol=1e-6)


def test_steady_turn_lateral_acceleration_is_v_squared_over_r():
    # a_y = V²/R on a circle (kinematics of uniform circular motion), and at steady
    # state also a_y = V r; R from a least-squares circle fit of the CG path.
    params = no_resistance()
    steer = np.deg2rad(2.0)
    state = initial_state(1, speed=12.0)
    state[STEER] = steer
    result = _run(params, state, steer, 0.0, steps=600)
    x = result.state("x")[0, 300:]
    y = result.state("y")[0, 300:]
    radius = _fitted_radius(x, y)
    speed = np.hypot(result.state("vx")[0, -1], result.state("vy")[0, -1])
    ay = result.ay[0, -1]
    assert ay == pytest.approx(speed**2 / radius, rel=0.01)
    assert ay == pytest.approx(
        result.state("vx")[0, -1] * result.state("yaw_rate")[0, -1], rel=0.01
    )
    assert ay < params.rollover_threshold  # 2° of steer is far from tipping a car over


def test_low_speed_path_curvature_is_tan_delta_over_l():
    # Kinematic bicycle (Rajamani 2012 §2.2): the rear axle moves on a circle of radius
    # L / tan δ. At 0.5 m/s the model is in its kinematic regime.
    params = no_resistance()
    steer = 0.3
    state = initial_state(1, speed=0.5)
    state[STEER] = steer
    result = _run(params, state, steer, 0.0, steps=1000)
    yaw = result.state("yaw")[0, 200:]
    rear_x = result.state("x")[0, 200:] - CG_TO_REAR * np.cos(yaw)
    rear_y = result.state("y")[0, 200:] - CG_TO_REAR * np.sin(yaw)
    curvature = 1.0 / _fitted_radius(rear_x, rear_y)
    assert curvature == pytest.approx(np.tan(steer) / WHEELBASE, rel=0.01)
    # No tractive force, no resistance: the kinematic car keeps its speed (energy).
    assert result.state("vx")[0, -1] == pytest.approx(0.5, rel=1e-3)


def test_car_at_rest_with_zero_command_stays_put():
    # Nothing acts on a car at rest: no creep, no NaN (drag, rolling resistance and
    # brakes all vanish at v = 0). Also with the wheels turned and the brake pressed.
    params = fiat_500()
    state = initial_state(3)
    steer = np.repeat([[0.0], [0.4], [0.0]], 300, axis=1)
    accel = np.repeat([[0.0], [0.0], [-5.0]], 300, axis=1)
    result = simulate_open_loop(state, steer, accel, params, DT, mu=0.8)
    for name in ("x", "y", "yaw", "vx", "vy", "yaw_rate"):
        assert np.all(result.state(name) == 0.0), name


def test_lateral_force_never_exceeds_mu_fz_and_a_huge_steer_makes_the_car_slide():
    # Coulomb: |Fy| ≤ √((μFz)² − Fx²) ≤ μ Fz on each axle, at every step. Full lock at
    # 20–25 m/s on μ = 0.5–0.8 asks for far more than μ g (V² tan δ / L ≈ 150 m/s²),
    # so the car must slide: without braking its sideslip passes 10° (a linear-tyre car
    # would hold β ≈ b r / V − α_r of a few degrees at the μ g limit); braking
    # hard (−4 m/s² on μ = 0.5, 60 % on the front) locks the front axle, which then slides
    # (its force opposes its sliding velocity, whatever the steer: it no longer steers)
    # and the car ploughs on (small yaw rate). Finite throughout.
    params = fiat_500()
    mu = np.array([0.5, 0.8, 0.8, 0.5])
    state = initial_state(4, speed=np.array([20.0, 20.0, 25.0, 25.0]))
    accel = np.array([0.0, 0.0, 2.0, -4.0])
    largest_sideslip = np.zeros(4)
    front_saturation = np.zeros(4)
    for _ in range(300):
        state, out = rk4_step(state, DT, 0.6, accel, params, mu, mu)
        check_finite(state, 0)
        for lateral, load in (
            (out.lateral_force_front, out.normal_load_front),
            (out.lateral_force_rear, out.normal_load_rear),
        ):
            assert np.all(np.abs(lateral) <= mu * load * (1 + 1e-12))
        assert np.all(out.saturation_front <= 1 + 1e-12)
        assert np.all(out.saturation_rear <= 1 + 1e-12)
        largest_sideslip = np.maximum(largest_sideslip, np.abs(out.sideslip))
        front_saturation = np.maximum(front_saturation, out.saturation_front)
    assert np.all(largest_sideslip[:3] > np.deg2rad(10.0))
    assert front_saturation[3] == 1.0
    assert largest_sideslip[3] < np.deg2rad(10.0)


def test_model_tyre_forces_are_the_tyre_module_forces():
    # The model evaluates the tyre laws in its own in-place form; its axle forces must
    # equal tyres.combined_slip at the slip angles α_f = atan2(vy + a r, vx) − δ,
    # α_r = atan2(vy − b r, vx) (velocity direction minus wheel heading) and its loads
    # where an axle rolls, and tyres.axle_forces (rolling or locked, from the brake force
    # share·m·|a| and the wheel-frame velocity) everywhere.
    params = fiat_500()
    rng = np.random.default_rng(3)
    n = 50
    state = initial_state(n, speed=rng.uniform(5.0, 25.0, n))
    state[VY] = rng.uniform(-2.0, 2.0, n)
    state[YAW_RATE] = rng.uniform(-1.0, 1.0, n)
    state[STEER] = rng.uniform(-0.5, 0.5, n)
    accel = rng.uniform(-9.0, 3.0, n)
    mu = rng.uniform(0.2, 1.0, n)
    _, out = derivatives(state, 0.0, accel, params, mu, mu)
    alpha_front = np.arctan2(state[VY] + CG_TO_FRONT * state[YAW_RATE], state[VX]) - state[STEER]
    alpha_rear = np.arctan2(state[VY] - CG_TO_REAR * state[YAW_RATE], state[VX])
    brake = np.minimum(MASS * np.maximum(-accel, 0.0), 6000.0)  # max_brake_force
    delta = state[STEER]
    front_v = state[VY] + CG_TO_FRONT * state[YAW_RATE]
    u_front = state[VX] * np.cos(delta) + front_v * np.sin(delta)
    v_front = front_v * np.cos(delta) - state[VX] * np.sin(delta)
    for alpha, stiffness, load, fx, fy, locked, brake_axle, u, v in (
        (
            alpha_front,
            20e3,
            out.normal_load_front,
            out.longitudinal_force_front,
            out.lateral_force_front,
            out.locked_front,
            0.6 * brake,
            u_front,
            v_front,
        ),
        (
            alpha_rear,
            28e3,
            out.normal_load_rear,
            out.longitudinal_force_rear,
            out.lateral_force_rear,
            out.locked_rear,
            0.4 * brake,
            state[VX],
            state[VY] - CG_TO_REAR * state[YAW_RATE],
        ),
    ):
        expected_fx, expected_fy, expected_locked = axle_forces(
            fx, brake_axle, u, v, stiffness, mu, load, 0.88
        )
        np.testing.assert_array_equal(locked, expected_locked)
        np.testing.assert_allclose(fx, expected_fx, rtol=1e-12)
        np.testing.assert_allclose(fy, expected_fy, rtol=1e-9, atol=1e-6)
        rolling_fx, rolling_fy = combined_slip(fx, alpha, stiffness, mu, load)
        np.testing.assert_allclose(fy[~locked], rolling_fy[~locked], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(rolling_fx[~locked], fx[~locked], rtol=1e-12)
    # Both lock states occur in this draw (else the test would not check the Coulomb law).
    assert out.locked_front.any()
    assert not out.locked_front.all()
    np.testing.assert_allclose(out.normal_load_front + out.normal_load_rear, MASS * GRAVITY)


def test_batch_equals_each_sample_alone():
    # Samples never interact: three cars (own CG height, μ and commands) in one batch
    # must give what each gives alone, to rounding.
    heights = np.array([0.45, 0.55, 0.7])
    mu = np.array([0.3, 0.8, 1.0])
    steer = np.array([0.05, -0.3, 0.6])[:, None] * np.ones(150)
    accel = np.array([1.0, -6.0, 0.5])[:, None] * np.ones(150)
    speeds = np.array([3.0, 15.0, 22.0])
    together = simulate_open_loop(
        initial_state(3, speed=speeds), steer, accel, fiat_500(cg_height=heights), DT, mu=mu
    )
    for i in range(3):
        alone = simulate_open_loop(
            initial_state(1, speed=speeds[i]),
            steer[i],
            accel[i],
            fiat_500(cg_height=heights[i]),
            DT,
            mu=mu[i],
        )
        np.testing.assert_allclose(together.states[i], alone.states[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(together.ay[i], alone.ay[0], rtol=1e-12, atol=1e-12)


def test_energy_never_grows_without_drive():
    # Brakes, drag and a tyre force that opposes slip only dissipate: with no drive
    # force the kinetic energy ½m(vx² + vy²) + ½ I_z r² cannot grow (dynamic regime).
    params = fiat_500()
    rng = np.random.default_rng(7)
    n = 200
    state = initial_state(n, speed=rng.uniform(8.0, 25.0, n))
    steer = rng.uniform(-0.6, 0.6, n)
    accel = rng.uniform(-8.0, 0.0, n)
    mu = rng.uniform(0.2, 1.0, n)

    def energy(s):
        return 0.5 * MASS * (s[VX] ** 2 + s[VY] ** 2) + 0.5 * params.yaw_inertia * s[YAW_RATE] ** 2

    for _ in range(150):
        new, out = rk4_step(state, DT, steer, accel, params, mu, mu)
        moving = out.dynamic_weight == 1.0
        assert np.all(energy(new)[moving] <= energy(state)[moving] * (1 + 1e-9))
        state = new


def test_mu_lookup_is_made_under_each_axle():
    # A callable μ(x, y) is asked at the axle positions; an icy patch ahead of the front
    # axle only (x > front axle) must leave the rear with full grip at the first step.
    params = fiat_500()
    calls = []

    def mu(x, y):
        calls.append(x.copy())
        return np.where(x > 0.5, 0.1, 0.9)

    simulate_open_loop(initial_state(2, speed=10.0), 0.0, np.zeros(2), params, DT, mu=mu)
    front, rear = calls[0], calls[1]
    np.testing.assert_allclose(front, CG_TO_FRONT)
    np.testing.assert_allclose(rear, -CG_TO_REAR)


def test_derivatives_signs_follow_the_steer():
    # Left steer (δ > 0) at speed gives a leftward force and a left (positive) yaw
    # acceleration; the steering actuator moves δ toward the command at ≤ max rate.
    params = fiat_500()
    state = initial_state(1, speed=15.0)
    state[STEER] = 0.02
    rates, out = derivatives(state, 0.5, 0.0, params, 1.0, 1.0)
    assert rates[YAW_RATE, 0] > 0
    assert out.ay[0] > 0
    assert out.lateral_force_front[0] > 0
    assert rates[STEER, 0] == pytest.approx(1.5)  # rate-limited: (0.5 − 0.02)/0.05 > 1.5
    assert rates[YAW, 0] == 0.0
    assert rates[VY, 0] > 0


def test_check_finite_names_the_bad_sample_and_step():
    state = initial_state(5, speed=10.0)
    check_finite(state, 3)  # all finite: no error
    state[VY, 2] = np.nan
    state[YAW, 4] = np.inf
    with pytest.raises(NumericalError, match=r"time step 17: sample 2 \(vy\)") as info:
        check_finite(state, 17)
    assert info.value.sample == 2
    assert info.value.step == 17
    assert STATE_NAMES[VY] == "vy"


def test_simulate_open_loop_stops_at_the_first_non_finite_state():
    # A NaN friction coefficient on sample 1 poisons its state at the first step.
    params = fiat_500()
    mu = np.array([0.8, np.nan, 0.8])
    with pytest.raises(NumericalError, match="time step 1: sample 1"):
        simulate_open_loop(initial_state(3, speed=10.0), 0.1, np.zeros(5), params, DT, mu=mu)


def _fitted_radius(x, y):
    """Least-squares (Kasa) circle fit: x² + y² = 2 c_x x + 2 c_y y + k."""
    design = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    (cx, cy, k), *_ = np.linalg.lstsq(design, x**2 + y**2, rcond=None)
    return np.sqrt(k + cx**2 + cy**2)
