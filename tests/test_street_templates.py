"""Street templates (issue 16, "streets to vary"): a corner and a hairpin drawn from a few
numbers, the same polygons as the files drew by hand for today's values, validated widths,
widths that vary run by run (envelope) and take by take (uncertain, exactly).

Expected coordinates come from today's scenario files (the polygons, faces and edges the
Rome and cliff files wrote before they used templates, copied below verbatim) or from the
template's definition worked by hand (stuntsim/kinds/car/street_templates.py), never from
the code's own output.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import stuntsim
from stuntsim.cli import main
from stuntsim.geometry import rectangle
from stuntsim.kinds import kind_of
from stuntsim.kinds.car.model import build_street
from stuntsim.kinds.car.street_templates import corner_polygons, hairpin_courses
from stuntsim.risk.sampling import draw
from stuntsim.scenario import ScenarioError, parse_scenario, resolve

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
CLIFF = ROOT / "scenarios" / "cliff_hairpin.yaml"

# The streets as scenarios/rome_sharp_turn.yaml and cliff_hairpin.yaml drew them by hand
# before the templates (commit 3f00b2f), verbatim but for the comments.
ROME_POLYGONS = """
buildings:
  - name: outer corner palazzo
    polygon: [[-60, -2.5], [2.5, -2.5], [2.5, 60], [14, 60], [14, -14], [-60, -14]]
  - name: inner corner palazzo
    polygon: [[-60, 2.5], [-2.5, 2.5], [-2.5, 60], [-60, 60]]
obstacles:
  - name: parked Fiat Panda
    rectangle: {center: [-1.625, 16.0], length: 3.5 m, width: 1.55 m, heading: 90 deg}
people:
  - name: camera operator
    role: crew
    position: [1.7, -1.6]
    radius: 0.3 m
  - name: safety marshal
    role: marshal
    position: [-2.1, 24.0]
    radius: 0.3 m
"""
CLIFF_FACES = """
rock_faces:
  - name: rock face
    face:
      start: [9, -60]
      heading: 90 deg
      segments: [{straight: 60 m}, {arc: {radius: 9 m, angle: 180 deg}}, {straight: 50 m}]
    solid_side: left
drops:
  - name: the drop
    edge:
      start: [15, -60]
      heading: 90 deg
      segments: [{straight: 60 m}, {arc: {radius: 15 m, angle: 180 deg}}, {straight: 50 m}]
    drop_side: right
    height: 30 m
barriers:
  - name: dry-stone parapet
    face:
      start: [14.6, -60]
      heading: 90 deg
      segments: [{straight: 60 m}, {arc: {radius: 14.6 m, angle: 180 deg}},
                 {straight: 50 m}]
    solid_side: right
    thickness: 0.4 m
    containment_energy: 10 kJ
    present: false
  - name: temporary N2 guard rail
    face:
      start: [14.6, -60]
      heading: 90 deg
      segments: [{straight: 60 m}, {arc: {radius: 14.6 m, angle: 180 deg}},
                 {straight: 50 m}]
    solid_side: right
    thickness: 0.4 m
    containment_level: N2
    present: false
