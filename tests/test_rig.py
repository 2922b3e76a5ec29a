"""The camera-rigged car: rig mass properties, sight lines in the closed loop, detection,
the stopping-sight-distance margin, the rig's share, and bad rig input."""

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import stuntsim
from stuntsim.cli import main
from stuntsim.constants import GRAVITY as G
from stuntsim.geometry.visibility import corner_visibility_distance, stopping_sight_distance
from stuntsim.kinds.car.hazards import quasi_static_rollover_threshold, stopping_distance_margin
from stuntsim.kinds.car.model import CarModel, Parameters
from stuntsim.kinds.car.monitors import _walk_crossing
from stuntsim.kinds.car.path import path_from_segments
from stuntsim.kinds.car.rig import rigged_mass_properties
from stuntsim.scenario import ScenarioError, parse_scenario, resolve
from stuntsim.studies.compare import rig_share

ROOT = Path(__file__).resolve().parents[1]
RIG_FILE = ROOT / "scenarios" / "camera_rig_car.yaml"
EYE = (0.05, 0.27, 1.05)  # the Fiat 500 preset's eye, car frame [m]


def _resolved(data: dict):
    return resolve(parse_scenario(yaml.safe_dump(data, sort_keys=False)))


def _straight_street(*, speed_kmh: float, person: dict, buildings: list, rig=None,
                     brake_decel: float | None = None, mu: float = 0.9,
                     duration: float = 8.0) -> dict:
    """A car driving straight east along y = 0 at a constant planned speed (no corner, no
    braking plan), and one person stepping out; nothing uncertain."""
    vehicle = {"preset": "fiat_500_nuova", "drag_area": 0.0, "rolling_resistance": 0.0}
    if brake_decel is not None:
        vehicle["max_brake_force"] = 620.0 * brake_decel
    data = {
        "kind": "car", "name": "straight", "samples": 1, "seed": 1,
        "vehicle": vehicle,
        "street": {"surface": {"name": "dry", "mu": mu}, "buildings": buildings,
                   "people_stepping_out": [person]},
        "maneuver": {"line": {"start": [-60.0, 0.0], "heading": 0.0,
                              "segments": [{"straight": 160.0}]},
                     "entry_speed": f"{speed_kmh} km/h"},
        "driver": {"perception_reaction_time": "1.0 s"},
        "simulation": {"time_step": 0.01, "duration": duration, "keep_trajectories": 0},
    }
    if rig is not None:
        data["rig"] = rig
    return data


def _simulate(data: dict, record: bool = True):
    resolved = _resolved(data)
    model = CarModel(resolved)
    return model, model.simulate({}, 1, record=record)


# --------------------------------------------------------------------------------------
# Mass properties (stuntsim.kinds.car.rig, R1–R6)
# --------------------------------------------------------------------------------------
class _Mount:
    def __init__(self, position, size, shape="box"):
        self.position, self.size, self.shape = position, size, shape


def test_rig_mass_properties_by_hand():
    # One 20 kg box (0.3 × 0.2 × 0.2 m) at (1.0, 0.5, 1.0) on a 600 kg car, CG at the origin
    # 0.55 m up, a = 1.1, b = 0.74, I_z = 490, k = 0.45. By hand:
    #   M = 620; x_c = 20·1.0/620 = 0.032258; h' = (600·0.55 + 20·1.0)/620 = 0.564516
    #   I_z' = 490 + 600 x_c² + 20((1 − x_c)² + 0.5²) + 20(0.09 + 0.04)/12
    #   M k'² = 600·0.45² + 600(0.55 − h')² + 20((1 − h')² + 0.5²) + 20(0.04 + 0.04)/12
    car = {"mass": 600.0, "yaw_inertia": 490.0, "cg_to_front": 1.1, "cg_to_rear": 0.74,
           "cg_height": 0.55, "roll_gyration_radius": 0.45}
    out = rigged_mass_properties(car, [_Mount((1.0, 0.5, 1.0), (0.3, 0.2, 0.2))], [20.0])
    x_c = 20.0 / 620.0
    h = (600 * 0.55 + 20.0) / 620.0
    assert out["mass"] == pytest.approx(620.0)
    assert out["cg_shift_forward"] == pytest.approx(x_c)
    assert out["cg_offset_left"] == pytest.approx(10.0 / 620.0)
    assert out["cg_height"] == pytest.approx(h)
    assert out["cg_to_front"] == pytest.approx(1.1 - x_c)
    assert out["cg_to_rear"] == pytest.approx(0.74 + x_c)
    yaw = 490 + 600 * x_c**2 + 20 * ((1 - x_c) ** 2 + 0.25) + 20 * 0.13 / 12
    assert out["yaw_inertia"] == pytest.approx(yaw)
    roll = 600 * 0.45**2 + 600 * (0.55 - h) ** 2 + 20 * ((1 - h) ** 2 + 0.25) + 20 * 0.08 / 12
    assert out["roll_gyration_radius"] == pytest.approx(math.sqrt(roll / 620.0))


