"""Skipped clearance queries change nothing: the bound is a bound, and the results are equal.

The car's monitors query the street's distance fields only for footprints whose clearance
could set a new running minimum (or, for kerbs, touch); :class:`ClearanceBound` proves
the others cannot. Two independent checks: the bound never exceeds the field's answer
along random drives past the Rome walls (the brute-force answer: querying every pose),
and a chunk simulated with every sample queried at every step gives bit for bit the same
margins and facts as the chunk with the skipping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.kinds.car import monitors
from stuntsim.kinds.car.model import CarModel
from stuntsim.kinds.car.monitors import ClearanceBound
from stuntsim.risk.sampling import draw

ROME = Path(__file__).resolve().parents[1] / "scenarios" / "rome_sharp_turn.yaml"


@pytest.fixture(scope="module")
def rome():
    return stuntsim.load_scenario(ROME)


def test_the_bound_never_exceeds_the_fields_answer(rome):
    street = CarModel(rome).street
    field = street.collision_field
    rng = np.random.default_rng(7)
    n, steps = 2000, 150
    front, rear, half_width = 2.4, 0.7, 0.66  # a Fiat 500's footprint about its CG [m]
    bound = ClearanceBound(field, front, rear, half_width, n)
    # random drives starting on the line's first straight, speeds 0–20 m/s, yaw rates
    # up to ±1.5 rad/s, dt = 0.01 s: they graze, touch and cross the walls
    path = CarModel(rome).path
    x = np.full(n, path.x[0]) + rng.uniform(-2, 2, n)
    y = np.full(n, path.y[0]) + rng.uniform(-2, 2, n)
    yaw = np.full(n, path.heading[0]) + rng.uniform(-0.3, 0.3, n)
    speed = rng.uniform(0, 20, n)
    yaw_rate = rng.uniform(-1.5, 1.5, n)
    checked = 0
    for _ in range(steps):
        x = x + speed * np.cos(yaw) * 0.01
        y = y + speed * np.sin(yaw) * 0.01
        yaw = yaw + yaw_rate * 0.01
        bound.advance(x, y, yaw)
        truth = field.footprint_clearance(x, y, yaw, front, rear, half_width).distance
        known = np.isfinite(bound.bound)
        assert np.all(bound.bound[known] <= truth[known]), "the bound exceeded the answer"
        checked += int(known.sum())
        # query a random half, as the monitors would query some samples and not others
        bound.query(rng.random(n) < 0.5, x, y, yaw)
    assert checked > n * steps // 3


def test_skipping_queries_changes_no_margin_and_no_fact(rome, monkeypatch):
    model = CarModel(rome)
    n = 600
    draws = draw(rome.scenario.seed, rome.uncertain_names, rome.distributions, 0, n)
    skipped = model.simulate(draws, n)

    class EveryStep(monitors.Contacts):  # query every sample at every step
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.every_step = True

    original_kerbs = monitors.MotionLimits.kerbs

    def kerbs_every_step(self, active, x, y, yaw, vy, *cos_sin):
        if self._kerb_bound is not None:
            self._kerb_bound.bound[:] = -np.inf  # unknown: query everything
        return original_kerbs(self, active, x, y, yaw, vy, *cos_sin)

    monkeypatch.setattr("stuntsim.kinds.car.model.Contacts", EveryStep)
    monkeypatch.setattr(monitors.MotionLimits, "kerbs", kerbs_every_step)
    every = model.simulate(draws, n)
    for name in skipped.margins:
        np.testing.assert_array_equal(skipped.margins[name], every.margins[name], name)
    for name, values in skipped.details.items():
        np.testing.assert_array_equal(values, every.details[name], name)
    # the chunk had contacts, so the equality covers the facts of a hit too
    assert np.isfinite(every.collision_time).any()
