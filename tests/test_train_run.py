"""A train-roof Monte Carlo run: reproducibility, the default scenario, summary and figures."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure
from scipy import stats

import stuntsim
from stuntsim import severity
from stuntsim.kinds.train.figures import render_figures
from stuntsim.kinds.train.harm import (
    fall_from_train_fatality,
    fall_from_train_fatality_band,
    structure_strike_fatality,
    structure_strike_fatality_band,
)
from stuntsim.kinds.train.model import TrainModel
from stuntsim.kinds.train.report import failures_csv
from stuntsim.report import figure_builders, format_table, summary, write_summary
from stuntsim.risk.montecarlo import ANY
from stuntsim.risk.sampling import BLOCK_SIZE, draw
from stuntsim.runner import StuntWarning, run
from stuntsim.scenario import parse_scenario, resolve

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scenarios" / "train_roof.yaml"

SMALL = {
    "kind": "train",
    "name": "small",
    "samples": 100,
    "seed": 7,
    "train": {"speed": 26.8},
    "track": {"segments": [{"name": "a", "length": 300.0},
                           {"name": "b", "length": 300.0, "radius": 600.0, "hand": "left",
                            "cant": 0.12}]},
    "structures": [{"name": "bridge", "kind": "bridge", "at": 250.0, "length": 8.0,
                    "clearance": 5.3}],
    "wind": {"speed": 3.0},
    "performers": [
        {"name": "A", "mass": 80.0, "shoe_friction": 0.5, "grip_force": 300.0,
         "grip_lever": 0.8, "reaction_delay": 1.5,
         "changes": [{"posture": "crouching", "before": "bridge", "distance": 80.0}],
         "tether": {"rated_load": 1500.0}},
        {"name": "B", "mass": 70.0, "shoe_friction": 0.4, "posture": "crouching"},
    ],
    "simulation": {"time_step": 0.1, "duration": 40.0, "keep_trajectories": 5},
    "uncertain": {
        "performers.A.reaction_delay": {"dist": "lognormal", "sigma": 0.6},
        "performers.A.shoe_friction": {"dist": "uniform", "low": 0.1, "high": 0.8},
        "performers.B.shoe_friction": {"dist": "uniform", "low": 0.1, "high": 0.8},
        "wind.direction": {"dist": "uniform", "low": 0.0, "high": 6.283},
        "wind.gust_speed": {"dist": "uniform", "low": 0.0, "high": 15.0},
        "wind.gust_at": {"dist": "uniform", "low": 0.0, "high": 500.0},
        "train.speed": {"dist": "normal", "sd": 1.0},
    },
}


def small(**changes):
    """SMALL with sections replaced (``train``, ``wind``, ``simulation``: updated)."""
    data = copy.deepcopy(SMALL)
    for key, value in changes.items():
        if key in ("train", "wind", "simulation"):
            data[key].update(value)
        else:
            data[key] = value
    return resolve(parse_scenario(yaml.safe_dump(data, sort_keys=False)))


# ---------------------------------------------------------------------- reproducibility


def test_result_does_not_depend_on_the_chunking():
    # DESIGN.md principle 4: samples are seeded per 4096-sample block, so two chunks of one
    # block and one chunk of two blocks give bit-identical margins and facts
    resolved = small()
    n = BLOCK_SIZE + 300
    one = run(resolved, n, chunk_blocks=1, executor="serial", keep_trajectories=0)
    two = run(resolved, n, chunk_blocks=2, executor="serial", keep_trajectories=0)
    for name in one.hazards:
        np.testing.assert_array_equal(one.performer_margins[name], two.performer_margins[name])
        for key, values in one.worst[name].items():
            np.testing.assert_array_equal(values, two.worst[name][key])
    np.testing.assert_array_equal(one.structure_margins, two.structure_margins)
    assert one.estimates[ANY] == two.estimates[ANY]
    # the draws are the block streams' (stuntsim.risk.sampling.draw) …
    expected = draw(resolved.scenario.seed, resolved.uncertain_names, resolved.distributions,
                    BLOCK_SIZE - 5, BLOCK_SIZE + 5)
    for name, values in expected.items():
        np.testing.assert_array_equal(one.draws[name][BLOCK_SIZE - 5:BLOCK_SIZE + 5], values)
    # … and one sample re-run alone gives its margins again (the model is deterministic)
    sample = int(np.argmin(one.margins["tipped"]))
    alone = TrainModel(resolved).simulate(
        {name: values[sample:sample + 1] for name, values in one.draws.items()}, 1)
    for name in one.hazards:
        assert alone.margins[name][0] == one.margins[name][sample]


@pytest.mark.slow
def test_process_pool_gives_the_serial_result():
    resolved = small()
    n = BLOCK_SIZE + 50
    serial = run(resolved, n, executor="serial", keep_trajectories=0)
    pooled = run(resolved, n, executor="process", workers=2, keep_trajectories=0)
    for name in serial.hazards:
        np.testing.assert_array_equal(serial.margins[name], pooled.margins[name])


def test_first_failures_by_segment_add_up_to_the_estimate():
    result = run(small(), 400, executor="serial", keep_trajectories=0)
    for name in [*result.hazards, ANY]:
        risk = result.segment_risk(name)
        assert risk.counts.sum() == result.estimates[name].failures
        assert np.all(risk.ci95[:, 0] <= risk.probability)
        assert np.all(risk.probability <= risk.ci95[:, 1])


def test_overspeed_in_a_curve_is_warned():
    # REFERENCES.md: 97 km/h on R = 275 m with 150 mm cant is a cant deficiency of
    # ≈ 250 mm, beyond the usual 100–150 mm
    resolved = small(
        train={"speed": "97 km/h"},
        track={"segments": [{"name": "spiral", "length": 600.0, "radius": 275.0,
                             "hand": "left", "cant": "150 mm"}]},
        structures=[],
        performers=[{"name": "A", "mass": 80.0, "shoe_friction": 0.5}],
        uncertain={},
    )
    with pytest.warns(StuntWarning, match=r"cant deficiency of 25\d mm"):
        result = run(resolved, 10, keep_trajectories=0)
    assert len(result.warnings) == 1


# ---------------------------------------------------------------------- harm relations


def test_fall_from_a_train_at_rest_is_the_vertical_fall():
    # (H1) with v = 0: h_eq = h, the fall relation itself (stuntsim.severity.fall_fatality)
    assert fall_from_train_fatality(0.0, 4.075) == pytest.approx(severity.fall_fatality(4.075))
    assert structure_strike_fatality(0.0) == 0.0


def test_fall_and_strike_harm_grow_with_speed_inside_their_bands():
    # h_eq = h + v²/2g: at 97 km/h from 4.1 m, h_eq ≈ 41 m (hand value) → P ≈ 1 on the
    # assumed curve; at 40 km/h, h_eq = 4.1 + 6.3 = 10.4 m → P ≈ 0.19 (module docstring)
    speeds = np.linspace(0.0, 30.0, 31)
    fall = fall_from_train_fatality(speeds, 4.1)
    strike = structure_strike_fatality(speeds)
    assert np.all(np.diff(fall) > 0)
    assert np.all(np.diff(strike) >= 0)
    assert fall_from_train_fatality(97 / 3.6, 4.1) > 0.95
    assert fall_from_train_fatality(40 / 3.6, 4.1) == pytest.approx(0.19, abs=0.02)
    for (low, high), central in ((fall_from_train_fatality_band(speeds, 4.1), fall),
                                 (structure_strike_fatality_band(speeds), strike)):
        assert np.all(low <= central + 1e-12)
        assert np.all(central <= high + 1e-12)


# ---------------------------------------------------------------------- the default scenario


@pytest.fixture(scope="module")
def default_run():
    resolved = stuntsim.load_scenario(TRAIN)
    return run(resolved, samples=300, keep_trajectories=25)


def test_default_scenario_shows_non_trivial_risk(default_run):
    result = default_run
    assert set(result.hazards) == {"dislodged", "tipped", "struck_by_structure",
                                   "tether_overload"}
    any_hazard = result.estimates[ANY]
    # non-trivial: seen, but far from certain (the scenario's promise)
    assert 0.02 < any_hazard.probability < 0.6
    assert result.estimates["tipped"].failures > 0
    # the crouched performer B is never tipped (restoring ≈ 300 N·m vs ≈ 60 N·m)
    assert result.performer_estimates["tipped"][1].failures == 0
    assert result.completed.all()
    assert result.max_speed.max() < 105 / 3.6
    assert result.warnings == []


def test_summary_names_each_hazard_once_with_performers_inside(default_run, tmp_path):
    info = summary(default_run)
    text = json.dumps(info, allow_nan=False)
    assert info["kind"] == "train"
    assert list(info["hazards"]) == list(default_run.hazards)
    for entry in info["hazards"].values():
        assert set(entry["performers"]) == {"stunt double A", "stunt double B"}
        assert entry["ci95"][0] <= entry["probability"] <= entry["ci95"][1]
        assert entry["harm"]["who"] == "the performer"
    struck = info["hazards"]["struck_by_structure"]["structures"]
    assert set(struck) == {"road bridge", "short tunnel", "Stavem tunnel"}
    assert [row["segment"] for row in info["by_segment"]][-2:] == ["Stavem spiral",
                                                                   "exit straight"]
    assert sum(row["first_failures"] for row in info["by_segment"]) == \
        info["any_hazard"]["failures"]
    assert "NaN" not in text
    assert "Infinity" not in text
    table = format_table(default_run, info)
    for name in default_run.hazards:
        assert name in table
    assert "stunt double A" in table
    written = write_summary(default_run, tmp_path, info)
    assert json.loads(written[0].read_text()) == json.loads(text)
    assert failures_csv(default_run).count("\n") >= 1 + sum(
        int((m < 0).sum()) for m in default_run.performer_margins.values())


def test_figures_render_with_labels(default_run):
    # the train's own figures and the shared ones every kind gets (hazards, risk matrix,
    # and the failure anatomy when a hazard has enough failing takes: tipped here)
    figures = {name: build() for name, build in figure_builders(default_run).items()}
    assert set(render_figures(default_run)) == {"demand_capacity", "speed", "clearance",
                                                "risk_by_segment"}
    assert set(figures) == {"demand_capacity", "speed", "clearance", "risk_by_segment",
                            "hazards", "risk_matrix", "failure_anatomy"}
    categorical_y = {"risk_by_segment", "hazards"}  # labelled by their tick labels
    for name, figure in figures.items():
        assert isinstance(figure, Figure)
        for ax in figure.axes:
            assert ax.get_xlabel(), name
            assert ax.get_ylabel() or name in categorical_y, name
            assert ax.get_title(), name


# ---------------------------------------------------------------------- statistics


@pytest.mark.slow
def test_late_reaction_probability_matches_the_lognormal_tail():
    # a cue 150 m before a 5.2 m bridge at 26.8 m/s leaves T = 150/26.8 = 5.597 s; a
    # standing performer is struck iff their reaction delay exceeds T, so P(struck) =
    # P(delay > T) = norm.sf(ln(T / 2) / 0.5) = 0.0197 for a lognormal delay (median 2 s,
    # σ 0.5). Time is stepped at 0.02 s, which moves T by < 0.02 s (ΔP < 4e-4); the
    # tolerance is 4 standard errors of the estimate at this n
    resolved = small(
        train={"start_position": 320.0},
        track={"segments": [{"name": "a", "length": 520.0}]},
        structures=[{"name": "bridge", "kind": "bridge", "at": 500.0, "length": 10.0,
                     "clearance": 5.2}],
        wind={"speed": 0.0},
        performers=[{"name": "A", "mass": 80.0, "shoe_friction": 0.9, "reaction_delay": 2.0,
                     "changes": [{"posture": "crouching", "before": "bridge",
                                  "distance": 150.0}]}],
        simulation={"time_step": 0.02, "duration": 10.0, "keep_trajectories": 0},
        uncertain={"performers.A.reaction_delay": {"dist": "lognormal", "sigma": 0.5}},
    )
    n = 2 * BLOCK_SIZE
    result = run(resolved, n, keep_trajectories=0)
    expected = stats.norm.sf(np.log((150 / 26.8) / 2.0) / 0.5)
    assert expected == pytest.approx(0.0197, abs=5e-4)
    p = result.estimates["struck_by_structure"].probability
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(p - expected) < 4 * se + 4e-4
    # crouched in time: 5.2 − 4.075 − 1.0 = 0.125 m; late: 5.2 − 4.075 − 1.75 = −0.625 m
    margins = result.margins["struck_by_structure"]
    np.testing.assert_allclose(np.unique(np.round(margins, 9)), [-0.625, 0.125])
