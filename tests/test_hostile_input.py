"""Hostile and broken input: every file or argument either runs or is refused with one line
and exit 2; outputs are never lost, mixed or left half-written."""

from __future__ import annotations

import csv
import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stuntsim import outputs
from stuntsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


def _refused(capsys, argv, *, seconds=20.0) -> str:
    """Run the CLI; it must exit 2 with one line on stderr, quickly."""
    started = time.perf_counter()
    assert main(argv) == 2
    assert time.perf_counter() - started < seconds
    err = capsys.readouterr().err
    assert err.startswith("stuntsim: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# --------------------------------------------------------------- resource limits on input
def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path, capsys):
    # 9 levels of ×10 aliases: 7 KB that expand to 10⁹ values
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nkind: car\nname: bomb\n")
    err = _refused(capsys, ["validate", str(bomb)], seconds=5)
    assert "expands to more than" in err


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path, capsys):
    nested = tmp_path / "nested.yaml"
    nested.write_text("kind: car\nname: " + "[" * 500 + "]" * 500 + "\n")
    assert "nest deeper than" in _refused(capsys, ["validate", str(nested)], seconds=5)


def test_a_huge_name_is_refused(tmp_path, capsys):
    text = ROME.read_text().replace("name: Rome sharp turn", "name: " + "x" * 10_000, 1)
    long = tmp_path / "long.yaml"
    long.write_text(text)
    assert "name" in _refused(capsys, ["validate", str(long)], seconds=5)


def test_a_huge_file_is_refused(tmp_path, capsys):
    huge = tmp_path / "huge.yaml"
    huge.write_text("kind: car\n" + "# padding\n" * 200_000)
    assert "larger than" in _refused(capsys, ["validate", str(huge)], seconds=5)


# --------------------------------------------------------------------- the command line
@pytest.mark.parametrize("argv", [
    ["--samples", "1000000000000"],          # beyond the file's own bound of 1e8
    ["--samples", "0"],
    ["--seed", str(2**70)],                  # beyond 2**63 − 1
    ["--seed", "-1"],
    ["--workers", "0"],
    ["--hazard", "collision"],               # --hazard means nothing to --method mc
])
def test_arguments_out_of_bounds_are_refused_before_any_work(tmp_path, capsys, argv):
    out = tmp_path / "out"
    code = None
    try:
        code = main(["run", str(ROME), "--out", str(out), "--quiet", *argv])
    except SystemExit as exit_:  # argparse refuses with exit 2
        code = exit_.code
    assert code == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err


def test_samples_true_in_a_file_is_not_one_sample(tmp_path, capsys):
    bad = tmp_path / "bool.yaml"
    bad.write_text(ROME.read_text().replace("samples: 8000", "samples: true"))
    assert "samples" in _refused(capsys, ["validate", str(bad)])


def test_ctrl_c_is_one_line_and_exit_130(tmp_path, capsys, monkeypatch):
    import stuntsim.runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(stuntsim.runner, "run", interrupted)
    out = tmp_path / "out"
    assert main(["run", str(ROME), "--out", str(out), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_python_dash_m_stuntsim_is_the_command_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "stuntsim", "validate", str(ROME)],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


# ----------------------------------------------------------------------------- outputs
def test_out_as_an_existing_file_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    import stuntsim.runner

    def must_not_run(*args, **kwargs):
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(stuntsim.runner, "run", must_not_run)
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert "is a file" in _refused(capsys, ["run", str(ROME), "--out", str(target)])
    assert target.read_text() == "not a folder"


def test_an_unwritable_parent_is_refused_before_simulating(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    err = _refused(capsys, ["run", str(ROME), "--out", str(blocker / "out"), "--quiet"])
    assert "cannot write" in err


def _rome_run(out, *extra):
    return main(["run", str(ROME), "--samples", "200", "--seed", "3", "--out", str(out),
                 "--quiet", *extra])


def test_no_plots_leaves_no_stale_figures_and_studies_are_kept(tmp_path):
    out = tmp_path / "rome"
    assert _rome_run(out) == 0
    assert (out / "scene.png").exists()
    (out / "comparison.json").write_text("{}")  # what a compare left in the same folder
    assert _rome_run(out, "--no-plots") == 0
    names = {path.name for path in out.iterdir()}
    assert names == {"summary.json", "failures.csv", "samples.parquet", "scenario.yaml",
                     "result.npz", "report.html", "comparison.json"}
    assert not any(name.startswith(".") for name in os.listdir(tmp_path))  # no leftovers


def test_a_failed_write_leaves_the_previous_run_whole(tmp_path, capsys, monkeypatch):
    out = tmp_path / "rome"
    assert _rome_run(out) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    real = outputs._write_synced
    calls = []

    def full_disk(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(outputs, "_write_synced", full_disk)
    capsys.readouterr()
    err = _refused(capsys, ["run", str(ROME), "--samples", "100", "--seed", "4", "--out",
                            str(out), "--quiet"], seconds=120)
    assert "No space left on device" in err
    assert "unchanged" in err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert not any(name.startswith(".") for name in os.listdir(tmp_path))


def test_a_figure_that_cannot_be_drawn_is_a_warning_not_a_lost_run(tmp_path, capsys,
                                                                   monkeypatch):
    from stuntsim.kinds.car import figures

    def broken(*args, **kwargs):
        raise ValueError("zero-size array to reduction operation minimum")

    monkeypatch.setattr(figures, "plot_scene", broken)
    out = tmp_path / "rome"
    assert _rome_run(out) == 0
    err = capsys.readouterr().err
    assert "scene.png could not be drawn" in err
    summary = json.loads((out / "summary.json").read_text())
    assert any("scene.png could not be drawn" in w for w in summary["warnings"])
    assert not (out / "scene.png").exists()
    assert (out / "clearance.png").exists()


def test_names_are_neutralised_in_csv_cells(tmp_path):
    # OWASP CSV injection: a cell starting with = is a formula to a spreadsheet
    assert outputs.csv_text("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert outputs.csv_text("@SUM(A1)") == "'@SUM(A1)"
    assert outputs.csv_text("outer corner palazzo") == "outer corner palazzo"
    text = ROME.read_text().replace("name: outer corner palazzo",
                                    "name: '=HYPERLINK(\"http://evil\")'")
    evil = tmp_path / "evil.yaml"
    evil.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(evil), "--samples", "300", "--out", str(out), "--quiet",
                 "--no-plots"]) == 0
    with open(out / "failures.csv", newline="") as handle:
        hits = [row["object_hit"] for row in csv.DictReader(handle) if row["object_hit"]]
    assert any(hit.startswith("'=HYPERLINK") for hit in hits)
    assert not any(hit.startswith("=") for hit in hits)
