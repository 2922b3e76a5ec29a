"""A Monte Carlo run of any stunt kind: draws → model → margins → probabilities.

The run is cut into chunks of whole seeding blocks; each chunk draws its samples from the
block streams (:mod:`stuntsim.risk.sampling`), simulates them with the kind's model, and
returns a few numbers per take (margins, how the take ended, the facts behind the
margins). The result does not depend on the chunking or on where a chunk runs. The kind
then completes the result (:meth:`StuntKind.finish`): its facts, a few whole takes
re-simulated for the figures (the model is deterministic given a take's draws).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stuntsim.budget import plan_run
from stuntsim.checkpoint import Checkpoint
from stuntsim.completion import Completion, check_completion
from stuntsim.errors import ScenarioError, StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.kinds.base import Hazard, unread_uncertain
from stuntsim.parallel import Executor, make_executor
from stuntsim.progress import Relay, Tracker, step_callback
from stuntsim.risk.montecarlo import ANY, MarginAccumulator, ProbabilityEstimate, failed
from stuntsim.risk.sampling import BLOCK_SIZE, Chunk, draw, plan_chunks
from stuntsim.scenario import MAX_SAMPLES, MAX_SEED, ResolvedScenario

__all__ = ["RiskResult", "StuntWarning", "load_result", "replay", "run"]

log = logging.getLogger(__name__)


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
    #: how each take ended (stuntsim.completion.ENDINGS codes) and how far it got [m]
    run_ending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    run_progress: np.ndarray = field(default_factory=lambda: np.zeros(0))

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

    def to_frame(self):
        """The takes as a pandas DataFrame, one row per take: drawn inputs (the scenario's
        names and units), margins, outcomes, what was hit (:mod:`stuntsim.takes`)."""
        from stuntsim.takes import to_frame

        return to_frame(self)

    def __repr__(self) -> str:
        shown = [ANY, *self.hazards][:7]
        parts = ", ".join(
            f"{'any hazard' if name == ANY else name} {self.estimates[name].probability:.3g}"
            for name in shown)
        return (f"<RiskResult {self.name!r} ({self.kind}): {self.samples} takes, seed "
                f"{self.seed}, {self.method}: {parts}>")

    def _repr_html_(self) -> str:
        from html import escape

        rows = []
        for name in [*self.hazards, ANY]:
            estimate = self.estimates[name]
            low, high = estimate.ci95
            label = "any hazard" if name == ANY else name
            rows.append(f"<tr><td>{escape(label)}</td><td>{estimate.probability:.3g}</td>"
                        f"<td>[{low:.3g}, {high:.3g}]</td>"
                        f"<td>{estimate.failures}/{estimate.n}</td></tr>")
        warned = "".join(f"<li>{escape(note)}</li>" for note in self.warnings)
        return (f"<div><b>{escape(self.name)}</b> ({escape(self.kind)}): {self.samples} "
                f"takes, seed {self.seed}, {escape(self.method)}"
                f"<table><thead><tr><th>hazard</th><th>P per take</th>"
                f"<th>95 % interval</th><th>takes</th></tr></thead><tbody>{''.join(rows)}"
                f"</tbody></table>{f'<ul>{warned}</ul>' if warned else ''}</div>")

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
    progress: bool | Callable[[int], None] = False,
    checkpoint: str | Path | Checkpoint | None = None,
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
    progress : bool               Show a tqdm progress bar on stderr, counting takes; it
                                  moves while a chunk runs (:mod:`stuntsim.progress`).
                                  A callable instead is given the takes done so far.
    checkpoint : folder           Keep each finished chunk there, and take the chunks
                                  already there instead of simulating them again: a run
                                  cut short resumes where it stopped, with the same
                                  numbers (:mod:`stuntsim.checkpoint`; refused if the
                                  folder holds another run's chunks).

    Raises
    ------
    ScenarioError       when the run would need more time steps or memory than allowed
                        (:mod:`stuntsim.budget`), before anything is simulated.
    IncompleteRunError  when no take got through the stunt (:mod:`stuntsim.completion`).
    NumericalError      when a draw or a state goes non-finite (names the take).
    """
    started = time.perf_counter()
    spec = scenario.scenario
    samples, seed = run_size(scenario, samples, seed)
    chunk_blocks = spec.simulation.chunk_blocks if chunk_blocks is None else chunk_blocks
    keep = spec.simulation.keep_trajectories if keep_trajectories is None else keep_trajectories

    kind = kind_of(scenario)
    plan_run(scenario, samples, chunk_blocks=chunk_blocks, probe=False).check(scenario.source)
    model = kind.model(scenario)
    notes = kind.plan_warnings(scenario, model)
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=2)
    chunks = plan_chunks(samples, chunk_blocks)
    takes = RunTakes(scenario, model, samples, seed)
    names = takes.names
    store = (checkpoint if isinstance(checkpoint, Checkpoint) or checkpoint is None
             else Checkpoint.open(checkpoint, scenario, seed, chunk_blocks))
    todo = chunks
    if store is not None:  # the chunks a run cut short has done already
        todo = []
        for chunk in chunks:
            kept = store.load(chunk)
            if kept is None:
                todo.append(chunk)
            else:
                takes.add(chunk.start, chunk.stop, kept.drawn, kept, kept.read)
        log.info("checkpoint %s: %d of %d chunks already done", store.folder,
                 len(chunks) - len(todo), len(chunks))

    bar = _progress(samples, progress)
    kept = samples - sum(chunk.size for chunk in todo)  # taken from the checkpoint
    if bar is not None and kept:
        bar.update(kept)
    tracker = Tracker(bar) if bar is not None else None
    context = (model, seed, names)
    log.info("%s: %d takes, seed %d, in %d chunk(s) of %d block(s) of %d takes; %d uncertain "
             "inputs", scenario.source, samples, seed, len(chunks), chunk_blocks, BLOCK_SIZE,
             len(names))
    with make_executor(executor, workers, n_chunks=len(todo),
                       scheduler=scheduler) as pool:
        log.info("executor: %s", pool.describe() if hasattr(pool, "describe") else
                 type(pool).__name__)
        mapped = (pool.map(_simulate_chunk, context, todo) if tracker is None else
                  pool.map(_simulate_chunk, context, todo, progress=tracker))
        for index, (chunk, drawn, outcome, read) in enumerate(mapped):
            if store is not None:
                store.save(chunk, drawn, outcome, read)
            takes.add(chunk.start, chunk.stop, drawn, outcome, read)
            if tracker is not None:
                tracker.finish(index, chunk.size)
    if bar is not None:
        bar.close()

    result = takes.result(notes, keep)
    completion = result.completion
    if completion.warning:
        warnings.warn(completion.warning, StuntWarning, stacklevel=2)
    result.runtime = time.perf_counter() - started
    log.info("%d of %d takes got through the stunt; %s in %.1f s", completion.completed,
             samples, ", ".join(f"{name} {result.estimates[name].failures}"
                                for name in result.hazards), result.runtime)
    return result