def test_no_mounts_leave_the_car_unchanged():
    car = {"mass": 600.0, "yaw_inertia": 490.0, "cg_to_front": 1.1, "cg_to_rear": 0.74,
           "cg_height": 0.55, "roll_gyration_radius": 0.45}
    out = rigged_mass_properties(car, [], [])
    for key, value in car.items():
        assert out[key] == pytest.approx(value, abs=0)


def test_a_roof_mount_lowers_the_rollover_threshold_through_the_model():
    # SSF = t/(2h): a 40 kg roof camera at 1.5 m on the 620 kg preset car (h = 0.55 m)
    # raises h to (620·0.55 + 40·1.5)/660 = 0.6076 m, so the threshold drops by 0.55/0.6076.
    data = yaml.safe_load(RIG_FILE.read_text())
    data["uncertain"] = {}
    data["variants"] = {}
    data["vehicle"]["mass"] = "620 kg"
    data["rig"] = {"mounts": [{"name": "roof camera", "location": "roof",
                               "position": [0.0, 0.0, 1.5], "size": [0.4, 0.4, 0.3],
                               "mass": "40 kg"}]}
    resolved = _resolved(data)
    p = Parameters(resolved.nominal, {}, 1)
    rigged = CarModel(resolved).car_values(p)
    bare = CarModel(resolved.with_nominal("rig.present", False)).car_values(p)
    assert rigged["cg_height"][0] == pytest.approx((620 * 0.55 + 40 * 1.5) / 660)
    ratio = (quasi_static_rollover_threshold(1.12, rigged["cg_height"][0])
             / quasi_static_rollover_threshold(1.12, bare["cg_height"][0]))
    assert ratio == pytest.approx(0.55 / ((620 * 0.55 + 40 * 1.5) / 660))
    assert rigged["mass"][0] == pytest.approx(660.0)


# --------------------------------------------------------------------------------------
# Where a walk crosses the line
# --------------------------------------------------------------------------------------
def test_walk_crossing_of_a_straight_line_by_hand():
    # the line runs east from (-60, 0); a walk from (10, -3) heading north crosses it at
    # x = 10, i.e. 70 m along the line, after 3 m of walking; one heading 45° crosses at
    # x = 13 after 3√2 m; one heading south never crosses
    path = path_from_segments((-60.0, 0.0), 0.0, [("straight", 160.0)])
    s, w = _walk_crossing(path, np.array([10.0, -3.0]),
                          np.radians([90.0, 45.0, -90.0]), np.array([8.0, 8.0, 8.0]))
    np.testing.assert_allclose(s[:2], [70.0, 73.0], atol=1e-9)
    np.testing.assert_allclose(w[:2], [3.0, 3.0 * math.sqrt(2.0)], atol=1e-9)
    assert np.isnan(s[2])
    assert np.isnan(w[2])
    # a walk that stops short of the line does not cross it
    s_short, _ = _walk_crossing(path, np.array([10.0, -3.0]), np.radians([90.0]),
                                np.array([2.5]))
    assert np.isnan(s_short[0])


