"""Every study on the train roof, with the rigour of the car's: compare, envelope,
sensitivity, subset simulation and quasi-Monte Carlo, against answers known independently
(a closed form, the definition of a paired difference, a brute-force count)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

import stuntsim
from stuntsim.cli import main
from stuntsim.scenario import parse_scenario, resolve
from stuntsim.studies import compare, envelope, rare_event, sensitivity

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scenarios" / "train_roof.yaml"

# One standing performer, one bridge, a lognormal reaction delay (median 2 s, σ 0.5) to
# the cue 250 m before it, at 26.8 m/s: struck iff the delay exceeds T = 250/26.8 s, so
# P(struck) = P(delay > T) = Φ̄(ln(T / 2) / 0.5) — a hard switch: the margin takes two
# values only (crouched in time: 5.2 − 4.075 − 1.0 = 0.125 m; late: −0.625 m).
CUE = 250.0
SWITCH = {
    "kind": "train", "name": "late crouch", "samples": 1000, "seed": 11,
    "train": {"speed": 26.8, "start_position": 220.0},
    "track": {"segments": [{"name": "a", "length": 520.0}]},
    "structures": [{"name": "bridge", "kind": "bridge", "at": 500.0, "length": 10.0,
                    "clearance": 5.2}],
    "wind": {"speed": 0.0},
    "performers": [{"name": "A", "mass": 80.0, "shoe_friction": 0.9, "reaction_delay": 2.0,
                    "changes": [{"posture": "crouching", "before": "bridge",
                                 "distance": CUE}]}],
    "simulation": {"time_step": 0.02, "duration": 15.0, "keep_trajectories": 0},
    "uncertain": {"performers.A.reaction_delay": {"dist": "lognormal", "sigma": 0.5},
                  "wind.direction": {"dist": "uniform", "low": 0.0, "high": 6.283}},
}
P_SWITCH = float(stats.norm.sf(np.log((CUE / 26.8) / 2.0) / 0.5))


def _switch():
    return resolve(parse_scenario(yaml.safe_dump(SWITCH, sort_keys=False), source="switch"))


def test_the_closed_form_of_the_switch():
    assert P_SWITCH == pytest.approx(1.0e-3, rel=0.05)


# ------------------------------------------------------------------------------ compare
def test_identical_train_variants_differ_by_exactly_zero():
    resolved = stuntsim.load_scenario(TRAIN)
    result = compare([resolved, resolved], names=["a", "b"], samples=128, seed=5,
                     executor="serial")
    for hazard, difference in result.differences[0].items():
        assert difference.difference == 0.0, hazard
        assert difference.worse == difference.better == 0


def test_a_slower_train_tips_fewer_performers_on_the_same_random_numbers():
    # the paired difference is the mean of per-run differences of the failure indicator
    # (its definition): recomputed here from the two runs' margins
    resolved = stuntsim.load_scenario(TRAIN)
    slower = resolved.variant("shoot at 80 km/h")
    result = compare([resolved, slower], names=["97", "80"], samples=300, seed=5,
                     executor="serial")
    tipped = result.differences[0]["tipped"]
    assert tipped.ci95[1] < 0  # significantly fewer, paired
    base = stuntsim.run(resolved, samples=300, seed=5, executor="serial",
                        keep_trajectories=0)
    other = stuntsim.run(slower, samples=300, seed=5, executor="serial",
                         keep_trajectories=0)
    by_hand = np.mean((other.margins["tipped"] <= 0).astype(float)
                      - (base.margins["tipped"] <= 0).astype(float))
    assert tipped.difference == pytest.approx(by_hand)
    assert result.harm[0]["any"]["fatality"] > 0


def test_cli_compares_the_train_files_own_variants(tmp_path, capsys):
    assert main(["compare", str(TRAIN), "--samples", "64", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "comparison.json").read_text())
    names = [variant["name"] for variant in data["variants"]]
    assert names[0] == "train_roof"
    assert {"shoot at 80 km/h", "70 km/h through Stavem", "shorter tether for A"} <= set(names)
    assert (tmp_path / "comparison.png").read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------------- envelope
def test_the_train_speed_envelope_rises_with_speed(tmp_path, capsys):
    resolved = stuntsim.load_scenario(TRAIN)
    values = np.array([60.0, 80.0, 100.0]) / 3.6
    result = envelope(resolved, "train.speed", values, target=0.1, hazard="tipped",
                      samples=200, seed=3, executor="serial")
    assert result.direction == "largest"
    assert result.unit == "km/h"
    # common random numbers: the same runs at each speed; drag grows with v², so tipping
    # can only get more likely as the whole run goes faster
    assert np.all(np.diff(result.probability) >= 0)
    assert result.probability[-1] > result.probability[0]
    assert main(["envelope", str(TRAIN), "--param", "train.speed", "--range",
                 "60 km/h:100 km/h", "--steps", "3", "--target", "0.1", "--hazard",
                 "tipped", "--samples", "100", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "envelope.json").read_text())["envelope"]["unit"] == "km/h"


# -------------------------------------------------------------------------- sensitivity
def test_the_late_crouch_is_driven_by_the_reaction_delay():
    # struck iff the delay exceeds T: the margin depends on the delay alone; the wind's
    # direction (no wind) changes nothing, so its total index is 0 up to estimator noise
    result = sensitivity(_switch(), "struck_by_structure", n=256, bootstrap=20)
    ranking = result.ranking()
    assert ranking[0] == "performers.A.reaction_delay"
    totals = dict(zip(result.names, result.sobol.total_order, strict=True))
    assert totals["performers.A.reaction_delay"] > 0.9
    assert abs(totals["wind.direction"]) < 0.05


def test_cli_sensitivity_on_the_train(tmp_path, capsys):
    # the standing performer's reaction delay to the call decides whether they are down in
    # time; a clearance varies by ±0.15–0.2 m only (the scenario's uncertain section)
    assert main(["sensitivity", str(TRAIN), "--hazard", "struck_by_structure",
                 "--samples", "64", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["ranking"][0] == "performers.stunt double A.reaction_delay"


# -------------------------------------------------------------------- rare-event methods
@pytest.mark.slow
def test_subset_on_the_train_switch_is_right_or_says_it_is_not_converged():
    # a two-valued margin (a plateau and a switch): subset simulation either converges to
    # the closed form or says it did not and reports crude Monte Carlo whose exact interval
    # must contain the truth (two-sided 95 %: checked at this seed)
    result = rare_event(_switch(), "struck_by_structure", method="subset", n_per_level=500,
                        seed=2)
    lo, hi = result.ci95
    assert lo <= P_SWITCH <= hi
    if not result.converged:
        assert result.fallback == "crude Monte Carlo"


def test_qmc_on_the_train_switch_covers_the_closed_form():
    result = rare_event(_switch(), "struck_by_structure", method="qmc", n_qmc=2048,
                        randomisations=8, seed=4)
    lo, hi = result.ci95
    assert lo <= P_SWITCH <= hi
    # 2048 × 8 points: the standard error of crude MC would be √(p/N) ≈ 2.5e-4
    assert abs(result.probability - P_SWITCH) < 4 * np.sqrt(P_SWITCH / (2048 * 8))


def test_cli_runs_qmc_and_subset_on_the_train(tmp_path, capsys):
    out = tmp_path / "qmc"
    assert main(["run", str(TRAIN), "--method", "qmc", "--hazard", "struck_by_structure",
                 "--samples", "64", "--out", str(out)]) == 0
    data = json.loads((out / "summary.json").read_text())
    assert data["method"] == "qmc"
    assert "struck_by_structure" in data["hazards"]