class RunTakes:
    """A run's takes as its chunks return them, each put in its place by take index (the
    order chunks arrive in does not matter), and the result they make.

    :func:`run` fills one from its chunks; a study that simulates several variants' takes
    in one model call (:mod:`stuntsim.studies.variants`) fills one per variant from its
    slices of each call, so either way a variant's result is built by the same lines.
    """

    def __init__(self, scenario: ResolvedScenario, model, samples: int, seed: int):
        self.scenario, self.model, self.samples, self.seed = scenario, model, samples, seed
        self.names = scenario.uncertain_names
        self.hazards = dict(model.hazards)
        self.accumulator = MarginAccumulator(self.hazards, samples)
        self.draws = {name: np.empty(samples) for name in self.names}
        self.details: dict[str, np.ndarray] = {}
        self.ending = np.empty(samples, dtype=np.int8)
        self.progress = np.empty(samples)

    def add(self, start: int, stop: int, drawn, outcome, read) -> None:
        """Takes ``start`` … ``stop − 1``: their draws (path → array) and the model's
        outcome for them; ``read``: the paths the model looked up take by take (checked
        with the first takes: every uncertain input must be taken)."""
        if start == 0:
            _check_read(self.scenario, self.names, read)
        self.accumulator.add(start, outcome.margins)
        for name in self.names:
            self.draws[name][start:stop] = drawn[name]
        for key, values in outcome.details.items():
            if key not in self.details:
                self.details[key] = np.empty((self.samples, *values.shape[1:]),
                                             dtype=values.dtype)
            self.details[key][start:stop] = values
        self.ending[start:stop] = outcome.ending
        self.progress[start:stop] = outcome.progress

    def result(self, notes: list[str], keep: int) -> RiskResult:
        """The run's result once every take is in: its estimates, completion and the
        kind's facts (:meth:`StuntKind.finish`, which re-simulates ``keep`` takes and each
        hazard's worst for the figures). ``notes``: the plan's warnings; the completion's
        warning, if any, is added to ``result.warnings`` (the caller says it)."""
        model = self.model
        unfinished = self.ending == 0
        completion = check_completion(self.ending, setting="simulation.duration",
                                      advice=model.completion_advice(
                                          self.progress[unfinished]),
                                      source=self.scenario.source)
        margins = self.accumulator.margins()
        result = RiskResult(
            resolved=self.scenario,
            samples=self.samples,
            seed=self.seed,
            method="mc",
            hazards=self.hazards,
            margins={name: np.asarray(margins[name]) for name in self.hazards},
            estimates=self.accumulator.estimates(unfinished=unfinished),
            draws=self.draws,
            details=self.details,
            completion=completion,
            warnings=notes,
            run_ending=self.ending,
            run_progress=self.progress,
        )
        kind_of(self.scenario).finish(result, model, keep)
        if completion.warning:
            result.warnings.append(completion.warning)
        return result


