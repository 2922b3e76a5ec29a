"""The command line: exit codes, outputs written (or not), the summary's contents."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stuntsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


@pytest.fixture(scope="module")
def rome_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rome")
    code = main(["run", str(ROME), "--samples", "600", "--seed", "7", "--out", str(out),
                 "--quiet"])
    return code, out


def test_run_writes_summary_failures_and_figures(rome_run):
    code, out = rome_run
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["samples"] == 600
    assert summary["seed"] == 7
    assert summary["scenario"].startswith("Rome")
    assert len(summary["scenario_sha256"]) == 64
    assert summary["stuntsim_version"]
    assert "maneuver.entry_speed" in summary["parameters"]["uncertain"]
    for name in ("collision", "person_struck", "rollover", "tripped_rollover",
                 "loss_of_control"):
        entry = summary["hazards"][name]
        assert 0.0 <= entry["ci95"][0] <= entry["probability"] <= entry["ci95"][1] <= 1.0
        assert entry["failures"] == round(entry["probability"] * 600)
        assert entry["margin_unit"]
        assert "q0.5" in entry["margin_quantiles"]
    anyh = summary["any_hazard"]
    assert anyh["failures"] >= max(h["failures"] for h in summary["hazards"].values())
    for name in ("scene", "clearance", "speed_and_grip", "hazards"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failures_csv_has_one_row_per_failing_sample_and_hazard(rome_run):
    _, out = rome_run
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "failures.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = sum(entry["failures"] for entry in summary["hazards"].values())
    assert len(rows) == expected
    if rows:
        assert "maneuver.entry_speed [km/h]" in rows[0]
        assert all(float(row["margin"]) <= 0 for row in rows)  # failed: margin ≤ 0


def test_bad_scenario_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ROME.read_text().replace("entry_speed: 45 km/h", "entry_speed: 45 kg"))
    out = tmp_path / "out"
    code = main(["run", str(bad), "--out", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "maneuver.entry_speed" in err
    assert str(bad) in err
    assert not out.exists()


def test_validate_and_schema(capsys):
    assert main(["validate", str(ROME)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "vehicle" in json.dumps(schema)


def test_console_script_reports_a_missing_file_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "stuntsim.cli", "validate", str(tmp_path / "missing.yaml")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no such file" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"- a list\n",
        b"kind: car\nname: [unclosed\n",
        b"kind: car\nname: !!python/object/apply:os.system ['echo pwned']\n",
        bytes(range(256)) * 4,
        ROME.read_bytes().replace(b"  mass: 620 kg", b"  mass: -620 kg"),
        ROME.read_bytes().replace(b"  near_miss: 0.3 m", b"  near_mis: 0.3 m"),
    ],
    ids=["empty", "not-a-mapping", "malformed", "python-tag", "binary", "negative-mass",
         "unknown-key"],
)
def test_every_kind_of_bad_file_exits_2_without_traceback_or_output(tmp_path, capsys,
                                                                     content):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("stuntsim: error: ")
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert not out.exists()
