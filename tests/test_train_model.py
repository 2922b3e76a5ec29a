"""The train-roof model (stuntsim.kinds.train.model) against hand calculations.

Each test builds a small ``kind: train`` scenario in memory, runs the batched model and
checks a margin against a closed form. "REFERENCES.md" means the "Train roof" section of
docs/REFERENCES.md (the sourced figures, each with its original source); "(P…)", "(L…)",
"(M…)" are the equation labels of stuntsim.kinds.train.performer and stuntsim.kinds.train.motion.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from stuntsim.kinds.train.model import TrainModel
from stuntsim.kinds.train.motion import (
    GRAVITY,
    SpeedEvent,
    cant_deficiency,
    simulate_train,
    uncompensated_lateral_acceleration,
)
from stuntsim.kinds.train.performer import (
    PostureChange,
    PosturePlan,
    posture_at,
)
from stuntsim.kinds.train.track import Segment, Track
from stuntsim.scenario import parse_scenario, resolve

KMH = 1 / 3.6

BASE = {
    "kind": "train",
    "name": "test",
    "samples": 10,
    "seed": 1,
    "train": {"speed": 26.8, "max_acceleration": 0.5, "max_deceleration": 1.0,
              "max_jerk": 0.5},
    "track": {"segments": [{"name": "straight", "length": 1000.0}]},
    "performers": [{"name": "P", "mass": 80.0, "shoe_friction": 0.5}],
    "simulation": {"time_step": 0.1, "duration": 20.0, "keep_trajectories": 0},
}


def scenario(**changes):
    """BASE with top-level sections replaced or updated (dicts are merged one level deep)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return resolve(parse_scenario(yaml.safe_dump(data, sort_keys=False)))


def run_model(resolved, draws=None, n=1, record=False):
    draws = {} if draws is None else {k: np.asarray(v, dtype=float) for k, v in draws.items()}
    return TrainModel(resolved).simulate(draws, n, record=record)


# ---------------------------------------------------------------------- drag


@pytest.mark.parametrize(
    ("posture", "drag"),
    [("standing", 362.0), ("crouching", 108.0), ("prone", 43.0)],
)
def test_dislodge_margin_is_friction_minus_hand_drag(posture, drag):
    # REFERENCES.md: ½·1.2·CdA·26.8² = 362 / 108 / 43 N for CdA 0.84 / 0.25 / 0.10; calm
    # air, straight level track, cruising: the demand is the drag alone (P1)–(P4), so
    # margin = μ m g − drag = 0.5·80·9.80665 − drag (P5)–(P6)
    resolved = scenario(performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.5,
                                     "posture": posture}])
    outcome = run_model(resolved)
    expected = 0.5 * 80.0 * GRAVITY - drag
    assert outcome.margins["dislodged"][0] == pytest.approx(expected, abs=0.6)
    # and exactly ½ ρ CdA v² with the preset drag area
    cda = {"standing": 0.84, "crouching": 0.25, "prone": 0.10}[posture]
    exact = 0.5 * 80.0 * GRAVITY - 0.5 * 1.2 * cda * 26.8**2
    assert outcome.margins["dislodged"][0] == pytest.approx(exact, rel=1e-12)


def test_headwind_adds_to_the_air_speed():
    # (P2): a 5 m/s headwind (from the direction of travel, bearing 0 = north here) makes the
    # air speed 26.8 + 5 = 31.8 m/s: drag ½·1.2·0.84·31.8² = 509.6 N
    resolved = scenario(wind={"speed": 5.0, "direction": 0.0})
    outcome = run_model(resolved)
    drag = 0.5 * 1.2 * 0.84 * 31.8**2
    assert outcome.margins["dislodged"][0] == pytest.approx(0.5 * 80 * GRAVITY - drag)


# ---------------------------------------------------------------------- cant


