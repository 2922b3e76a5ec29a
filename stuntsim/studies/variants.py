"""Several variants of a scenario run on the same seed (common random numbers): an
envelope's values, a compare's variants.

Variants that differ only in values their kind's model reads take by take
(:meth:`~stuntsim.kinds.base.StuntKind.per_take_paths`: a corner speed, a braking point, a
patch's friction, a tether's factor…) **share model calls**: their takes are stacked into
one batch, each take carrying its own variant's values as if they were draws. The fixed
cost of a time step (about a thousand numpy calls, whatever the batch size) is then paid
once for all of them instead of once per variant. Variants that differ in anything else
(a barrier switched on, a street width, the time step) get model calls of their own.

Either way the work is cut into tasks of at most one chunk's takes
(``simulation.chunk_blocks`` blocks) and spread over the executor, so a small study uses
every core and a big one keeps a chunk's memory. A take's draws come from its seeding
block's streams whatever task it lands in, and the model is deterministic given a take's
draws and values, so each variant's result is bit for bit that of
``run(variant, executor="serial", keep_trajectories=0)`` (tests/test_stacked_variants.py).
Warnings are not said here: each result carries its run's, for the caller to say.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stuntsim.budget import plan_run
from stuntsim.errors import NumericalError
from stuntsim.kinds import kind_of
from stuntsim.parallel import make_executor, slots
from stuntsim.progress import Tracker, step_callback
from stuntsim.risk.sampling import BLOCK_SIZE, draw
from stuntsim.runner import RiskResult, RunTakes, run_size
from stuntsim.scenario import ResolvedScenario

__all__ = ["MIN_TASK_TAKES", "run_variants", "shared_call_groups"]

#: The fewest takes worth a task of their own when a study is spread over workers (a
#: smaller task costs about as much as the time steps' fixed cost of one model call).
MIN_TASK_TAKES = 256


@dataclass(frozen=True)
class _Group:
    """Variants that share model calls: the first one's model runs them all; ``values``
    are the paths in which some of them differ from it and that none draws (each take
    carries its variant's value)."""

    members: tuple[int, ...]
    values: tuple[str, ...]


def shared_call_groups(variants: Sequence[ResolvedScenario]) -> list[tuple[list[int], list[str]]]:
    """The variants (by index) grouped so that each group can share one model call, with
    the paths whose values its members take take by take. A variant joins the first group
    whose first member it differs from only in its kind's per-take paths; otherwise it
    starts a group of its own."""
    return [(list(group.members), list(group.values)) for group in _groups(variants)]


def _groups(variants: Sequence[ResolvedScenario]) -> list[_Group]:
    heads: list[tuple[int, frozenset[str]]] = []  # (head index, its per-take paths)
    members: list[list[int]] = []
    moved: list[set[str]] = []
    for index, variant in enumerate(variants):
        for slot, (head, allowed) in enumerate(heads):
            paths = _moved_only_in(variants[head], variant, allowed)
            if paths is not None:
                members[slot].append(index)
                moved[slot] |= paths
                break
        else:
            heads.append((index, kind_of(variant).per_take_paths(variant)))
            members.append([index])
            moved.append(set())
    groups = []
    for (head, _), indices, paths in zip(heads, members, moved, strict=True):
        drawn = set(variants[head].uncertain_names)
        groups.append(_Group(tuple(indices), tuple(sorted(paths - drawn))))
    return groups


def _moved_only_in(head: ResolvedScenario, variant: ResolvedScenario,
                   allowed: frozenset[str]) -> frozenset[str] | None:
    """The nominal values in which ``variant`` differs from ``head``, when they are all in
    ``allowed`` and the two scenarios are otherwise the same file (same kind, same
    uncertain inputs, same everything else: switches, geometry, settings); else None."""
    if (variant.scenario.kind != head.scenario.kind
            or variant.uncertain_names != head.uncertain_names
            or variant.nominal.keys() != head.nominal.keys()):
        return None
    paths = frozenset(path for path, value in variant.nominal.items()
                      if value != head.nominal[path])
    if not paths <= allowed:
        return None
    data = variant.scenario.model_dump(mode="python", exclude_none=True)
    reference = head.scenario.model_dump(mode="python", exclude_none=True)
    for path in paths:  # put the head's values back: nothing else may differ
        mine, theirs = _leaf(data, path), _leaf(reference, path)
        if mine is None:
            return None
        container, key = mine
        if theirs is None:
            del container[key]
        else:
            container[key] = theirs[0][theirs[1]]
    return paths if data == reference else None


def _leaf(data, path: str) -> tuple[Any, Any] | None:
    """The container and key of ``path`` in a scenario's dump (list items by their
    ``name``, else by index); None where it is not there."""
    node = data
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if isinstance(node, list):
            named = [i for i, item in enumerate(node)
                     if isinstance(item, dict) and item.get("name") == part]
            key = named[0] if named else (int(part) if part.isdigit() else None)
            if key is None or key >= len(node):
                return None
        elif isinstance(node, dict) and part in node:
            key = part
        else:
            return None
        if depth == len(parts) - 1:
            return node, key
        node = node[key]
    return None


@dataclass
class _Piece:
    """Takes ``start`` … ``stop − 1`` of variant ``variant`` (its index in the study)."""

    variant: int
    start: int
    stop: int


@dataclass
class _Slice:
    """A piece's share of a shared call's outcome (what :meth:`RunTakes.add` reads)."""

    margins: dict[str, np.ndarray]
    details: dict[str, np.ndarray]
    ending: np.ndarray
    progress: np.ndarray


def _plan(groups: list[_Group], samples: int, cap: int, workers: int
          ) -> list[tuple[int, list[_Piece]]]:
    """Tasks (group, pieces) of at most ``cap`` takes, and at least about ``workers`` of
    them when the study has takes enough (:data:`MIN_TASK_TAKES` each), a group's takes
    shared evenly among its tasks; variant after variant, so that a variant's takes are
    all in early and its arrays can go."""
    total = samples * sum(len(group.members) for group in groups)
    size = min(cap, max(MIN_TASK_TAKES, math.ceil(total / max(workers, 1))))
    tasks = []
    for index, group in enumerate(groups):
        takes = samples * len(group.members)
        n_tasks = math.ceil(takes / size)
        bounds = [round(k * takes / n_tasks) for k in range(n_tasks + 1)]
        for low, high in itertools.pairwise(bounds):
            pieces = []
            for member in range(low // samples, (high - 1) // samples + 1):
                start = max(low - member * samples, 0)
                stop = min(high - member * samples, samples)
                pieces.append(_Piece(group.members[member], start, stop))
            tasks.append((index, pieces))
    return tasks


def _shared_call(context, task) -> tuple[int, list[tuple[_Piece, dict, _Slice]], frozenset]:
    """One task: its pieces' takes in one model call, the outcome cut back into pieces."""
    seed, variants, models, groups = context
    index, pieces = task
    group, model = groups[index], models[index]
    names = variants[group.members[0]].uncertain_names
    drawn = [variants[piece.variant].within_range(
        draw(seed, names, variants[piece.variant].distributions, piece.start, piece.stop))
        for piece in pieces]
    n = sum(piece.stop - piece.start for piece in pieces)

    def values(chosen) -> dict[str, np.ndarray]:
        out = {name: np.concatenate([drawn[k][name] for k in chosen]) for name in names}
        for path in group.values:  # a variant's own value, take by take
            out[path] = np.concatenate([
                np.full(pieces[k].stop - pieces[k].start, variants[pieces[k].variant].nominal[path])
                for k in chosen])
        return out

    on_step = step_callback(n)  # None unless a bar listens (stuntsim.progress)
    try:
        outcome = (model.simulate(values(range(len(pieces))), n) if on_step is None else
                   model.simulate(values(range(len(pieces))), n, on_step=on_step))
    except NumericalError:
        for k, piece in enumerate(pieces):  # the piece's own call names the take
            model.simulate(values([k]), piece.stop - piece.start, first_sample=piece.start)
        raise
    details = outcome.details
    out, offset = [], 0
    for piece, mine in zip(pieces, drawn, strict=True):
        cut = slice(offset, offset + piece.stop - piece.start)
        offset = cut.stop
        out.append((piece, mine, _Slice(
            margins={key: value[cut] for key, value in outcome.margins.items()},
            details={key: value[cut] for key, value in details.items()},
            ending=outcome.ending[cut], progress=outcome.progress[cut])))
    return index, out, frozenset(model.read_paths)


def run_variants(variants: Sequence[ResolvedScenario], samples: int, seed: int, executor,
                 workers, scheduler=None, progress: bool = False, desc: str = "variants",
                 reduce: Callable[[RiskResult], Any] | None = None) -> list:
    """Each variant's run of ``samples`` takes on ``seed``, without trajectories, as
    ``run(variant, samples=samples, seed=seed, keep_trajectories=0)`` returns it — or
    ``reduce(result)``, taken as soon as a variant's takes are all in, so that a study of
    many big runs keeps only what it needs of each. The bar counts every variant's takes.

    Raises what :func:`stuntsim.run` raises, before anything is simulated where it can:
    a run over its budget (:mod:`stuntsim.budget`), a plan that cannot be built.
    """
    variants = list(variants)
    samples, seed = run_size(variants[0], samples, seed)
    models, notes = [], []
    for variant in variants:
        plan_run(variant, samples, chunk_blocks=variant.scenario.simulation.chunk_blocks,
                 probe=False).check(variant.source)
        kind = kind_of(variant)
        models.append(kind.model(variant))
        notes.append(kind.plan_warnings(variant, models[-1]))
    # a variant's arrays are made when its first takes come, and go when its last have
    runs: list[RunTakes | None] = [None] * len(variants)
    groups = _groups(variants)
    shared = [models[group.members[0]] for group in groups]
    cap = min(variants[group.members[0]].scenario.simulation.chunk_blocks
              for group in groups) * BLOCK_SIZE
    total = samples * len(variants)
    left = [samples] * len(variants)
    results: list[Any] = [None] * len(variants)

    bar = tracker = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="take", desc=desc, leave=False)
        tracker = Tracker(bar)
    # a pool only where the study can be cut into tasks worth one each
    with make_executor(executor, workers, n_chunks=math.ceil(total / MIN_TASK_TAKES),
                       scheduler=scheduler) as pool:
        tasks = _plan(groups, samples, cap, slots(pool))
        context = (seed, variants, shared, groups)
        mapped = (pool.map(_shared_call, context, tasks) if tracker is None else
                  pool.map(_shared_call, context, tasks, progress=tracker))
        for number, (_, pieces, read) in enumerate(mapped):
            for piece, drawn, outcome in pieces:
                if runs[piece.variant] is None:
                    runs[piece.variant] = RunTakes(variants[piece.variant],
                                                   models[piece.variant], samples, seed)
                runs[piece.variant].add(piece.start, piece.stop, drawn, outcome, read)
                left[piece.variant] -= piece.stop - piece.start
                if left[piece.variant] == 0:  # all in: the result, and the arrays go
                    result = runs[piece.variant].result(notes[piece.variant], 0)
                    results[piece.variant] = result if reduce is None else reduce(result)
                    runs[piece.variant] = None
            if tracker is not None:
                tracker.finish(number, sum(p.stop - p.start for p, _, _ in pieces))
    if bar is not None:
        bar.close()
    return results
