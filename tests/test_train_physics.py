"""Closed-form checks of the train-roof physics (stuntsim.kinds.train).

Each test says where its expected number comes from; "REFERENCES.md" means the
"Train roof" section of docs/REFERENCES.md (the project's copy of the sourced figures,
each with its original source).
"""

import numpy as np
import pytest

from stuntsim.kinds.train import (
    CROUCHING,
    GRAVITY,
    NSB_B5_ROOF_HEIGHT,
    POSTURES,
    PRONE,
    STANDING,
    PostureChange,
    PosturePlan,
    Segment,
    SpeedEvent,
    Structure,
    Track,
    cant_deficiency,
    capacity_force,
    demand_force,
    dislodge_margin,
    drag_force,
    lateral_acceleration_in_track_plane,
    posture_at,
    posture_values,
    relative_wind,
    roof_lateral_acceleration,
    simulate_train,
    structure_clearance_margin,
    tipping_force_threshold,
    tipping_margin,
    uncompensated_lateral_acceleration,
)

KMH = 1 / 3.6


# ---------------------------------------------------------------------- aerodynamics


@pytest.mark.parametrize(
    ("cda", "expected"),
    [(0.84, 362.0), (0.25, 108.0), (0.10, 43.0)],
    ids=["standing", "crouched", "prone"],
)
def test_drag_at_26_8_m_s_matches_reference(cda, expected):
    # REFERENCES.md: q = ½·1.2·26.8² ≈ 431 Pa → 362 N / 108 N / 43 N (rounded to 1 N)
    assert drag_force(1.2, cda, 26.8) == pytest.approx(expected, abs=0.6)


def test_relative_wind_components():
    # geometry of (P2): a 10 m/s wind from the left (+π/2) on a 20 m/s train gives air
    # streaming back at 20 m/s and to the right at 10 m/s; a headwind adds to the speed
    along, across = relative_wind(20.0, 10.0, np.pi / 2)
    assert (along, across) == (pytest.approx(-20.0), pytest.approx(-10.0))
    along, across = relative_wind(20.0, 5.0, 0.0, gust_speed=3.0)
    assert (along, across) == (pytest.approx(-28.0), pytest.approx(0.0))


# ---------------------------------------------------------------------- cant


def test_lateral_acceleration_on_stavem_curve_matches_reference():
    # REFERENCES.md: 97 km/h on R = 275 m → 2.64 m/s² total, ≈ 1.66 m/s² with 150 mm cant,
    # a cant deficiency of ≈ 250 mm
    v = 97 * KMH
    assert uncompensated_lateral_acceleration(v, 275.0, 0.0) == pytest.approx(2.64, abs=0.005)
    assert uncompensated_lateral_acceleration(v, 275.0, 0.150) == pytest.approx(1.66, abs=0.005)
    assert cant_deficiency(v, 275.0, 0.150) == pytest.approx(0.250, abs=0.005)


def test_rule_of_thumb_g_d_over_1500_agrees_to_first_order():
    # REFERENCES.md: a ≈ g·D/1500 (D in mm), ≈ 1 m/s² per 152 mm. g·D/1.5 equals the
    # small-angle (L1) by definition; against the exact plane form (L4) the difference is
    # (v²/R)(1 − cos φ) ≤ (v²/R) φ² (second order), sin φ = cant/1.5
    v = np.linspace(10.0, 30.0, 5)[:, None]
    cant = np.array([0.0, 0.05, 0.10, 0.15])[None, :]
    deficiency = cant_deficiency(v, 275.0, cant)
    rule = GRAVITY * deficiency * 1000 / 1500
    np.testing.assert_allclose(rule, uncompensated_lateral_acceleration(v, 275.0, cant))
    exact = lateral_acceleration_in_track_plane(v, 275.0, cant)
    phi = np.arcsin(cant / 1.5)
    assert np.all(np.abs(exact - rule) <= v**2 / 275.0 * phi**2 + 1e-12)
    assert GRAVITY * 152 / 1500 == pytest.approx(1.0, abs=0.01)


def test_straight_has_no_lateral_acceleration():
    # v²/R with R = inf is 0 (L1)
    assert uncompensated_lateral_acceleration(30.0, np.inf, 0.0) == 0.0


# ---------------------------------------------------------------------- track