# --------------------------------------------------------------------------------------
# Sight lines in the closed loop
# --------------------------------------------------------------------------------------
def test_first_sight_round_a_corner_matches_the_closed_form():
    # Plan view of visibility.corner_visibility_distance: the near-side building fills
    # x < 0, y < -a_w (its corner at (0, -a_w)); the car drives east with its eye at
    # y = eye_left = 0.27 m, so the eye's offset from the building line is a = a_w + 0.27.
    # A person stands still at (b, -a_w - d) in the side street. With a_w = 2.23 (a = 2.5),
    # b = 4, d = 2 and radius r = 0.12 the closed form (tangent to the silhouette) gives
    #   L* = a (b d + r √(b² + d² − r²)) / (d² − r²)
    # and the eye is first clear at x_eye = −L*. The model samples the silhouette edges at
    # ±r (atan instead of asin: < 1 mm here) every 0.01 s at 36 km/h, so the eye's position
    # at first sight is within one step (0.1 m) past −L*.
    a_w, b, d, r = 2.23, 4.0, 2.0, 0.12
    building = {"name": "corner", "polygon": [[-80, -a_w], [0, -a_w], [0, -40], [-80, -40]]}
    person = {"name": "waiting crew", "start": [b, -a_w - d], "heading": "90 deg",
              "start_time": "0 s", "walking_speed": "0.2 m/s", "walk_distance": "0.001 m",
              "radius": f"{r} m", "height": "1.75 m"}
    data = _straight_street(speed_kmh=36.0, person=person, buildings=[building])
    _model, out = _simulate(data)
    traj = out.trajectories
    seen_step = int(np.argmax(traj["walker_seen"][0] > 0))
    eye_x = traj["eye_x"][0, seen_step]
    expected = -float(corner_visibility_distance(a_w + 0.27, b, d, person_radius=r))
    assert expected == pytest.approx(-5.355, abs=0.001)  # a b/d = 5.0 for a point person
    assert expected - 1e-6 <= eye_x <= expected + 0.1 + 1e-6
    assert out.walker_seen_time[0] == pytest.approx(traj["t"][0, seen_step])
    # a person standing still off the road is seen, but is no reason to brake
    assert np.isnan(out.walker_detect_time[0])
    assert out.margins["person_not_seen_in_time"][0] == np.inf


def test_a_person_behind_a_wall_is_never_seen():
    # the person walks along the far side of a solid wall that the car passes: no line
    # from the eye clears it, so there is no detection and the car never brakes
    wall = {"name": "wall", "polygon": [[-80, -2.5], [80, -2.5], [80, -3.5], [-80, -3.5]]}
    person = {"name": "behind the wall", "start": [0.0, -6.0], "heading": "0 deg",
              "start_time": "0 s", "walk_distance": "5 m"}
    _model, out = _simulate(_straight_street(speed_kmh=30.0, person=person, buildings=[wall]))
    assert np.isnan(out.walker_seen_time[0])
    assert not np.any(out.trajectories["braking"][0] > 0)
    assert out.margins["person_not_seen_in_time"][0] == np.inf  # the walk never meets the line


def test_stopping_distance_after_detection_matches_aashto_ssd():
    # AASHTO SSD = 0.278 V t + V² / (254 (a / 9.81)), V in km/h: with V = 30 km/h, t = 1.0 s
    # and a = 3.4 m/s² (brake-limited: the brakes give m·3.4 N, the road μ 0.9 more), the
    # car covers SSD = 8.34 + 10.21 = 18.55 m from first sight to standstill. The person
    # stands in the open far ahead (nothing hides them), so first sight is at the step-out.
    # Tolerance: one step of travel (0.083 m) for the sight and stop instants, and the
    # brakes' fade below 0.1 m/s (E8 of dynamics: ≤ 0.01 m).
    v, t_pr, a = 30.0 / 3.6, 1.0, 3.4
    ssd = float(stopping_sight_distance(v, t_pr, a))
    assert ssd == pytest.approx(0.278 * 30 * 1.0 + 30**2 / (254 * 3.4 / 9.81))
    assert ssd == pytest.approx(v * t_pr + v * v / (2 * a), rel=1e-3)
    person = {"name": "crew", "start": [60.0, 0.0], "heading": "90 deg",
              "start_time": "1 s", "walking_speed": "0.5 m/s", "walk_distance": "1 m"}
    data = _straight_street(speed_kmh=30.0, person=person, buildings=[
        {"name": "far block", "polygon": [[-80, 20], [80, 20], [80, 30], [-80, 30]]}],
        brake_decel=a, duration=9.0)
    _model, out = _simulate(data)
    traj = out.trajectories
    seen = out.walker_seen_time[0]
    assert seen == pytest.approx(1.0, abs=0.011)
    times = traj["t"][0]
    x = traj["x"][0]
    x_seen = np.interp(seen, times, x)
    x_stop = x[np.flatnonzero(traj["active"][0] > 0)[-1]]  # last active step: stood still
    assert x_stop - x_seen == pytest.approx(ssd, abs=0.1)
    # and the sight margin is D − SSD with the brake-limited a and the car's own speed
    distance = out.walker_sight_distance[0]
    expected = stopping_distance_margin(distance, v, t_pr, a)
    assert out.margins["person_not_seen_in_time"][0] == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(distance - ssd, rel=1e-3, abs=0.02)
    assert out.margins["person_struck"][0] > 0  # it stopped short of the person


