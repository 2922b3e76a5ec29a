"""The safe operating envelope: crossing arithmetic, direction, and the Rome corner speed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.cli import main
from stuntsim.studies.envelope import _crossing, envelope, parse_range

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


def test_crossing_interpolates_between_the_straddling_values():
    values = np.array([10.0, 20.0, 30.0, 40.0])
    upper = np.array([1e-4, 5e-4, 3e-3, 1e-2])
    # target 1e-3 lies between 5e-4 (at 20) and 3e-3 (at 30): 20 + 10·(0.5e-3/2.5e-3) = 22
    assert _crossing(values, upper, 1e-3, "largest") == pytest.approx(22.0)
    # every value meets a loose target: the answer is the end of the range
    assert _crossing(values, upper, 0.5, "largest") == 40.0
    # none meets a tight one
    assert _crossing(values, upper, 1e-5, "largest") is None
    # falling risk (e.g. friction): the smallest value whose bound meets the target
    falling = upper[::-1]
    assert _crossing(values, falling, 1e-3, "smallest") == pytest.approx(28.0)


def test_parse_range_converts_units():
    values = parse_range("20 km/h:60 km/h", "speed", 5)
    np.testing.assert_allclose(values, np.array([20, 30, 40, 50, 60]) / 3.6)
    with pytest.raises(ValueError, match="LOW:HIGH"):
        parse_range("20 km/h", "speed", 5)
    with pytest.raises(ValueError, match="low to high"):
        parse_range("60 km/h:20 km/h", "speed", 5)


@pytest.fixture(scope="module")
def corner_speed_envelope():
    resolved = stuntsim.load_scenario(ROME)
    values = np.arange(16.0, 25.0, 2.0) / 3.6
    return envelope(resolved, "maneuver.corner_speed", values, target=0.2, samples=400,
                    seed=4, executor="serial")


def test_rome_corner_speed_curve_rises_and_the_answer_is_in_km_h(corner_speed_envelope):
    env = corner_speed_envelope
    # common random numbers: the same 400 samples at every speed, so the curve is smooth;
    # above the rehearsed 18 km/h the cornering limit √(μgR) ≈ 22.6 km/h is approached
    assert np.all(np.diff(env.probability) >= 0)
    assert env.direction == "largest"
    assert env.unit == "km/h"
    assert env.answer is not None
    assert 16.0 <= env.answer * env.scale <= 24.0
    assert "km/h" in env.describe()


def test_a_tighter_target_gives_a_lower_safe_speed(corner_speed_envelope):
    # (with front-first locking a slow corner still hits the corner palazzi in ≈ 7 % of
    # takes, so the tight target sits above that floor)
    loose = corner_speed_envelope.with_target(0.3)
    tight = corner_speed_envelope.with_target(0.15)
    assert tight.answer is not None
    assert tight.answer <= loose.answer
    assert tight.point_crossing <= loose.point_crossing
    # the upper bound is more demanding than the point estimate
    assert tight.answer <= tight.point_crossing


def test_cli_envelope_writes_json_and_figure(tmp_path, capsys):
    code = main(["envelope", str(ROME), "--param", "maneuver.corner_speed", "--range",
                 "16 km/h:22 km/h", "--steps", "3", "--target", "0.2", "--samples", "200",
                 "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "envelope.json").read_text())
    assert data["envelope"]["unit"] == "km/h"
    assert len(data["envelope"]["values"]) == 3
    assert (tmp_path / "envelope.png").read_bytes()[:4] == b"\x89PNG"
    assert "km/h" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra",
    [["--param", "maneuver.corner_sped", "--range", "1:2"],
     ["--param", "maneuver.corner_speed", "--range", "16 kg:20 kg"],
     ["--param", "maneuver.corner_speed", "--range", "16 km/h"]],
    ids=["unknown-param", "wrong-unit", "bad-range"],
)
def test_cli_envelope_bad_input_exits_2(tmp_path, capsys, extra):
    code = main(["envelope", str(ROME), "--target", "0.1", "--out", str(tmp_path / "o"),
                 *extra])
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_rome_entry_speed_curve_is_monotone_on_common_random_numbers():
    # the example parameter: braking from a faster entry into the same 18 km/h
    # corner plan needs more of the cobbles' grip, so the risk cannot fall with speed
    resolved = stuntsim.load_scenario(ROME)
    env = envelope(resolved, "maneuver.entry_speed", np.arange(40.0, 66.0, 5.0) / 3.6,
                   target=0.2, samples=400, seed=4)
    assert np.all(np.diff(env.probability) >= 0)
    assert env.answer is not None
    assert 40.0 < env.answer * env.scale < 65.0
    assert not env.notes  # no "not monotone" warning