def test_track_lookup_is_vectorised_and_piecewise():
    # hand geometry: 100 m straight, 200 m left curve R = 275 m, 50 m straight at 2 %
    track = Track(
        (
            Segment.straight(100.0),
            Segment.curve(200.0, 275.0, cant=0.15, hand="left"),
            Segment.straight(50.0, gradient=0.02),
        )
    )
    s = np.array([[0.0, 99.9, 100.0], [250.0, 300.0, 350.0]])
    state = track.at(s)
    assert state.radius.shape == (2, 3)
    np.testing.assert_array_equal(state.radius, [[np.inf, np.inf, 275], [275, np.inf, np.inf]])
    np.testing.assert_array_equal(state.cant, [[0, 0, 0.15], [0.15, 0, 0]])
    np.testing.assert_array_equal(state.gradient, [[0, 0, 0], [0, 0.02, 0.02]])
    # heading after the curve = 200/275 rad (arc length over radius)
    assert state.heading[1, 1] == pytest.approx(200.0 / 275.0)
    with pytest.raises(ValueError, match="on the track"):
        track.at(351.0)


def test_swept_clearance_catches_a_thin_gantry_between_steps():
    # a 0 m long gantry at 10.5 m between samples at 10 and 11 m must still be found
    track = Track(
        (Segment.straight(100.0),),
        (Structure("gantry", "gantry", 10.5, 0.0, 5.05),),
    )
    s = np.array([[9.0, 10.0, 11.0, 12.0]])
    assert np.all(np.isinf(track.overhead_clearance(s)))
    np.testing.assert_array_equal(
        track.overhead_clearance_swept(s), [[np.inf, np.inf, 5.05, np.inf]]
    )


def test_structure_kind_is_checked():
    with pytest.raises(ValueError, match="kind"):
        Structure("x", "tunnel", 0.0, 10.0, 5.0)


# ---------------------------------------------------------------------- clearance


@pytest.mark.parametrize(
    ("posture", "expected"),
    [(STANDING, -0.775), (CROUCHING, -0.025), (PRONE, 0.625)],
    ids=["standing", "crouching", "prone"],
)
def test_clearance_margin_per_posture(posture, expected):
    # hand numbers: 5.05 m (Bane NOR min. under structures) − 4.075 m (NSB B5 roof,
    # REFERENCES.md) − posture height (1.75 / 1.0 / 0.35 m, assumed)
    margin = structure_clearance_margin(5.05, NSB_B5_ROOF_HEIGHT, posture.height)
    assert margin == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------- demand


def test_no_air_speed_no_acceleration_nothing_dislodged():
    # (P1)–(P6): V = 0 (train at rest, calm), straight level track → demand exactly 0
    n = 4
    along, across = relative_wind(np.zeros(n), 0.0, 0.0)
    demand = demand_force(80.0, STANDING.drag_area, along, across, 0.0, 0.0)
    np.testing.assert_array_equal(demand.magnitude, 0.0)
    capacity = capacity_force(80.0, np.array([0.05, 0.3, 0.5, 0.8]))
    assert np.all(dislodge_margin(capacity, demand.magnitude) > 0)


def test_demand_is_monotone_in_speed_on_straight_calm_track():
    # ½ρCdA v² grows with v; no other force on a straight level track at constant speed
    v = np.linspace(0.0, 40.0, 201)
    along, across = relative_wind(v, 0.0, 0.0)
    for posture in POSTURES:
        demand = demand_force(80.0, posture.drag_area, along, across, 0.0, 0.0).magnitude
        assert np.all(np.diff(demand) >= 0)
        assert demand[-1] > 0


def test_demand_is_vector_sum_of_drag_braking_and_curve():
    # (P3)–(P4) by hand: 80 kg, standing in still air at 26.8 m/s (drag 362 N rearward),
    # braking at 1 m/s² (80 N forward), 1.66 m/s² unbalanced in a left curve (133 N right)
    v = 26.8
    along, across = relative_wind(v, 0.0, 0.0)
    demand = demand_force(80.0, 0.84, along, across, -1.0, 1.66)
    drag = drag_force(1.2, 0.84, v)
    assert demand.along == pytest.approx(-drag + 80.0)
    assert demand.across == pytest.approx(-80.0 * 1.66)
    assert demand.magnitude == pytest.approx(np.hypot(drag - 80.0, 80.0 * 1.66))


def test_uphill_gradient_pulls_backwards():
    # gravity along a 2 % gradient: m g · 0.02/√(1.0004) backwards (P3)
    demand = demand_force(80.0, 0.84, 0.0, 0.0, 0.0, 0.0, gradient=0.02)
    assert demand.along == pytest.approx(-80.0 * GRAVITY * 0.02 / np.sqrt(1.0004))


# ---------------------------------------------------------------------- tipping


