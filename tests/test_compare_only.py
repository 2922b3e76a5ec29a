"""``stuntsim compare --only NAME [NAME ...]``: run only the named variants of the baseline
(issue 16), through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from stuntsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
ROME_VARIANTS = list(yaml.safe_load(ROME.read_text())["variants"])
FAST = ["--samples", "64", "--executor", "serial", "--quiet", "--format", "svg"]


def _names(out: Path) -> list[str]:
    return [v["name"] for v in json.loads((out / "comparison.json").read_text())["variants"]]


def test_only_the_named_variant_runs(tmp_path, capsys):
    assert len(ROME_VARIANTS) >= 2  # so that choosing one leaves the others out
    chosen = ROME_VARIANTS[-1]
    out = tmp_path / "out"
    assert main(["compare", str(ROME), "--only", chosen, "--out", str(out), *FAST]) == 0
    assert _names(out) == ["rome_sharp_turn", chosen]
    assert f"variant: {chosen}" in capsys.readouterr().out


def test_several_names_in_the_order_given_and_files_still_compared(tmp_path, capsys):
    other = tmp_path / "slow.yaml"
    other.write_text(ROME.read_text().replace("corner_speed: 18 km/h", "corner_speed: 16 km/h"))
    first, second = ROME_VARIANTS[1], ROME_VARIANTS[0]
    out = tmp_path / "out"
    code = main(["compare", str(ROME), str(other), "--only", first, second, first,
                 "--out", str(out), *FAST])
    assert code == 0
    # the baseline, the file given, then the named variants once each, in the order given
    assert _names(out) == ["rome_sharp_turn", "slow", first, second]
    capsys.readouterr()


def test_an_unknown_name_lists_the_variants_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", str(ROME), "--only", "slower", ROME_VARIANTS[0],
                 "--out", str(out), *FAST])
    assert code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("stuntsim: error:")]
    assert len(lines) == 1
    assert "Traceback" not in err
    assert "rome_sharp_turn.yaml" in lines[0]
    assert "--only" in lines[0]
    assert "'slower'" in lines[0]
    for name in ROME_VARIANTS:  # every available variant is named
        assert repr(name) in lines[0]
    assert not out.exists()


def test_only_on_a_baseline_without_variants_says_so(tmp_path, capsys):
    data = yaml.safe_load(ROME.read_text())
    del data["variants"]
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    out = tmp_path / "out"
    assert main(["compare", str(bare), "--only", "anything", "--out", str(out), *FAST]) == 2
    assert "has no `variants:`" in capsys.readouterr().err
    assert not out.exists()
