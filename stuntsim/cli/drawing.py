"""A run's figures and its animation, drawn on the run's cores when it had several.

Drawing is matplotlib in one Python thread: for the Rome main job about 3.6 s of figures
and 2.2 s of animation, on one core while the other idles (the takes themselves take
about 5 s on both). When the run itself used a local process pool (``--executor auto``
with several chunks and cores, or ``--executor process``) of at most
:data:`POOL_MAX_TAKES` takes, each figure and the animation become one task of a pool of
the same size, the animation first (the longest); otherwise they are drawn here, one
after the other, as before.

The pool's workers fork from the forkserver the run already started (stuntsim and numpy
loaded), and get the result with each task (≈ 11 MB pickled for Rome: a street travels
without its distance fields). A figure is the same bytes wherever it is drawn: the same
matplotlib, fonts and data (tests/test_drawing.py). A figure or an animation that
cannot be drawn is a warning naming it, in either place (the results are written
without it).
"""

from __future__ import annotations

from stuntsim.cli.animate import ANIMATION_NAME, _worst_takes
from stuntsim.cli.common import _draw

__all__ = ["draw_run"]

#: Above this many takes a run draws here: every task carries the result (≈ 440 bytes a
#: take pickled, besides the kept trajectories), and a big run's result sent to each of
#: seven tasks would cost more memory and time than the pool saves.
POOL_MAX_TAKES = 50_000

#: The order to draw in on a pool (unlisted figures: after these, in their own order).
_LONGEST_FIRST = {ANIMATION_NAME: 0, "failure_anatomy": 1}


def draw_run(result, info: dict, fmt: str, *, animation: bool, executor: str = "serial",
             workers: int | None = None
             ) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]], list[str]]:
    """The run's figure files (name.fmt → bytes), what report.html embeds (name → (kind,
    bytes)) and warnings, in the order of :func:`~stuntsim.report.figure_builders` with
    the animation last. ``executor``, ``workers``: the run's, to decide whether it had a
    process pool (then so does the drawing)."""
    from stuntsim.report import figure_builders

    names = [*figure_builders(result, info), *([ANIMATION_NAME] if animation else [])]
    size = _pool_size(result, executor, workers, len(names))
    context = (result, info, fmt)
    if size > 1:
        from stuntsim.parallel import ProcessExecutor

        # the longest first (Rome: the animation 1.4 s, the anatomy 1.0 s, the rest ≤ 0.4 s)
        tasks = sorted(names, key=lambda name: _LONGEST_FIRST.get(name, 2))
        with ProcessExecutor(size) as pool:
            drawn = dict(zip(tasks, pool.map(_draw_one, context, tasks, window=len(tasks)),
                             strict=True))
    else:
        drawn = {name: _draw_one(context, name) for name in names}
    files, embedded, notes = {}, {}, []
    for name in names:
        more_files, more_embedded, more_notes = drawn[name]
        files.update(more_files)
        embedded.update(more_embedded)
        notes.extend(more_notes)
    return files, embedded, notes


def _draw_one(context, name: str):
    """One task: the animation, or one figure by name (in a worker or here)."""
    from stuntsim.report import figure_builders

    result, info, fmt = context
    if name == ANIMATION_NAME:
        return _worst_takes(result)
    return _draw({name: figure_builders(result, info)[name]}, fmt)


def _pool_size(result, executor: str, workers: int | None, tasks: int) -> int:
    """Processes to draw with: the run's pool size where the run had a local pool
    (:func:`stuntsim.parallel.pool_size`), else 1."""
    if tasks < 2 or result.samples > POOL_MAX_TAKES:
        return 1
    from stuntsim.parallel import main_module_allows_workers, pool_size
    from stuntsim.risk.sampling import plan_chunks

    chunks = plan_chunks(result.samples, result.resolved.scenario.simulation.chunk_blocks)
    size = pool_size(executor, workers, len(chunks))
    if not size or not main_module_allows_workers()[0]:
        return 1  # the run ran here: so does the drawing
    return min(size, tasks)
