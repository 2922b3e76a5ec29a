"""Smoke tests of the camera-rig figures: each returns its Axes, says what it shows (labels
with units, a title) and names the outcomes in its legend, on small runs."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import stuntsim
from stuntsim.kinds.car.figures import plot_detection_timeline, plot_scene, plot_sight_lines
from stuntsim.plots import plot_rig_share
from stuntsim.studies.compare import rig_share

SAMPLES = 64  # enough for a few conflicts, strikes and stops at the scenario's seed


@pytest.fixture(scope="module")
def rig_scenario():
    return stuntsim.load_scenario("scenarios/camera_rig_car.yaml")


@pytest.fixture(scope="module")
def rig_result(rig_scenario):
    return stuntsim.run(rig_scenario, samples=SAMPLES, executor="serial", keep_trajectories=12)


@pytest.fixture(scope="module")
def rome_result():
    rome = stuntsim.load_scenario("scenarios/rome_sharp_turn.yaml")
    return stuntsim.run(rome, samples=SAMPLES, executor="serial", keep_trajectories=8)


@pytest.fixture(scope="module")
def rig_comparison(rig_scenario):
    return rig_share(rig_scenario, samples=SAMPLES, executor="serial")


def axes() -> object:
    return Figure(figsize=(10, 7)).add_subplot()


def legend_text(ax) -> str:
    return " ".join(t.get_text() for t in ax.get_legend().get_texts()).replace("\n", " ")


def texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


# ------------------------------------------------------------------------- plot_scene
def test_scene_shows_the_person_stepping_out(rig_result):
    ax = axes()
    assert plot_scene(ax, rig_result) is ax
    assert "person stepping out" in legend_text(ax)
    assert "crew member from the alley (crew)" in texts(ax)
    assert "[m]" in ax.get_xlabel()
    assert "[m]" in ax.get_ylabel()


def test_scene_without_people_stepping_out_draws_none(rome_result):
    ax = axes()
    assert plot_scene(ax, rome_result) is ax
    assert "stepping out" not in legend_text(ax)
    assert "steps out" not in texts(ax)
    assert "runs by outcome" in ax.get_title()


# ------------------------------------------------------------------ plot_sight_lines
def test_sight_lines_default_is_the_kept_seen_sample_with_the_smallest_margin(rig_result):
    kept = rig_result.trajectory_samples
    seen = kept[np.isfinite(rig_result.details["walker_seen_time"][kept])]
    expected = seen[np.argmin(rig_result.margins["person_not_seen_in_time"][seen])]
    ax = axes()
    assert plot_sight_lines(ax, rig_result) is ax
    title = ax.get_title()
    assert f"Sample #{expected}:" in title
    assert "after stepping out" in title
    assert "sight margin" in title
    legend = legend_text(ax)
    assert "first clear sight line" in legend
    assert "car and person at first sight" in legend
    # the person waits 2.5 m inside the alley: at the step-out the inner palazzo hides them
    # (scenarios/camera_rig_car.yaml), so at least one earlier line is hidden by a building
    assert "hidden by a building" in legend
    assert "building corner that hid the person" in legend
    assert ax.get_xlabel() == "x (east) [m]"
    assert ax.get_ylabel() == "y (north) [m]"


def test_sight_lines_for_a_chosen_sample_and_a_sample_not_kept(rig_result):
    sample = int(rig_result.trajectory_samples[0])
    ax = axes()
    assert plot_sight_lines(ax, rig_result, sample=sample) is ax
    assert ax.get_title().startswith(f"Sample #{sample}:")
    not_kept = sorted(set(range(SAMPLES)) - set(rig_result.trajectory_samples.tolist()))[0]
    with pytest.raises(ValueError, match="not kept"):
        plot_sight_lines(axes(), rig_result, sample=not_kept)


def test_sight_lines_need_people_stepping_out(rome_result):
    with pytest.raises(ValueError, match="no people stepping out"):
        plot_sight_lines(axes(), rome_result)


# ----------------------------------------------------------- plot_detection_timeline
def test_detection_timeline_names_each_phase_and_outcome(rig_result):
    conflicts = int(np.count_nonzero(np.isfinite(rig_result.margins["person_not_seen_in_time"])))
    assert conflicts > 10  # at this seed; otherwise the figure is not exercised
    ax = axes()
    assert plot_detection_timeline(ax, rig_result, max_samples=10) is ax
    legend = legend_text(ax)
    assert "stepped out → first seen (hidden)" in legend
    assert "perception–reaction" in legend
    assert "person struck" in legend or "car stood still" in legend
    title = ax.get_title()
    assert f"10 of {conflicts} takes" in title
    assert "struck in" in title
    assert ax.get_xlabel() == "Time since the person stepped out [s]"
    assert "[m]" in ax.get_ylabel()
    assert len(ax.get_yticks()) <= 10


def test_detection_timeline_without_conflicts_says_so(rome_result):
    ax = axes()
    assert plot_detection_timeline(ax, rome_result) is ax
    assert "no conflicts" in ax.get_title()


# -------------------------------------------------------------------- plot_rig_share
def test_rig_share_shows_both_variants_and_the_paired_difference(rig_comparison):
    ax = axes()
    assert plot_rig_share(ax, rig_comparison) is ax
    legend = legend_text(ax)
    assert "with the rig" in legend
    assert "without the rig" in legend
    assert "95 %" in legend
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["person not seen in time", "person struck", "any hazard"]
    annotations = texts(ax)
    assert annotations.count("Δ =") == 3
    assert "P(with the rig) − P(without the rig)" in ax.get_title()
    assert "[-]" in ax.get_ylabel()


def test_rig_share_rejects_an_unknown_hazard_or_variant(rig_comparison):
    with pytest.raises(ValueError, match="not in the comparison"):
        plot_rig_share(axes(), rig_comparison, hazards=("meteor_strike",))
    with pytest.raises(ValueError, match="variant must index"):
        plot_rig_share(axes(), rig_comparison, variant=2)
