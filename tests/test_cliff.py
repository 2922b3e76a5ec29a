"""The cliff-side hairpin: drop edges, barriers with a containment limit, the road grade, the
departure hazard, harm on mitigations (issue 3)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.geometry import (
    EN1317_CONTAINMENT,
    DistanceField,
    Solid,
    breach_normal_speed,
    drop_from_edge,
    edge_margin,
    impact_severity,
    wheel_contact_points,
)
from stuntsim.kinds.car.dynamics import (
    GRAVITY,
    VehicleParams,
    initial_state,
    rk4_step,
    slope_acceleration,
)
from stuntsim.kinds.car.hazards import car_harm
from stuntsim.kinds.car.model import CarModel
from stuntsim.kinds.car.presets import VEHICLE_PRESETS
from stuntsim.scenario import ScenarioError, parse_scenario, resolve
from stuntsim.studies.compare import compare, paired_mean_difference

CLIFF = Path(__file__).resolve().parents[1] / "scenarios" / "cliff_hairpin.yaml"


# --------------------------------------------------------------------------- geometry


def _drop_below_x_axis() -> DistanceField:
    """The ground ends along y = 0 (walking +x, the void is on the right: y < 0)."""
    drop = drop_from_edge("edge", [[-50, 0], [50, 0]], "right", height=20.0)
    return DistanceField([Solid(drop.name, "obstacle", drop.polygon)],
                         bounds=(-20, 20, -15, 15), resolution=0.05)


def test_wheel_contact_points_by_hand():
    # Car at (1, 2) heading 90° (north), a = 0.8, b = 1.0, half track 0.55: the front axle is
    # 0.8 m north of the CG, the left wheels are 0.55 m west (body +y points west).
    wx, wy = wheel_contact_points(1.0, 2.0, math.pi / 2, 0.8, 1.0, 0.55)
    expected = np.array([[1 - 0.55, 2.8], [1 + 0.55, 2.8], [1 - 0.55, 1.0], [1 + 0.55, 1.0]])
    np.testing.assert_allclose(np.column_stack([wx[:, 0], wy[:, 0]]), expected, atol=1e-12)


def test_departure_margin_hand_computed_cases():
    field = _drop_below_x_axis()
    a, b, half = 0.8, 1.0, 0.56
    # heading east at y = 2: the right wheels are 2 − 0.56 = 1.44 m from the edge
    margin, _ = edge_margin(field, 0.0, 2.0, 0.0, a, b, half)
    assert margin[0] == pytest.approx(1.44, abs=1e-4)
    # heading 30° left of east at y = 2: the lowest wheel is the rear right one,
    # y = 2 − b sin 30° − half cos 30° = 2 − 0.5 − 0.48497 = 1.01503
    margin, _ = edge_margin(field, 0.0, 2.0, math.radians(30), a, b, half)
    assert margin[0] == pytest.approx(2 - 0.5 - 0.56 * math.cos(math.radians(30)), abs=1e-4)
    # right wheels 0.3 m beyond the edge: negative margin (departure)
    margin, _ = edge_margin(field, 0.0, 0.26, 0.0, a, b, half)
    assert margin[0] == pytest.approx(-0.30, abs=1e-4)
    # heading south, straight at the edge from y = 3: front wheels at y = 3 − 0.8
    margin, index = edge_margin(field, 0.0, 3.0, -math.pi / 2, a, b, half)
    assert margin[0] == pytest.approx(2.2, abs=1e-4)
    assert index[0] == 0


# --------------------------------------------------------------------------- barriers


def test_en1317_containment_energies_match_the_published_levels():
    # ISe = ½ m (v sin θ)² of each level's heaviest test (EN 1317-2 Table 1); the widely
    # quoted values: N1 43.3 kJ, N2 81.9 kJ, H1 126.6 kJ, H2 287.5 kJ, H4b 724.6 kJ.
    for level, kj in (("N1", 43.3), ("N2", 81.9), ("H1", 126.6), ("H2", 287.5),
                      ("H4b", 724.6)):
        assert EN1317_CONTAINMENT[level] / 1e3 == pytest.approx(kj, abs=0.05)


def test_barrier_at_its_limit_holds_and_just_above_gives_way():
    mass = 620.0
    limit = 20e3
    v_at_limit = math.sqrt(2 * limit / mass)  # ½ m v² = E → 8.03 m/s
    assert impact_severity(mass, v_at_limit) == pytest.approx(limit)
    assert breach_normal_speed(mass, v_at_limit, limit) == 0.0
    # 10 % faster: ½ m v² = 1.21 E, so v' = v √0.21
    left = breach_normal_speed(mass, 1.1 * v_at_limit, limit)
    assert left == pytest.approx(v_at_limit * math.sqrt(0.21), rel=1e-12)
    assert impact_severity(mass, -3.0) == 0.0  # moving away: no impact


_STRAIGHT_AT_A_WALL = """
kind: car
name: straight at a barrier
samples: 1
seed: 1
vehicle: {{preset: fiat_500_nuova, mass: 620 kg}}
street:
  surface: {{name: dry asphalt, mu: 0.8}}
  drops:
    - name: cliff
      edge: [[30, -20], [30, 20]]
      drop_side: right
      height: 25 m
  barriers:
    - name: wall
      face: [[28.6, -20], [28.6, 20]]
      solid_side: right
      thickness: 0.4 m
      containment_energy: {limit}
