"""Locked wheels (E13, E14 of stuntsim.kinds.car.dynamics) against textbook mechanics.

A locked wheel does not turn: its contact patch slides with the wheel's velocity and
Coulomb friction ρ μ F_z opposes that sliding velocity (Pacejka 2012, §3.2, the brush
model at full sliding), ρ = μ_sliding/μ_peak (Wong, Theory of Ground Vehicles, Table 1.3).
Each test says where its expected number comes from. The test car is the single-track
Fiat 500 of tests/test_vehicle_dynamics.py (wheelbase 1.84 m, 40/60 weight split,
h = 0.55 m, m = 600 kg; round test values for the tyres), without drag or rolling
resistance unless said.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import stuntsim
from stuntsim.constants import GRAVITY
from stuntsim.kinds.car.dynamics import (
    STEER,
    VX,
    VY,
    YAW_RATE,
    VehicleParams,
    derivatives,
    initial_state,
    rk4_step,
)
from stuntsim.kinds.car.model import VEHICLE_FIELDS, CarModel, Parameters
from stuntsim.kinds.car.presets import FIAT_500_NUOVA
from stuntsim.risk.sampling import draw

ROOT = Path(__file__).resolve().parents[1]
CAR_SCENARIOS = ("rome_sharp_turn", "cliff_hairpin", "camera_rig_car")
WHEELBASE = 1.84
MASS = 600.0
CG_TO_FRONT = 0.6 * WHEELBASE
CG_TO_REAR = WHEELBASE - CG_TO_FRONT
DT = 0.01


def car(**overrides) -> VehicleParams:
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
        max_brake_force=3 * MASS * GRAVITY,  # enough to lock both axles on any μ ≤ 1
        brake_front_share=0.6,
        drag_area=0.0,
        rolling_resistance=0.0,
        locked_friction_ratio=0.88,
    )
    fields.update(overrides)
    return VehicleParams(**fields)


def _stop(params, state, steer, accel, mu, steps):
    """RK4 run; returns the final state and whether each axle was locked at every step
    while the car moved."""
    always_front = np.ones(state.shape[1], dtype=bool)
    always_rear = always_front.copy()
    for _ in range(steps):
        moving = np.hypot(state[VX], state[VY]) > 0
        state, out = rk4_step(state, DT, steer, accel, params, mu, mu)
        always_front &= out.locked_front | ~moving
        always_rear &= out.locked_rear | ~moving
    return state, always_front, always_rear


# --------------------------------------------------------------------------- straight


@pytest.mark.parametrize("steer_deg", [5.0, 10.0, -10.0])
def test_a_car_with_all_wheels_locked_goes_straight_whatever_the_steer(steer_deg):
    # Expected: no yaw, no lateral deviation. With both axles locked the ground forces
    # are −ρμF_z (vx, vy + a r)/V_ε at the front and −ρμF_z (vx, vy − b r)/V_ε at the rear
    # in the body frame (the front's wheel-frame force rotated back by δ): they do not
    # depend on δ and vanish with (vy, r) in the lateral and yaw equations (E6, E7), so
    # vy = r = 0 is an exact solution from a straight start. The tolerance, 1e-6 rad and
    # 1e-6 m, only allows for rounding. (The locked force used to act along the steered
    # wheel: this very run then spun the car by −237° at +5° and −370° at +10°.)
    params = car()
    state = initial_state(1, speed=15.0)
    final, front, rear = _stop(params, state, math.radians(steer_deg), -3 * GRAVITY, 0.8,
                               steps=600)
    assert front.all()
    assert rear.all()
    assert final[VX, 0] == 0.0  # stopped
    assert abs(final[2, 0]) < 1e-6  # yaw [rad]
    assert abs(final[1, 0]) < 1e-6  # lateral position y [m]
    assert abs(final[YAW_RATE, 0]) < 1e-9


def test_a_locked_front_axle_alone_does_not_steer_the_car():
    # Front brakes only, steer held at 10°, from 8 m/s to rest through the low-speed
    # kinematic regime. Expected: a straight stop (yaw and lateral deviation ≈ 0). The
    # locked front's force opposes its sliding velocity, which is along −x while
    # vy = r = 0, so it has no yaw moment (E13); the unbraked rear rolls straight; below
    # v_high the kinematic target takes δ_eff = 0 (E14). Same rounding tolerance as above.
    params = car(brake_front_share=1.0)
    state = initial_state(1, speed=8.0)
    final, front, _ = _stop(params, state, math.radians(10.0), -3 * GRAVITY, 0.8, steps=500)
    assert front.all()
    assert final[VX, 0] == 0.0
    assert abs(final[2, 0]) < 1e-6
    assert abs(final[1, 0]) < 1e-6


# --------------------------------------------------------------------------- Coulomb


@pytest.mark.parametrize("ratio", [1.0, 0.88])
def test_a_sideways_slide_with_locked_wheels_decays_at_mu_lock_g(ratio):
    # vx = 0, vy = 5 m/s, brakes on: both axles locked, each force −ρμF_z along +y
    # (opposing the sliding velocity), and no yaw moment (a F_zf = b F_zr at static
    # loads). Expected: dv_y/dt = −ρ μ g while |V| ≫ ε (Coulomb), so after 0.3 s
    # vy = 5 − ρ μ g·0.3 exactly (RK4 integrates a constant rate exactly), vx and r stay 0.
    mu = 0.8
    params = car(locked_friction_ratio=ratio)
    state = initial_state(1)
    state[VY] = 5.0
    for _ in range(30):
        state, out = rk4_step(state, DT, 0.0, -3 * GRAVITY, params, mu, mu)
        assert out.locked_front[0]
        assert out.locked_rear[0]
    assert state[VY, 0] == pytest.approx(5.0 - ratio * mu * GRAVITY * 0.3, abs=1e-9)
    assert state[VX, 0] == 0.0
    assert abs(state[YAW_RATE, 0]) < 1e-12


def test_an_unbraked_sideways_slide_keeps_the_peak_mu_as_documented():
    # Without brakes the wheels count as rolling and a tyre sliding sideways is on the
    # saturated Fiala law with the *peak* μ (the module's stated approximation: a drifting
    # tyre keeps the peak μ). Expected: vy = 5 − μ g·0.2, μ not ρμ (0.2 s keeps the speed
    # above v_high = 3 m/s, where the kinematic blend would take over the rolling car).
    mu = 0.8
    state = initial_state(1)
    state[VY] = 5.0
    for _ in range(20):
        state, out = rk4_step(state, DT, 0.0, 0.0, car(), mu, mu)
        assert not out.locked_front[0]
        assert out.dynamic_weight[0] == 1.0
    assert state[VY, 0] == pytest.approx(5.0 - mu * GRAVITY * 0.2, abs=1e-9)


@pytest.mark.parametrize("ratio", [1.0, 0.88, 0.75])
def test_the_locked_stopping_distance_is_v_squared_over_2_mu_lock_g(ratio):
    # d = v²/(2 ρ μ g) (REFERENCES.md stopping distance with the sliding μ): both axles
    # locked all the way (brake capacity 3 m g against ρμ m g), total force ρμ m g
    # whatever the load transfer. The brake fade below ε adds ε²/(2ρμg) < 2 mm; rtol 1e-3.
    speeds = np.array([15.0, 25.0, 15.0, 25.0])
    mu = np.array([0.5, 0.5, 0.8, 0.8])
    params = car(locked_friction_ratio=ratio)
    state = initial_state(4, speed=speeds)
    travelled = []
    for k in range(800):
        state, out = rk4_step(state, DT, 0.0, -3 * GRAVITY, params, mu, mu)
        if k == 10:
            np.testing.assert_allclose(out.ax, -ratio * mu * GRAVITY, rtol=1e-9)
        travelled = state[0]
    np.testing.assert_allclose(travelled, speeds**2 / (2 * ratio * mu * GRAVITY), rtol=1e-3)
    assert np.all(state[VX] == 0.0)


# --------------------------------------------------------------------------- threshold


def _wheel_frame(vx, vy, r, delta, axle):
    """(u, v) of an axle in its wheel frame (E2): the front rotated by −δ."""
    if axle == "rear":
        return vx, vy - CG_TO_REAR * r
    lateral = vy + CG_TO_FRONT * r
    return (vx * math.cos(delta) + lateral * math.sin(delta),
            lateral * math.cos(delta) - vx * math.sin(delta))


@pytest.mark.parametrize("axle", ["front", "rear"])
@pytest.mark.parametrize(
    ("vx", "vy", "r", "delta"),
    [(10.0, 0.0, 0.0, 0.0), (10.0, 2.0, 0.0, 0.0), (10.0, -1.0, 0.5, 0.1), (5.0, 3.0, 0.0, -0.2)],
)
@pytest.mark.parametrize("ratio", [1.0, 0.8])
def test_the_axle_locks_above_mu_fz_u_over_v_and_the_force_is_continuous(
    axle, vx, vy, r, delta, ratio
):
    # Quasi-static wheel spin (E13): a braked wheel keeps turning while its brake force
    # |B| ≤ μ F_z u/|V| (Ω ≥ 0 with the force opposing the slip velocity (u − Ωr, v)).
    # With h → 0 there is no load transfer, so F_z is the static axle load m g b/L (front)
    # or m g a/L (rear) (Gillespie 1992, ch. 3). Expected: just below the threshold the
    # axle rolls, fully sliding, with F = (−B, −sign v √((μF_z)² − B²)) = −μF_z (u, v)/|V|
    # (friction ellipse at the threshold); just above it is locked with the Coulomb force
    # −ρ μF_z (u, v)/|V|: continuous for ρ = 1, a drop by the factor ρ otherwise.
    # The requests sit 1e-9 off the threshold; √((μF_z)² − B²) moves by (u/v)²·1e-9
    # relative (≤ 5e-8 here) and h = 1e-12 m leaves a load transfer < 1e-12: rtol 1e-6.
    mu = 0.8
    share = 1.0 if axle == "front" else 0.0
    params = car(cg_height=1e-12, brake_front_share=share, locked_friction_ratio=ratio)
    load = MASS * GRAVITY * (CG_TO_REAR if axle == "front" else CG_TO_FRONT) / WHEELBASE
    u, v = _wheel_frame(vx, vy, r, delta, axle)
    speed = math.hypot(u, v)
    threshold = mu * load * u / speed
    state = initial_state(1, speed=vx)
    state[VY], state[YAW_RATE], state[STEER] = vy, r, delta
    forces = {}
    for side, factor in (("below", 1 - 1e-9), ("above", 1 + 1e-9)):
        _, out = derivatives(state, delta, -threshold * factor / MASS, params, mu, mu)
        locked = out.locked_front if axle == "front" else out.locked_rear
        assert bool(locked[0]) == (side == "above")
        if axle == "front":
            forces[side] = np.array([out.longitudinal_force_front[0], out.lateral_force_front[0]])
        else:
            forces[side] = np.array([out.longitudinal_force_rear[0], out.lateral_force_rear[0]])
    expected = -mu * load * np.array([u, v]) / speed
    np.testing.assert_allclose(forces["below"], expected, rtol=1e-6, atol=1e-9 * load)
    np.testing.assert_allclose(forces["above"], ratio * expected, rtol=1e-6, atol=1e-9 * load)


# --------------------------------------------------------------------------- kinematic blend


def test_locked_axles_and_the_low_speed_kinematic_blend():
    # E14: at 0.5 m/s (below v_low = 1 m/s) a rolling car is kinematic (w = 0). With both
    # axles locked nothing constrains it: w = 1 (it slides). With only the front locked,
    # the rolling rear keeps the kinematic regime but the target does not steer: r_kin = 0
    # (expected ṙ = (0 − r)/τ_kin = 0 from r = 0, although δ = 0.3 would give a kinematic
    # yaw rate vx tan δ / L ≈ 0.084 rad/s). A rolling car at δ = 0.3 does get
    # ṙ = (vx tan δ / L − 0)/τ_kin (Rajamani 2012 §2.2).
    state = initial_state(1, speed=0.5)
    state[STEER] = 0.3
    rolling, rolling_out = derivatives(state, 0.3, 0.0, car(), 0.8, 0.8)
    assert rolling_out.dynamic_weight[0] == 0.0
    assert rolling[YAW_RATE, 0] == pytest.approx(0.5 * math.tan(0.3) / WHEELBASE / 0.05)
    _, both = derivatives(state, 0.3, -3 * GRAVITY, car(), 0.8, 0.8)
    assert both.locked_front[0]
    assert both.locked_rear[0]
    assert both.dynamic_weight[0] == 1.0
    front_only, out = derivatives(state, 0.3, -3 * GRAVITY, car(brake_front_share=1.0),
                                  0.8, 0.8)
    assert out.locked_front[0]
    assert not out.locked_rear[0]
    assert out.dynamic_weight[0] == 0.0
    assert front_only[YAW_RATE, 0] == 0.0


@pytest.mark.parametrize("dt", [0.01, 0.02])
def test_the_regularised_coulomb_force_is_stable_for_rk4_near_standstill(dt):
    # Inside |V| < ε the locked forces act as dampers, ρμF_z·velocity/ε. The Jacobian of
    # the locked car at rest has real eigenvalues ≈ (0.8–1.3)·ρμg/ε (the module's E14
    # note); RK4 is stable for real λ dt > −2.785 (its stability polynomial, e.g. Hairer &
    # Wanner, Solving ODEs II, §IV.2). At ρμ = 1, dt = 0.02 s: |λ| dt ≈ 2.6. Expected: the
    # kinetic energy of random small motions never grows and the car comes to rest.
    rng = np.random.default_rng(11)
    n = 200
    state = initial_state(n, speed=rng.uniform(-0.06, 0.06, n))
    state[VY] = rng.uniform(-0.06, 0.06, n)
    state[YAW_RATE] = rng.uniform(-0.05, 0.05, n)
    params = car(locked_friction_ratio=1.0)

    def energy(s):
        return 0.5 * MASS * (s[VX] ** 2 + s[VY] ** 2) + 0.5 * params.yaw_inertia * s[YAW_RATE] ** 2

    for _ in range(int(1.0 / dt)):
        new, _ = rk4_step(state, dt, 0.0, -3 * GRAVITY, params, 1.0, 1.0)
        assert np.all(energy(new) <= energy(state) * (1 + 1e-12))
        state = new
    assert np.all(state[VX : YAW_RATE + 1] == 0.0)


# --------------------------------------------------------------------------- brake balance


def _ideal_front_share(b, h, wheelbase, z):
    """Ideal front brake share at deceleration z·g, (b + h z)/L: the front's share of the
    dynamic axle loads, so both axles reach the same adhesion utilisation (Gillespie 1992,
    ch. 3, braking performance)."""
    return (b + h * z) / wheelbase


def test_the_preset_locks_the_front_axle_first_over_the_drawn_cg_heights():
    # UN R13-H, Annex 5 (M1): the front axle's adhesion utilisation curve above the rear's
    # for braking rates z = 0.15–0.8. Front utilisation β z L/(b + h z) > rear
    # (1 − β) z L/(a − h z) ⇔ β > (b + h z)/L. Checked for the preset over the CG heights
    # every car scenario draws (the uncertain section of its YAML file) and, with the
    # camera rig's mass folded in, over the rigged cars as the model builds them.
    preset = {k: v.value for k, v in FIAT_500_NUOVA.items()}
    share = preset["brake_front_share"]
    wheelbase = preset["cg_to_front"] + preset["cg_to_rear"]
    z = np.linspace(0.15, 0.8, 66)
    for name in CAR_SCENARIOS:
        spec = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
        heights = spec["uncertain"]["vehicle.cg_height"]
        for h in (float(str(heights["low"]).split()[0]), float(str(heights["high"]).split()[0])):
            ideal = _ideal_front_share(preset["cg_to_rear"], h, wheelbase, z)
            assert np.all(share > ideal), (name, h)
        resolved = stuntsim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        for variant in [None, *(resolved.scenario.variants or {})]:
            scenario = resolved if variant is None else resolved.variant(variant)
            n = 2000
            draws = draw(3, scenario.uncertain_names, scenario.distributions, 0, n)
            values = CarModel(scenario).car_values(Parameters(scenario.nominal, draws, n))
            ideal = _ideal_front_share(
                values["cg_to_rear"][:, None], values["cg_height"][:, None],
                (values["cg_to_front"] + values["cg_to_rear"])[:, None], z,
            )
            assert np.all(values["brake_front_share"][:, None] > ideal), (name, variant)
    # The former 0.60 locked the rear first above z = (0.60 L − b)/h = 0.67 at h = 0.55 m.
    assert 0.60 < _ideal_front_share(preset["cg_to_rear"], 0.55, wheelbase, 0.8)


@pytest.mark.parametrize("height", [0.50, 0.62])
@pytest.mark.parametrize("mu", [0.3, 0.5, 0.8])
def test_in_the_model_the_preset_front_axle_locks_before_the_rear(height, mu):
    # The same property in the simulated car: raising the brake request in straight-line
    # braking at 15 m/s, the front axle must lock at a lower request than the rear
    # (expected from β > (b + h z)/L above: at the front's lock-up the rear still has
    # grip to spare).
    preset = {k: v.value for k, v in FIAT_500_NUOVA.items()}
    params = VehicleParams(**{k: preset[k] for k in VEHICLE_FIELDS}).with_overrides(
        cg_height=height, max_brake_force=3 * preset["mass"] * GRAVITY
    )
    requests = np.linspace(0.0, -1.5 * mu * GRAVITY, 3001)
    state = initial_state(requests.size, speed=15.0)
    _, out = derivatives(state, 0.0, requests, params, mu, mu)
    assert out.locked_front.any()
    first_front = np.flatnonzero(out.locked_front)[0]
    first_rear = np.flatnonzero(out.locked_rear)[0] if out.locked_rear.any() else requests.size
    assert first_front < first_rear
