"""Progress within a chunk: a bar that moves every fraction of a second, not once a chunk.

A chunk of 4096 takes runs for seconds, and a study's batch longer; a bar that only counts
finished chunks sits still that long. So a model's time-step loop may report how far its
takes have got, and the executors (:mod:`stuntsim.parallel`) carry that to the bar of the
process that drives the run. Three pieces:

- **In a model** (:meth:`stuntsim.kinds.base.Model.simulate`, ``on_step=``): once per time
  step the loop calls ``on_step(step, n_steps, running)`` with the boolean mask of takes
  still under way. :func:`step_callback` makes that callback: it reads the clock and does
  nothing more until :data:`INTERVAL` has passed; then it reports the chunk's *take
  equivalents done*, a finished take counting 1 and a running one ``step / n_steps``
  (monotone, and at most the chunk's size). It only reads the mask: the numbers of the run
  are untouched, whether progress is shown or not. With no bar, no callback is made at all
  and the loop pays one ``is None`` test per step.
- **Between processes**: the task that runs a chunk finds its reporter with
  :func:`current` (set by :func:`reporting` around the task). In this process that is the
  bar's :class:`Tracker` itself; in a worker process of a pool it puts ``(map, item,
  done)`` on a queue the pool was started with; on a Dask worker it logs an event the
  client subscribed to (``Worker.log_event`` / ``Client.subscribe_topic``). The driver
  drains what arrived while it waits for the next result.
- **On the bar**: a :class:`Tracker` adds up, per item of a map, its partial count while
  it runs and its full size once its result is in (late partial counts of a finished item
  are ignored). The bar never goes back and ends exactly at the sum of the items' sizes.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

#: seconds between two reports of a running chunk (a report is a clock read, a count of the
#: running takes and one small message: nothing a time step would notice)
INTERVAL = 0.2

Report = Callable[[int], None]

#: the reporter of the task running in this thread (and the interval it asks for)
_CURRENT: contextvars.ContextVar[tuple[Report, float] | None] = contextvars.ContextVar(
    "stuntsim_progress", default=None)


@contextmanager
def reporting(report: Report, interval: float | None = None) -> Iterator[None]:
    """Within the block, :func:`current` is ``report`` (a task's way back to the bar),
    asking for a report every ``interval`` seconds (default: the enclosing reporter's, or
    :data:`INTERVAL`)."""
    token = _CURRENT.set((report, current_interval() if interval is None else float(interval)))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Report | None:
    """The reporter of the task running here, or None when no bar is listening."""
    found = _CURRENT.get()
    return None if found is None else found[0]


def current_interval() -> float:
    """The interval the running task's reporter asked for (:data:`INTERVAL` by default)."""
    found = _CURRENT.get()
    return INTERVAL if found is None else found[1]


def step_callback(n: int) -> Callable[[int, int, np.ndarray], None] | None:
    """A model's ``on_step`` for a chunk of ``n`` takes, reporting to :func:`current`;
    None when nothing listens (the model then makes no call at all)."""
    found = _CURRENT.get()
    if found is None:
        return None
    report, interval = found
    clock = time.monotonic
    due = clock() + interval
    reported = 0

    def on_step(step: int, n_steps: int, running: np.ndarray) -> None:
        nonlocal due, reported
        now = clock()
        if now < due:
            return
        due = now + interval
        still = int(np.count_nonzero(running))
        done = min(int(n - still + still * (step / n_steps)), n)
        if done > reported:
            reported = done
            report(done)

    return on_step


class Tracker:
    """Takes done on a bar (anything with ``n`` and ``update``, e.g. tqdm): per item of an
    executor's map, its partial count while it runs (:meth:`partial`, from the executor)
    and its size once its result is in (:meth:`finish`, from the caller)."""

    def __init__(self, bar: Any):
        self.bar = bar
        self._base = bar.n
        self._done = 0
        self._partial: dict[Any, int] = {}
        self._finished: set[Any] = set()

    def partial(self, key: Any, done: int) -> None:
        if key in self._finished or done <= self._partial.get(key, 0):
            return
        self._partial[key] = int(done)
        self._show()

    def finish(self, key: Any, size: int) -> None:
        self._finished.add(key)
        self._partial.pop(key, None)
        self._done += int(size)
        self._show()

    def _show(self) -> None:
        target = self._base + self._done + sum(self._partial.values())
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)


class Relay:
    """A bar-like object that passes its count on to a reporter: a run inside a study's
    task (an envelope's value) counts toward the study's bar."""

    def __init__(self, report: Report):
        self.report = report
        self.n = 0

    def update(self, count: int) -> None:
        self.n += count
        self.report(self.n)

    def close(self) -> None:
        pass
