"""Chunks and executors: where the chunks of a run are computed.

A run is cut into chunks of whole seeding blocks (:mod:`stuntsim.risk.sampling`), so the
result does not depend on the chunking or on where a chunk runs (DESIGN.md, principle 4).
Executors only map a function over chunks in order:

- ``"auto"``: a process pool when the run has several chunks, the machine several cores
  and the worker processes can be started from here (below), otherwise serial;
- ``"serial"``: this process, one chunk after another (numpy is already vectorised);
- ``"process"``: a local :class:`concurrent.futures.ProcessPoolExecutor`; the model travels
  with the chunks and each worker unpickles it (and builds its street distance fields)
  once;
- ``"dask"``: a Dask distributed cluster (``pip install 'stuntsim[dask]'``): the one at
  ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``), or a
  :class:`distributed.LocalCluster` of worker processes on this machine; or pass a
  :class:`distributed.Client` as the executor. The context (the model) is scattered to
  every worker once; each worker builds its own street distance fields once.

**Where worker processes can start.** Workers are forked from a forkserver (a clean server
process that has imported stuntsim once; forking the caller itself, which may have threads,
can deadlock) or, where there is none, spawned; either way a worker re-imports the caller's
main module (:mod:`multiprocessing`, "Safe importing of main module"). That is harmless
from the CLI, ``python -m``, a notebook or the REPL (no main file to re-import), and from a
script whose call sits under ``if __name__ == "__main__":``. From a script without that
guard the worker would run the script again and die (``BrokenProcessPool``); from
``python - < script.py`` it cannot find the script at all. :func:`main_module_allows_workers`
tells these cases apart by reading where in the main module the call is made (its AST),
before any work: ``"auto"`` then runs serially and says why in a :class:`RuntimeWarning`,
``"process"`` is refused with the fix. A pool that breaks anyway (a worker killed by the
out-of-memory killer, say) is a :class:`~stuntsim.errors.StuntsimError` that says so.

**Streaming, bounded memory.** Every executor keeps at most a small window of chunks in
flight (:data:`WINDOW_PER_WORKER` per worker) and yields each result as soon as it is the
next in order; a result is dropped as soon as the caller has taken it. The driver process
therefore holds a few chunks' results, never the whole run's.

**Progress within a chunk.** ``map(..., progress=tracker)`` (a
:class:`stuntsim.progress.Tracker`) lets a running item report how far it has got: the
task finds its reporter with :func:`stuntsim.progress.current` and each executor carries
the counts back (serial: directly; process pool: a queue the workers were started with;
Dask: worker events the client subscribes to), draining them while it waits for the next
result. The item's key on the tracker is its position in ``items``; the caller finishes it
when the result arrives. Without a tracker nothing of this runs.

**Reusable.** An executor is a context manager: a pool or cluster started for one
``map`` is kept for the next one with the same context (a subset simulation calls the
model once per Markov-chain step) and shut down on ``close()`` / leaving the ``with``.
A pool or client passed in by the caller is never shut down by stuntsim.
"""

from __future__ import annotations

import ast
import functools
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import sys
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any, Protocol

from stuntsim import progress as _progress
from stuntsim.errors import StuntsimError

#: chunks in flight per worker: one running, one queued behind it (so a worker never waits
#: for the driver), and no more (the driver holds the results of at most this many).
WINDOW_PER_WORKER = 2
#: how long to wait for a Dask scheduler to answer before saying it cannot be reached
CONNECT_TIMEOUT = "20s"
#: seconds the driver waits for a result before passing on the partial counts that arrived
POLL = 0.1


class Executor(Protocol):
    def map(self, fn: Callable[[Any, Any], Any], context: Any, items: Iterable, *,
            progress: Any = None) -> Iterator:
        """Yield ``fn(context, item)`` for each item, in order; with ``progress`` (a
        :class:`stuntsim.progress.Tracker`) pass on the items' partial counts."""


