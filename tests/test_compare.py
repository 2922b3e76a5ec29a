"""Mitigations compared on common random numbers: paired differences and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.cli import main
from stuntsim.studies.compare import compare, paired_difference

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


def test_paired_difference_by_hand():
    # 10 pairs: 3 fail in the baseline only, 1 in the variant only → Δ = (1 − 3)/10 = −0.2;
    # SE = √((1 + 3) − (1 − 3)²/10)/10 = √3.6/10 (McNemar-type paired SE)
    base = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0], dtype=bool)
    variant = np.array([0, 0, 0, 1, 0, 0, 0, 0, 1, 0], dtype=bool)
    d = paired_difference(base, variant)
    assert d.difference == pytest.approx(-0.2)
    half = 1.959964 * np.sqrt(3.6) / 10
    assert d.ci95 == pytest.approx((-0.2 - half, -0.2 + half), rel=1e-5)
    assert (d.better, d.worse) == (3, 1)


def test_identical_variants_differ_by_exactly_zero():
    resolved = stuntsim.load_scenario(ROME)
    result = compare([resolved, resolved], samples=300, seed=2, executor="serial")
    for hazard, d in result.differences[0].items():
        assert d.difference == 0.0, hazard
        assert d.worse == d.better == 0
        lo, hi = d.ci95
        assert lo < 0 < hi  # the data cannot rule out a difference below the CP bound


def test_a_slower_corner_is_safer_on_the_same_random_numbers():
    # √(μgR) = 22.6 km/h on the 8 m corner: 15 km/h leaves far more grip than 18 km/h
    resolved = stuntsim.load_scenario(ROME)
    slower = resolved.with_nominal("maneuver.corner_speed", "15 km/h")
    result = compare([resolved, slower], names=["plan", "slower corner"], samples=800,
                     seed=5, executor="serial")
    d = result.differences[0]["any"]
    assert d.ci95[1] < 0  # significantly safer
    assert result.estimates[1]["collision"].probability <= \
        result.estimates[0]["collision"].probability


def test_cli_compare_writes_json_and_figure(tmp_path, capsys):
    variant = tmp_path / "slow.yaml"
    variant.write_text(ROME.read_text().replace("corner_speed: 18 km/h", "corner_speed: 15 km/h"))
    code = main(["compare", str(ROME), str(variant), "--samples", "200", "--out",
                 str(tmp_path / "out")])
    assert code == 0
    data = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert data["common_random_numbers"] is True
    assert data["variants"][1]["difference_from_baseline"]["any"]["ci95"]
    assert (tmp_path / "out" / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert "variant: slow" in capsys.readouterr().out


def test_cli_compare_bad_variant_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: car\n")
    assert main(["compare", str(ROME), str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_inline_variants_are_compared_from_one_file(tmp_path, capsys):
    resolved = stuntsim.load_scenario(ROME)
    assert "slower corner (15 km/h)" in resolved.scenario.variants
    slower = resolved.variant("slower corner (15 km/h)")
    assert slower.nominal["maneuver.corner_speed"] == pytest.approx(15 / 3.6)
    # the spread moves with the plan: normal, sd 1.5 km/h around the new nominal
    assert slower.distributions["maneuver.corner_speed"].mean == pytest.approx(15 / 3.6)
    code = main(["compare", str(ROME), "--samples", "100", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "comparison.json").read_text())
    names = [v["name"] for v in data["variants"]]
    assert names[0] == "rome_sharp_turn"
    assert set(resolved.scenario.variants) <= set(names)
    capsys.readouterr()


def test_small_variants_on_a_pool_compare_as_they_do_serially():
    # One chunk a variant: the variants, not their chunks, are spread over the pool
    # (stuntsim.studies.variants); each is its own serial run, so the comparison is the
    # serial one exactly, warnings included (a worker returns them, the caller says them).
    resolved = stuntsim.load_scenario(ROOT / "tests" / "fixtures" / "train_short.yaml")
    variants = [resolved, resolved.with_nominal("train.speed", 20.0),
                resolved.variant("shorter tether for A")]
    serial = compare(variants, samples=300, seed=7, executor="serial")
    pooled = compare(variants, samples=300, seed=7, executor="process", workers=2)
    assert json.dumps(pooled.to_dict()) == json.dumps(serial.to_dict())
