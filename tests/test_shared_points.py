"""Estimates of several hazards of one scenario share the points they have in common
(stuntsim.studies.margins.SharedPoints): on one seed, QMC's nets and subset simulation's
level 0 are the same points for every hazard, so the model runs once for them.

The expected results are each hazard's own estimate with nothing shared (rare_event
without ``shared``): sharing may change no number, only how many takes are simulated.
The short train fixture keeps the runs cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.studies import SharedPoints, rare_event
from stuntsim.studies import margins as margins_module

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "fixtures" / "train_short.yaml"
HAZARDS = ("dislodged", "tipped", "struck_by_structure")


@pytest.fixture
def simulated(monkeypatch) -> list[int]:
    """The takes the model simulates from now on, batch by batch."""
    sizes: list[int] = []
    original = margins_module._evaluate_batch

    def counting(context, batch):
        sizes.append(batch[1].shape[0])
        return original(context, batch)

    monkeypatch.setattr(margins_module, "_evaluate_batch", counting)
    return sizes


@pytest.mark.parametrize(("method", "options", "shared_takes"), [
    ("qmc", {"n_qmc": 64, "randomisations": 4}, 256),  # the whole net, once for all
    ("subset", {"n_per_level": 100, "replicates": 2}, None),  # level 0, once for all
])
def test_the_hazards_share_their_common_points_with_the_same_results(
        method, options, shared_takes, simulated):
    resolved = stuntsim.load_scenario(TRAIN)
    alone = {h: rare_event(resolved, h, method=method, seed=3, **options) for h in HAZARDS}
    takes_alone = sum(simulated)
    simulated.clear()
    shared = SharedPoints()
    together = {h: rare_event(resolved, h, method=method, seed=3, shared=shared, **options)
                for h in HAZARDS}
    assert {h: r.to_dict() for h, r in together.items()} == {
        h: r.to_dict() for h, r in alone.items()}
    # fewer takes simulated, by exactly the points reused
    assert sum(simulated) == takes_alone - shared.reused
    assert shared.reused > 0
    if shared_takes is not None:
        assert sum(simulated) == shared_takes
        assert shared.reused == (len(HAZARDS) - 1) * shared_takes


def test_shared_points_serve_one_scenario_only():
    train = stuntsim.load_scenario(TRAIN)
    shared = SharedPoints()
    rare_event(train, "tipped", method="qmc", n_qmc=16, randomisations=2, seed=1,
               shared=shared)
    # another hazard on another seed: the same scenario (other points, none reused)
    rare_event(train, "dislodged", method="qmc", n_qmc=16, randomisations=2, seed=2,
               shared=shared)
    assert shared.reused == 0
    faster = train.with_nominal("train.speed", 25.0)
    with pytest.raises(ValueError, match="another scenario"):
        rare_event(faster, "tipped", method="qmc", n_qmc=16, randomisations=2, seed=1,
                   shared=shared)


@pytest.mark.parametrize(("method", "options"), [
    ("subset", {"n_per_level": 100, "replicates": 2}),
    ("qmc", {"n_qmc": 64, "randomisations": 4}),
])
def test_every_hazard_estimated_together_is_its_estimate_alone(method, options, simulated):
    # Expected: rare_event for each hazard alone (its own model calls), errors included
    import warnings

    from stuntsim.errors import StuntWarning
    from stuntsim.studies.rare import rare_events

    resolved = stuntsim.load_scenario(TRAIN)
    hazards = [*HAZARDS, "tether_overload"]
    alone = {}
    for hazard in hazards:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StuntWarning)
            try:
                result = rare_event(resolved, hazard, method=method, seed=3, **options)
            except ValueError as err:
                alone[hazard] = repr(err)
                continue
        alone[hazard] = (result.to_dict(), [str(w.message) for w in caught])
    takes_alone = sum(simulated)
    simulated.clear()
    together = rare_events(resolved, hazards, method=method, seed=3, **options)
    assert list(together) == hazards
    for hazard, estimate in together.items():
        got = (repr(estimate.error) if estimate.error is not None
               else (estimate.result.to_dict(), estimate.warnings))
        assert got == alone[hazard], hazard
    # the model ran for fewer takes: the hazards' common points once, in shared calls
    assert sum(simulated) < takes_alone


def test_a_hazard_whose_estimate_fails_leaves_the_others_estimated(monkeypatch):
    from stuntsim.studies.rare import rare_events

    resolved = stuntsim.load_scenario(TRAIN)
    options = {"n_per_level": 100, "replicates": 2, "seed": 3}
    expected = rare_event(resolved, "dislodged", **options).to_dict()
    original = margins_module.MarginFunction.every

    def broken_tipping(self, values):  # a model that cannot say whether anyone tipped
        margins, ending, progress = original(self, values)
        return {**margins, "tipped": np.full(ending.shape, np.nan)}, ending, progress

    monkeypatch.setattr(margins_module.MarginFunction, "every", broken_tipping)
    together = rare_events(resolved, ["tipped", "dislodged"], **options)
    assert together["tipped"].result is None
    assert "NaN margins" in str(together["tipped"].error)
    assert together["dislodged"].error is None
    assert together["dislodged"].result.to_dict() == expected