"""
TEMPLATE_KEYS = ("template", "turn", "heading", "outer_corner", "entry_width", "exit_width",
                 "outer_building", "inner_building", "center", "radius", "road_width",
                 "verge", "angle", "entry_length", "exit_length")


def _data(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _resolved(data: dict, source: str = "test.yaml"):
    return resolve(parse_scenario(yaml.safe_dump(data), source=source), source=source)


def _by_hand(path: Path, old_street: str) -> dict:
    """The file with its template replaced by the street as it was drawn by hand."""
    data = _data(path)
    street = {key: value for key, value in data["street"].items()
              if key not in TEMPLATE_KEYS}
    street.update(yaml.safe_load(old_street))
    data["street"] = street
    return data


def _same_street(a, b) -> None:
    """Polygon for polygon, bit for bit: every solid, drop, barrier, person and patch."""
    for group in ("solids", "drops", "barriers", "people", "walkers", "surfaces"):
        first, second = getattr(a, group), getattr(b, group)
        assert [item.name for item in first] == [item.name for item in second], group
        for x, y in zip(first, second, strict=True):
            for attr in ("polygon", "center", "start"):
                if hasattr(x, attr):
                    u, v = np.asarray(getattr(x, attr)), np.asarray(getattr(y, attr))
                    assert u.dtype == v.dtype, (group, x.name)
                    assert u.shape == v.shape, (group, x.name)
                    assert u.tobytes() == v.tobytes(), (group, x.name, attr)
            for attr in ("category", "role", "radius", "height", "containment_energy",
                         "mu"):
                if hasattr(x, attr):
                    assert getattr(x, attr) == getattr(y, attr), (group, x.name, attr)
    assert a.bounds == b.bounds
    assert a.default_mu == b.default_mu


# ----------------------------------------------------------- today's values, today's street

def test_the_rome_corner_is_the_polygons_the_file_drew_by_hand():
    template = stuntsim.load_scenario(ROME)
    by_hand = _resolved(_by_hand(ROME, ROME_POLYGONS))
    _same_street(build_street(template.scenario), build_street(by_hand.scenario))
    # and, directly, the coordinates of the old file's polygons
    polygons = corner_polygons(template.scenario.street)
    assert polygons["outer corner palazzo"] == [(-60, -2.5), (2.5, -2.5), (2.5, 60), (14, 60),
                                                (14, -14), (-60, -14)]
    assert polygons["inner corner palazzo"] == [(-60, 2.5), (-2.5, 2.5), (-2.5, 60),
                                                (-60, 60)]


def test_the_cliff_hairpin_is_the_faces_and_edges_the_file_drew_by_hand():
    template = stuntsim.load_scenario(CLIFF)
    by_hand = _resolved(_by_hand(CLIFF, CLIFF_FACES))
    for name in [None, *template.scenario.variants]:  # the barriers, when a variant puts
        a = template if name is None else template.variant(name)  # them in, too
        b = by_hand if name is None else by_hand.variant(name)
        _same_street(build_street(a.scenario), build_street(b.scenario))
    courses = hairpin_courses(template.scenario.street)
    # the old file: rock face from (9, -60), drop edge from (15, -60), parapet from (14.6, -60)
    assert courses.rock.start == (9.0, -60.0)
    assert courses.rock_side == "left"
    assert courses.drop.start == (15.0, -60.0)
    assert courses.drop_side == "right"
    assert courses.barrier(0.4).start == (14.6, -60.0)
    assert [seg.arc.radius for seg in courses.rock.segments if seg.arc] == [9.0]
    assert [seg.arc.radius for seg in courses.barrier(0.4).segments if seg.arc] == [14.6]


def test_template_files_keep_their_paths_and_their_sources():
    rome, cliff = stuntsim.load_scenario(ROME), stuntsim.load_scenario(CLIFF)
    assert rome.nominal["street.exit_width"] == 5.0
    assert rome.nominal["street.entry_width"] == 5.0
    assert cliff.nominal["street.road_width"] == 6.0
    # the hairpin's drop and barriers keep the paths the file's uncertain and variants use
    assert "street.drops.the drop.height" in cliff.uncertain_names
    assert "street.barriers.dry-stone parapet.containment_energy" in cliff.uncertain_names
    for name, before in (("rome_sharp_turn", ROME), ("cliff_hairpin", CLIFF)):
        text = before.read_text(encoding="utf-8")
        for source in ("REFERENCES.md", "sampietrino.it") if name == "rome_sharp_turn" else (
                "KTC report 178", "EN 1317-2", "Noon 1994"):
            assert source in text


# ------------------------------------------------------------------ other values, by hand

def _corner(**changes) -> dict:
    data = _data(ROME)
    data["street"].update(changes)
    return data


def test_a_narrower_exit_moves_the_inner_building_and_what_moves_with_it():
    street = build_street(_resolved(_corner(exit_width="4 m")).scenario)
    solids = {s.name: s.polygon for s in street.solids}
    # the outer walls stay: the outer palazzo is the file's polygon (stored anticlockwise)
    assert sorted(map(tuple, solids["outer corner palazzo"].tolist())) == sorted(
        [(-60, -2.5), (2.5, -2.5), (2.5, 60), (14, 60), (14, -14), (-60, -14)])
    # inner corner: outer corner (2.5, -2.5) + (−w_B, +w_A) = (−1.5, 2.5); the block runs
    # 57.5 m back (x = −59) and on (y = 60)
    assert sorted(map(tuple, solids["inner corner palazzo"].tolist())) == sorted(
        [(-59.0, 2.5), (-1.5, 2.5), (-1.5, 60.0), (-59.0, 60.0)])
    # the Panda: 0.875 m and 13.5 m from the inner corner → centre (−0.625, 16)
    np.testing.assert_allclose(solids["parked Fiat Panda"],
                               rectangle((-0.625, 16.0), 3.5, 1.55, math.pi / 2), atol=1e-12)
    marshal = next(p for p in street.people if p.name == "safety marshal")
    np.testing.assert_allclose(marshal.center, (-1.5 + 0.4, 2.5 + 21.5), atol=1e-12)
    camera = next(p for p in street.people if p.name == "camera operator")
    np.testing.assert_array_equal(camera.center, (1.7, -1.6))  # in the world: stays


def test_a_right_turn_heading_north_with_a_rounded_inner_corner():
    data = _corner(
        turn="right", heading="90 deg", outer_corner=[0, 0], entry_width="6 m",
        exit_width="4 m",
        inner_building={"name": "inner corner palazzo", "along_entry": "20 m",
                        "along_exit": "20 m", "corner_radius": "2 m"},
    )
    # north up x = 1.5, right on 8 m round (9.5, −10), east along y = −2
    data["maneuver"]["line"] = {"start": [1.5, -40], "heading": "90 deg", "segments": [
        {"straight": "30 m"}, {"arc": {"radius": "8 m", "angle": "-90 deg"}},
        {"straight": "30 m"}]}
    street = _resolved(data).scenario.street
    polygons = corner_polygons(street)
    # heading north (e_u = (0, 1)), turning right (e_v = (1, 0)): the outer corner at the
    # origin, the entry street x ∈ [0, 6] below it, the exit street y ∈ [−4, 0] east of it
    assert polygons["outer corner palazzo"][:2] == [(0.0, -62.5), (0.0, 0.0)]
    assert polygons["outer corner palazzo"][2] == (62.5, 0.0)
    inner = np.array(polygons["inner corner palazzo"])
    # the inner corner (u, v) = (−4, 6) → (6, −4), rounded on r = 2 about (8, −6):
    # from (6, −6) to (8, −4), every vertex 2 m from the centre
    np.testing.assert_allclose(inner[1], (6.0, -6.0), atol=1e-12)
    np.testing.assert_allclose(inner[-3], (8.0, -4.0), atol=1e-12)
    arc = inner[1:-2]
    np.testing.assert_allclose(np.hypot(arc[:, 0] - 8.0, arc[:, 1] + 6.0), 2.0, atol=1e-12)
    assert len(arc) == 46  # 90° in 2° steps: 45 pieces
    np.testing.assert_allclose(inner[0], (6.0, -24.0))  # 20 m back along the entry street


def test_a_narrower_hairpin_moves_both_edges_toward_the_centreline():
    data = _data(CLIFF)
    data["street"].update(road_width="5 m", verge="1 m")
    courses = hairpin_courses(_resolved(data).scenario.street)
    # R = 12 m: the rock face on 12 − 2.5 = 9.5 m, the road edge on 14.5 m, the drop on
    # 14.5 + 1 = 15.5 m, a 0.4 m parapet's face on 14.1 m; all start 60 m back at y = −60
    assert courses.rock.start == (9.5, -60.0)
    assert courses.drop.start == (15.5, -60.0)
    assert courses.barrier(0.4).start == pytest.approx((14.1, -60.0))
    end = courses.rock.points()[-1]  # 180° round (0, 0), then 50 m south: (−9.5, −50)
    assert end == pytest.approx((-9.5, -50.0), abs=1e-9)


def test_a_right_hand_hairpin_mirrors_the_left_one():
    data = _data(CLIFF)
    data["street"].update(turn="right")
    # coming north and turning right round (0, 0): the approach leg is west of the centre,
    # on x = −12; the line drawn for it (mirrored: x → −x, arcs turning right)
    data["maneuver"]["line"] = {"start": [-12, -45], "heading": "90 deg", "segments": [
        {"straight": "45 m"}, {"arc": {"radius": "12 m", "angle": "-180 deg"}},
        {"straight": "30 m"}]}
    street = _resolved(data).scenario.street
    courses = hairpin_courses(street)
    assert courses.rock.start == (-9.0, -60.0)
    assert courses.rock_side == "right"  # the rock inside the bend: right of travel
    assert courses.drop.start == (-15.0, -60.0)
    assert courses.drop_side == "left"
    # after the bend the edges run south on the east side: the rock on x = 9
    assert courses.rock.points()[-1] == pytest.approx((9.0, -50.0), abs=1e-9)
    parts = build_street(_resolved(data).scenario)
    assert [s.name for s in parts.solids] == ["rock face"]


# ------------------------------------------------------------------------------ validation

@pytest.mark.parametrize(("path", "change", "words"), [
    (ROME, {"exit_width": "1.2 m"}, "street.exit_width: 1.2 m is not wider than the car"),
    (ROME, {"entry_width": "-5 m"}, "street.entry_width: must be greater than 0"),
    (ROME, {"exit_width": "5 kg"}, "street.exit_width"),
    (ROME, {"road_width": "6 m"}, "street.road_width: is not a parameter of the corner"),
    (ROME, {"inner_building": {"name": "inner corner palazzo", "along_entry": "57.5 m",
                               "along_exit": "57.5 m", "corner_radius": "60 m"}},
     "street.inner_building.corner_radius"),
    (CLIFF, {"road_width": "1.3 m"}, "street.road_width: 1.3 m is not wider than the car"),
    (CLIFF, {"road_width": "30 m"}, "too wide for a bend of radius 12 m"),
    (CLIFF, {"template": "corner"}, "street.center: is not a parameter of the corner"),
])
def test_bad_template_values_name_the_file_the_field_and_what_is_wrong(path, change, words):
    data = _data(path)
    data["street"].update(change)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(yaml.safe_dump(data), source="street.yaml")
    message = str(err.value)
    assert message.startswith("street.yaml: "), message
    assert words in message, message


def test_missing_or_misplaced_template_fields_are_refused():
    data = _data(ROME)
    del data["street"]["exit_width"]
    with pytest.raises(ScenarioError, match=r"street.exit_width: required by 'template: "
                                            r"corner' \(e.g. exit_width: 5 m\)"):
        parse_scenario(yaml.safe_dump(data))
    data = _data(ROME)
    del data["street"]["template"]
    with pytest.raises(ScenarioError, match=r"street.outer_corner: belongs to a street template; "
                                            r"add .template: corner."):
        parse_scenario(yaml.safe_dump(data))
    data = _data(CLIFF)
    del data["street"]["template"]
    data["street"] = {key: value for key, value in data["street"].items()
                      if key not in TEMPLATE_KEYS}
    with pytest.raises(ScenarioError, match=r"street.rock_faces.rock face: give exactly one "
                                            r"of 'face' or 'polygon'"):
        parse_scenario(yaml.safe_dump(data))
    data = _data(ROME)
    data["street"]["obstacles"][0]["moves_with"] = "palazzo Farnese"
    with pytest.raises(ScenarioError, match="names no building of the corner"):
        parse_scenario(yaml.safe_dump(data))
    data = _data(CLIFF)
    data["street"].update(radius="3 m", road_width="1.5 m")
    data["street"]["barriers"][0]["thickness"] = "5 m"  # its face on 3.75 − 5 m
    with pytest.raises(ScenarioError, match=r"street.barriers.dry-stone parapet.thickness: "
                                            r"5 m would put the barrier's face"):
        parse_scenario(yaml.safe_dump(data))
    data = _data(CLIFF)
    data["street"]["drops"].append({"name": "a second void", "height": "5 m"})
    with pytest.raises(ScenarioError, match="the hairpin places one of its drops"):
        parse_scenario(yaml.safe_dump(data))


def test_a_line_that_no_longer_fits_is_a_warning_naming_the_widths():
    # A take that follows the line collides: as for a line through any wall, the plan is
    # doubtful but runs (an envelope over the widths shows it as P ≈ 1 there).
    for path, change, words in (
            (ROME, {"exit_width": "3 m"},
             "street.entry_width = 5 m and street.exit_width = 3 m: the rehearsed line runs "
             "through inner corner palazzo (from 45."),
            (CLIFF, {"radius": "16 m"},
             "street.road_width = 6 m: the rehearsed line runs through rock face"),
            (CLIFF, {"road_width": "3 m", "radius": "10 m"},
             "street.road_width = 3 m: the rehearsed line runs through the drop")):
        data = _data(path)
        data["street"].update(change)
        resolved = _resolved(data)
        kind = kind_of(resolved)
        notes = kind.plan_warnings(resolved, kind.model(resolved))
        assert any(words in note for note in notes), notes
    shipped = stuntsim.load_scenario(ROME)
    assert kind_of(shipped).plan_warnings(shipped, kind_of(shipped).model(shipped)) == []


def test_a_variant_that_narrows_the_street_is_checked_when_the_file_is_read():
    data = _data(ROME)
    data["variants"]["narrow exit"] = {"street.exit_width": "1 m"}
    with pytest.raises(ScenarioError, match=r"variants.narrow exit: street.exit_width: 1 m is "
                                            r"not wider than the car"):
        parse_scenario(yaml.safe_dump(data))
    data["variants"]["narrow exit"] = {"street.exit_width": "4 m"}
    narrow = _resolved(data).variant("narrow exit")
    assert narrow.nominal["street.exit_width"] == 4.0


# ------------------------------------------------------------- widths that vary per take

def _rome_with_uncertain_widths():
    data = _data(ROME)
    data["uncertain"]["street.exit_width"] = {"dist": "uniform", "low": "4 m", "high": "6 m"}
    data["uncertain"]["street.entry_width"] = {"dist": "uniform", "half_width": "0.5 m"}
    return _resolved(data, "rome+widths.yaml")


def test_uncertain_widths_move_the_inner_building_take_by_take_exactly():
    # Each take's answers equal those of the street rebuilt with that take's widths (only
    # the distance fields' float32 rounding differs: 1e-5 m), what was hit and how the
    # take ended are the same.
    resolved = _rome_with_uncertain_widths()
    n = 96
    draws = resolved.within_range(draw(11, resolved.uncertain_names,
                                       resolved.distributions, 0, n))
    exits, entries = np.array([4.0, 5.5]), np.array([4.6, 5.3])
    draws["street.exit_width"] = exits[np.arange(n) % 2]
    draws["street.entry_width"] = entries[(np.arange(n) // 2) % 2]
    model = kind_of(resolved).model(resolved)
    per_take = model.simulate(draws, n)
    assert {"street.exit_width", "street.entry_width"} <= model.read_paths
    others = {k: v for k, v in resolved.scenario.uncertain.items() if "width" not in k}
    for exit_width in exits:
        for entry_width in entries:
            rows = np.flatnonzero((draws["street.exit_width"] == exit_width)
                                  & (draws["street.entry_width"] == entry_width))
            fixed = resolved.with_nominal("street.exit_width", float(exit_width)) \
                .with_nominal("street.entry_width", float(entry_width))
            fixed = resolve(fixed.scenario.model_copy(update={"uncertain": others}))
            rebuilt = kind_of(fixed).model(fixed).simulate(
                {k: v[rows] for k, v in draws.items() if "width" not in k}, rows.size)
            for hazard, margins in per_take.margins.items():
                np.testing.assert_allclose(margins[rows], rebuilt.margins[hazard],
                                           atol=1e-5, rtol=0, err_msg=hazard)
            for fact in ("collision_object", "person_index", "ending"):
                np.testing.assert_array_equal(getattr(per_take, fact)[rows],
                                              getattr(rebuilt, fact), err_msg=fact)
    hits = per_take.collision_object[per_take.margins["collision"] <= 0]
    assert hits.size  # the test means something: takes do hit the walls


def test_a_run_with_uncertain_widths_reads_them_and_narrower_streets_hit_more():
    resolved = _rome_with_uncertain_widths()
    result = stuntsim.run(resolved, samples=400, executor="serial", keep_trajectories=0)
    width = result.draws["street.exit_width"]
    inner = [s.name for s in result.street.collision_solids].index("inner corner palazzo")
    hit_inner = (result.margins["collision"] <= 0) & (result.details["collision_object"]
                                                      == inner)
    # the inner corner comes closer as the exit street narrows (outer walls stay)
    assert hit_inner[width < 4.5].mean() > hit_inner[width > 5.5].mean()


def test_widths_the_model_cannot_take_per_take_are_refused_with_the_envelope_pointer():
    data = _data(CLIFF)
    data["uncertain"]["street.road_width"] = {"dist": "uniform", "half_width": "0.5 m"}
    cliff = _resolved(data)
    with pytest.raises(ScenarioError, match=r"uncertain.street.road_width: the model takes "
                                            r"this value once.*stuntsim envelope --param "
                                            r"'street.road_width'"):
        stuntsim.run(cliff, samples=16, executor="serial")
    # with people stepping out the sight lines are drawn past the nominal buildings
    data = _data(ROME)
    data["street"]["people_stepping_out"] = [{
        "name": "grip", "start": [-2.2, 12.0], "heading": "0 deg", "start_time": "4 s"}]
    data["uncertain"]["street.exit_width"] = {"dist": "uniform", "half_width": "0.5 m"}
    with pytest.raises(ScenarioError, match=r"uncertain.street.exit_width: the model takes"):
        stuntsim.run(_resolved(data), samples=16, executor="serial")


# ---------------------------------------------------------------- the command line studies

def test_cli_envelope_over_the_exit_width(tmp_path, capsys):
    code = main(["envelope", str(ROME), "--param", "street.exit_width", "--range",
                 "3.5 m:6 m", "--steps", "3", "--target", "0.2", "--samples", "200",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "street.exit_width at least" in out
    data = json.loads((tmp_path / "envelope.json").read_text())["envelope"]
    assert data["unit"] == "m"
    assert data["values"] == [3.5, 4.75, 6.0]
    p = [e["probability"] for e in data["estimates"]]
    assert p[0] > p[-1]  # a narrower exit street: more collisions with the inner corner


def test_cli_envelope_says_where_the_line_no_longer_fits(tmp_path, capsys):
    code = main(["envelope", str(ROME), "--param", "street.exit_width", "--range",
                 "2.5 m:5 m", "--steps", "2", "--target", "0.2", "--samples", "50",
                 "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 0
    said = "".join(capsys.readouterr())
    assert "street.exit_width = 2.5 m: the rehearsed line runs through inner corner" in said
    data = json.loads((tmp_path / "o" / "envelope.json").read_text())["envelope"]
    assert data["estimates"][0]["probability"] > 0.9  # every take that follows it hits
    code = main(["envelope", str(ROME), "--param", "street.exit_width", "--range",
                 "1 m:5 m", "--steps", "2", "--target", "0.2", "--samples", "50",
                 "--out", str(tmp_path / "p"), "--quiet"])
    assert code == 2  # a street narrower than the car is no street
    assert "street.exit_width: 1 m is not wider than the car" in capsys.readouterr().err


def test_cli_sensitivity_over_the_widths(tmp_path, capsys):
    data = _data(ROME)
    data["uncertain"] = {
        "street.exit_width": {"dist": "uniform", "low": "4 m", "high": "6 m"},
        "street.surface.mu": copy.deepcopy(data["uncertain"]["street.surface.mu"]),
        "maneuver.corner_speed": copy.deepcopy(data["uncertain"]["maneuver.corner_speed"]),
    }
    path = tmp_path / "rome_widths.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    code = main(["sensitivity", str(path), "--hazard", "collision", "--samples", "64",
                 "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0
    ranked = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    inputs = ranked["sensitivity"]["inputs"] if "sensitivity" in ranked else ranked["inputs"]
    assert "street.exit_width" in inputs
    assert inputs["street.exit_width"]["total_order"] > 0.05  # the width matters
    assert "exit street" in capsys.readouterr().out.lower()
