"""No number that reassures falsely: completion, the one failure rule, one g, NaN and
exit 3, silent clamping, risk-matrix labels and significant figures.

Each test says where its expected value comes from: a closed form, the definition being
tested, or a brute-force count — never an earlier output of the code.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import stuntsim
from stuntsim import formatting as fmt
from stuntsim import severity
from stuntsim.cli import main
from stuntsim.constants import GRAVITY
from stuntsim.errors import IncompleteRunError, NumericalError, ScenarioError, StuntWarning
from stuntsim.kinds.base import harm_fact
from stuntsim.kinds.car.hazards import quasi_static_rollover_threshold
from stuntsim.risk import estimate_probability, failed, qmc_probability, subset_simulation
from stuntsim.risk.montecarlo import MarginAccumulator
from stuntsim.scenario import parse_scenario, resolve

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


def _rome(change=None, samples=None):
    data = yaml.safe_load(ROME.read_text())
    if change:
        change(data)
    if samples:
        data["samples"] = samples
    return resolve(parse_scenario(yaml.safe_dump(data, sort_keys=False), source="rome"))


def _short(data, duration="3 s"):
    data["simulation"]["duration"] = duration


# ------------------------------------------------------------------------- completion
def test_takes_that_never_reach_the_stunt_are_an_error_not_a_safe_run():
    # The reproduction (5 s there; 3 s here, so that no take even reaches the corner
    # entry at 38 m: 3 s at 45 km/h is 37.5 m; the plan needs ≈ 10 s in all).
    resolved = _rome(_short)
    with pytest.raises(IncompleteRunError, match=r"simulation\.duration") as info:
        stuntsim.run(resolved, samples=64, executor="serial", keep_trajectories=0)
    assert "lengthen simulation.duration" in str(info.value)
    assert "the plan needs about" in str(info.value)


def test_cli_refuses_a_run_that_reaches_no_stunt_and_writes_nothing(tmp_path, capsys):
    short = tmp_path / "short.yaml"
    short.write_text(ROME.read_text().replace("duration: 20 s", "duration: 3 s"))
    out = tmp_path / "out"
    assert main(["run", str(short), "--samples", "64", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stuntsim: error: ")
    assert err.count("\n") == 1
    assert "simulation.duration" in err
    assert not out.exists()


def test_a_partly_short_run_warns_and_bounds_the_unfinished_takes_as_failures(tmp_path):
    # 8 s: the fast takes finish (or crash), the slow ones are still on the exit straight.
    resolved = _rome(lambda d: _short(d, "8 s"))
    with pytest.warns(StuntWarning, match="got through the stunt"):
        result = stuntsim.run(resolved, samples=200, executor="serial", keep_trajectories=0)
    unfinished = ~result.details["completed"]
    assert 0 < unfinished.sum() < 200
    assert result.completion.completed == 200 - unfinished.sum()
    assert any("got through the stunt" in note for note in result.warnings)
    # the upper bound counts every unfinished take that had not failed as a failure:
    # Clopper–Pearson/Wilson bound of (k + u) of n, computed here from the definition
    from stuntsim.risk.montecarlo import binomial_interval

    for name, margins in result.margins.items():
        happened = failed(margins)
        k, u = int(happened.sum()), int((unfinished & ~happened).sum())
        estimate = result.estimates[name]
        assert estimate.failures == k
        assert estimate.undetermined == u
        assert estimate.ci95[1] == pytest.approx(binomial_interval(k + u, 200)[1])
        assert estimate.ci95[0] == pytest.approx(binomial_interval(k, 200)[0])
    from stuntsim.report import format_table, summary

    info = summary(result)
    assert info["completion"]["completed"] == result.completion.completed
    assert info["completion"]["threshold"] == 0.99
    assert any("got through the stunt" in w for w in info["warnings"])
    assert "WARNING: only" in format_table(result, info)


def test_the_shipped_scenarios_complete_every_take():
    # Each scenario's duration is an upper bound long enough for slow takes (and slower
    # variants): a run of the default scenario must not lose takes to the clock.
    for path in (ROME, ROOT / "scenarios" / "camera_rig_car.yaml",
                 ROOT / "scenarios" / "cliff_hairpin.yaml"):
        resolved = stuntsim.load_scenario(path)
        result = stuntsim.run(resolved, samples=256, executor="serial", keep_trajectories=0)
        assert result.completion.share == 1.0, path.name


def test_every_take_says_how_it_ended():
    result = stuntsim.run(_rome(), samples=400, executor="serial", keep_trajectories=0)
    ending = result.details["ending"]
    hit = np.zeros(400, dtype=bool)
    for name in ("collision", "person_struck"):
        hit |= failed(result.margins[name])
    # a contact ends the take (2); every other take reaches the end of the line (1)
    assert np.all(ending[hit] == 2)
    assert np.all(ending[~hit] == 1)
    assert np.all(result.details["progress"][ending == 1] >= result.path.length - 1e-9)


def test_a_train_run_that_ends_before_the_structures_is_refused():
    data = yaml.safe_load(TRAIN.read_text())
    data["simulation"]["duration"] = "20 s"  # 6.1 km at up to 97 km/h needs ≈ 270 s
    resolved = resolve(parse_scenario(yaml.safe_dump(data, sort_keys=False), source="t"))
    with pytest.raises(IncompleteRunError, match="last structure ends at"):
        stuntsim.run(resolved, samples=32, executor="serial", keep_trajectories=0)


def test_a_study_on_takes_that_never_reach_the_stunt_is_refused():
    from stuntsim.studies import rare_event

    with pytest.raises(IncompleteRunError):
        rare_event(_rome(lambda d: _short(d, "1 s")), "collision", method="qmc", n_qmc=16,
                   randomisations=2)


def test_accumulator_bounds_only_the_undetermined_samples():
    acc = MarginAccumulator(["h"], 10)
    acc.add(0, {"h": np.array([-1.0, 0.0, 1, 1, 1, 1, 1, 1, 1, 1])})
    unfinished = np.array([True, False, True, True, False, False, False, False, False, False])
    estimate = acc.estimates(unfinished=unfinished)["h"]
    # failures: margins ≤ 0 → samples 0 and 1; undetermined: unfinished and not failed → 2, 3
    assert (estimate.failures, estimate.undetermined) == (2, 2)
    assert estimate.probability == 0.2


# ------------------------------------------------------------------ one failure rule
def test_a_margin_of_exactly_zero_is_a_failure_for_every_estimator():
    # g(u) = max(u_0, 0) is exactly 0 on half of the space (u_0 ≤ 0): P(g ≤ 0) = 1/2 by
    # symmetry of N(0, 1). A rule "< 0" would give 0 everywhere.
    def margin(u):
        return np.maximum(np.asarray(u)[:, 0], 0.0)

    rng = np.random.default_rng(5)
    assert failed(np.array([0.0, -0.0]))[0]
    assert failed(np.array([-0.0]))[0]
    mc = estimate_probability(margin(rng.standard_normal((4000, 2))))
    assert mc.probability == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / 4000))  # 4 SE
    qmc = qmc_probability(lambda u: margin(u - 0.5), 2, 1024, rng=rng)  # u_0 − ½ ≤ 0: ½
    assert qmc.probability == pytest.approx(0.5, abs=0.02)
    subset = subset_simulation(margin, 2, n_per_level=500, p0=0.1, rng=rng)
    assert subset.probability == pytest.approx(0.5, abs=0.08)  # level 0 alone, ≈ 250 pts


# -------------------------------------------------------------------------------- one g
def test_one_g_for_thresholds_dynamics_and_severity():
    from stuntsim.kinds.car.dynamics import VehicleParams

    # ISO 80000-3 standard gravity
    assert GRAVITY == 9.80665
    params = VehicleParams(mass=600, yaw_inertia=500, cg_to_front=1.1, cg_to_rear=0.74,
                           cg_height=0.55, track_width=1.12, length=2.97, width=1.32,
                           front_overhang=0.5, cornering_stiffness_front=2e4,
                           cornering_stiffness_rear=2.8e4, max_steer=0.6,
                           max_steer_rate=1.0, steer_time_constant=0.05,
                           max_drive_force=2500, max_drive_power=13200,
                           max_brake_force=5000, brake_front_share=0.7, drag_area=0.5,
                           rolling_resistance=0.015, locked_friction_ratio=0.88)
    assert quasi_static_rollover_threshold(1.12, 0.55) == params.rollover_threshold
    # v = √(2 g h): a fall of 10 m lands at √(2 · 9.80665 · 10) m/s
    assert severity.fall_impact_speed(10.0) == pytest.approx(math.sqrt(2 * 9.80665 * 10))


def test_no_other_value_of_g_in_the_package():
    # the one exception: AASHTO's own rounded g inside its metric SSD formula (visibility.py)
    pattern = re.compile(r"(?<![\d.])9\.8(1|0665)?(?![\d.eE])")
    offenders = []
    for path in (ROOT / "stuntsim").rglob("*.py"):
        if path.name in ("constants.py", "visibility.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#")[0]
            if pattern.search(code) and "254" not in code and '"' not in code:
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


# ----------------------------------------------------------------------- NaN and exit 3
def test_a_nan_fact_behind_a_hazard_is_an_error_not_a_harmless_zero():
    happened = np.array([False, True, True])
    details = {"person_speed": np.array([np.nan, 5.0, np.nan])}
    with pytest.raises(NumericalError, match="sample 2") as info:
        harm_fact(details, "person_speed", happened, "person_struck")
    assert info.value.sample == 2
    ok = harm_fact({"person_speed": np.array([np.nan, 5.0])}, "person_speed",
                   np.array([False, True]), "person_struck")
    np.testing.assert_array_equal(ok, [0.0, 5.0])


def _absurd_entry_speed(text: str) -> str:
    return text.replace("  maneuver.entry_speed:\n    dist: normal\n    sd: 2 km/h",
                        "  maneuver.entry_speed:\n    dist: normal\n    sd: 1e300 km/h")


def test_an_absurd_spread_is_refused_at_validation(tmp_path, capsys):
    # An entry-speed spread of 1e300 km/h used to pass validation and overflow the
    # dynamics; half its draws are negative speeds, so validation refuses it now.
    bad = tmp_path / "absurd.yaml"
    bad.write_text(_absurd_entry_speed(ROME.read_text()))
    out = tmp_path / "out"
    assert main(["validate", str(bad)]) == 2
    assert main(["run", str(bad), "--samples", "8", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "uncertain.maneuver.entry_speed" in err
    assert "with probability 0.5" in err
    assert not out.exists()


def _poison(function, *, call: int, sample: int, position: int):
    """``function`` that turns one sample's ``position``-th output NaN on its ``call``-th
    call: a numerical blow-up where the model cannot be steered into one by input."""
    calls = {"n": 0}

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == call:
            target = result[position]
            target[..., sample] = np.nan
        return result

    return wrapped


def test_a_numerical_blow_up_names_sample_and_step_and_exits_3(tmp_path, capsys,
                                                                monkeypatch):
    # A NaN in sample 3's state on the 5th dynamics step: the run stops with an error that
    # names the sample and the step, the CLI exits 3 with one line and writes nothing.
    import stuntsim.kinds.car.model as car_model

    original = car_model.rk4_step
    monkeypatch.setattr(car_model, "rk4_step", _poison(original, call=5, sample=3, position=0))
    with pytest.raises(NumericalError) as info:
        stuntsim.run(_rome(), samples=8, executor="serial", keep_trajectories=0)
    assert info.value.sample == 3
    assert info.value.step is not None
    monkeypatch.setattr(car_model, "rk4_step", _poison(original, call=5, sample=3, position=0))
    out = tmp_path / "out"
    assert main(["run", str(ROME), "--samples", "8", "--out", str(out), "--quiet",
                 "--executor", "serial"]) == 3
    err = capsys.readouterr().err
    assert "numerically wrong" in err
    assert "sample 3" in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_train_blow_up_exits_3(tmp_path, capsys, monkeypatch):
    import stuntsim.kinds.train.model as train_model

    monkeypatch.setattr(train_model, "jerk_limited_step",
                        _poison(train_model.jerk_limited_step, call=7, sample=2, position=1))
    out = tmp_path / "out"
    assert main(["run", str(TRAIN), "--samples", "8", "--out", str(out), "--quiet",
                 "--executor", "serial"]) == 3
    err = capsys.readouterr().err
    assert "numerically wrong" in err
    assert "sample 2" in err
    assert not out.exists()


def test_sensitivity_on_infinite_margins_uses_ranks():
    from stuntsim.studies import sensitivity

    # person_not_seen_in_time is +inf in takes where the person's walk never meets the car
    resolved = stuntsim.load_scenario(ROOT / "scenarios" / "camera_rig_car.yaml")
    result = sensitivity(resolved, "person_not_seen_in_time", n=8, bootstrap=2)
    assert result.transform == "rank"
    assert result.to_dict()["transform"] == "rank"
    assert np.all(np.isfinite(result.sobol.total_order))


# -------------------------------------------------------------------------- clamping
def _with(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_an_override_outside_its_distributions_bounds_is_refused(tmp_path):
    # The case: cornering_stiffness_front 90,000 N/rad, but the scenario's
    # truncnormal keeps draws in 12,000–30,000 N/rad: the override would change nothing.
    text = _with(ROME.read_text(), "  mass: 620 kg",
                 "  cornering_stiffness_front: 90000 N/rad\n  mass: 620 kg")
    with pytest.raises(ScenarioError, match="bounds exclude the planned value") as info:
        parse_scenario(text, source="clamped.yaml")
    message = str(info.value)
    assert "uncertain.vehicle.cornering_stiffness_front" in message
    assert "90000 N/rad" in message
    assert "12000 N/rad" in message
    assert "30000 N/rad" in message


def test_a_truncation_that_keeps_most_of_nothing_is_refused():
    # sd 7 around μ = 0.5 cut to [0.3, 0.7] keeps Φ(0.2/7) − Φ(−0.2/7) = 2.3 % of the normal
    text = _with(ROME.read_text(), "    sd: 0.07\n    low: 0.3", "    sd: 7\n    low: 0.3")
    with pytest.raises(ScenarioError, match=r"keep only 2\.3%"):
        parse_scenario(text, source="wide.yaml")


def test_a_half_normal_on_its_bound_is_allowed():
    # a truncnormal whose mean sits on a bound keeps exactly half its law: a legitimate
    # one-sided spread (Φ(∞) − Φ(0) = 1/2)
    text = _with(ROME.read_text(), "    sd: 0.07\n    low: 0.3\n    high: 0.7",
                 "    sd: 0.07\n    low: 0.5\n    high: 0.9")
    parse_scenario(text, source="half.yaml")


# ------------------------------------------------------------------- the risk matrix
def _estimate(k, n):
    return estimate_probability(np.r_[np.full(k, -1.0), np.ones(n - k)])


def test_matrix_cell_says_where_its_likelihood_comes_from():
    never = severity.matrix_cell(_estimate(0, 8000), {"fatality": 0.02,
                                                      "serious_injury": 0.2})
    # Clopper–Pearson bound of 0 in 8000 at 95 % two-sided: 1 − 0.025^(1/8000) = 4.6e-4,
    # band 2 ("unlikely"); the point estimate 0 is band 1.
    assert never["likelihood_basis"] == "not observed in 8000 takes; at most 4.6e-04 (95 %)"
    assert (never["likelihood"], never["likelihood_at_estimate"]) == (2, 1)
    # the bound falls below 1e-4 once 1 − 0.025^(1/N) < 1e-4: N > ln 0.025 / ln(1 − 1e-4)
    assert never["takes_to_settle"] == math.ceil(math.log(0.025) / math.log1p(-1e-4))
    assert (never["score"], never["score_at_estimate"]) == (10, 5)
    seen = severity.matrix_cell(_estimate(730, 8000), {"fatality": 0.5,
                                                       "serious_injury": None})
    assert seen["likelihood_basis"].startswith("observed: 730 of 8000 takes (0.0912;")
    assert "takes_to_settle" not in seen  # bound and estimate in the same band (4)
    lines = severity.describe_cell(never)
    assert "at the point estimate: 1 × 5 = 5 medium" in lines[0]
    assert "36,887 takes would settle it" in lines[0]


def test_a_24_kmh_wall_impact_is_rated_moderate_with_the_relations_quoted():
    # A head-on 24 km/h impact into a rigid wall: Δv = 1.1 × 24 km/h (restitution 0.1).
    # NHTSA DOT HS 813 219 frontal curves at Δv = 16.4 mph: MAIS3+ expit(−6.9774 +
    # 0.1620·16.4) = 1.3 %, death expit(−9.0422 + 0.1571·16.4) = 0.16 %. MAIS3+ ≥ 1 %
    # makes it "major"; at a glancing normal speed of 8 km/h both fall below 1 % and
    # nothing in the tool excludes a moderate injury, so it is "moderate", never
    # "negligible".
    def given(speed_kmh):
        dv = severity.delta_v_rigid_barrier(speed_kmh * severity.KMH)
        return {"fatality": float(severity.occupant_fatality_frontal(dv)),
                "serious_injury": float(severity.occupant_mais3_frontal(dv))}

    head_on, why = severity.rate_severity(given(24.0))
    assert head_on == 4
    assert "P(MAIS3+ | hazard) = 1.3 % ≥ 1 %" in why
    glancing, why = severity.rate_severity(given(8.0))
    assert glancing == 3
    assert any("no relation excludes moderate" in text for text in why)


def test_severity_rules_for_missing_and_lower_bound_relations():
    # rollover: MAIS3+ 4.3 % per rollover (NASS-CDS), no fatality relation → fatal not
    # excluded; an AIS4+ relation below 1 % cannot exclude MAIS3+ (it is a lower bound)
    assert severity.rate_severity({"fatality": None, "serious_injury": 0.043})[0] == 5
    assert severity.rate_severity({"fatality": 0.001, "serious_injury": 0.005},
                                  lower_bound=("serious_injury",))[0] == 4
    assert severity.rate_severity({"fatality": 0.001, "serious_injury": 0.005})[0] == 3
    assert severity.rate_severity({"fatality": None, "serious_injury": None})[0] is None


def test_the_matrix_figure_and_the_table_say_the_same(tmp_path):
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.report import format_table, summary

    result = stuntsim.run(_rome(), samples=300, executor="serial", keep_trajectories=0)
    info = summary(result)
    table = format_table(result, info)
    figure = Figure()
    ax = figure.add_subplot()
    plots.plot_risk_matrix(ax, info)
    def words(text):
        return re.sub(r"\s+", " ", text)

    figure_text = words(" ".join(t.get_text() for t in ax.texts))
    for cell in info["risk_matrix"]["hazards"].values():
        basis = words(cell["likelihood_basis"])
        assert basis in words(table)
        assert basis in figure_text


# ------------------------------------------------------------------- significant figures
@pytest.mark.parametrize(("p", "text"), [
    (3e-5, "3.0e-05"), (6.2e-6, "6.2e-06"), (8.8e-5, "8.8e-05"), (0.0912, "0.0912"),
    (0.1, "0.100"), (0.0005, "5.0e-04"), (0.00123, "0.00123"), (0.0, "0"), (1.0, "1")])
def test_probabilities_are_printed_with_significant_figures(p, text):
    assert fmt.probability(p) == text


def test_a_small_probability_is_visible_in_the_table():
    from stuntsim.report.tables import _probability_row

    entry = {"probability": 3e-5, "ci95": [6.2e-6, 8.8e-5], "failures": 3, "n": 100000,
             "worst_margin": 0.4, "margin_unit": "m"}
    row = _probability_row("person_struck", entry, 18)
    assert "3.0e-05  [6.2e-06, 8.8e-05]" in row
    assert "0.0000" not in row


def test_no_table_prints_a_rounded_zero(tmp_path):
    result = stuntsim.run(_rome(), samples=300, executor="serial", keep_trajectories=0)
    from stuntsim.report import format_table

    assert "0.0000" not in format_table(result)
    assert not re.search(r"\b0\.0+\b(?!\d)", format_table(result).split("risk matrix")[0])


def test_summary_json_has_completion_and_no_nan(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(ROME), "--samples", "200", "--out", str(out), "--quiet",
                 "--no-plots"]) == 0
    info = json.loads((out / "summary.json").read_text())
    assert info["completion"]["share"] == 1.0
    assert info["warnings"] == []
    cell = info["risk_matrix"]["hazards"]["person_struck"]
    assert cell["likelihood_basis"].startswith(("not observed", "observed"))
    assert copy.deepcopy(info) == info
