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


def margin_function(resolved: ResolvedScenario, hazard: str, *, executor=None,
                    progress=None) -> MarginFunction:
    """``f(values (m, d)) -> margins (m,)`` of one hazard, in SI, columns in the order of
    ``resolved.uncertain_names``; evaluated in batches of at most :data:`BATCH` samples
    (and at least one a worker, :data:`MIN_SPLIT` samples or more each), spread over
    ``executor`` (an open executor from
    :func:`stuntsim.parallel.make_executor`; None: in this process).
    ``f.completion()`` says whether the evaluated takes got through the stunt."""
    model = kind_of(resolved).model(resolved)
    if hazard not in model.hazards:
        raise ValueError(f"unknown hazard {hazard!r}: one of {list(model.hazards)}")
    return MarginFunction(model, hazard, resolved.uncertain_names, executor=executor,
                          progress=progress)


class MarginFunction:
    """One hazard's margin (any kind's model) as a function of the uncertain inputs' values,
    keeping count of the takes that did not get through the stunt
    (:mod:`stuntsim.completion`)."""

    def __init__(self, model, hazard: str, names: list[str], *, executor=None,
                 progress=None):
        self.model = model
        self.progress = progress  # a tqdm bar counting evaluated takes, or None
        self.hazard = hazard
        self.names = names
        self.executor = executor if executor is not None else SerialExecutor()
        self._context = (model, hazard, tuple(names))  # one object: a pool is kept for it
        self._endings: list[np.ndarray] = []
        self._progress: list[np.ndarray] = []

    def __call__(self, values: np.ndarray) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        out = np.empty(values.shape[0])
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
            out[start:start + margins.shape[0]] = margins
            if tracker is not None:
                tracker.finish(index, margins.shape[0])
            self._endings.append(ending)
            self._progress.append(progress)
        return out

    def completion(self) -> Completion:
        """How the evaluated takes ended; warns (:class:`~stuntsim.errors.StuntWarning`)
        below :data:`~stuntsim.completion.COMPLETION_THRESHOLD` and raises
        :class:`~stuntsim.errors.IncompleteRunError` when none got through."""
        completion = check_completion(
            np.concatenate(self._endings), setting="simulation.duration",
            advice=self.model.completion_advice(np.concatenate(self._progress)),
            source=self.model.resolved.source)
        if completion.warning:
            warnings.warn(completion.warning, StuntWarning, stacklevel=2)
        return completion


def _evaluate_batch(context, batch):
    """One batch of takes: (start, margins of the hazard, endings, unfinished progress)."""
    model, hazard, names = context
    start, part = batch
    draws = model.resolved.within_range({name: part[:, j] for j, name in enumerate(names)})
    on_step = step_callback(part.shape[0])  # None unless a bar listens
    outcome = (model.simulate(draws, part.shape[0], first_sample=start) if on_step is None
               else model.simulate(draws, part.shape[0], first_sample=start, on_step=on_step))
    return (start, outcome.margins[hazard], outcome.ending,
            outcome.progress[~outcome.completed], frozenset(model.read_paths))