def test_tipping_threshold_with_hand_hold_moment():
    # moment balance F h = m g b + F_hand l (P7), by hand: 80 kg, b = 0.15 m, h = 0.9625 m,
    # a 200 N pull on a handle with a 0.9 m lever → F = (117.7 + 180) / 0.9625 ≈ 309.3 N
    mass, b, h = 80.0, 0.15, 0.55 * 1.75
    expected = (mass * GRAVITY * b + 200.0 * 0.9) / h
    threshold = tipping_force_threshold(mass, h, b, hand_grip=200.0, hand_lever=0.9)
    assert threshold == pytest.approx(expected)
    assert threshold == pytest.approx(309.3, abs=0.1)
    # the margin crosses zero exactly at that force (an aerodynamic force at h_cp = h)
    for force, sign in ((0.99 * threshold, 1), (1.01 * threshold, -1)):
        air = -np.sqrt(force / (0.5 * 1.2 * 0.84))  # air speed giving that drag
        demand = demand_force(mass, 0.84, air, 0.0, 0.0, 0.0)
        margin = tipping_margin(mass, demand, h, h, b, hand_grip=200.0, hand_lever=0.9)
        assert np.sign(margin) == sign


@pytest.mark.parametrize("mu", [0.1, 0.3, 0.6])
def test_tipping_before_sliding_iff_mu_exceeds_half_stance_over_height(mu):
    # one force at height h, no holds: slides at μ m g, tips at m g b / h (P5, P7);
    # tips first exactly when μ > b/h (here b/h = 0.15/0.9625 ≈ 0.156)
    mass, b, h = 80.0, 0.15, 0.55 * 1.75
    forces = np.linspace(1.0, 800.0, 4000)
    slides = dislodge_margin(capacity_force(mass, mu), forces) < 0
    air = -np.sqrt(forces / (0.5 * 1.2 * STANDING.drag_area))
    demand = demand_force(mass, STANDING.drag_area, air, 0.0, 0.0, 0.0)
    tips = tipping_margin(mass, demand, h, h, b) < 0
    first_slide = forces[np.argmax(slides)]
    first_tip = forces[np.argmax(tips)]
    assert (first_tip < first_slide) == (mu > b / h)


# ---------------------------------------------------------------------- motion

LONG_TRACK = Track((Segment.straight(20_000.0),))


def test_jerk_limited_motion_respects_limits_and_reaches_target():
    # (M2)–(M3) hold acceleration and jerk to their limits by construction; a per-sample
    # plan: accelerate from rest to 97 km/h, then brake to 40 km/h at 1.5–2 km (per sample)
    n = 5
    rng = np.random.default_rng(1)
    accel_max = rng.uniform(0.3, 0.8, n)
    decel_max = rng.uniform(0.5, 1.2, n)
    jerk_max = rng.uniform(0.3, 1.0, n)
    v_target = np.full(n, 97 * KMH)
    events = [SpeedEvent(target=40 * KMH, position=rng.uniform(1500.0, 2000.0, n))]
    motion = simulate_train(
        LONG_TRACK,
        v_target,
        accel_max=accel_max,
        decel_max=decel_max,
        jerk_max=jerk_max,
        duration=300.0,
        dt=0.05,
        events=events,
        v0=0.0,
    )
    assert motion.s.shape == motion.v.shape == motion.a_long.shape == (n, motion.t.size)
    tol = 1e-9
    assert np.all(motion.a_long <= accel_max[:, None] + tol)
    assert np.all(motion.a_long >= -decel_max[:, None] - tol)
    assert np.all(np.abs(motion.jerk) <= jerk_max[:, None] + 1e-6)
    assert np.all(np.diff(motion.s, axis=-1) >= 0)
    # reaches 97 km/h before the braking point, then settles on 40 km/h
    np.testing.assert_allclose(motion.v.max(axis=-1), 97 * KMH, atol=0.005)
    np.testing.assert_allclose(motion.v[:, -1], 40 * KMH, atol=1e-3)
    np.testing.assert_allclose(motion.a_long[:, -1], 0.0, atol=1e-3)


def test_jerk_limited_speed_change_takes_the_closed_form_time():
    # a jerk-limited speed change Δv with a ramp to a_max and back takes
    # Δv/a_max + a_max/j (trapezoidal acceleration profile); 0 → 20 m/s, a 0.5, j 0.5 → 41 s
    motion = simulate_train(
        LONG_TRACK, 20.0, accel_max=0.5, decel_max=1.0, jerk_max=0.5, duration=60.0, v0=0.0
    )
    reached = motion.t[np.argmax(motion.v >= 20.0 - 1e-3)]
    assert reached == pytest.approx(20.0 / 0.5 + 0.5 / 0.5, abs=0.3)


def test_jerk_limited_stop_covers_the_closed_form_distance():
    # stopping from v at deceleration d with jerk-limited ramps in and out covers
    # v²/(2d) + v·d/(2j) (the ramps shift the constant-deceleration stop by d/(2j) in time)
    v0, d, j = 26.9, np.array([0.3, 0.8, 1.2]), np.array([0.3, 1.0, 0.4])
    motion = simulate_train(
        LONG_TRACK, 0.0, accel_max=0.5, decel_max=d, jerk_max=j, duration=150.0, v0=v0
    )
    np.testing.assert_allclose(motion.s[:, -1], v0**2 / (2 * d) + v0 * d / (2 * j), rtol=1e-3)
    np.testing.assert_array_equal(motion.v[:, -1], 0.0)


