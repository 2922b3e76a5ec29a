"""The train-roof scenario file: it loads, in SI, and bad input gets a clear ScenarioError."""

from __future__ import annotations

from pathlib import Path

import pytest

import stuntsim
from stuntsim.kinds.train.schema import TrainScenario
from stuntsim.risk.distributions import LogNormal, Uniform
from stuntsim.scenario import ScenarioError, describe_path, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


def test_train_scenario_loads_with_units_converted_to_si():
    resolved = stuntsim.load_scenario(TRAIN)
    spec = resolved.scenario
    assert isinstance(spec, TrainScenario)
    # 97 km/h = 26.94 m/s ("about 60 mph", REFERENCES.md)
    assert spec.train.speed == pytest.approx(97 / 3.6)
    # NSB B5 roof 4.075 m (REFERENCES.md); Stavem spiral R 275 m, 1,395 m, 150 mm cant
    assert spec.train.roof_height == pytest.approx(4.075)
    spiral = next(s for s in spec.track.segments if s.name == "Stavem spiral")
    assert (spiral.radius, spiral.length, spiral.cant) == (275.0, 1395.0, pytest.approx(0.150))
    assert spec.track.length == pytest.approx(6095.0)
    # list items are addressed by name in dotted paths
    assert resolved.nominal["performers.stunt double A.shoe_friction"] == pytest.approx(0.5)
    assert resolved.nominal["structures.Kylling bridge.drop"] == pytest.approx(59.3)
    delay = resolved.distributions["performers.stunt double A.reaction_delay"]
    assert isinstance(delay, LogNormal)
    assert delay.median == pytest.approx(1.8)
    gust_at = resolved.distributions["wind.gust_at"]
    assert isinstance(gust_at, Uniform)
    assert (gust_at.low, gust_at.high) == (0.0, 6095.0)


def test_every_assumed_value_is_uncertain_or_sourced():
    # the scenario promises: every ASSUMPTION it states is made uncertain, except the plan
    # itself (speeds, cue distances, limits) and geometry; spot-check the key ones
    resolved = stuntsim.load_scenario(TRAIN)
    for path in ("wind.speed", "wind.direction", "wind.gust_speed",
                 "structures.road bridge.clearance", "structures.Stavem tunnel.clearance",
                 "performers.stunt double A.shoe_friction",
                 "performers.stunt double B.shoe_friction",
                 "performers.stunt double A.postures.standing.half_base"):
        assert path in resolved.distributions, path


def test_variants_apply():
    resolved = stuntsim.load_scenario(TRAIN)
    earlier = resolved.variant("cue 300 m before each structure")
    assert earlier.nominal[
        "performers.stunt double A.changes.down for the road bridge.distance"] == 300.0
    overspeed = resolved.variant("97 km/h through Stavem (overspeed)")
    assert overspeed.nominal["train.events.through Stavem.speed"] == pytest.approx(97 / 3.6)


def test_paths_read_in_plain_words():
    spec = stuntsim.load_scenario(TRAIN).scenario
    text = describe_path(spec, "performers.stunt double A.shoe_friction")
    assert text.startswith("stunt double A: static friction")


def _train_text() -> str:
    return TRAIN.read_text(encoding="utf-8")


BAD_EDITS = [
    # (name, replace-from, replace-to, expected field, expected words)
    ("unknown key", "  max_jerk: 0.4 ", "  max_jerck: 0.4 ", "train.max_jerck", "unknown key"),
    ("wrong unit", "  speed: 97 km/h ", "  speed: 97 kg ", "train.speed", "expected a speed"),
    ("curve without hand", "      radius: 500 m                 # assumption\n      hand: right\n",
     "      radius: 500 m\n", "track.segments.1", "'hand'"),
    ("cant on a straight", "      length: 1400 m\n", "      length: 1400 m\n      cant: 50 mm\n",
     "track.segments.0", "straight has no cant"),
    ("cant beyond 200 mm", "      cant: 150 mm ", "      cant: 250 mm ",
     "track.segments.7.cant", "less than or equal to 0.2"),
    ("cue before a missing structure", "        before: road bridge\n",
     "        before: road brigde\n", "performers.stunt double A.changes",
     "no structure named 'road brigde'"),
    ("posture typo", "        posture: crouching\n        before: road bridge",
     "        posture: crouched\n        before: road bridge", "performers.0.changes.0.posture",
     "'standing', 'crouching' or 'prone'"),
    ("structure beyond the track", "    at: 4200 m\n", "    at: 5000 m\n",
     "structures.Stavem tunnel", "beyond the end of the track"),
    ("tunnel without clearance", "    clearance: 5.5 m ", "    drop: 0 m ",
     "structures.3", "needs its 'clearance'"),
    ("uncertain segment length", "  structures.road bridge.clearance:",
     "  track.segments.river curve.length:",
     "uncertain.track.segments.river curve.length", "planned, not uncertain"),
    ("uncertain path naming no field", "  wind.gust_speed:", "  wind.gust_sped:",
     "uncertain.wind.gust_sped", "did you mean 'wind.gust_speed'"),
    ("negative mass", "    mass: 85 kg ", "    mass: -85 kg ", "performers.0.mass",
     "greater than"),
    ("jerk with a unit", "  max_jerk: 0.4 ", "  max_jerk: 0.4 m/s ", "train.max_jerk", ""),
    ("speed change with two triggers", "      at: 2200 m\n",
     "      at: 2200 m\n      time: 60 s\n", "train.events.0", "exactly one of"),
]


@pytest.mark.parametrize(("label", "old", "new", "field", "words"), BAD_EDITS,
                         ids=[edit[0] for edit in BAD_EDITS])
def test_bad_train_input_names_file_field_and_problem(tmp_path, label, old, new, field, words):
    text = _train_text()
    assert old in text, f"test edit '{label}' no longer matches the train file"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        stuntsim.load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert field in message
    assert words in message
    assert "\n" not in message


def test_duplicate_performer_names_are_an_error():
    text = """
kind: train
name: twins
samples: 10
seed: 1
train: {speed: 20 m/s}
track: {segments: [{name: s, length: 500 m}]}
performers:
  - {name: A, mass: 80 kg, shoe_friction: 0.5}
  - {name: A, mass: 70 kg, shoe_friction: 0.5}
simulation: {duration: 30 s}
"""
    with pytest.raises(ScenarioError, match="performers: names must be unique") as info:
        parse_scenario(text, source="twins.yaml")
    assert str(info.value).startswith("twins.yaml")