def test_lateral_acceleration_in_the_stavem_curve_with_cant():
    # REFERENCES.md: 97 km/h on R = 275 m → v²/R = 2.64 m/s², 1.66 m/s² with 150 mm cant
    # (v²/R − g·c/1.5, (L1)), a cant deficiency of ≈ 250 mm; g·D/1500 with D in mm is the
    # same number (L3). A left-hand curve pushes the performer to the right: a_lat > 0
    # (positive to the left is what the roof must supply)
    resolved = scenario(
        train={"speed": "97 km/h"},
        track={"segments": [{"name": "spiral", "length": 1000.0, "radius": 275.0,
                             "hand": "left", "cant": "150 mm"}]},
    )
    outcome = run_model(resolved, record=True)
    a_lat = outcome.trajectories["a_lat"][0]
    v = 97 * KMH
    closed_form = v**2 / 275.0 - GRAVITY * 0.150 / 1.5
    np.testing.assert_allclose(a_lat, closed_form, rtol=1e-12)
    assert closed_form == pytest.approx(1.66, abs=0.005)
    deficiency_mm = cant_deficiency(v, 275.0, 0.150) * 1000
    assert deficiency_mm == pytest.approx(250, abs=5)
    assert GRAVITY * deficiency_mm / 1500 == pytest.approx(closed_form, rel=1e-12)


def test_below_equilibrium_speed_the_cant_pushes_inwards():
    # equilibrium speed √(g R c / b) = √(9.80665·275·0.15/1.5) = 16.42 m/s (a_u = 0, (L1));
    # at 10 m/s a right-hand curve's cant excess pushes the performer to the right (inside):
    # a_lat = −1·(10²/275 − g·0.1) = +0.617 m/s² toward the left
    resolved = scenario(
        train={"speed": 10.0},
        track={"segments": [{"name": "c", "length": 500.0, "radius": 275.0,
                             "hand": "right", "cant": 0.15}]},
    )
    outcome = run_model(resolved, record=True)
    expected = -uncompensated_lateral_acceleration(10.0, 275.0, 0.15)
    np.testing.assert_allclose(outcome.trajectories["a_lat"][0], expected)
    assert expected == pytest.approx(0.617, abs=0.001)


# ---------------------------------------------------------------------- tipping


def test_tipping_margin_crosses_zero_at_the_moment_balance_speed():
    # (P7) with the drag as the only force, at h_cp: F h_cp = m g b + F_hand l_hand gives
    # v_tip = √(2 (m g b + F_hand l) / (ρ CdA h_cp)); standing preset h_cp = 0.55·1.75 m,
    # b = 0.15 m, CdA 0.84; 80 kg, a 200 N hand-hold on a 0.9 m lever
    h, b = 0.55 * 1.75, 0.15
    restoring = 80 * GRAVITY * b + 200 * 0.9
    v_tip = np.sqrt(2 * restoring / (1.2 * 0.84 * h))
    assert v_tip == pytest.approx(24.7, abs=0.1)  # ≈ 89 km/h: 297.7 N·m / 0.9625 m = 309 N
    resolved = scenario(
        performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.9, "grip_force": 200.0,
                     "grip_lever": 0.9}],
        uncertain={"train.speed": {"dist": "uniform", "low": 20.0, "high": 30.0}},
    )
    speeds = np.array([0.99 * v_tip, 1.01 * v_tip, 20.0])
    outcome = run_model(resolved, {"train.speed": speeds}, n=3)
    tipped = outcome.margins["tipped"]
    np.testing.assert_array_equal(np.sign(tipped), [1, -1, 1])
    np.testing.assert_allclose(tipped, restoring - h * 0.5 * 1.2 * 0.84 * speeds**2)
    # friction + hand-hold (0.9·80·g + 200 = 906 N) is far from the 309 N drag: this
    # performer tips long before sliding (μ > b/h, stuntsim.kinds.train.performer)
    assert np.all(outcome.margins["dislodged"] > 500)


# ---------------------------------------------------------------------- clearance


@pytest.mark.parametrize(
    ("posture", "expected"),
    [("standing", -0.775), ("crouching", -0.025), ("prone", 0.625)],
)
def test_clearance_at_a_structure_per_posture(posture, expected):
    # 5.05 m (Bane NOR min. under structures, REFERENCES.md) − 4.075 m (NSB B5 roof) −
    # posture height 1.75 / 1.0 / 0.35 m (presets, assumed) (P8)
    resolved = scenario(
        performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.5, "posture": posture}],
        structures=[{"name": "bridge", "kind": "bridge", "at": 400.0, "length": 10.0,
                     "clearance": 5.05}],
    )
    outcome = run_model(resolved)
    assert outcome.margins["struck_by_structure"][0] == pytest.approx(expected, abs=1e-9)
    assert outcome.structure_margins[0, 0, 0] == pytest.approx(expected, abs=1e-9)