class _Reusable:
    """Context-manager plumbing: ``with executor:`` closes what the executor started."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass


class SerialExecutor(_Reusable):
    def describe(self) -> str:
        return "serial (this process)"

    def map(self, fn, context, items, *, progress=None):
        if progress is None:
            for item in items:
                yield fn(context, item)
            return
        for key, item in enumerate(items):
            with _progress.reporting(functools.partial(progress.partial, key)):
                value = fn(context, item)
            yield value


def _windowed(submit: Callable[[Any], Any], result: Callable[[Any], Any], items: Iterable,
              window: int) -> Iterator:
    """Submit items keeping at most ``window`` in flight; yield results in order."""
    pending: deque = deque()
    items = iter(items)
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            break
    while pending:
        value = result(pending.popleft())
        for item in items:  # refill one
            pending.append(submit(item))
            break
        yield value


#: the context a worker process last unpickled, by token (see ProcessExecutor)
_WORKER_CONTEXT: tuple[int, Any] = (-1, None)


#: where a worker process sends its partial counts (the queue its pool was started with)
_WORKER_QUEUE: Any = None


def _start_worker(progress_queue) -> None:
    global _WORKER_QUEUE
    _WORKER_QUEUE = progress_queue


def _call_in_worker(fn, token: int, payload: bytes, item, channel=None):
    global _WORKER_CONTEXT
    if _WORKER_CONTEXT[0] != token:  # a new model: unpickle it once in this worker
        _WORKER_CONTEXT = (token, pickle.loads(payload))
    if channel is None or _WORKER_QUEUE is None:
        return fn(_WORKER_CONTEXT[1], item)
    map_id, key, interval = channel
    sink = _WORKER_QUEUE
    with _progress.reporting(lambda done: sink.put((map_id, key, done)), interval):
        return fn(_WORKER_CONTEXT[1], item)


def _drain(inbox, map_id: int, tracker) -> None:
    """Pass the partial counts that arrived for this map to its tracker (others: stale)."""
    while not inbox.empty():
        sent_by, key, done = inbox.get()
        if sent_by == map_id:
            tracker.partial(key, done)


def _result(future):
    return future.result()


def _channels(map_id: int, progress) -> Iterator:
    """Per item submitted, in order: where its partial counts go (None: nowhere)."""
    if progress is None:
        return itertools.repeat(None)
    interval = _progress.INTERVAL
    return ((map_id, key, interval) for key in itertools.count())


def _waiting(done_within: Callable[[Any, float], bool], drain: Callable[[], None]
             ) -> Callable[[Any], Any]:
    """``future.result()`` that drains partial counts every :data:`POLL` seconds while it
    waits, and once more after (what a task sent before returning is then on the tracker
    before its result)."""
    def result(future):
        drain()
        while not done_within(future, POLL):
            drain()
        drain()
        return future.result()

    return result


def _local_done_within(future, timeout: float) -> bool:
    return not futures_wait([future], timeout=timeout).not_done


def _dask_done_within(future, timeout: float) -> bool:
    try:
        _import_distributed().wait(future, timeout=timeout)
    except TimeoutError:
        return False
    return True


#: modules a forkserver loads once, so that each worker starts as a fork with them loaded
_PRELOAD = ["stuntsim.runner", "stuntsim.kinds", "stuntsim.studies.margins",
            "stuntsim.studies.envelope", "stuntsim.studies.compare", "stuntsim.cli.drawing",
            "stuntsim.report.figures", "stuntsim.report.animation"]


def _process_context():
    """Forkserver where the platform has it (a worker is a fork of a clean, single-threaded
    server that has imported stuntsim once: milliseconds to start instead of an
    interpreter's import), else spawn. Never plain fork: forking a process that has
    threads can deadlock."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def warm_up() -> None:
    """Start the worker processes' server now, where it is a forkserver: it imports
    stuntsim (:data:`_PRELOAD`, about a second) in its own process, so a caller that is
    about to import the same (the command line, before its first run) does both side by
    side and finds the server ready when its first pool starts. Not needed for correctness:
    a pool starts the server itself otherwise. Nothing is started where the main module
    cannot have workers (:func:`main_module_allows_workers`) or with one core."""
    if (os.cpu_count() or 1) < 2 or not main_module_allows_workers()[0]:
        return
    context = _process_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class ProcessExecutor(_Reusable):
    """Chunks on a local process pool, started once and kept until :meth:`close`.

    The context (the model) is pickled once per ``map`` call and travels with each chunk
    (tens of kB against seconds of work); a worker unpickles it once and keeps it, with
    the street distance fields it builds, until a different context arrives. So one pool
    serves every variant of a compare or an envelope without restarting.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(os.cpu_count() or 1, 1)
        self._pool: ProcessPoolExecutor | None = None
        self._inbox: Any = None  # the workers' partial counts (progress), one per pool
        self._maps = itertools.count()
        self._context: Any = None
        self._token = 0
        self._payload = b""

    def describe(self) -> str:
        method = _process_context().get_start_method()
        return f"process pool of {self.workers} workers ({method})"

    def map(self, fn, context, items, *, progress=None, window: int | None = None):
        """``fn(context, item)`` for each item, results in order; at most ``window`` items
        in flight (default two per worker: bounded memory for a run's chunks; a handful of
        unequal tasks, such as a run's figures, are better all submitted at once, or a
        worker idles behind the longest)."""
        if self._pool is None:
            mp_context = _process_context()
            self._inbox = mp_context.SimpleQueue()
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp_context,
                                             initializer=_start_worker,
                                             initargs=(self._inbox,))
        if self._context is not context:
            self._token += 1
            self._payload = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
            self._context = context
        pool, token, payload = self._pool, self._token, self._payload
        map_id = next(self._maps)
        channels = _channels(map_id, progress)
        result = (_result if progress is None else _waiting(
            _local_done_within, functools.partial(_drain, self._inbox, map_id, progress)))

        def submit(item):
            return pool.submit(_call_in_worker, fn, token, payload, item, next(channels))

        try:
            yield from _windowed(submit, result, items,
                                 window or WINDOW_PER_WORKER * self.workers)
        except BrokenProcessPool as error:
            self.close()
            raise StuntsimError(
                "a worker process died before finishing its share of the run (killed "
                "for memory, or it could not start); run with executor='serial' "
                "(CLI: --executor serial) or with fewer samples"
            ) from error

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._inbox is not None:
            self._inbox.close()
        self._pool = self._inbox = None
        self._context = None


class DaskExecutor(_Reusable):
    """Chunks on a Dask distributed cluster.

    Parameters
    ----------
    client : distributed.Client   A client of the caller's (never closed here); or None:
    scheduler : str               the scheduler's address, e.g. ``tcp://10.0.0.5:8786``;
                                  or None: a LocalCluster of ``workers`` processes with one
                                  thread each (numpy is vectorised per chunk already).
    """

    def __init__(self, client=None, *, scheduler: str | None = None,
                 workers: int | None = None):
        self._client = client
        self._owned: list = []
        self.scheduler = scheduler
        self.workers = workers
        self._context: Any = None
        self._scattered: Any = None
        self._topic: str | None = None  # the workers' partial counts (progress) …
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()  # … as they arrive
        self._maps = itertools.count()

    @property
    def client(self):
        if self._client is None:
            distributed = _import_distributed()
            if self.scheduler is not None:
                try:
                    self._client = distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError) as error:
                    raise StuntsimError(f"cannot reach the Dask scheduler at "
                                        f"{self.scheduler}: {error}") from None
            else:
                cluster = distributed.LocalCluster(
                    n_workers=self.workers or max(os.cpu_count() or 1, 1),
                    threads_per_worker=1, processes=True,
                    dashboard_address=":0",  # any free port: never clash on 8787
                )
                self._client = distributed.Client(cluster)
                self._owned.append(cluster)
            self._owned.insert(0, self._client)
        return self._client

    def _inbox_event(self, event) -> None:
        """A worker's partial count (an event: (time, [map, item, done])), kept for the
        thread that waits for results (this runs on the client's event loop)."""
        self._inbox.put(tuple(event[1]))

    def describe(self) -> str:
        where = self.scheduler or ("a LocalCluster" if self._client is None else "a client")
        return f"Dask distributed ({where})"

    def slots(self) -> int:
        """Threads across the cluster's workers (at least 1)."""
        return max(sum(self.client.nthreads().values()), 1)

    def map(self, fn, context, items, *, progress=None):
        client = self.client
        if self._context is not context:
            # one copy of the model on every worker, deserialised once there
            self._scattered = client.scatter(context, broadcast=True, hash=False)
            self._context = context
        scattered = self._scattered
        distributed = _import_distributed()
        if progress is None:
            result = _result

            def submit(item):
                return client.submit(fn, scattered, item, pure=False)
        else:
            if self._topic is None:  # events the workers log, passed to this thread
                self._topic = f"stuntsim-progress-{uuid.uuid4().hex}"
                client.subscribe_topic(self._topic, self._inbox_event)
            map_id, topic = next(self._maps), self._topic
            channels = _channels(map_id, progress)
            result = _waiting(_dask_done_within,
                              functools.partial(_drain, self._inbox, map_id, progress))

            def submit(item):
                return client.submit(_call_on_dask, fn, scattered, item, topic,
                                     next(channels), pure=False)

        try:
            yield from _windowed(submit, result, items, WINDOW_PER_WORKER * self.slots())
        except distributed.KilledWorker as error:
            raise StuntsimError(
                f"a Dask worker died while computing a chunk ({error}); it may have run out "
                f"of memory: give the workers more memory, or lower "
                f"simulation.chunk_blocks"
            ) from None

    def close(self) -> None:
        if self._topic is not None and self._client is not None:
            try:
                self._client.unsubscribe_topic(self._topic)
            except (ValueError, RuntimeError, OSError):
                pass  # a client already closed has no subscriptions left
        self._topic = None
        for resource in self._owned:  # what this executor started, client first
            resource.close()
        if self._owned:
            self._client = None
        self._owned = []
        self._context = self._scattered = None


def _call_on_dask(fn, context, item, topic: str, channel):
    """A task on a Dask worker that logs its partial counts as events on ``topic``."""
    from distributed import get_worker

    worker = get_worker()
    map_id, key, interval = channel
    with _progress.reporting(lambda done: worker.log_event(topic, [map_id, key, done]),
                             interval):
        return fn(context, item)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise StuntsimError("the Dask executor needs Dask distributed: pip install "
                            "'stuntsim[dask]'") from None
    return distributed


def _is_dask_client(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "scatter")


EXECUTORS = ("auto", "serial", "process", "dask")


def pool_size(name, workers: int | None, n_chunks: int) -> int:
    """The local worker processes :func:`make_executor` starts for ``name`` (where the main
    module allows them); 0 where it starts none: ``"serial"``, Dask, a caller's executor,
    and ``"auto"`` with one chunk or one core."""
    cores = os.cpu_count() or 1
    if name == "process":
        return workers or cores
    if name in (None, "auto") and n_chunks > 1 and cores > 1:
        return min(workers or cores, n_chunks)
    return 0


def slots(executor) -> int:
    """How many tasks ``executor`` runs at once: a pool's workers, a Dask cluster's
    threads, 1 in this process (and for an executor object of the caller's, whose size is
    unknown)."""
    inner = executor.inner if isinstance(executor, _Borrowed) else executor
    if isinstance(inner, ProcessExecutor):
        return inner.workers
    if isinstance(inner, DaskExecutor):
        return inner.slots()
    return 1


def make_executor(
    name: str | Executor | None, workers: int | None = None, *, n_chunks: int = 1,
    scheduler: str | None = None,
) -> Executor:
    """``"auto"`` (the default): a process pool when there are several chunks and cores.

    Use the result as a context manager (``with make_executor(...) as executor:``) so
    that a pool or cluster started here is shut down; a :class:`distributed.Client` or an
    executor object passed in is returned wrapped or as it is, and not shut down.
    """
    if _is_dask_client(name):
        return DaskExecutor(name)
    if scheduler is not None and name not in (None, "auto", "dask"):
        raise ValueError(f"a scheduler address goes with executor='dask', not {name!r}")
    if name == "dask" or (scheduler is not None):
        if scheduler is None:
            allowed, why = main_module_allows_workers()
            if not allowed:
                raise StuntsimError(f"executor='dask' cannot start a local cluster's "
                                    f"worker processes here: {why}")
        _import_distributed()
        return DaskExecutor(scheduler=scheduler, workers=workers)
    if name is None or name == "auto":
        size = pool_size(name, workers, n_chunks)
        if size:
            allowed, why = main_module_allows_workers()
            if allowed:
                return ProcessExecutor(size)
            warnings.warn(f"running on one core: {why}", RuntimeWarning, stacklevel=3)
        elif n_chunks <= 1:
            logging.getLogger(__name__).info("one chunk: running in this process")
        return SerialExecutor()
    if name == "serial":
        return SerialExecutor()
    if name == "process":
        allowed, why = main_module_allows_workers()
        if not allowed:
            raise StuntsimError(f"executor='process' cannot start worker processes here: "
                                f"{why}")
        return ProcessExecutor(workers)
    if hasattr(name, "map"):
        return _Borrowed(name)
    raise ValueError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)}, or a "
                     f"distributed.Client")


