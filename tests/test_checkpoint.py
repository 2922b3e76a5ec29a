"""Checkpoints (stuntsim.checkpoint): a run cut short resumes where it stopped, with the
numbers of the run that was never interrupted.

The expected values are an uninterrupted run's (`stuntsim.run` without a checkpoint, the
same seed): a resumed run must equal it bit for bit, because a chunk's takes depend only
on the seed and their seeding blocks. The runs are of the short train fixture (cheap
takes, several chunks of 4096).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim import runner
from stuntsim.cli import main
from stuntsim.errors import ScenarioError, StuntWarning

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "fixtures" / "train_short.yaml"
SAMPLES = 9000  # three chunks: 4096, 4096, 808


@pytest.fixture(scope="module")
def resolved():
    return stuntsim.load_scenario(TRAIN)


@pytest.fixture(scope="module")
def uninterrupted(resolved):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StuntWarning)
        return stuntsim.run(resolved, samples=SAMPLES, seed=4, executor="serial")


def _same(a, b) -> None:
    for group in ("margins", "details", "draws"):
        ours, theirs = getattr(a, group), getattr(b, group)
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert ours[key].dtype == theirs[key].dtype, key
            assert np.array_equal(ours[key], theirs[key], equal_nan=True), (group, key)
    assert np.array_equal(a.run_ending, b.run_ending)
    assert np.array_equal(a.run_progress, b.run_progress)
    assert {k: e.ci95 for k, e in a.estimates.items()} == {
        k: e.ci95 for k, e in b.estimates.items()}


def _simulated_chunks(monkeypatch) -> list[int]:
    """The chunks the runner simulates from now on (not those it takes from a folder)."""
    seen: list[int] = []
    original = runner._simulate_chunk

    def counting(context, chunk):
        seen.append(chunk.index)
        return original(context, chunk)

    monkeypatch.setattr(runner, "_simulate_chunk", counting)
    return seen


def _run(resolved, folder, samples=SAMPLES, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StuntWarning)
        return stuntsim.run(resolved, samples=samples, seed=kwargs.pop("seed", 4),
                            executor="serial", checkpoint=folder, **kwargs)


def test_a_run_cut_short_resumes_where_it_stopped_with_the_same_numbers(
        resolved, uninterrupted, tmp_path, monkeypatch):
    folder = tmp_path / "ckpt"

    def stop_after_the_first_chunk(done: int) -> None:
        if done >= 4096:  # the first chunk is in (and kept): the job is killed
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(resolved, folder, progress=stop_after_the_first_chunk)
    assert sorted(p.name for p in folder.iterdir()) == ["checkpoint.json",
                                                        "chunk-000000.npz"]
    simulated = _simulated_chunks(monkeypatch)
    resumed = _run(resolved, folder)
    assert simulated == [1, 2]  # the first chunk came from the folder
    _same(resumed, uninterrupted)
    # a third run simulates nothing and still gives the same numbers
    simulated.clear()
    again = _run(resolved, folder)
    assert simulated == []
    _same(again, uninterrupted)


def test_a_run_with_more_takes_reuses_the_shorter_runs_whole_chunks(
        resolved, uninterrupted, tmp_path, monkeypatch):
    folder = tmp_path / "ckpt"
    _run(resolved, folder, samples=5000)  # chunks of 4096 and 904
    simulated = _simulated_chunks(monkeypatch)
    longer = _run(resolved, folder)
    # the whole first chunk is the same computation; the short second one is not
    assert simulated == [1, 2]
    _same(longer, uninterrupted)


def test_the_chunks_of_another_run_are_refused_naming_what_differs(resolved, tmp_path):
    folder = tmp_path / "ckpt"
    _run(resolved, folder, samples=100)
    with pytest.raises(ScenarioError, match="its seed differs"):
        _run(resolved, folder, samples=100, seed=5)
    moved = resolved.with_nominal("train.speed", 25.0)
    with pytest.raises(ScenarioError, match=r"its scenario \(.*\) differs"):
        _run(moved, folder, samples=100)
    manifest = folder / "checkpoint.json"
    identity = json.loads(manifest.read_text())
    identity["stuntsim_code"] = "0" * 64  # chunks of other code: other physics, maybe
    manifest.write_text(json.dumps(identity))
    with pytest.raises(ScenarioError, match="its stuntsim code differs"):
        _run(resolved, folder, samples=100)
    stranger = tmp_path / "notes"
    stranger.mkdir()
    (stranger / "shopping.txt").write_text("eggs")
    with pytest.raises(ScenarioError, match="other files in it"):
        _run(resolved, stranger, samples=100)
    assert sorted(p.name for p in stranger.iterdir()) == ["shopping.txt"]


def test_a_damaged_chunk_is_set_aside_and_simulated_again(resolved, uninterrupted,
                                                          tmp_path, monkeypatch):
    folder = tmp_path / "ckpt"
    _run(resolved, folder)
    damaged = folder / "chunk-000001.npz"
    damaged.write_bytes(damaged.read_bytes()[:1000])  # a disk that lost the end
    simulated = _simulated_chunks(monkeypatch)
    with pytest.warns(StuntWarning, match="chunk-000001.npz: it cannot be read"):
        resumed = stuntsim.run(resolved, samples=SAMPLES, seed=4, executor="serial",
                               checkpoint=folder)
    assert simulated == [1]
    assert (folder / "chunk-000001.bad").is_file()
    _same(resumed, uninterrupted)


def test_the_command_line_resumes_and_says_so(tmp_path, capsys):
    folder, out = tmp_path / "ckpt", tmp_path / "out"
    args = ["run", str(TRAIN), "--samples", "5000", "--seed", "4", "--no-plots",
            "--executor", "serial", "--quiet", "--checkpoint", str(folder), "--out"]
    assert main([*args, str(out / "first")]) == 0
    assert "resuming" not in capsys.readouterr().err
    assert main([*args, str(out / "second")]) == 0
    assert "resuming from" in capsys.readouterr().err
    first, second = (json.loads((out / name / "summary.json").read_text())
                     for name in ("first", "second"))
    for info in (first, second):
        info.pop("runtime_s", None)
        info.pop("command", None)
    assert first == second
    assert main(["run", str(TRAIN), "--method", "subset", "--checkpoint", str(folder),
                 "--out", str(out / "third")]) == 2
    assert "--checkpoint keeps the chunks of a Monte Carlo run" in capsys.readouterr().err


def test_a_checkpoint_inside_the_output_folder_is_refused(tmp_path, capsys):
    # the output folder is replaced as a whole when the run's files are written, which
    # would take the chunks with it
    out = tmp_path / "out"
    code = main(["run", str(TRAIN), "--samples", "100", "--no-plots", "--quiet",
                 "--out", str(out), "--checkpoint", str(out / "chunks")])
    assert code == 2
    assert "is in the output folder" in capsys.readouterr().err
    assert not out.exists()