def test_friction_limited_emergency_stop_slides_on_locked_wheels():
    # Full braking without ABS on μ = 0.5: the preset's brakes (0.95 g, 70 % front) lock
    # both axles (front 0.665 g of brake against ≤ 0.5·(b + h z)/L ≈ 0.27 g of grip, rear
    # 0.285 g against ≈ 0.23 g), so the car slides at ρ μ g, ρ = 0.88 the preset's
    # locked-friction ratio (Wong, Theory of Ground Vehicles, Table 1.3), and stops in
    # v t + v²/(2 ρ μ g) from first sight (REFERENCES.md stopping distance with the
    # sliding μ): 8.33 + 8.20 = 16.5 m at 30 km/h, t = 1.0 s. The sight margin uses the
    # same deceleration. Tolerances as in the AASHTO test above.
    v, t_pr, mu, ratio = 30.0 / 3.6, 1.0, 0.5, 0.88
    stop = v * t_pr + v * v / (2 * ratio * mu * G)
    person = {"name": "crew", "start": [60.0, 0.0], "heading": "90 deg",
              "start_time": "1 s", "walking_speed": "0.5 m/s", "walk_distance": "1 m"}
    data = _straight_street(speed_kmh=30.0, person=person, mu=mu, duration=9.0, buildings=[
        {"name": "far block", "polygon": [[-80, 20], [80, 20], [80, 30], [-80, 30]]}])
    data["vehicle"]["locked_friction_ratio"] = ratio
    _model, out = _simulate(data)
    traj = out.trajectories
    seen = out.walker_seen_time[0]
    x_seen = np.interp(seen, traj["t"][0], traj["x"][0])
    x_stop = traj["x"][0][np.flatnonzero(traj["active"][0] > 0)[-1]]
    assert x_stop - x_seen == pytest.approx(stop, abs=0.1)
    expected = stopping_distance_margin(out.walker_sight_distance[0], v, t_pr,
                                        ratio * mu * G)
    assert out.margins["person_not_seen_in_time"][0] == pytest.approx(expected, abs=1e-6)


def test_stopping_distance_margin_closed_form():
    # D − (v t + v²/2a): 40 m at 10 m/s, 1.5 s, 5 m/s² → 40 − 15 − 10 = 15 m; a ≤ 0: −inf
    assert stopping_distance_margin(40.0, 10.0, 1.5, 5.0) == pytest.approx(15.0)
    assert stopping_distance_margin(40.0, 10.0, 1.5, 0.0) == -np.inf


def test_a_hood_camera_in_the_sight_line_hides_a_person_straight_ahead():
    # A person stepping slowly into the car's path 40 m ahead, visible at once without a
    # rig (the car brakes one reaction time later and stops short of them). A hood camera
    # box in front of the driver, 0.8-1.3 m high and 0.8 m wide: from the eye at 1.05 m a
    # 1.75 m person at 40 m spans elevations −1.3° … +0.8°, inside the box's ±13° (or more),
    # and as the car closes in the box's angular size grows faster than the person's (the
    # box at 1 m, the person at ≥ 2 m), so they stay hidden until the car strikes them.
    person = {"name": "crew", "start": [-20.0, -0.2], "heading": "90 deg",
              "start_time": "0.5 s", "walking_speed": "0.3 m/s", "walk_distance": "1 m",
              "radius": "0.2 m"}
    open_street = [{"name": "far block", "polygon": [[-80, 20], [80, 20], [80, 30],
                                                     [-80, 30]]}]
    hood = {"mounts": [{"name": "hood camera", "location": "hood",
                        "position": [1.0, 0.27, 1.05], "size": [0.25, 0.8, 0.5],
                        "mass": "9 kg"}]}
    _, bare = _simulate(_straight_street(speed_kmh=20.0, person=person,
                                         buildings=open_street), record=False)
    _, rigged = _simulate(_straight_street(speed_kmh=20.0, person=person,
                                           buildings=open_street, rig=hood), record=False)
    assert bare.walker_seen_time[0] == pytest.approx(0.5, abs=0.011)
    assert np.isnan(rigged.walker_seen_time[0])
    assert rigged.margins["person_struck"][0] < 0
    assert bare.margins["person_struck"][0] > 0
    assert rigged.walker_struck_front[0] == 1.0  # straight ahead: by the car's front
    assert np.isnan(bare.walker_struck_front[0])


