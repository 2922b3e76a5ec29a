"""Dask distributed as an executor: the same takes, the same numbers, on a cluster.

The block seeding (stuntsim.risk.sampling: every take's draws come from its block's own
stream, chunks are whole blocks) makes a run independent of where its chunks are computed,
so a run on a Dask cluster must equal the serial run bit for bit — not statistically, but
exactly: the margins, the draws, every per-take fact and the summary. The cluster is a
LocalCluster of 2 worker processes (one thread each), as the issue asks; the serial run is
the independent reference (no Dask, no pickling, one process).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.cli import main
from stuntsim.parallel import DaskExecutor, make_executor
from stuntsim.report import summary
from stuntsim.risk.sampling import BLOCK_SIZE
from stuntsim.studies import rare_event, sensitivity
from stuntsim.studies.compare import compare
from stuntsim.studies.envelope import envelope

distributed = pytest.importorskip("distributed")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
ROME = SCENARIOS / "rome_sharp_turn.yaml"
# the train cut to a 1.2 km run (its header says how): these tests check the machinery, and
# two seeding blocks of it cost a sixth of the full run
TRAIN = Path(__file__).resolve().parent / "fixtures" / "train_short.yaml"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def _same_run(reference, other) -> None:
    assert set(reference.margins) == set(other.margins)
    for name in reference.margins:
        np.testing.assert_array_equal(reference.margins[name], other.margins[name])
    for name in reference.draws:
        np.testing.assert_array_equal(reference.draws[name], other.draws[name])
    for name in reference.details:
        np.testing.assert_array_equal(reference.details[name], other.details[name])
    assert _timeless(summary(reference)) == _timeless(summary(other))


def _timeless(data: dict) -> str:
    """A summary as JSON without its wall-clock time and the command that made it (the
    fields that may differ between executors)."""
    return json.dumps({key: value for key, value in data.items()
                       if key not in ("runtime_s", "command")})


@pytest.mark.parametrize("path", [ROME, TRAIN], ids=["car", "train"])
def test_a_run_on_a_dask_cluster_equals_the_serial_run(client, path):
    resolved = stuntsim.load_scenario(path)
    n = BLOCK_SIZE + 200  # two chunks of one block: both workers get one
    serial = stuntsim.run(resolved, samples=n, seed=9, chunk_blocks=1, executor="serial",
                          keep_trajectories=1)
    on_dask = stuntsim.run(resolved, samples=n, seed=9, chunk_blocks=1, executor=client,
                           keep_trajectories=1)
    _same_run(serial, on_dask)
    # the chunks really ran on the workers (the scattered model was used there)
    assert sum(client.nthreads().values()) == 2


def test_one_executor_serves_several_runs_and_is_left_open(client):
    resolved = stuntsim.load_scenario(TRAIN)
    with make_executor(client) as pool:
        assert isinstance(pool, DaskExecutor)
        first = stuntsim.run(resolved, samples=300, seed=1, executor=pool)
        second = stuntsim.run(resolved.with_nominal("train.speed", 20.0), samples=300,
                              seed=1, executor=pool)
    assert client.status == "running"  # the caller's client is not closed by stuntsim
    reference = stuntsim.run(resolved.with_nominal("train.speed", 20.0), samples=300, seed=1,
                             executor="serial")
    _same_run(reference, second)
    assert first.samples == 300


def test_studies_on_a_dask_cluster_equal_the_serial_studies(client):
    train = stuntsim.load_scenario(TRAIN)
    speeds = np.array([15.0, 20.0, 25.0])  # m/s
    kwargs = dict(target=0.05, hazard="tipped", samples=256, seed=3)
    serial = envelope(train, "train.speed", speeds, executor="serial", **kwargs)
    on_dask = envelope(train, "train.speed", speeds, executor=client, **kwargs)
    assert serial.to_dict() == on_dask.to_dict()

    faster = train.with_nominal("train.speed", 25.0)
    serial = compare([train, faster], samples=256, seed=4, executor="serial")
    on_dask = compare([train, faster], samples=256, seed=4, executor=client)
    assert json.dumps(serial.to_dict()) == json.dumps(on_dask.to_dict())

    serial = sensitivity(train, "tipped", n=64, seed=5, bootstrap=20, executor="serial")
    on_dask = sensitivity(train, "tipped", n=64, seed=5, bootstrap=20, executor=client)
    np.testing.assert_array_equal(serial.sobol.total_order, on_dask.sobol.total_order)
    np.testing.assert_array_equal(serial.sobol.first_order, on_dask.sobol.first_order)


def test_subset_simulation_on_a_dask_cluster_equals_the_serial_one(client):
    train = stuntsim.load_scenario(TRAIN)
    kwargs = dict(method="subset", n_per_level=100, replicates=2, seed=6)
    serial = rare_event(train, "tipped", executor="serial", **kwargs)
    on_dask = rare_event(train, "tipped", executor=client, **kwargs)
    assert serial.probability == on_dask.probability
    assert serial.ci95 == on_dask.ci95
    assert serial.evaluations == on_dask.evaluations


def test_the_command_line_runs_on_a_scheduler_and_writes_what_a_serial_run_writes(
        client, tmp_path):
    address = client.scheduler.address
    args = ["run", str(TRAIN), "--samples", "600", "--seed", "2", "--no-plots", "--quiet"]
    assert main([*args, "--executor", "serial", "--out", str(tmp_path / "serial")]) == 0
    assert main([*args, "--executor", "dask", "--scheduler", address,
                 "--out", str(tmp_path / "dask")]) == 0
    serial = json.loads((tmp_path / "serial" / "summary.json").read_text())
    on_dask = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert _timeless(serial) == _timeless(on_dask)


def test_a_scheduler_without_dask_executor_is_refused_before_any_work(tmp_path, capsys):
    code = main(["run", str(TRAIN), "--scheduler", "tcp://127.0.0.1:1",
                 "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("stuntsim.parallel.CONNECT_TIMEOUT", "2s")
    code = main(["run", str(TRAIN), "--samples", "100", "--executor", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------ progress on a cluster
class _Bar:
    def __init__(self, total=None):
        self.total, self.n, self.shown = total, 0, []

    def update(self, count):
        assert count > 0
        self.n += count
        self.shown.append(self.n)

    def close(self):
        pass


def test_a_run_with_a_bar_on_a_dask_cluster_equals_the_serial_run(client, monkeypatch):
    # the workers' partial counts come back as events; the numbers are untouched and
    # the bar ends exactly at the total
    import tqdm.auto

    from stuntsim import progress

    bars: list[_Bar] = []
    monkeypatch.setattr(tqdm.auto, "tqdm",
                        lambda *, total=None, **_: bars.append(_Bar(total)) or bars[-1])
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    resolved = stuntsim.load_scenario(TRAIN)
    n = BLOCK_SIZE + 300
    serial = stuntsim.run(resolved, samples=n, seed=8, chunk_blocks=1, executor="serial")
    on_dask = stuntsim.run(resolved, samples=n, seed=8, chunk_blocks=1, executor=client,
                           progress=True)
    _same_run(serial, on_dask)
    (bar,) = bars
    assert bar.total == bar.n == n
    assert bar.shown == sorted(bar.shown)


def _report_and_wait(flag: str, item: int) -> str:
    """A task that reports a partial count and waits until the driver has received it."""
    import time

    from stuntsim import progress

    progress.current()(item + 1)
    deadline = time.monotonic() + 120  # a guard against a hang, not an assertion on time
    while not Path(flag).exists():
        if time.monotonic() > deadline:
            return "never heard"
        time.sleep(0.01)
    return "heard"


def test_a_dask_worker_reports_while_its_task_runs(client, tmp_path):
    from stuntsim.progress import Tracker

    flag = tmp_path / "heard"
    partials = []

    class Acknowledging(Tracker):
        def partial(self, key, done):
            partials.append((key, done))
            flag.touch()
            super().partial(key, done)

    with make_executor(client) as pool:
        answers = list(pool.map(_report_and_wait, str(flag), [2],
                                progress=Acknowledging(_Bar())))
    assert answers == ["heard"]  # the event reached the driver while the task waited
    assert partials[0] == (0, 3)
    assert client.status == "running"
