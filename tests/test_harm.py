"""Harm in the run summary: expected harm per take, the risk matrix, risk over the takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.kinds.car.hazards import car_harm
from stuntsim.report import summary
from stuntsim.risk.montecarlo import bounded_mean
from stuntsim.scenario import parse_scenario, resolve

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


def test_bounded_mean_intervals():
    n = 1000
    # all zero: [0, 1 − 0.025^(1/n)] (Clopper–Pearson upper bound of 0/n, closed form)
    mean, (lo, hi) = bounded_mean(np.zeros(n))
    assert mean == 0.0
    assert lo == 0.0
    assert hi == pytest.approx(1 - 0.025 ** (1 / n))
    # a few non-zero values: conservative product bounds contain the mean
    values = np.zeros(n)
    values[:5] = [0.1, 0.2, 0.3, 0.4, 0.5]
    mean, (lo, hi) = bounded_mean(values)
    assert mean == pytest.approx(1.5 / n)
    assert lo <= mean <= hi
    # many: the normal approximation, mean ± 1.96·sd/√n
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, n) * (rng.uniform(size=n) < 0.2)
    mean, (lo, hi) = bounded_mean(values)
    half = 1.959964 * values.std(ddof=1) / np.sqrt(n)
    assert (lo, hi) == pytest.approx((mean - half, mean + half), rel=1e-5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bounded_mean(np.array([0.5, 1.5]))


def test_harm_is_zero_where_nothing_happened_and_follows_the_relations():
    margins = {"collision": np.array([-0.1, 0.5]), "person_struck": np.array([-0.01, 1.0])}
    details = {
        "collision_normal_speed": np.array([10.0, np.nan]),
        "person_speed": np.array([50 / 3.6, np.nan]),
    }
    harm = car_harm(margins, details)
    assert harm["collision"]["fatality"][1] == 0.0
    assert harm["person_struck"]["fatality"][1] == 0.0
    # Rosén & Sander (2009): 8.3 % fatality at 50 km/h (REFERENCES.md)
    assert harm["person_struck"]["fatality"][0] == pytest.approx(0.083, abs=0.001)
    assert 0.0 < harm["collision"]["serious_injury"][0] < 1.0


@pytest.fixture(scope="module")
def rome_ten_takes():
    text = ROME.read_text(encoding="utf-8")
    assert "\ntakes: 5 " in text
    text = text.replace("\ntakes: 5 ", "\ntakes: 10 ")
    resolved = resolve(parse_scenario(text))
    result = stuntsim.run(resolved, samples=800, seed=3, executor="serial",
                          keep_trajectories=0)
    return result, summary(result)


def test_summary_has_harm_risk_matrix_and_risk_over_takes(rome_ten_takes):
    _, info = rome_ten_takes
    assert "risk_matrix" in info
    for name, entry in info["hazards"].items():
        cell = info["risk_matrix"]["hazards"][name]
        assert 1 <= cell["likelihood"] <= 5
        assert entry["harm"]["who"]
        over = entry["over_takes"]
        assert over["takes"] == 10
        p = entry["probability"]
        # P over N independent takes = 1 − (1 − p)^N
        assert over["probability"] == pytest.approx(1 - (1 - p) ** 10)
        assert over["ci95"][0] <= over["probability"] <= over["ci95"][1]
    collision = info["hazards"]["collision"]
    assert collision["harm"]["fatality"]["expected_per_take"] is not None
    lo, hi = collision["harm"]["fatality"]["ci95"]
    assert lo <= collision["harm"]["fatality"]["expected_per_take"] <= hi
    # a person near the line is rated even when never struck (severity at the passing speed)
    assert info["risk_matrix"]["hazards"]["person_struck"]["severity"] is not None
