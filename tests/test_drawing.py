"""A run's figures and animation drawn on a process pool are the ones drawn in this process
(stuntsim.cli.drawing): the same files, byte for byte, in the same order, and the pool is
used exactly when the run itself had one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import stuntsim
from stuntsim.cli.drawing import POOL_MAX_TAKES, _pool_size, draw_run
from stuntsim.report import summary
from stuntsim.risk.sampling import BLOCK_SIZE

ROME = Path(__file__).resolve().parents[1] / "scenarios" / "rome_sharp_turn.yaml"


@pytest.fixture(scope="module")
def rome():
    resolved = stuntsim.load_scenario(ROME)
    result = stuntsim.run(resolved, samples=200, seed=5, executor="serial")
    return result, summary(result)


def test_figures_drawn_on_a_pool_are_the_figures_drawn_here(rome):
    result, info = rome
    here = draw_run(result, info, "png", animation=True, executor="serial")
    pooled = draw_run(result, info, "png", animation=True, executor="process", workers=2)
    files, embedded, notes = here
    assert "worst_takes.gif" in files
    assert "failure_anatomy.png" in files
    assert list(pooled[0]) == list(files)  # the same files in the same order
    assert list(files)[-1] == "worst_takes.gif"  # the animation last, as before
    for name, data in files.items():
        assert pooled[0][name] == data, name
    assert pooled[1] == embedded
    assert pooled[2] == notes


def test_the_drawing_has_a_pool_exactly_when_the_run_had_one(rome, monkeypatch):
    result, _ = rome
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    one_chunk = SimpleNamespace(resolved=result.resolved, samples=BLOCK_SIZE)
    two_chunks = SimpleNamespace(resolved=result.resolved, samples=BLOCK_SIZE + 1)
    assert _pool_size(one_chunk, "auto", None, 7) == 1  # the run ran here
    assert _pool_size(two_chunks, "auto", None, 7) == 2  # it had a pool of 2
    assert _pool_size(two_chunks, "auto", 1, 7) == 1  # --workers 1
    assert _pool_size(one_chunk, "process", None, 7) == 2
    assert _pool_size(two_chunks, "serial", None, 7) == 1
    assert _pool_size(two_chunks, "dask", None, 7) == 1  # a cluster's workers: not here
    assert _pool_size(two_chunks, "process", None, 1) == 1  # one task: no pool
    big = SimpleNamespace(resolved=result.resolved, samples=POOL_MAX_TAKES + 1)
    assert _pool_size(big, "process", None, 7) == 1  # a big result is not sent around
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert _pool_size(two_chunks, "auto", None, 7) == 1
