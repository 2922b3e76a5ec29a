"""Variants that share model calls (stuntsim.studies.variants): each variant's numbers must
be bit for bit those of its own serial run.

The expected values here are the variants' own runs (`stuntsim.run`, one variant at a
time, serially): the shared call is an optimisation that may change no number. Each kind's
list of per-take paths (StuntKind.per_take_paths) is checked the strongest way at hand:
every path in it is moved at once, and the moved scenario's takes, simulated in the same
call as the unmoved scenario's, must equal its own run. A path the model also read once
per call (in the scene, the time grid, a choice for the whole batch) would make the two
differ.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.errors import ScenarioError
from stuntsim.kinds import kind_of
from stuntsim.studies.variants import (
    MIN_TASK_TAKES,
    _Group,
    _plan,
    run_variants,
    shared_call_groups,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _same_run(a, b) -> None:
    """Every per-take array and estimate of two runs, bit for bit."""
    assert a.samples == b.samples
    assert a.seed == b.seed
    for group in ("margins", "details", "draws"):
        ours, theirs = getattr(a, group), getattr(b, group)
        assert ours.keys() == theirs.keys(), group
        for key in ours:
            assert np.array_equal(ours[key], theirs[key], equal_nan=True), (group, key)
    assert np.array_equal(a.run_ending, b.run_ending)
    assert np.array_equal(a.run_progress, b.run_progress)
    for name, estimate in a.estimates.items():
        assert estimate.failures == b.estimates[name].failures, name
        assert estimate.ci95 == b.estimates[name].ci95, name
    assert a.warnings == b.warnings


def _moved_everywhere(resolved):
    """The scenario with every per-take path of its kind moved a little (2 %, or by 0.01
    where it is 0), each move kept only where the file's validation accepts it; and the
    paths moved."""
    moved, paths = resolved, []
    for path in sorted(kind_of(resolved).per_take_paths(resolved)):
        value = resolved.nominal[path]
        for new in (value * 1.02, value * 0.98, value + 0.01, value - 0.01):
            try:
                candidate = moved.with_nominal(path, new)
            except (ScenarioError, ValueError):
                continue
            moved = candidate
            paths.append(path)
            break
    return moved, paths


@pytest.mark.parametrize(("name", "samples"), [
    ("rome_sharp_turn.yaml", 24),
    ("cliff_hairpin.yaml", 24),
    ("camera_rig_car.yaml", 24),
    ("../tests/fixtures/train_short.yaml", 48),
])
def test_every_per_take_path_moved_in_a_shared_call_equals_its_own_run(name, samples):
    resolved = stuntsim.load_scenario(SCENARIOS / name)
    per_take = kind_of(resolved).per_take_paths(resolved)
    moved, paths = _moved_everywhere(resolved)
    # nearly all of them could be moved (a few sit on a bound in both directions)
    assert len(paths) >= 0.9 * len(per_take) > 0
    # the two share one call: the moved values not drawn ride along take by take
    groups = shared_call_groups([resolved, moved])
    assert [members for members, _ in groups] == [[0, 1]]
    shared = run_variants([resolved, moved], samples, 11, "serial", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = [stuntsim.run(v, samples=samples, seed=11, executor="serial",
                            keep_trajectories=0) for v in (resolved, moved)]
    _same_run(shared[0], own[0])
    _same_run(shared[1], own[1])
    # and the move mattered: the moved scenario's takes differ from the unmoved ones
    assert any(not np.array_equal(shared[0].margins[h], shared[1].margins[h])
               for h in shared[0].margins)


def test_variants_that_change_the_scene_switches_or_settings_get_calls_of_their_own():
    cliff = stuntsim.load_scenario(SCENARIOS / "cliff_hairpin.yaml")
    variants = [cliff] + [cliff.variant(name) for name in cliff.scenario.variants]
    names = ["plan", *cliff.scenario.variants]
    groups = {tuple(names[i] for i in members) for members, _ in shared_call_groups(variants)}
    # a slower bend and a swept patch are values read take by take; a barrier switched on
    # changes the scene (its own model), as does a wider road (the distance fields) and a
    # time step (the time grid)
    assert ("plan", "slower bend (18 km/h)", "gravel swept") in groups
    assert ("dry-stone parapet",) in groups
    assert ("N2 guard rail",) in groups
    rome = stuntsim.load_scenario(SCENARIOS / "rome_sharp_turn.yaml")
    apart = [rome, rome.with_nominal("street.exit_width", 5.5),
             rome.with_nominal("simulation.time_step", 0.005),
             rome.with_nominal("street.gradient", 0.02),
             rome.with_nominal("maneuver.corner_speed", 4.0)]
    assert [m for m, _ in shared_call_groups(apart)] == [[0, 4], [1], [2], [3]]


def test_a_value_no_variant_draws_rides_along_take_by_take_and_a_drawn_one_does_not():
    rome = stuntsim.load_scenario(SCENARIOS / "rome_sharp_turn.yaml")
    assert "maneuver.corner_speed" in rome.uncertain_names
    assert "driver.speed_gain" not in rome.uncertain_names
    variants = [rome, rome.with_nominal("maneuver.corner_speed", 4.0),
                rome.with_nominal("driver.speed_gain", 2.5)]
    assert shared_call_groups(variants) == [([0, 1, 2], ["driver.speed_gain"])]


def test_a_mixed_comparison_equals_each_variants_own_run():
    # two of the cliff's variants: one shares the plan's call, one has a call of its own
    cliff = stuntsim.load_scenario(SCENARIOS / "cliff_hairpin.yaml")
    variants = [cliff, cliff.variant("slower bend (18 km/h)"), cliff.variant("N2 guard rail")]
    assert [m for m, _ in shared_call_groups(variants)] == [[0, 1], [2]]
    shared = run_variants(variants, 40, 3, "serial", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for variant, result in zip(variants, shared, strict=True):
            _same_run(result, stuntsim.run(variant, samples=40, seed=3, executor="serial",
                                           keep_trajectories=0))


@pytest.mark.parametrize(("sizes", "samples", "cap", "workers"), [
    ((5,), 512, 4096, 1),        # a small envelope, serial: one call for all
    ((5,), 512, 4096, 2),        # … on two workers: two tasks of 1280 takes
    ((3, 1, 1), 300, 4096, 2),   # a compare with two variants of their own
    ((2,), 10_000, 4096, 2),     # big variants: tasks of at most a chunk
    ((4,), 100, 4096, 8),        # few takes: no task below the minimum
])
def test_the_plan_covers_each_take_once_in_tasks_of_at_most_a_chunk(sizes, samples, cap,
                                                                     workers):
    groups, first = [], 0
    for size in sizes:
        groups.append(_Group(tuple(range(first, first + size)), ()))
        first += size
    tasks = _plan(groups, samples, cap, workers)
    covered = {v: np.zeros(samples, dtype=int) for v in range(first)}
    for index, pieces in tasks:
        takes = sum(p.stop - p.start for p in pieces)
        assert 0 < takes <= cap
        for piece in pieces:
            assert piece.variant in groups[index].members  # a task stays in its group
            covered[piece.variant][piece.start:piece.stop] += 1
    assert all((counts == 1).all() for counts in covered.values())
    total = samples * first
    # enough tasks for the workers where the takes allow, none needlessly small
    if len(tasks) > 1:
        assert min(sum(p.stop - p.start for p in pieces) for _, pieces in tasks) >= min(
            MIN_TASK_TAKES, samples) // 2
    if workers > 1 and total >= workers * MIN_TASK_TAKES:
        assert len(tasks) >= workers
    per_group = [math.ceil(samples * len(g.members) / cap) for g in groups]
    assert len(tasks) >= sum(per_group)


def test_a_margin_call_is_cut_into_one_batch_a_worker_with_the_same_margins(monkeypatch):
    # the expected margins: the same samples in one batch; the model is deterministic per
    # take, so however a call is cut, each take's margin is the same
    from stuntsim.studies import margins as margins_module

    resolved = stuntsim.load_scenario(ROOT / "tests" / "fixtures" / "train_short.yaml")
    names = resolved.uncertain_names
    values = np.column_stack([resolved.distributions[name].ppf(np.linspace(0.05, 0.95, 384))
                              for name in names])
    whole = margins_module.margin_function(resolved, "tipped")(values)
    monkeypatch.setattr(margins_module, "slots", lambda executor: 3)
    seen = []
    original = margins_module._evaluate_batch

    def recording(context, batch):
        seen.append(batch[1].shape[0])
        return original(context, batch)

    monkeypatch.setattr(margins_module, "_evaluate_batch", recording)
    cut = margins_module.margin_function(resolved, "tipped")(values)
    assert seen == [128, 128, 128]  # three workers, at least MIN_SPLIT = 128 each
    assert np.array_equal(cut, whole)
    seen.clear()
    margins_module.margin_function(resolved, "tipped")(values[:200])
    assert seen == [200]  # fewer than MIN_SPLIT a worker: one batch