def _simulate_chunk(context, chunk: Chunk):
    model, seed, names = context
    drawn = model.resolved.within_range(
        draw(seed, names, model.resolved.distributions, chunk.start, chunk.stop))
    on_step = step_callback(chunk.size)  # None unless a bar listens (stuntsim.progress)
    outcome = (model.simulate(drawn, chunk.size, first_sample=chunk.start) if on_step is None
               else model.simulate(drawn, chunk.size, first_sample=chunk.start,
                                   on_step=on_step))
    return chunk, drawn, outcome, frozenset(model.read_paths)


def _check_read(scenario: ResolvedScenario, names: list[str], read) -> None:
    problem = unread_uncertain(scenario, read)
    if problem is not None:
        raise ScenarioError(problem, source=scenario.source)


def run_size(scenario: ResolvedScenario, samples, seed) -> tuple[int, int]:
    """A run's takes and seed: the arguments where given (checked: a :class:`ValueError`
    for one that is not a whole number in range), else the scenario's."""
    spec = scenario.scenario
    return (spec.samples if samples is None else _bounded("samples", samples, 1, MAX_SAMPLES),
            spec.seed if seed is None else _bounded("seed", seed, 0, MAX_SEED))


def _bounded(label: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or int(value) != value or not low <= int(value) <= high:
        raise ValueError(f"{label} must be a whole number {low}…{high}, got {value!r}")
    return int(value)


def _progress(total: int, enabled, desc: str = "simulating"):
    """A progress bar on stderr (a widget in a notebook: tqdm.auto); a relay to a callable
    (a run inside a study's task); or None."""
    if not enabled:
        return None
    if callable(enabled):
        return Relay(enabled)
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="take", desc=desc, leave=False, mininterval=0.5)