def test_posture_reached_by_the_structure_counts():
    # cue 150 m before a 5.05 m bridge at 26.8 m/s: 5.60 s of warning. A performer who
    # takes 5.0 s gets down in time (−0.025 m, crouched), one who takes 6.0 s does not
    # (−0.775 m, still standing) (P8 with the posture at the bridge)
    resolved = scenario(
        performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.5,
                     "changes": [{"posture": "crouching", "before": "bridge",
                                  "distance": 150.0}]}],
        structures=[{"name": "bridge", "kind": "bridge", "at": 500.0, "length": 10.0,
                     "clearance": 5.05}],
        uncertain={"performers.P.reaction_delay": {"dist": "uniform", "low": 0, "high": 10}},
    )
    outcome = run_model(resolved, {"performers.P.reaction_delay": [5.0, 6.0]}, n=2)
    np.testing.assert_allclose(outcome.margins["struck_by_structure"], [-0.025, -0.775],
                               atol=1e-9)


def test_a_thin_gantry_is_not_stepped_over():
    # a 0 m gantry between two 2.68 m steps (26.8 m/s · 0.1 s) is still met (swept check)
    resolved = scenario(structures=[{"name": "gantry", "kind": "gantry", "at": 401.3,
                                     "clearance": 5.05}])
    outcome = run_model(resolved)
    assert outcome.margins["struck_by_structure"][0] == pytest.approx(-0.775)


# ---------------------------------------------------------------------- no air, no braking


def test_zero_relative_air_speed_on_straight_level_track_dislodges_nobody():
    # a 26.8 m/s tailwind (from the south, bearing π, the train heading north) on a train
    # at 26.8 m/s: relative air 0 (P2); straight, level, cruising: no inertial force (P3);
    # demand 0, so each margin is the whole capacity μ m g (P5) and the whole restoring
    # moment m g b (P7), for every friction drawn
    resolved = scenario(
        wind={"speed": 26.8, "direction": np.pi},
        uncertain={"performers.P.shoe_friction": {"dist": "uniform", "low": 0.05,
                                                  "high": 0.9}},
    )
    mu = np.linspace(0.05, 0.9, 8)
    outcome = run_model(resolved, {"performers.P.shoe_friction": mu}, n=8)
    np.testing.assert_allclose(outcome.margins["dislodged"], mu * 80 * GRAVITY, atol=1e-9)
    assert np.all(outcome.margins["dislodged"] > 0)
    np.testing.assert_allclose(outcome.margins["tipped"], 80 * GRAVITY * 0.15, atol=1e-9)


def test_more_speed_never_lowers_the_demand_on_straight_calm_track():
    # no wind, straight level track, cruising: demand = ½ρCdA v² grows with v, so the
    # dislodge and tipping margins never rise with speed (checked on 40 speeds 0–40 m/s)
    resolved = scenario(uncertain={"train.speed": {"dist": "uniform", "low": 0, "high": 40}})
    speeds = np.linspace(0.0, 40.0, 40)
    outcome = run_model(resolved, {"train.speed": speeds}, n=speeds.size)
    for name in ("dislodged", "tipped"):
        assert np.all(np.diff(outcome.margins[name]) <= 1e-9)
    demand = outcome.performer_details["dislodged"]["demand"][:, 0]
    assert np.all(np.diff(demand) >= -1e-9)
    assert demand[0] == 0.0


# ---------------------------------------------------------------------- tether


def test_tether_carries_the_excess_times_the_dynamic_factor():
    # a wet roof (μ 0.1) and a standing performer at 26.8 m/s: drag 362.0 N > μ m g =
    # 78.5 N, so dislodged by 283.5 N; the tether takes k·283.5 N = 567 N (k = 2), margin
    # 1000 − 567 = 433 N
    resolved = scenario(performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.1,
                                     "tether": {"rated_load": "1 kN",
                                                "dynamic_factor": 2.0}}])
    outcome = run_model(resolved)
    excess = 0.5 * 1.2 * 0.84 * 26.8**2 - 0.1 * 80 * GRAVITY
    assert outcome.margins["dislodged"][0] == pytest.approx(-excess)
    assert outcome.margins["tether_overload"][0] == pytest.approx(1000 - 2 * excess)


