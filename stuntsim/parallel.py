"""Chunks and executors: where the chunks of a run are computed.

A run is cut into chunks of whole seeding blocks (:mod:`stuntsim.risk.sampling`), so the
result does not depend on the chunking or on where a chunk runs (DESIGN.md, principle 4).
Executors only map a function over chunks in order:

- ``"auto"``: a process pool when the run has several chunks, the machine several cores
  and the worker processes can be started from here (below), otherwise serial;
- ``"serial"``: this process, one chunk after another (numpy is already vectorised);
- ``"process"``: a local :class:`concurrent.futures.ProcessPoolExecutor`; the model is sent
  once per worker, which then builds its own street distance fields.

**Where worker processes can start.** Workers are *spawned* (a fresh interpreter: forking
a process that has threads can deadlock), and a spawned worker re-imports the caller's
main module (:mod:`multiprocessing`, "Safe importing of main module"). That is harmless
from the CLI, ``python -m``, a notebook or the REPL (no main file to re-import), and from a
script whose call sits under ``if __name__ == "__main__":``. From a script without that
guard the worker would run the script again and die (``BrokenProcessPool``); from
``python - < script.py`` it cannot find the script at all. :func:`main_module_allows_workers`
tells these cases apart by reading where in the main module the call is made (its AST),
before any work: ``"auto"`` then runs serially and says why in a :class:`RuntimeWarning`,
``"process"`` is refused with the fix. A pool that breaks anyway (a worker killed by the
out-of-memory killer, say) is a :class:`~stuntsim.errors.StuntsimError` that says so.

A Dask distributed executor belongs behind the same ``map`` interface (DESIGN.md,
principle 9) when a study outgrows one machine.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any, Protocol

from stuntsim.errors import StuntsimError


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
            try:
                futures = [pool.submit(_call_in_worker, fn, item) for item in items]
                for future in futures:
                    yield future.result()
            except BrokenProcessPool as error:
                raise StuntsimError(
                    "a worker process died before finishing its share of the run (killed "
                    "for memory, or it could not start); run with executor='serial' "
                    "(CLI: --executor serial) or with fewer samples"
                ) from error


def make_executor(
    name: str | Executor | None, workers: int | None = None, *, n_chunks: int = 1
) -> Executor:
    """``"auto"`` (the default): a process pool when there are several chunks and cores."""
    if name is None or name == "auto":
        cores = os.cpu_count() or 1
        if n_chunks > 1 and cores > 1:
            allowed, why = main_module_allows_workers()
            if allowed:
                return ProcessExecutor(min(workers or cores, n_chunks))
            warnings.warn(f"running on one core: {why}", RuntimeWarning, stacklevel=3)
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
        return name
    raise ValueError(f"unknown executor {name!r}: use 'auto', 'serial' or 'process'")


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