def test_cruise_start_stays_at_target():
    # v0 = None starts at the target speed: s = v t exactly
    motion = simulate_train(
        LONG_TRACK,
        np.array([10.0, 20.0]),
        accel_max=0.5,
        decel_max=1.0,
        jerk_max=0.5,
        duration=10.0,
        dt=0.1,
    )
    np.testing.assert_allclose(motion.s[:, -1], [100.0, 200.0])


# ---------------------------------------------------------------------- postures


def test_posture_changes_after_position_cue_plus_reaction_delay():
    # hand numbers: 20 m/s from s = 0, cue at 100 m → reached at 5.0 s; delays 0.5 / 1.5 s
    t = np.arange(0.0, 10.0 + 1e-9, 0.1)
    s = 20.0 * t[None, :] * np.ones((2, 1))
    plan = PosturePlan(initial=0, changes=(PostureChange(posture=1, at=100.0),), basis="position")
    index = posture_at(t, plan, np.array([0.5, 1.5]), s=s)
    assert index.shape == (2, t.size)
    switch = t[np.argmax(index == 1, axis=-1)]
    np.testing.assert_allclose(switch, [5.5, 6.5])
    heights = posture_values(index).height
    assert heights[0, 0] == STANDING.height
    assert heights[0, -1] == CROUCHING.height


def test_posture_changes_on_time_plan_in_order():
    # time cues 2 s → crouch, 4 s → prone, no delay
    t = np.arange(0.0, 6.0, 1.0)
    plan = PosturePlan(initial=0, changes=(PostureChange(1, 2.0), PostureChange(2, 4.0)))
    np.testing.assert_array_equal(posture_at(t, plan, np.zeros(1)), [[0, 0, 1, 1, 2, 2]])


# ---------------------------------------------------------------------- together


def test_run_through_stavem_curve_composes_batched():
    # the pieces chained over (n, T): 275 m left curve with 150 mm cant (Stavem tunnel,
    # REFERENCES.md) run at 97 km/h and at 80 km/h. In the curve the lateral demand is
    # m·a_u (1.66 and ≈ 0.81 m/s², (L1)) next to the drag; the faster sample's worst
    # margin is lower; a 5.05 m tunnel clearance strikes a standing performer on a B5 roof
    track = Track(
        (
            Segment.straight(200.0),
            Segment.curve(1395.0, 275.0, cant=0.150, hand="left"),
            Segment.straight(2000.0),
        ),
        (Structure("Stavem tunnel", "tunnel_portal", 200.0, 1395.0, 5.05),),
    )
    v = np.array([97.0, 80.0]) * KMH
    motion = simulate_train(
        track, v, accel_max=0.5, decel_max=1.0, jerk_max=0.5, duration=30.0, dt=0.1
    )
    a_lat = roof_lateral_acceleration(track, motion.s, motion.v)
    in_curve = track.at(motion.s).hand == 1
    np.testing.assert_allclose(
        a_lat[0][in_curve[0]], uncompensated_lateral_acceleration(97 * KMH, 275.0, 0.15)
    )
    along, across = relative_wind(motion.v, 0.0, 0.0)
    posture = posture_values(np.zeros(motion.s.shape, dtype=int))
    demand = demand_force(80.0, posture.drag_area, along, across, motion.a_long, a_lat)
    worst = dislodge_margin(capacity_force(80.0, 0.6), demand.magnitude).min(axis=-1)
    assert worst.shape == (2,)
    assert worst[0] < worst[1]
    clearance = track.overhead_clearance_swept(motion.s)
    margin = structure_clearance_margin(clearance, NSB_B5_ROOF_HEIGHT, posture.height)
    np.testing.assert_allclose(margin.min(axis=-1), -0.775)


def test_speed_at_a_cant_deficiency_inverts_the_deficiency():
    # (L2) D = b v²/(g R) − c solved for v; REFERENCES.md: 97 km/h on R = 275 m with
    # 150 mm cant is a deficiency of ≈ 250 mm, so 250 mm gives back ≈ 97 km/h
    from stuntsim.kinds.train.motion import speed_at_cant_deficiency

    v = speed_at_cant_deficiency(275.0, 0.150, 0.250, 1.5)
    assert v * 3.6 == pytest.approx(97.0, abs=1.0)
    assert cant_deficiency(v, 275.0, 0.150, 1.5) == pytest.approx(0.250, rel=1e-12)
    # equilibrium: no uncompensated lateral acceleration at all
    v0 = speed_at_cant_deficiency(500.0, 0.100, 0.0, 1.5)
    assert uncompensated_lateral_acceleration(v0, 500.0, 0.100, 1.5) == pytest.approx(
        0.0, abs=1e-12)