maneuver:
  line: {{start: [0, 0], heading: 0 deg, segments: [{{straight: 40 m}}]}}
  entry_speed: 30 km/h
simulation: {{time_step: 0.005 s, duration: 6 s, keep_trajectories: 0}}
"""


def _head_on(limit: str):
    resolved = resolve(parse_scenario(_STRAIGHT_AT_A_WALL.format(limit=limit)))
    return CarModel(resolved).simulate({}, 1)


def test_a_barrier_that_holds_turns_a_departure_into_a_collision():
    # 620 kg at 30 km/h head-on: ISe = ½·620·8.33² = 21.5 kJ
    held = _head_on("25 kJ")
    assert held.margins["collision"][0] < 0
    assert held.margins["departure"][0] > 1.0  # stopped 1.4 m short of the edge
    assert held.collision_speed[0] == pytest.approx(30 / 3.6, rel=0.02)
    assert held.barrier_breached[0] == -1
    assert held.barrier_impact_energy[0] == pytest.approx(0.5 * 620 * (30 / 3.6) ** 2, rel=0.04)


def test_a_barrier_that_fails_does_not():
    gave = _head_on("18 kJ")
    assert gave.barrier_breached[0] == 0
    assert gave.margins["departure"][0] < 0
    assert gave.margins["collision"][0] > 0  # breaking through is not a stop
    # v' = √(v² − 2E/m) = √(8.333² − 2·18000/620) = 3.37 m/s through the wall. The driver
    # then throttles back towards 30 km/h: at most the preset's 2500 N drive force over the
    # 1.9 m from the barrier face (bumper) to the edge (front wheel, 0.5 m overhang):
    # v ≤ √(v'² + 2 (2500/620) 1.9) = 5.1 m/s.
    expected = math.sqrt((30 / 3.6) ** 2 - 2 * 18e3 / 620)
    ceiling = math.sqrt(expected**2 + 2 * 2500 / 620 * 1.9)
    assert expected < gave.departure_speed[0] < ceiling
    assert gave.departure_height[0] == 25.0


def test_without_barrier_the_car_goes_over():
    resolved = resolve(parse_scenario(
        _STRAIGHT_AT_A_WALL.format(limit="18 kJ").replace(
            "containment_energy: 18 kJ", "containment_energy: 18 kJ\n      present: false")
    ))
    outcome = CarModel(resolved).simulate({}, 1)
    assert outcome.margins["departure"][0] < 0
    assert outcome.departure_speed[0] == pytest.approx(30 / 3.6, rel=0.03)


# --------------------------------------------------------------------------- grade


def _fiat_without_resistance() -> VehicleParams:
    from stuntsim.kinds.car.model import VEHICLE_FIELDS

    preset = {k: v.value for k, v in VEHICLE_PRESETS["fiat_500_nuova"].items()}
    fields = {name: preset[name] for name in VEHICLE_FIELDS}
    return VehicleParams(**fields).with_overrides(drag_area=0.0, rolling_resistance=0.0)


def test_slope_components_by_hand():
    # 10 % grade: θ = atan 0.1, g sin θ = 9.80665·0.0995037 = 0.975803 m/s²
    gx, gy, cos_t = slope_acceleration(0.1, 0.0, 0.0)
    assert gx == pytest.approx(-GRAVITY * math.sin(math.atan(0.1)))
    assert gy == pytest.approx(0.0, abs=1e-15)
    assert cos_t == pytest.approx(1 / math.sqrt(1.01))
    # heading 90° left of the uphill direction: gravity pulls to the car's left? No: the
    # downhill direction is the car's right-hand side rotated... ψ − ψ_t = +90°, so the
    # uphill direction is on the car's right, and gravity (downhill) points to its left.
    gx, gy, _ = slope_acceleration(0.1, math.pi / 2, 0.0)
    assert gx == pytest.approx(0.0, abs=1e-12)
    assert gy == pytest.approx(GRAVITY * math.sin(math.atan(0.1)))


def test_coasting_up_a_grade_decelerates_at_g_sin_theta():
    # No drag, no rolling resistance, no drive or brake: v̇ = −g sin θ exactly (E12).
    params = _fiat_without_resistance()
    state = initial_state(1, speed=15.0)
    gx, gy, cos_t = slope_acceleration(0.08, 0.0, 0.0)
    dt, steps = 0.01, 300
    for _ in range(steps):
        state, _ = rk4_step(state, dt, 0.0, 0.0, params, 0.8 * cos_t, 0.8 * cos_t,
                            slope_x=gx, slope_y=gy)
    expected = 15.0 - GRAVITY * math.sin(math.atan(0.08)) * dt * steps
    assert state[3, 0] == pytest.approx(expected, abs=1e-9)


def test_downhill_needs_longer_to_stop_as_the_closed_form_says():
    # Braking at a fixed deceleration a on a grade G (rise/run) the stopping distance is
    # v² / (2 (a + g sin θ)) uphill and v² / (2 (a − g sin θ)) downhill (AASHTO 2018 §3.2.2
    # braking distance on grades, d = V²/(254 (a/9.81 ± G)) in km/h, with sin θ ≈ G).
    params = _fiat_without_resistance()
    # Measured down to v_end = 0.5 m/s, above the brakes' fade below 0.1 m/s (on a slope a
    # fading brake lets a stopped car creep: the model does not hold a parked car), so the
    # closed form is (v0² − v_end²) / (2 (a ± g sin θ)); the last step is interpolated.
    v0, a, v_end = 12.0, 4.0, 0.5
    for grade in (0.07, -0.07):
        gx, gy, cos_t = slope_acceleration(grade, 0.0, 0.0)
        state = initial_state(1, speed=v0)
        dt = 0.002
        for _ in range(20_000):
            previous = state.copy()
            state, _ = rk4_step(state, dt, 0.0, -a, params, 0.9 * cos_t, 0.9 * cos_t,
                                slope_x=gx, slope_y=gy)
            if state[3, 0] <= v_end:
                break
        share = (previous[3, 0] - v_end) / (previous[3, 0] - state[3, 0])
        travelled = previous[0, 0] + share * (state[0, 0] - previous[0, 0])
        expected = (v0**2 - v_end**2) / (2 * (a + GRAVITY * math.sin(math.atan(grade))))
        assert travelled == pytest.approx(expected, abs=1e-3)


# --------------------------------------------------------------------------- the scenario


@pytest.fixture(scope="module")
def cliff():
    return stuntsim.load_scenario(CLIFF)


def test_cliff_scenario_has_the_departure_hazard_and_a_non_trivial_risk(cliff):
    result = stuntsim.run(cliff, samples=512, seed=7, executor="serial", keep_trajectories=0)
    assert "departure" in result.hazards
    departure = result.estimates["departure"]
    # The file's own 4000-sample run gives P(departure) ≈ 0.125; n = 512 is enough to see
    # it is neither ~0 nor ~1: the 95 % interval must lie inside (0.02, 0.5).
    assert departure.ci95[0] > 0.02
    assert departure.ci95[1] < 0.5
    failed = result.margins["departure"] < 0
    heights = result.details["departure_height"][failed]
    assert np.all((heights >= 15) & (heights <= 60))  # drawn, U(15 m, 60 m)
    harm = car_harm(result.margins, result.details)["departure"]["fatality"]
    # a fall of 15-60 m: fatality 0.5-1 (Smith et al. LD50 14.8 m, stuntsim.severity)
    assert np.all(harm[failed] > 0.5)
    assert np.all(harm[~failed] == 0.0)


def test_rome_has_no_departure_hazard():
    rome = stuntsim.load_scenario(CLIFF.parent / "rome_sharp_turn.yaml")
    assert "departure" not in CarModel(rome).hazards


def test_identical_variants_have_exactly_zero_harm_difference(cliff):
    result = compare([cliff, cliff], samples=256, seed=3, executor="serial")
    for hazard in result.hazards:
        assert result.differences[0][hazard].difference == 0.0
    for outcomes in result.harm_differences[0].values():
        for d in outcomes.values():
            assert d.difference == 0.0
            assert d.worse == d.better == 0


def test_slower_entry_and_bend_lower_departure_risk_on_common_random_numbers(cliff):
    slower = cliff.with_nominal("maneuver.entry_speed", "40 km/h").with_nominal(
        "maneuver.corner_speed", "18 km/h")
    result = compare([cliff, slower], samples=512, seed=11, executor="serial")
    d = result.differences[0]["departure"]
    assert d.ci95[1] < 0  # significantly fewer departures
    harm = result.harm_differences[0]["any"]["fatality"]
    assert harm.ci95[1] < 0


def test_a_barrier_variant_trades_departures_for_survivable_collisions(cliff):
    parapet = cliff.variant("dry-stone parapet")
    result = compare([cliff, parapet], samples=512, seed=5, executor="serial")
    assert result.estimates[1]["departure"].failures == 0  # it holds every impact here
    assert result.differences[0]["departure"].ci95[1] < 0
    assert result.harm_differences[0]["any"]["fatality"].ci95[1] < 0


def test_paired_mean_difference_by_hand():
    base = np.array([0.0, 0.5, 0.2, 0.0])
    variant = np.array([0.0, 0.1, 0.2, 0.3])
    d = paired_mean_difference(base, variant)
    diffs = variant - base
    assert d.difference == pytest.approx(diffs.mean())
    half = 1.959963984540054 * diffs.std(ddof=1) / 2
    assert d.ci95 == pytest.approx((diffs.mean() - half, diffs.mean() + half))
    assert (d.worse, d.better) == (1, 1)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("  template: hairpin", "  # template: hairpin", "street.center", "template: hairpin"),
        ("      height: 30 m                  # ASSUMPTION: uncertain below\n",
         "      height: -3 m\n", "street.drops.0.height", "greater than 0"),
        ("      containment_level: N2", "      containment_level: N9",
         "street.barriers.1.containment_level", "must be"),
        ("      containment_energy: 10 kJ", "      containment_energy: 10 km/h",
         "street.barriers.0.containment_energy", "energy"),
        ("  gradient: -7 %", "  gradient: 60 %", "street.gradient", "0.4"),
        ("    street.barriers.dry-stone parapet.present: true",
         "    street.barriers.dry-stone parapet.present: 2",
         "variants.dry-stone parapet.street.barriers.dry-stone parapet.present", "switch"),
        ("    maneuver.corner_speed: 18 km/h", "    maneuver.corner_speed: true",
         "variants.slower bend (18 km/h).maneuver.corner_speed", "switches"),
    ],
)
def test_bad_cliff_input_names_the_field(old, new, field, words):
    text = CLIFF.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text.replace(old, new), source="cliff.yaml")
    message = str(err.value)
    assert message.startswith(f"cliff.yaml: {field}"), message
    assert words in message, message


def test_barrier_needs_exactly_one_containment():
    text = CLIFF.read_text(encoding="utf-8").replace(
        "      containment_level: N2", "      containment_level: N2\n      "
        "containment_energy: 50 kJ")
    with pytest.raises(ScenarioError, match="exactly one of 'containment_energy'"):
        parse_scenario(text, source="cliff.yaml")