# --------------------------------------------------------------------------------------
# The rig's share
# --------------------------------------------------------------------------------------
def test_without_any_rig_the_rigs_share_is_exactly_zero():
    data = yaml.safe_load(RIG_FILE.read_text())
    data["rig"] = {"mounts": []}
    data["uncertain"] = {k: v for k, v in data["uncertain"].items()
                         if not k.startswith("rig.")}
    data["variants"] = {}
    comparison = rig_share(_resolved(data), samples=48, seed=3, executor="serial")
    for hazard, difference in comparison.differences[0].items():
        assert difference.difference == 0.0, hazard
        assert difference.worse == difference.better == 0


def test_switching_the_rig_off_removes_its_mass_and_sight_lines():
    resolved = stuntsim.load_scenario(RIG_FILE)
    off = resolved.with_nominal("rig.present", False)
    assert off.scenario.rig.active_mounts() == []
    p = Parameters(resolved.nominal, {}, 1)
    assert CarModel(resolved).car_values(p)["mass"][0] == pytest.approx(600 + 9 + 7 + 7)
    assert CarModel(off).car_values(p)["mass"][0] == pytest.approx(600.0)


# --------------------------------------------------------------------------------------
# Bad rig input
# --------------------------------------------------------------------------------------
def _bad(tmp_path, capsys, change):
    data = yaml.safe_load(RIG_FILE.read_text())
    change(data)
    path = tmp_path / "bad_rig.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out_dir = tmp_path / "out"
    code = main(["run", str(path), "--samples", "8", "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert "bad_rig.yaml" in err
    assert "Traceback" not in err
    return err


def _mount(data):
    return data["rig"]["mounts"][0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: _mount(d).pop("size"), "size"),
        (lambda d: _mount(d).update(radius="0.1 m"), "radius"),
        (lambda d: _mount(d).update(position=[0.05, 0.27, 1.05]), "eye"),
        (lambda d: _mount(d).update(position=[1.0, 0.2, 0.05]), "below the road"),
        (lambda d: _mount(d).update(location="bonnet"), "location"),
        (lambda d: _mount(d).update(mass="-3 kg"), "mass"),
        (lambda d: _mount(d).update(mass="3 m"), "mass"),
        (lambda d: _mount(d).update(size=[0.3, 0.0, 0.2]), "size"),
        (lambda d: d["rig"]["mounts"].append(copy.deepcopy(_mount(d))), "unique"),
        (lambda d: d["variants"].update({"x": {"rig.present": 3}}), "switch"),
        (lambda d: d["street"]["people_stepping_out"][0].update(walking_speed="-1 m/s"),
         "walking_speed"),
    ],
)
def test_bad_rig_input_gets_a_clear_error(tmp_path, capsys, change, expected):
    err = _bad(tmp_path, capsys, change)
    assert expected in err


def test_bad_rig_input_is_a_scenario_error_in_the_api():
    data = yaml.safe_load(RIG_FILE.read_text())
    _mount(data)["shape"] = "cylinder"
    with pytest.raises(ScenarioError, match="cylinder"):
        parse_scenario(yaml.safe_dump(data), source="rig.yaml")


def test_swerve_steers_away_from_the_persons_side():
    # A person steps out from the left (+y) 35 m ahead, in plain view. With
    # evasion: brake_and_swerve the driver aims swerve_offset to the right (−y) from
    # detection on, so the car moves right of its line while it stops (about 1.1 s from
    # 30 km/h: 0.1-0.2 m of the 1 m asked for); with braking only it stays on the line.
    person = {"name": "from the left", "start": [-25.0, 3.0], "heading": "-90 deg",
              "start_time": "0.2 s", "walking_speed": "1.4 m/s", "walk_distance": "4 m"}
    open_street = [{"name": "far block", "polygon": [[-80, 20], [80, 20], [80, 30],
                                                     [-80, 30]]}]
    data = _straight_street(speed_kmh=30.0, person=person, buildings=open_street)
    _, braking = _simulate(data)
    data["driver"].update(evasion="brake_and_swerve", swerve_offset="1.0 m")
    _, swerving = _simulate(data)
    assert braking.walker_seen_time[0] == pytest.approx(swerving.walker_seen_time[0])
    y_brake = braking.trajectories["y"][0]
    y_swerve = swerving.trajectories["y"][0]
    assert np.max(np.abs(y_brake)) < 0.05
    assert y_swerve.min() < -0.1
    assert y_swerve.max() < 0.01
