"""A scenario's hazard margin as a function of its uncertain inputs: the bridge between the
estimators of :mod:`stuntsim.risk` (which see only arrays) and any kind's model.

The uncertain inputs are the columns of an array, in the order of
``resolved.uncertain_names``; the model's margin of one hazard is what the estimators
evaluate, in batches of whole takes.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from stuntsim.checkpoint import scenario_fingerprint
from stuntsim.completion import Completion, check_completion
from stuntsim.errors import ScenarioError, StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.kinds.base import unread_uncertain
from stuntsim.parallel import SerialExecutor, slots
from stuntsim.progress import Tracker, step_callback
from stuntsim.scenario import ResolvedScenario

BATCH = 8192  # samples per model call (the model's fast regime)
#: The fewest samples a call is cut into batches of to use every worker of a pool (a
#: subset level's Markov-chain step of 800 samples runs as two of 400 on two workers).
MIN_SPLIT = 128


class SharedPoints:
    """Every hazard's margins at the last few point sets evaluated, for estimators of
    several hazards of one scenario (``stuntsim run --method qmc|subset`` estimates each
    in turn): run on the same seed, they evaluate the same points — QMC's nets, subset
    simulation's level 0 — and the model, which returns every hazard's margin at once, then
    runs once for all of them. A point set is reused only where it is equal, value for value,
    to one kept (each take's margins depend only on its own inputs). ``keep``: how many point
    sets are kept (oldest dropped first)."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self.sets: list[tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]] = []
        self.reused = 0  # takes not simulated again
        self._scenario: str | None = None

    def bind(self, resolved: ResolvedScenario) -> None:
        """Serve one scenario only: its values, whatever its samples and seed (a
        :class:`ValueError` for another, whose margins these are not)."""
        key = scenario_fingerprint(resolved)
        if self._scenario is None:
            self._scenario = key
        elif key != self._scenario:
            raise ValueError("these shared points belong to another scenario")

    def find(self, values: np.ndarray):
        for index, (points, margins, ending, progress) in enumerate(self.sets):
            if points.shape == values.shape and np.array_equal(points, values):
                self.sets.append(self.sets.pop(index))  # most recently used last
                self.reused += values.shape[0]
                return margins, ending, progress
        return None

    def add(self, values: np.ndarray, margins, ending, progress) -> None:
        self.sets.append((values.copy(), margins, ending, progress))
        del self.sets[:-self.keep]


def margin_function(resolved: ResolvedScenario, hazard: str, *, executor=None,
                    progress=None, shared: SharedPoints | None = None) -> MarginFunction:
    """``f(values (m, d)) -> margins (m,)`` of one hazard, in SI, columns in the order of
    ``resolved.uncertain_names``; evaluated in batches of at most :data:`BATCH` samples
    (and at least one a worker, :data:`MIN_SPLIT` samples or more each), spread over
    ``executor`` (an open executor from
    :func:`stuntsim.parallel.make_executor`; None: in this process).
    ``f.completion()`` says whether the evaluated takes got through the stunt.
    ``shared``: point sets already evaluated for another hazard of this scenario
    (:class:`SharedPoints`), reused where the points are the same."""
    model = kind_of(resolved).model(resolved)
    if hazard not in model.hazards:
        raise ValueError(f"unknown hazard {hazard!r}: one of {list(model.hazards)}")
    return MarginFunction(model, hazard, resolved.uncertain_names, executor=executor,
                          progress=progress, shared=shared)


class MarginFunction:
    """One hazard's margin (any kind's model) as a function of the uncertain inputs' values,
    keeping count of the takes that did not get through the stunt
    (:mod:`stuntsim.completion`)."""

    def __init__(self, model, hazard: str, names: list[str], *, executor=None,
                 progress=None, shared: SharedPoints | None = None):
        self.model = model
        self.shared = shared
        self.progress = progress  # a tqdm bar counting evaluated takes, or None
        self.hazard = hazard
        self.names = names
        self.executor = executor if executor is not None else SerialExecutor()
        self._context = (model, tuple(names))  # one object: a pool is kept for it
        if shared is not None:
            shared.bind(model.resolved)
        self._endings: list[np.ndarray] = []
        self._progress: list[np.ndarray] = []

    def __call__(self, values: np.ndarray) -> np.ndarray:
        margins, ending, progress = self.every(values)
        self.record(ending, progress)
        return margins[self.hazard].copy()

    def record(self, ending: np.ndarray, progress: np.ndarray) -> None:
        """Count takes towards :meth:`completion` (their endings and progress)."""
        self._endings.append(ending)
        self._progress.append(progress[ending == 0])

    def every(self, values: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray,
                                                 np.ndarray]:
        """Every hazard's margins at ``values`` (m, d), with the takes' endings and how
        far each got; not counted towards :meth:`completion` (:meth:`__call__` counts)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        kept = self.shared.find(values) if self.shared is not None else None
        if kept is not None:  # another hazard's estimator evaluated these very points
            if self.progress is not None:
                self.progress.update(values.shape[0])
            return kept
        every = {name: np.empty(values.shape[0]) for name in self.model.hazards}
        endings, reached = [], []
        m = values.shape[0]
        # at most BATCH a call, and one batch a worker where the samples allow
        parts = max(math.ceil(m / BATCH), min(slots(self.executor), m // MIN_SPLIT), 1)
        bounds = [round(k * m / parts) for k in range(parts + 1)]
        batches = [(low, values[low:high]) for low, high in itertools.pairwise(bounds)]
        # the bar counts takes, and moves while a batch runs (stuntsim.progress)
        tracker = Tracker(self.progress) if self.progress is not None else None
        mapped = (self.executor.map(_evaluate_batch, self._context, batches)
                  if tracker is None else
                  self.executor.map(_evaluate_batch, self._context, batches, progress=tracker))
        for index, (start, margins, ending, progress, read) in enumerate(mapped):
            problem = unread_uncertain(self.model.resolved, read)
            if problem is not None:
                raise ScenarioError(problem, source=self.model.resolved.source)
            size = ending.shape[0]
            for name, values_of in margins.items():
                every[name][start:start + size] = values_of
            if tracker is not None:
                tracker.finish(index, size)
            endings.append(ending)
            reached.append(progress)
        ending, progress = np.concatenate(endings), np.concatenate(reached)
        if self.shared is not None:
            self.shared.add(values, every, ending, progress)
        return every, ending, progress

    def completion(self) -> Completion:
        """How the evaluated takes ended; warns (:class:`~stuntsim.errors.StuntWarning`)
        below :data:`~stuntsim.completion.COMPLETION_THRESHOLD` and raises
        :class:`~stuntsim.errors.IncompleteRunError` when none got through."""
        return takes_completion(self.model, self._endings, self._progress)


def takes_completion(model, endings: list[np.ndarray], unfinished: list[np.ndarray]
                     ) -> Completion:
    """How the takes evaluated for an estimate ended (``endings``, and ``unfinished``: how
    far those still under way got); warns (:class:`~stuntsim.errors.StuntWarning`) below
    :data:`~stuntsim.completion.COMPLETION_THRESHOLD` and raises
    :class:`~stuntsim.errors.IncompleteRunError` when none got through."""
    completion = check_completion(
        np.concatenate(endings), setting="simulation.duration",
        advice=model.completion_advice(np.concatenate(unfinished)),
        source=model.resolved.source)
    if completion.warning:
        warnings.warn(completion.warning, StuntWarning, stacklevel=3)
    return completion


def _evaluate_batch(context, batch):
    """One batch of takes: (start, every hazard's margins, endings, how far each take got,
    the paths read)."""
    model, names = context
    start, part = batch
    draws = model.resolved.within_range({name: part[:, j] for j, name in enumerate(names)})
    on_step = step_callback(part.shape[0])  # None unless a bar listens
    outcome = (model.simulate(draws, part.shape[0], first_sample=start) if on_step is None
               else model.simulate(draws, part.shape[0], first_sample=start, on_step=on_step))
    return (start, outcome.margins, outcome.ending, outcome.progress,
            frozenset(model.read_paths))
