"""Several variants of a scenario run side by side: the variants, not their chunks, are
spread over the executor (an envelope's values; a compare's variants when each is one
chunk, so that a small comparison uses every core instead of one).

Each variant runs whole, serially, in one task, on the same seed as the others (common
random numbers): its numbers are those of ``run(variant, executor="serial")``, wherever
it ran (a run does not depend on its executor). A worker cannot warn the caller, so a
task returns its warnings with its result and the caller says them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from stuntsim.errors import StuntWarning
from stuntsim.parallel import make_executor
from stuntsim.progress import Tracker
from stuntsim.progress import current as current_report
from stuntsim.runner import RiskResult, run

__all__ = ["run_variants", "whole_run"]


def whole_run(context: tuple[int, int], variant) -> RiskResult:
    """One task of :func:`run_variants`: the variant's run, whole and serially, on
    ``context`` = (samples, seed), without trajectories. Its warnings are in the result
    (a worker cannot warn the caller); its takes count on the caller's bar, if any."""
    samples, seed = context
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StuntWarning)
        return run(variant, samples=samples, seed=seed, executor="serial",
                   keep_trajectories=0, progress=current_report() or False)


def run_variants(one: Callable, variants: Sequence, samples: int, seed: int, executor,
                 workers, scheduler=None, progress: bool = False, desc: str = "variants"
                 ) -> list:
    """``[one((samples, seed), variant) for variant in variants]``, spread over the
    executor. The bar counts the takes of every variant, and moves while one runs (``one``
    passes :func:`stuntsim.progress.current` to its run)."""
    bar = tracker = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(variants) * samples, unit="take", desc=desc, leave=False)
        tracker = Tracker(bar)
    runs = []
    with make_executor(executor, workers, n_chunks=len(variants),
                       scheduler=scheduler) as pool:
        mapped = (pool.map(one, (samples, seed), variants) if tracker is None else
                  pool.map(one, (samples, seed), variants, progress=tracker))
        for index, outcome in enumerate(mapped):
            runs.append(outcome)
            if tracker is not None:
                tracker.finish(index, samples)
    if bar is not None:
        bar.close()
    return runs