def test_no_tether_no_tether_hazard():
    # the hazard exists only where a tether is fitted
    assert "tether_overload" not in TrainModel(scenario()).hazards


# ---------------------------------------------------------------------- braking, gradient


def test_braking_partly_cancels_the_drag():
    # (P3)–(P4): braking at a < 0 throws an 80 kg performer forward with m|a| while the
    # air pushes back with ½ρCdA v² (362 N at 26.8 m/s): the train brakes from 26.8 to
    # 20 m/s at s = 100 m, and while it brakes the demand is ½ρCdA v² + m a, never more
    # than the cruising drag
    resolved = scenario(train={"events": [{"name": "brake", "at": 100.0, "speed": 20.0}]},
                        simulation={"duration": 30.0, "keep_trajectories": 0})
    outcome = run_model(resolved, record=True)
    demand = outcome.trajectories["demand"][0, 0]
    cruising = 0.5 * 1.2 * 0.84 * 26.8**2
    assert demand.max() == pytest.approx(cruising)
    a = outcome.trajectories["a_long"][0]
    v = outcome.trajectories["v"][0]
    braking = a < -0.5
    np.testing.assert_allclose(
        demand[braking], 0.5 * 1.2 * 0.84 * v[braking] ** 2 + 80 * a[braking], rtol=1e-9)


def test_uphill_gradient_adds_to_the_drag():
    # (P3): gravity along a 2 % gradient pulls back with m g · 0.02/√1.0004 = 15.7 N
    resolved = scenario(track={"segments": [{"name": "s", "length": 1000.0,
                                             "gradient": 0.02}]})
    outcome = run_model(resolved)
    drag = 0.5 * 1.2 * 0.84 * 26.8**2
    slope = 80 * GRAVITY * 0.02 / np.sqrt(1.0004)
    assert outcome.performer_details["dislodged"]["demand"][0, 0] == pytest.approx(
        drag + slope)


# ---------------------------------------------------------------------- consistency


def test_streaming_model_matches_the_physics_chain_over_time_arrays():
    # the model keeps only running minima; simulate_train + posture_at over (n, T) arrays
    # (the physics layer, tests/test_train_physics.py) must give the same run
    resolved = scenario(
        train={"speed": 20.0, "events": [{"name": "up", "at": 200.0, "speed": 26.0}]},
        performers=[{"name": "P", "mass": 80.0, "shoe_friction": 0.5, "reaction_delay": 0.7,
                     "changes": [{"posture": "crouching", "at": 300.0},
                                 {"posture": "prone", "at": 500.0}]}],
        simulation={"duration": 30.0, "keep_trajectories": 0},
    )
    outcome = run_model(resolved, record=True)
    track = Track((Segment.straight(1000.0),))
    motion = simulate_train(track, 20.0, accel_max=0.5, decel_max=1.0, jerk_max=0.5,
                            duration=30.0, dt=0.1,
                            events=[SpeedEvent(target=26.0, position=200.0)])
    steps = outcome.trajectories["s"].shape[-1]
    np.testing.assert_allclose(outcome.trajectories["s"][0], motion.s[:steps], rtol=1e-12)
    np.testing.assert_allclose(outcome.trajectories["v"][0], motion.v[:steps], rtol=1e-12)
    plan = PosturePlan(0, (PostureChange(1, 300.0), PostureChange(2, 500.0)),
                       basis="position")
    postures = posture_at(motion.t, plan, 0.7, s=motion.s[None, :])[0]
    np.testing.assert_array_equal(outcome.trajectories["posture"][0, 0], postures[:steps])


def test_failure_is_attributed_to_the_segment_it_happened_in():
    # a standing performer and a 5.05 m bridge in the second of three segments: struck
    # there, in every sample (segment index 1)
    resolved = scenario(
        track={"segments": [{"name": "a", "length": 300.0}, {"name": "b", "length": 300.0},
                            {"name": "c", "length": 300.0}]},
        structures=[{"name": "bridge", "kind": "bridge", "at": 450.0, "length": 5.0,
                     "clearance": 5.05}],
    )
    outcome = run_model(resolved)
    details = outcome.performer_details["struck_by_structure"]
    assert details["first_segment"][0, 0] == 1
    assert details["position"][0, 0] == pytest.approx(450.0, abs=2.7)
    assert details["speed"][0, 0] == pytest.approx(26.8)