def load_result(directory) -> RiskResult:
    """Reopen a finished run from its output folder (``stuntsim run ... --out DIR``).

    Reads ``DIR/scenario.yaml`` (the file the run used, copied there) and
    ``DIR/result.npz`` (:mod:`stuntsim.takes`); nothing is simulated. The result is the one
    the run returned — estimates, completion and the kind's facts rebuilt from the saved
    arrays (the kind's model is built for its geometry, not run) — so its summary is the
    one written and every plot works on it.
    """
    import dataclasses
    from pathlib import Path

    from stuntsim.scenario import load_scenario
    from stuntsim.takes import read_npz

    directory = Path(directory)
    saved, scenario_file = directory / "result.npz", directory / "scenario.yaml"
    for path in (saved, scenario_file):
        if not path.is_file():
            raise ScenarioError(f"{path} does not exist: load_result needs a folder written "
                                f"by `stuntsim run` (summary.json, scenario.yaml, "
                                f"result.npz)", source=str(directory))
    meta, groups, rest = read_npz(saved)
    # the copy, named as the file the run read (its summary says where that was)
    resolved = dataclasses.replace(load_scenario(scenario_file), source=meta["source"])
    if resolved.sha256 != meta["scenario_sha256"]:
        raise ScenarioError(f"{scenario_file} is not the file the run used (its SHA-256 "
                            f"differs)", source=str(scenario_file))
    kind = kind_of(resolved)
    model = kind.model(resolved)
    hazards = dict(model.hazards)
    accumulator = MarginAccumulator(hazards, meta["samples"])
    accumulator.add(0, {name: groups["margin"][name] for name in hazards})
    ending, progress = rest["run_ending"], rest["run_progress"]
    unfinished = ending == 0
    completion = check_completion(ending, setting="simulation.duration",
                                  advice=model.completion_advice(progress[unfinished]),
                                  source=resolved.source)
    margins = accumulator.margins()
    result = RiskResult(
        resolved=resolved, samples=meta["samples"], seed=meta["seed"],
        method=meta["method"], hazards=hazards,
        margins={name: np.asarray(margins[name]) for name in hazards},
        estimates=accumulator.estimates(unfinished=unfinished), draws=groups["draw"],
        details=groups["detail"], completion=completion, warnings=list(meta["warnings"]),
        run_ending=ending, run_progress=progress)
    kind.finish(result, model, 0)
    result.trajectories = groups["trajectory"]
    result.trajectory_samples = rest["trajectory_samples"]
    result.runtime = meta["runtime"]
    return result


def replay(result: RiskResult, takes) -> tuple[dict[str, np.ndarray], Any]:
    """Simulate chosen takes of a finished run again, whole, with their steps recorded.

    Each take's draws come from the run's seed and the streams of its seeding block, as
    the run's chunk drew them (:func:`_simulate_chunk`: :func:`stuntsim.risk.sampling.draw`
    kept within the scenario's ranges), and the model is deterministic given a take's
    draws — the way :meth:`StuntKind.finish` re-simulates the takes kept for the figures —
    so a replayed take is the run's own: its margins bit-identical. Only a Monte Carlo run
    (``method == "mc"``) draws its takes from the block streams.

    Returns the draws (path → (k,) array) and the model's outcome, rows in the order of
    ``takes``. Raises :class:`ValueError` for a take outside ``0 … samples − 1`` and
    :class:`~stuntsim.errors.ScenarioError` for a run of another method.
    """
    takes = [int(take) for take in takes]
    if not takes:
        raise ValueError("no takes to replay")
    outside = [take for take in takes if not 0 <= take < result.samples]
    if outside:
        raise ValueError(f"take {outside[0]} is out of range: the run has {result.samples} "
                         f"takes (0…{result.samples - 1})")
    if result.method != "mc":
        raise ScenarioError(f"the takes of a {result.method} run are not drawn from the "
                            f"block streams: only a Monte Carlo run can be replayed",
                            source=result.resolved.source)
    resolved = result.resolved
    names = resolved.uncertain_names
    model = kind_of(resolved).model(resolved)
    parts = [resolved.within_range(draw(result.seed, names, resolved.distributions, take,
                                        take + 1)) for take in takes]
    drawn = {name: np.concatenate([part[name] for part in parts]) for name in names}
    return drawn, model.simulate(drawn, len(takes), record=True)
