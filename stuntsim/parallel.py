"""Chunks and executors: where the chunks of a run are computed.

A run is cut into chunks of whole seeding blocks (:mod:`stuntsim.risk.sampling`), so the
result does not depend on the chunking or on where a chunk runs (DESIGN.md, principle 4).
Executors only map a function over chunks in order:

- ``"auto"``: a process pool when the run has several chunks and the machine several cores,
  otherwise serial;
- ``"serial"``: this process, one chunk after another (numpy is already vectorised);
- ``"process"``: a local :class:`concurrent.futures.ProcessPoolExecutor`; the model is sent
  once per worker, which then builds its own street distance fields.

A Dask distributed executor belongs behind the same ``map`` interface (DESIGN.md,
principle 9) when a study outgrows one machine.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol


class Executor(Protocol):
    def map(self, fn: Callable[[Any, Any], Any], context: Any, items: Iterable) -> Iterator:
        """Yield ``fn(context, item)`` for each item, in order."""


class SerialExecutor:
    def map(self, fn, context, items):
        for item in items:
            yield fn(context, item)


_WORKER_CONTEXT: Any = None


def _init_worker(context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context


def _call_in_worker(fn, item):
    return fn(_WORKER_CONTEXT, item)


class ProcessExecutor:
    """Chunks on a local process pool; the context (the model) is pickled once per worker."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(os.cpu_count() or 1, 1)

    def map(self, fn, context, items):
        items = list(items)
        # "spawn": a clean interpreter per worker (fork from a threaded process can deadlock)
        with ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(context,),
        ) as pool:
            futures = [pool.submit(_call_in_worker, fn, item) for item in items]
            for future in futures:
                yield future.result()


def make_executor(
    name: str | Executor | None, workers: int | None = None, *, n_chunks: int = 1
) -> Executor:
    """``"auto"`` (the default): a process pool when there are several chunks and cores."""
    if name is None or name == "auto":
        cores = os.cpu_count() or 1
        if n_chunks > 1 and cores > 1:
            return ProcessExecutor(min(workers or cores, n_chunks))
        return SerialExecutor()
    if name == "serial":
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    if hasattr(name, "map"):
        return name
    raise ValueError(f"unknown executor {name!r}: use 'auto', 'serial' or 'process'")
