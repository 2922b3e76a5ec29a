"""A Monte Carlo run of any stunt kind: draws → model → margins → probabilities.

The run is cut into chunks of whole seeding blocks; each chunk draws its samples from the
block streams (:mod:`stuntsim.risk.sampling`), simulates them with the kind's model, and
returns a few numbers per take (margins, how the take ended, the facts behind the
margins). The result does not depend on the chunking or on where a chunk runs. The kind
then completes the result (:meth:`StuntKind.finish`): its facts, a few whole takes
re-simulated for the figures (the model is deterministic given a take's draws).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stuntsim.budget import plan_run
from stuntsim.completion import Completion, check_completion
from stuntsim.errors import ScenarioError, StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.kinds.base import Hazard, unread_uncertain
from stuntsim.parallel import Executor, make_executor
from stuntsim.risk.montecarlo import ANY, MarginAccumulator, ProbabilityEstimate, failed
from stuntsim.risk.sampling import Chunk, draw, plan_chunks
from stuntsim.scenario import MAX_SAMPLES, MAX_SEED, ResolvedScenario

__all__ = ["RiskResult", "StuntWarning", "run"]


@dataclass
class RiskResult:
    """Everything a run yields, for any stunt kind.

    Margins are SI (``hazards[name].display_scale`` converts to the display unit).
    ``details`` holds the model's per-take facts (leading axis: the take), merged over
    chunks; ``facts`` the kind's own view of the run (a car's street and line, a train's
    track and performers), whose attributes read as the result's own: ``result.street``
    for a car, ``result.performer_names`` for a train.
    """

    resolved: ResolvedScenario
    samples: int
    seed: int
    method: str
    hazards: dict[str, Hazard]
    margins: dict[str, np.ndarray]
    estimates: dict[str, ProbabilityEstimate]
    draws: dict[str, np.ndarray]
    details: dict[str, np.ndarray]
    completion: Completion | None = None
    warnings: list[str] = field(default_factory=list)
    trajectories: dict[str, np.ndarray] = field(default_factory=dict)
    trajectory_samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    facts: Any = None
    runtime: float = 0.0

    def __getattr__(self, name: str):
        facts = self.__dict__.get("facts")
        if facts is not None and not name.startswith("__") and hasattr(facts, name):
            return getattr(facts, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def name(self) -> str:
        return self.resolved.scenario.name

    @property
    def kind(self) -> str:
        return self.resolved.scenario.kind

    @property
    def any_hazard(self) -> ProbabilityEstimate:
        return self.estimates[ANY]

    @property
    def any_margin_failed(self) -> np.ndarray:
        """Boolean (n,): a take in which any hazard happened."""
        happened = np.zeros(self.samples, dtype=bool)
        for values in self.margins.values():
            happened |= failed(values)
        return happened


def run(
    scenario: ResolvedScenario,
    samples: int | None = None,
    seed: int | None = None,
    *,
    chunk_blocks: int | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    keep_trajectories: int | None = None,
    progress: bool = False,
) -> RiskResult:
    """Run the stunt ``samples`` times over its uncertain inputs.

    Parameters
    ----------
    scenario : ResolvedScenario   From :func:`stuntsim.load_scenario`, any kind.
    samples, seed : int           Default: the scenario's ``samples`` and ``seed``.
    chunk_blocks : int            Seeding blocks per execution chunk (does not change the
                                  result, only memory and scheduling).
    executor : "auto" (default: a process pool when there are several chunks and cores),
               "serial", "process", "dask" (a Dask cluster: the one at ``scheduler``, or
               a local one of ``workers`` processes), a :class:`distributed.Client`, or
               an executor from :func:`stuntsim.parallel.make_executor` (kept open by
               the caller across runs); the result is the same everywhere
    workers : int                 Local processes (process pool or local Dask cluster).
    scheduler : str               A Dask scheduler's address (implies ``executor="dask"``).
    keep_trajectories : int       Takes kept whole for the figures (default: the
                                  scenario's), plus each hazard's worst.
    progress : bool               Show a tqdm progress bar on stderr.

    Raises
    ------
    ScenarioError       when the run would need more time steps or memory than allowed
                        (:mod:`stuntsim.budget`), before anything is simulated.
    IncompleteRunError  when no take got through the stunt (:mod:`stuntsim.completion`).
    NumericalError      when a draw or a state goes non-finite (names the take).
    """
    started = time.perf_counter()
    spec = scenario.scenario
    samples = spec.samples if samples is None else _bounded("samples", samples, 1, MAX_SAMPLES)
    seed = spec.seed if seed is None else _bounded("seed", seed, 0, MAX_SEED)
    chunk_blocks = spec.simulation.chunk_blocks if chunk_blocks is None else chunk_blocks
    keep = spec.simulation.keep_trajectories if keep_trajectories is None else keep_trajectories

    kind = kind_of(scenario)
    plan_run(scenario, samples, chunk_blocks=chunk_blocks, probe=False).check(scenario.source)
    model = kind.model(scenario)
    notes = kind.plan_warnings(scenario, model)
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=2)
    names = scenario.uncertain_names
    chunks = plan_chunks(samples, chunk_blocks)
    hazards = dict(model.hazards)
    accumulator = MarginAccumulator(hazards, samples)
    draws_all = {name: np.empty(samples) for name in names}
    details: dict[str, np.ndarray] = {}
    ending = np.empty(samples, dtype=np.int8)
    progress_along = np.empty(samples)

    bar = _progress(samples, progress)
    context = (model, seed, names)
    with make_executor(executor, workers, n_chunks=len(chunks),
                       scheduler=scheduler) as pool:
        for chunk, drawn, outcome, read in pool.map(_simulate_chunk, context, chunks):
            if chunk.start == 0:  # the first chunk: every uncertain input must be taken
                _check_read(scenario, names, read)
            _collect(chunk, drawn, outcome, accumulator, names, draws_all, details, ending,
                     progress_along, samples)
            if bar is not None:
                bar.update(chunk.size)
    if bar is not None:
        bar.close()

    unfinished = ending == 0
    completion = check_completion(ending, setting="simulation.duration",
                                  advice=model.completion_advice(progress_along[unfinished]),
                                  source=scenario.source)
    margins = accumulator.margins()
    result = RiskResult(
        resolved=scenario,
        samples=samples,
        seed=seed,
        method="mc",
        hazards=hazards,
        margins={name: np.asarray(margins[name]) for name in hazards},
        estimates=accumulator.estimates(unfinished=unfinished),
        draws=draws_all,
        details=details,
        completion=completion,
        warnings=notes,
    )
    kind.finish(result, model, keep)
    if completion.warning:
        warnings.warn(completion.warning, StuntWarning, stacklevel=2)
        result.warnings.append(completion.warning)
    result.runtime = time.perf_counter() - started
    return result


def _collect(chunk, drawn, outcome, accumulator, names, draws_all, details, ending,
             progress_along, samples) -> None:
    """Put one chunk's takes in their places (by take index: the order chunks arrive in
    does not matter)."""
    accumulator.add(chunk.start, outcome.margins)
    for name in names:
        draws_all[name][chunk.start:chunk.stop] = drawn[name]
    for key, values in outcome.details.items():
        if key not in details:
            details[key] = np.empty((samples, *values.shape[1:]), dtype=values.dtype)
        details[key][chunk.start:chunk.stop] = values
    ending[chunk.start:chunk.stop] = outcome.ending
    progress_along[chunk.start:chunk.stop] = outcome.progress


def _simulate_chunk(context, chunk: Chunk):
    model, seed, names = context
    drawn = model.resolved.within_range(
        draw(seed, names, model.resolved.distributions, chunk.start, chunk.stop))
    outcome = model.simulate(drawn, chunk.size, first_sample=chunk.start)
    return chunk, drawn, outcome, frozenset(model.read_paths)


def _check_read(scenario: ResolvedScenario, names: list[str], read) -> None:
    problem = unread_uncertain(scenario, read)
    if problem is not None:
        raise ScenarioError(problem, source=scenario.source)


def _bounded(label: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or int(value) != value or not low <= int(value) <= high:
        raise ValueError(f"{label} must be a whole number {low}…{high}, got {value!r}")
    return int(value)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="take", desc="simulating", leave=False)
