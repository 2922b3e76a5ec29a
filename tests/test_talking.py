"""A tool that says what it is doing: progress bars on the long commands, help with
examples, the defaults and the hazards of each stunt kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from stuntsim.cli import main
from stuntsim.kinds import kinds

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


@pytest.mark.parametrize("command", ["run", "envelope", "sensitivity", "compare", "report",
                                     "validate", "schema"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text
    if command in ("run", "envelope", "sensitivity"):  # they take --hazard
        for name, kind in kinds().items():
            assert f"{name}: " in text
            for hazard in kind.all_hazards():
                assert hazard in text


def test_options_state_their_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["sensitivity", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 512)" in text
    assert "(default: collision)" in text
    assert "(default: the scenario's `seed`)" in text


@pytest.mark.parametrize(("args", "bar"), [
    (["run", str(TRAIN), "--samples", "300", "--no-plots"], "simulating"),
    (["envelope", str(TRAIN), "--param", "train.speed", "--range", "60 km/h:90 km/h",
      "--steps", "2", "--target", "0.1", "--samples", "200"], "envelope"),
    (["sensitivity", str(TRAIN), "--hazard", "tipped", "--samples", "16"],
     "sensitivity of tipped"),
])
def test_long_commands_show_progress_when_asked_and_not_when_quiet(args, bar, tmp_path,
                                                                   capsys):
    assert main([*args, "--out", str(tmp_path / "a"), "--progress"]) == 0
    assert bar in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert bar not in capsys.readouterr().err


def test_verbose_says_what_the_tool_decides_and_quiet_by_default(tmp_path, capsys):
    args = ["run", str(TRAIN), "--samples", "300", "--no-plots", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "a"), "-v"]) == 0
    err = capsys.readouterr().err
    assert "stuntsim: executor: serial (this process)" in err  # 300 takes: one chunk
    assert "300 takes, seed" in err
    assert "of 300 takes got through the stunt" in err
    assert main([*args, "--out", str(tmp_path / "b")]) == 0  # and without -v, nothing
    assert "stuntsim: executor" not in capsys.readouterr().err
