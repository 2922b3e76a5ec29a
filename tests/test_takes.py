"""The takes of a run as data: samples.parquet, result.to_frame(), load_result(DIR).

Expected values come from elsewhere than the table code: the counts from summary.json (the
estimators), the inputs from a separate serial run in this process (the CLI's run used
worker processes), the units from the scenario file's own units, the reopened run's
summary from the file the run wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import stuntsim
from stuntsim.cli import main
from stuntsim.errors import ScenarioError
from stuntsim.report import summary
from stuntsim.scenario import parse_scenario, resolve

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


@pytest.fixture(scope="module")
def rome_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rome")
    assert main(["run", str(ROME), "--samples", "1500", "--seed", "4", "--no-plots",
                 "--quiet", "--out", str(out)]) == 0
    return out


def test_samples_parquet_has_one_row_per_take_with_inputs_margins_and_outcomes(rome_run):
    table = pq.read_table(rome_run / "samples.parquet")
    frame = table.to_pandas()
    info = json.loads((rome_run / "summary.json").read_text())
    assert len(frame) == 1500
    assert frame["take"].tolist() == list(range(1500))
    resolved = stuntsim.load_scenario(ROME)
    for name in resolved.uncertain_names:  # every drawn input, named as in the scenario
        assert name in frame.columns
    for hazard, entry in info["hazards"].items():  # outcomes agree with the estimators
        assert int(frame[hazard].sum()) == entry["failures"], hazard
        assert f"{hazard}_margin" in frame.columns
    assert int(frame["any_hazard"].sum()) == info["any_hazard"]["failures"]
    assert set(frame["ending"]) <= {"reached the end of the plan", "ended by a hazard",
                                    "stopped as planned"}
    # units: the scenario writes speeds in km/h and friction without a unit
    units = {field.name: field.metadata[b"unit"].decode() for field in table.schema}
    assert units["maneuver.entry_speed"] == "km/h"
    assert units["street.surface.mu"] == ""
    assert units["collision_margin"] == "m"
    meta = json.loads(table.schema.metadata[b"stuntsim"])
    assert meta["seed"] == 4
    assert meta["scenario_sha256"] == info["scenario_sha256"]
    # the same takes drawn again in this process, serially: km/h = m/s × 3.6
    again = stuntsim.run(resolved, samples=1500, seed=4, executor="serial",
                         keep_trajectories=0)
    np.testing.assert_allclose(frame["maneuver.entry_speed"],
                               again.draws["maneuver.entry_speed"] * 3.6, rtol=1e-12)


def test_what_was_hit_and_how_fast_are_the_takes_facts(rome_run):
    frame = pd.read_parquet(rome_run / "samples.parquet")
    hit = frame[frame["collision"]]
    assert len(hit) > 0
    scenario = yaml.safe_load(ROME.read_text())
    solids = {item["name"] for group in ("buildings", "obstacles")
              for item in scenario["street"].get(group, [])}
    solids |= {scenario["street"][key]["name"] for key in ("outer_building", "inner_building")
               if key in scenario["street"]}  # a corner template's two buildings
    assert set(hit["hit"]) <= solids
    assert (hit["impact_speed"] > 0).all()
    # no speed where nothing was hit
    safe = frame[~frame["any_hazard"]]
    assert safe["impact_speed"].isna().all()
    assert (safe["hit"] == "").all()


def test_load_result_reopens_the_run_with_the_summary_it_wrote(rome_run):
    result = stuntsim.load_result(rome_run)
    written = json.loads((rome_run / "summary.json").read_text())
    assert written.pop("command").startswith("stuntsim run ")  # the CLI records it
    assert json.loads(json.dumps(summary(result))) == written
    assert result.trajectory_samples.size > 0  # the figures' takes came back too
    frame = result.to_frame()
    assert frame.index.name == "take"
    assert frame.attrs["units"]["maneuver.corner_speed"] == "km/h"
    pd.testing.assert_frame_equal(
        frame.reset_index(), pd.read_parquet(rome_run / "samples.parquet"),
        check_dtype=False)


def test_load_result_reopens_a_train_run(tmp_path):
    out = tmp_path / "train"
    assert main(["run", str(TRAIN), "--samples", "600", "--no-plots", "--quiet",
                 "--out", str(out)]) == 0
    result = stuntsim.load_result(out)
    written = json.loads((out / "summary.json").read_text())
    written.pop("command")
    assert json.loads(json.dumps(summary(result))) == written
    frame = pd.read_parquet(out / "samples.parquet")
    struck = frame[frame["struck_by_structure"]]
    assert set(struck["struck_by_structure_performer"]) <= set(result.performer_names)


def test_load_result_refuses_what_it_cannot_trust(rome_run, tmp_path):
    with pytest.raises(ScenarioError, match=r"result\.npz does not exist"):
        stuntsim.load_result(tmp_path)
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("result.npz", "scenario.yaml"):
        (copy / name).write_bytes((rome_run / name).read_bytes())
    (copy / "scenario.yaml").write_text((rome_run / "scenario.yaml").read_text()
                                        + "\n# edited\n")
    with pytest.raises(ScenarioError, match="is not the file the run used"):
        stuntsim.load_result(copy)


def test_results_and_scenarios_print_in_a_line_and_as_an_escaped_table():
    text = ROME.read_text().replace("name: Rome sharp turn (Fiat 500, cobbles)",
                                    "name: <b>Rome</b> & co")
    assert "<b>Rome</b>" in text
    resolved = resolve(parse_scenario(text))
    result = stuntsim.run(resolved, samples=200, executor="serial", keep_trajectories=0)
    assert len(repr(result)) < 400
    assert len(repr(resolved)) < 300
    assert "collision" in repr(result)
    html = result._repr_html_()
    assert "&lt;b&gt;Rome&lt;/b&gt; &amp; co" in html
    assert "<b>Rome</b>" not in html
    assert html.count("<tr>") == len(result.hazards) + 2  # header, hazards, any
