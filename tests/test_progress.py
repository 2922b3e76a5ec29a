"""Progress bars that move while a chunk runs (stuntsim.progress): the model's time-step loop
reports how far its takes have got, the executors carry that to the driver's bar, and the
bar ends exactly at the total — without touching a single number of the run.

No test here measures time: the clock is a fake one, or the report interval is set to 0 so
that every time step reports (the interval is passed to the workers with each item)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import stuntsim
from stuntsim import progress
from stuntsim.parallel import ProcessExecutor, SerialExecutor
from stuntsim.progress import Tracker

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "fixtures" / "train_short.yaml"  # train_roof cut to 1.2 km (its header)
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


class Bar:
    """A bar that keeps every count it was moved to (what a tqdm bar would show)."""

    def __init__(self, total=None):
        self.total, self.n, self.shown = total, 0, []

    def update(self, count):
        assert count > 0  # a bar never goes back
        self.n += count
        self.shown.append(self.n)

    def close(self):
        pass


@pytest.fixture
def bars(monkeypatch):
    """Every bar the library opens (through tqdm.auto) is a recording Bar."""
    made: list[Bar] = []

    def make(*, total=None, **_):
        made.append(Bar(total))
        return made[-1]

    import tqdm.auto
    monkeypatch.setattr(tqdm.auto, "tqdm", make)
    return made


def _same(a, b) -> None:
    for name in a.margins:
        np.testing.assert_array_equal(a.margins[name], b.margins[name])
    for name in a.details:
        np.testing.assert_array_equal(a.details[name], b.details[name])
    np.testing.assert_array_equal(a.run_ending, b.run_ending)


# ------------------------------------------------------------------ the pieces
def test_step_callback_reports_at_most_every_interval_and_counts_running_takes(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: now[0]))
    assert progress.step_callback(1000) is None  # no reporter: the model makes no call
    reports: list[int] = []
    with progress.reporting(reports.append, interval=0.2):
        on_step = progress.step_callback(1000)
    running = np.ones(1000, dtype=bool)
    for step in range(100):  # 0.05 s a step on the fake clock
        now[0] += 0.05
        if step == 50:
            running[:400] = False  # 400 takes ended
        on_step(step, 100, running)
    assert 20 <= len(reports) <= 26  # about every fourth step, not every step
    assert reports == sorted(set(reports))  # monotone
    # a running take counts step / n_steps, an ended one 1: near the end, 400 + 600 · 0.96
    assert 400 + 600 * 0.9 <= reports[-1] < 1000


def test_the_tracker_never_goes_back_ignores_late_counts_and_ends_at_the_total():
    bar = Bar()
    tracker = Tracker(bar)
    tracker.partial(0, 100)
    tracker.partial(1, 50)
    tracker.partial(0, 80)  # an older message, arrived late: ignored
    assert bar.n == 150
    tracker.finish(0, 4096)
    tracker.partial(0, 3000)  # a partial count after the item's result: ignored
    assert bar.n == 4096 + 50
    tracker.finish(1, 904)
    assert bar.n == 5000
    assert bar.shown == sorted(bar.shown)


# ------------------------------------------------------------------ a run's bar
@pytest.mark.parametrize("executor", ["serial", "process"])
def test_a_runs_bar_moves_before_the_first_chunk_ends_and_ends_at_the_total(
        executor, bars, monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.0)  # report every step (workers too)
    resolved = stuntsim.load_scenario(TRAIN)
    n = 4096 + 300  # two chunks
    shown = stuntsim.run(resolved, samples=n, seed=7, chunk_blocks=1, executor=executor,
                         progress=True)
    (bar,) = bars
    assert bar.total == n
    assert bar.n == n  # exactly the total, at the end
    before_first_chunk = [count for count in bar.shown if count < 4096]
    assert len(before_first_chunk) > 10  # it moved while the first chunk ran
    assert bar.shown == sorted(bar.shown)
    silent = stuntsim.run(resolved, samples=n, seed=7, chunk_blocks=1, executor="serial")
    _same(silent, shown)  # progress touches no number


def test_a_car_run_reports_from_its_time_steps(bars, monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    resolved = stuntsim.load_scenario(ROME)
    shown = stuntsim.run(resolved, samples=200, seed=3, executor="serial", progress=True,
                         keep_trajectories=0)
    (bar,) = bars
    assert bar.n == 200
    assert len([c for c in bar.shown if 0 < c < 200]) > 10
    _same(stuntsim.run(resolved, samples=200, seed=3, executor="serial",
                       keep_trajectories=0), shown)


def test_studies_count_takes_while_a_batch_runs(bars, monkeypatch):
    from stuntsim.studies import sensitivity
    from stuntsim.studies.envelope import envelope

    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    resolved = stuntsim.load_scenario(TRAIN)
    speeds = np.array([18.0, 24.0])
    kwargs = dict(target=0.1, hazard="tipped", samples=200, seed=2, executor="serial")
    quiet = envelope(resolved, "train.speed", speeds, **kwargs)
    shown = envelope(resolved, "train.speed", speeds, progress=True, **kwargs)
    assert shown.to_dict() == quiet.to_dict()
    (bar,) = bars
    assert bar.total == bar.n == 400  # the takes of both values
    assert [c for c in bar.shown if 0 < c < 200]  # moved within the first value
    sensitivity(resolved, "tipped", n=16, seed=1, bootstrap=10, executor="serial",
                progress=True)
    assert bars[1].n == bars[1].total == 16 * (len(resolved.uncertain_names) + 2)
    assert [c for c in bars[1].shown if 0 < c < bars[1].total]  # moved within a batch


# ------------------------------------------------------------------ the channels
def _report_and_wait(flag: str, item: int) -> str:
    """A task that reports a partial count and waits until the driver has received it."""
    report = progress.current()
    report(item + 1)
    deadline = time.monotonic() + 120  # a guard against a hang, not an assertion on time
    while not Path(flag).exists():
        if time.monotonic() > deadline:
            return "never heard"
        time.sleep(0.01)
    return "heard"


class _Acknowledging(Tracker):
    """A tracker that, on a partial count, tells the waiting task it arrived."""

    def __init__(self, flag: Path):
        super().__init__(Bar())
        self.flag = flag
        self.partials: list[tuple[int, int]] = []

    def partial(self, key, done):
        self.partials.append((key, done))
        self.flag.touch()
        super().partial(key, done)


@pytest.mark.parametrize("make", [SerialExecutor, lambda: ProcessExecutor(1)],
                         ids=["serial", "process"])
def test_a_worker_reports_while_its_task_runs(make, tmp_path):
    flag = tmp_path / "heard"
    tracker = _Acknowledging(flag)
    with make() as pool:
        answers = list(pool.map(_report_and_wait, str(flag), [4], progress=tracker))
        assert answers == ["heard"]  # the driver got the count before the task ended
        assert tracker.partials == [(0, 5)]
        # without a tracker, no reporter is set for the task
        assert list(pool.map(_no_reporter, None, [0])) == [True]


def _no_reporter(context, item) -> bool:
    return progress.current() is None
