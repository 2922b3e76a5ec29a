"""Validation that says "ok" means the run will work (issue "hostile input"): simple
polygons, distributions inside their fields, the run's plan against its limits, the
planned take getting through, and warnings about doubtful plans. The corpus of whole bad
files is in test_bad_inputs.py; fuzzing in test_fuzz.py.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import yaml

import stuntsim
from stuntsim import budget
from stuntsim.errors import ScenarioError
from stuntsim.kinds import kind_of
from stuntsim.polygons import self_intersection
from stuntsim.risk.distributions import LogNormal, Normal, Uniform
from stuntsim.risk.sampling import SMALLEST_UNIFORM, reachable_range
from stuntsim.scenario import parse_scenario, resolve
from stuntsim.scenario.base import MAX_OUTSIDE, _beyond_the_field

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


# ------------------------------------------------------------------ simple polygons

@pytest.mark.parametrize("points", [
    [[0, 0], [4, 0], [4, 4], [0, 4]],                    # a square
    [[0, 0], [10, 0], [10, 10], [5, 10], [5, 5], [0, 5]],  # an L (concave)
    [[0, 0], [4, 0], [2, 1], [4, 4], [0, 4]],            # a notch
])
def test_simple_polygons_pass(points):
    assert self_intersection(points) is None


@pytest.mark.parametrize(("points", "says"), [
    ([[-1, 8], [2, 8], [2, 9.5], [-1, 6.49]], "cross"),  # issue 13's bow tie
    ([[0, 0], [4, 4], [4, 0], [0, 4]], "cross"),          # a figure eight
    ([[0, 0], [4, 0], [4, 4], [2, 0], [0, 4]], "touch"),  # a vertex on another edge
    ([[0, 0], [4, 0], [4, 4], [4, 4], [0, 4]], "repeated"),
    ([[0, 0], [4, 0], [2, 0], [2, 3]], "folds back"),     # a zero-width spike
])
def test_self_intersections_are_found_and_named(points, says):
    problem = self_intersection(points)
    assert problem is not None
    assert says in problem


def test_the_polygon_check_agrees_with_brute_force_on_random_quadrilaterals():
    # Independent reference: a quadrilateral abcd is simple iff neither pair of opposite
    # edges (ab, cd) and (bc, da) intersects, tested here with exact rational arithmetic
    # (fractions) on integer points, collinear touching included.
    from fractions import Fraction

    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def on(p, q, r):
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and \
            min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    def meet(p1, p2, q1, q2):
        d = [orient(q1, q2, p1), orient(q1, q2, p2), orient(p1, p2, q1), orient(p1, p2, q2)]
        if d[0] * d[1] < 0 and d[2] * d[3] < 0:
            return True
        return any(d[k] == 0 and on(*pair) for k, pair in enumerate(
            [(q1, q2, p1), (q1, q2, p2), (p1, p2, q1), (p1, p2, q2)]))

    rng = np.random.default_rng(13)
    checked = 0
    for _ in range(3000):
        quad = [tuple(Fraction(int(v)) for v in rng.integers(0, 5, 2)) for _ in range(4)]
        if len(set(quad)) < 4:
            continue
        area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(quad, quad[1:] + quad[:1],
                                                          strict=True))
        if area == 0:
            continue
        a, b, c, d = quad
        folded = any(orient(p, q, r) == 0 and (q[0] - p[0]) * (r[0] - q[0])
                     + (q[1] - p[1]) * (r[1] - q[1]) < 0
                     for p, q, r in ((d, a, b), (a, b, c), (b, c, d), (c, d, a)))
        simple = not (meet(a, b, c, d) or meet(b, c, d, a) or folded)
        assert (self_intersection([[float(x), float(y)] for x, y in quad]) is None) == simple
        checked += 1
    assert checked > 1000


# ------------------------------------------------- distributions inside their fields

def test_reachable_range_is_the_most_extreme_monte_carlo_draw():
    # 2⁻⁵³ is the smallest uniform the sampler makes (midpoints of a 2⁻⁵² grid); Φ⁻¹ of
    # it is −8.21 (scipy's independent ndtri).
    low, high = reachable_range(Normal(0.0, 1.0))
    assert low == pytest.approx(scipy.stats.norm.ppf(SMALLEST_UNIFORM))
    assert low == pytest.approx(-8.2095, abs=1e-3)
    assert high == pytest.approx(-low)


FIELD = (0.0, True, 5.0, False)  # > 0, ≤ 5 (a time, say)


def test_a_stated_range_must_lie_inside_the_field():
    assert _beyond_the_field(Uniform(0.5, 4.0), FIELD, "time") is None
    assert "reaches 6" in _beyond_the_field(Uniform(0.5, 6.0), FIELD, "time")
    assert "reaches -1" in _beyond_the_field(Uniform(-1.0, 1.0), FIELD, "time")


def test_an_unbounded_tail_may_leave_the_cap_rarely_but_never_cross_zero():
    # A lognormal reaction time (median 1 s, σ 0.42, Fambro et al.): P(> 5 s) =
    # 1 − Φ(ln 5 / 0.42) = 6.4e-5 ≤ 1e-3: accepted although its 8.2σ draw is 31 s.
    assert 1 - scipy.stats.norm.cdf(math.log(5) / 0.42) < MAX_OUTSIDE
    assert _beyond_the_field(LogNormal(1.0, 0.42), FIELD, "time") is None
    # σ 2.5: P(> 5 s) = 1 − Φ(ln 5 / 2.5) = 0.26: refused
    assert "probability 0.26" in _beyond_the_field(LogNormal(1.0, 2.5), FIELD, "time")
    # a normal around 1 s: sd 0.2 s goes below zero with P = Φ(−5) = 2.9e-7 (accepted,
    # those draws are held at the range's end); sd 0.5 s with Φ(−2) = 0.023 (refused)
    assert _beyond_the_field(Normal(1.0, 0.2), FIELD, "time") is None
    assert "probability 0.023" in _beyond_the_field(Normal(1.0, 0.5), FIELD, "time")


def test_draws_beyond_a_fields_range_are_held_at_its_end():
    # Rome's corner speed moved to 12 km/h with its sd of 1.5 km/h: below zero with
    # P = Φ(−8) ≈ 6e-16, which validation accepts; a draw there reaches the model as the
    # smallest positive speed (the field is > 0), never as a negative one
    resolved = stuntsim.load_scenario(ROME).with_nominal("maneuver.corner_speed", "12 km/h")
    low, high = resolved.ranges["maneuver.corner_speed"]
    assert low == np.nextafter(0.0, 1.0)
    draws = {"maneuver.corner_speed": np.array([-0.1, 3.0, 1e9]),
             "maneuver.entry_speed": np.array([10.0, 12.0, 13.0])}
    held = resolved.within_range(draws)
    assert held["maneuver.corner_speed"].tolist() == [low, 3.0, high]
    assert held["maneuver.entry_speed"] is draws["maneuver.entry_speed"]  # untouched


def test_the_shipped_scenarios_pass_the_support_check():
    for name in ("rome_sharp_turn", "cliff_hairpin", "camera_rig_car", "train_roof"):
        stuntsim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")


# ------------------------------------------------------------------- the run's plan

def _rome_data():
    return yaml.safe_load(ROME.read_text())


def _resolved(data):
    from stuntsim.scenario import resolve

    return resolve(parse_scenario(yaml.safe_dump(data), source="test.yaml"),
                   source="test.yaml")


def test_the_plan_of_the_rome_run_is_what_it_uses():
    plan = budget.plan_run(stuntsim.load_scenario(ROME))
    assert plan.steps_per_take == 2000  # 20 s at 0.01 s
    # a take keeps 5 margins, 29 facts and 18 draws: measured by the nominal take
    assert 300 < plan.bytes_per_take < 1000
    assert plan.problems == []
    assert "8,000 takes" in plan.describe()


def test_too_many_steps_are_refused_with_the_setting_to_change():
    data = _rome_data()
    data["simulation"].update(time_step="0.00011 s", duration="600 s")
    plan = budget.plan_run(_resolved(data))
    assert "5,454,546 steps per take" in plan.problems[0]
    assert "simulation.time_step" in plan.problems[0]
    with pytest.raises(ScenarioError, match="steps per take"):
        stuntsim.run(_resolved(data), samples=8)


def test_memory_beyond_the_machine_is_refused_with_what_would_fit(monkeypatch):
    # a machine of 1 GB: half of it for the run; the Rome grids (~100 MB) fit, 10⁷
    # takes of ~0.5 kB twice over (~10 GB) do not
    monkeypatch.setattr(budget, "_physical_memory", lambda: 10**9)
    resolved = stuntsim.load_scenario(ROME)
    plan = budget.plan_run(resolved, samples=10**7, probe=False)
    assert "takes need about" in plan.problems[0]
    fits = int(plan.problems[0].split("at most about ")[1].split(" takes")[0].replace(",", ""))
    assert 0 < fits < 10**6
    assert budget.plan_run(resolved, samples=fits, probe=False).problems == []


def test_a_scene_too_large_for_its_grids_is_refused_before_they_are_built(monkeypatch):
    data = _rome_data()
    line = data["maneuver"]["line"]
    for key in ("start", "heading", "segments"):
        line.pop(key)
    line["points"] = [[-45, -1], [955, 3999], [1955, -1]]
    resolved = _resolved(data)
    built = []
    monkeypatch.setattr(type(stuntsim.kinds.kind_of(resolved).model(resolved)), "street",
                        property(lambda self: built.append(1)))
    plan = budget.plan_run(resolved)
    assert "distance grids" in plan.problems[0]
    assert built == []


def test_a_planned_take_that_cannot_finish_is_refused_at_validation():
    # 2 s of simulated time for a plan of ≈ 10 s: the nominal take is still under way
    data = _rome_data()
    data["simulation"]["duration"] = "2 s"
    plan = budget.plan_run(_resolved(data))
    assert "still under way" in plan.problems[0]
    assert "lengthen simulation.duration" in plan.problems[0]


def test_a_long_run_is_a_warning_not_an_error():
    plan = budget.plan_run(stuntsim.load_scenario(ROME), samples=100_000_000, probe=False,
                           cores=2)
    if plan.problems:  # a small machine cannot hold 10⁸ takes: that is the error then
        assert "takes need about" in plan.problems[0]
    else:
        assert "may take up to about" in plan.warnings[0]


# ----------------------------------------------------------- doubtful but runnable

def test_people_inside_solids_and_lines_through_walls_are_warned_about():
    from stuntsim.kinds import kind_of

    data = _rome_data()
    data["street"]["people"][0]["position"] = [5.0, -5.0]       # in the outer palazzo
    data["maneuver"]["line"]["start"] = [-45.5, -5.0]           # starts in it too
    resolved = _resolved(data)
    kind = kind_of(resolved)
    notes = kind.plan_warnings(resolved, kind.model(resolved))
    assert any("camera operator stands inside outer corner palazzo" in n for n in notes)
    assert any("starts inside outer corner palazzo" in n for n in notes)
    shipped = stuntsim.load_scenario(ROME)
    assert kind.plan_warnings(shipped, kind.model(shipped)) == []


def test_a_face_that_folds_is_a_scenario_error_naming_it():
    data = yaml.safe_load((ROOT / "scenarios" / "cliff_hairpin.yaml").read_text())
    data["street"]["rock_faces"][0]["face"] = [[0, 0], [10, 0], [10, 1], [0, 1]]
    data["street"]["rock_faces"][0]["solid_side"] = "left"  # its own face, not the hairpin's
    resolved = _resolved(copy.deepcopy(data))
    from stuntsim.kinds import kind_of

    with pytest.raises(ScenarioError, match=r"rock face.*not simple"):
        _ = kind_of(resolved).model(resolved).street


# ------------------------------------------- spreads the model would leave out unseen

def _with_uncertain(path: Path, name: str, spec: dict):
    data = yaml.safe_load(path.read_text())
    data["uncertain"][name] = spec
    return resolve(parse_scenario(yaml.safe_dump(data), source=str(path)), source=str(path))


@pytest.mark.parametrize(("name", "spec"), [
    ("street.people.camera operator.radius", {"dist": "uniform", "low": "0.2 m",
                                               "high": "0.4 m"}),
    ("maneuver.line.segments.1.arc.radius", {"dist": "uniform", "low": "7 m", "high": "9 m"}),
])
def test_a_spread_the_model_never_takes_is_refused_by_run_and_by_the_studies(name, spec):
    # Before this check these ran, and "19 uncertain parameters" in the table included a
    # spread that changed no take: a probability that leaves out a declared uncertainty.
    resolved = _with_uncertain(ROME, name, spec)
    with pytest.raises(ScenarioError, match=f"uncertain.{name}: the model takes this value "
                                            f"once for the whole run"):
        stuntsim.run(resolved, samples=64, executor="serial")
    from stuntsim.studies import sensitivity

    with pytest.raises(ScenarioError, match="silently left out"):
        sensitivity(resolved, "collision", n=8, executor="serial")
    plan = budget.plan_run(resolved, 64)
    assert any(f"uncertain.{name}" in problem for problem in plan.problems)


def test_a_spread_on_a_switched_off_element_is_left_for_the_variant_that_switches_it_on():
    # The cliff file spreads the parapet's containment energy although the parapet is off
    # in the baseline: the variant `parapet` switches it on and reads the spread.
    cliff = stuntsim.load_scenario(ROOT / "scenarios" / "cliff_hairpin.yaml")
    path = "street.barriers.dry-stone parapet.containment_energy"
    assert path in cliff.uncertain_names
    stuntsim.run(cliff, samples=32, executor="serial", keep_trajectories=0)
    parapet = cliff.variant("dry-stone parapet")
    model = kind_of(parapet).model(parapet)
    model.simulate({}, 1)
    assert path in model.read_paths
