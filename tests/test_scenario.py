"""Scenario files: the schema, unit conversion on load, nominal centring, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import stuntsim
from stuntsim.risk.distributions import LogNormal, Normal, TruncatedNormal, Uniform
from stuntsim.scenario import ScenarioError, numeric_leaves, scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
SCHEMA = ROOT / "scenarios" / "scenario.schema.json"


def test_rome_loads_with_units_converted_to_si():
    resolved = stuntsim.load_scenario(ROME)
    spec = resolved.scenario
    # 45 km/h = 12.5 m/s by definition of the km/h
    assert spec.maneuver.entry_speed == pytest.approx(12.5)
    assert spec.maneuver.line.heading == 0.0
    assert spec.maneuver.sideslip_limit == pytest.approx(math.radians(15))
    assert resolved.nominal["vehicle.mass"] == pytest.approx(620.0)
    # a preset figure not overridden in the file: Fiat 500 length 2.970 m (car-param.com)
    assert resolved.nominal["vehicle.length"] == pytest.approx(2.970)
    assert len(resolved.sha256) == 64


def test_distributions_are_centred_on_the_nominal_unless_located():
    resolved = stuntsim.load_scenario(ROME)
    dists = resolved.distributions
    speed = dists["maneuver.entry_speed"]
    assert isinstance(speed, Normal)
    assert speed.mean == pytest.approx(12.5)  # nominal 45 km/h
    assert speed.sd == pytest.approx(2 / 3.6)  # "2 km/h"
    delay = dists["driver.reaction_delay"]
    assert isinstance(delay, LogNormal)
    assert delay.median == pytest.approx(0.15)  # the file's nominal 0.15 s
    mass = dists["vehicle.mass"]
    assert isinstance(mass, Uniform)
    assert (mass.low, mass.high) == pytest.approx((590.0, 650.0))
    mu = dists["street.surface.mu"]
    assert isinstance(mu, TruncatedNormal)
    assert mu.mean == pytest.approx(0.5)


def test_moving_the_nominal_moves_the_distribution_and_keeps_the_spread():
    resolved = stuntsim.load_scenario(ROME)
    slower = resolved.with_nominal("maneuver.entry_speed", 30 / 3.6)
    dist = slower.distributions["maneuver.entry_speed"]
    assert dist.mean == pytest.approx(30 / 3.6)
    assert dist.sd == pytest.approx(2 / 3.6)


def test_vehicle_preset_fields_are_addressable_without_override():
    resolved = stuntsim.load_scenario(ROME)
    leaves = numeric_leaves(resolved.scenario)
    assert "vehicle.cg_height" in leaves
    assert leaves["vehicle.cg_height"][1] == "length"


def test_committed_json_schema_is_current():
    # Regenerate with: stuntsim schema --out scenarios/scenario.schema.json
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == scenario_json_schema(), "scenario.schema.json is stale"


def _rome_text() -> str:
    return ROME.read_text(encoding="utf-8")


BAD_EDITS = [
    # (name, replace-from, replace-to, expected field, expected words)
    ("unknown key", "  near_miss: 0.3 m", "  near_mis: 0.3 m", "simulation.near_mis",
     "unknown key"),
    ("wrong unit", "entry_speed: 45 km/h", "entry_speed: 45 kg", "maneuver.entry_speed",
     "expected a speed"),
    ("negative mass", "  mass: 620 kg", "  mass: -620 kg", "vehicle.mass", "greater than"),
    ("unparseable unit", "entry_speed: 45 km/h", "entry_speed: fast", "maneuver.entry_speed",
     ""),
    ("path naming no field", "  maneuver.corner_speed:", "  maneuver.corner_sped:",
     "uncertain.maneuver.corner_sped", "did you mean 'maneuver.corner_speed'"),
    ("friction out of bounds", "    mu: 0.5  ", "    mu: 5  ", "street.surface.mu", ""),
    ("unknown distribution", "dist: lognormal", "dist: weibull", "uncertain", ""),
    ("bad uniform", "low: 0.50 m\n    high: 0.62 m", "low: 0.62 m\n    high: 0.50 m",
     "uncertain.vehicle.cg_height", "low"),
    ("variant naming no field", "    maneuver.braking_point: 17 m",
     "    maneuver.braking_pont: 17 m", "variants.brake 3 m earlier.maneuver.braking_pont",
     "did you mean 'maneuver.braking_point'"),
    ("variant with a wrong unit", "    maneuver.braking_point: 17 m",
     "    maneuver.braking_point: 17 s", "variants.brake 3 m earlier.maneuver.braking_point",
     "expected a length"),
    ("variant that cannot move its distribution", "    maneuver.braking_point: 17 m",
     "    vehicle.cg_height: 0.7 m", "variants.brake 3 m earlier.vehicle.cg_height",
     "changes nothing"),
]


@pytest.mark.parametrize(("label", "old", "new", "field", "words"), BAD_EDITS,
                         ids=[edit[0] for edit in BAD_EDITS])
def test_bad_field_names_file_field_and_problem(tmp_path, label, old, new, field, words):
    text = _rome_text()
    assert old in text, f"test edit '{label}' no longer matches the Rome file"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        stuntsim.load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert field in message
    assert words in message
    assert "\n" not in message


def test_empty_street_is_an_error(tmp_path):
    text = _rome_text()
    start, end = text.index("  template: corner"), text.index("  surface:")
    text = text[:start] + text[end:]  # no corner template: its two buildings go
    start = text.index("  obstacles:")
    end = text.index("  kerbs:")
    path = tmp_path / "empty_street.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ScenarioError, match="nothing can go wrong"):
        stuntsim.load_scenario(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"- just\n- a list\n", "mapping"),
        (b"kind: car\nname: [unclosed\n", "invalid YAML"),
        (b"kind: car\nname: !!python/object/apply:os.system ['echo pwned']\n", "invalid YAML"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"kind: boat\n", "kind"),
        (b"42\n", "mapping"),
        (b"kind: car\nname: a\nname: b\n", "given twice"),
    ],
    ids=["empty", "list", "malformed", "python-tag", "binary", "unknown-kind", "scalar",
         "duplicate-key"],
)
def test_unusable_files_give_one_line_errors(tmp_path, content, words):
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        stuntsim.load_scenario(path)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        stuntsim.load_scenario(tmp_path / "nope.yaml")


def test_resolved_scenario_reads_through_to_the_validated_model():
    resolved = stuntsim.load_scenario(ROME)
    assert resolved.maneuver.entry_speed == resolved.scenario.maneuver.entry_speed
    assert resolved.kind == "car"
    with pytest.raises(AttributeError):
        _ = resolved.no_such_field