class _Borrowed(_Reusable):
    """An executor object of the caller's (anything with ``map(fn, context, items)``)."""

    def __init__(self, inner):
        self.inner = inner

    def map(self, fn, context, items, *, progress=None):
        if progress is None or not isinstance(self.inner, _Reusable):
            return self.inner.map(fn, context, items)  # a foreign executor: whole items
        return self.inner.map(fn, context, items, progress=progress)


def main_module_allows_workers() -> tuple[bool, str]:
    """Whether a spawned worker can re-import ``__main__`` without re-running this call,
    and if not, why (with the fix)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    path = getattr(spec, "origin", None) or getattr(main, "__file__", None)
    if path is None:
        return True, ""  # a notebook, the REPL, python -c: nothing is re-imported
    if not os.path.isfile(path):
        return False, (f"the main program ({path}) is not a file a worker process can "
                       f"re-import (e.g. python - < script.py); save it as a script with "
                       f"the call under `if __name__ == \"__main__\":`, or pass "
                       f"executor='serial'")
    line = _main_module_line(main)
    if line is None or line in _guarded_lines(os.path.abspath(path)):
        return True, ""
    return False, (f"{path}, line {line}, is not under `if __name__ == \"__main__\":`, and "
                   f"every worker process would run the script again; put the call there "
                   f"to use all cores, or pass executor='serial'")


def _main_module_line(main) -> int | None:
    """The line of the main module's top-level code that this call is made from (None when
    the main module has finished running, e.g. a call from an atexit hook)."""
    frame = sys._getframe(1)
    line = None
    while frame is not None:
        if frame.f_globals is getattr(main, "__dict__", None) and \
                frame.f_code.co_name == "<module>":
            line = frame.f_lineno
        frame = frame.f_back
    return line


@lru_cache(maxsize=8)
def _guarded_lines(path: str) -> frozenset[int]:
    """Lines of ``path`` inside a top-level ``if __name__ == "__main__":`` block."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return frozenset(lines)


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    values = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(values) == 1
