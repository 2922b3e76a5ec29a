"""A Monte Carlo run: draws → model → margins → probabilities with intervals.

The run is cut into chunks of whole seeding blocks; each chunk draws its samples from the
block streams (:mod:`stuntsim.risk.sampling`), simulates them, and returns a few numbers
per sample (margins, what was hit, impact speeds). A handful of trajectories are
re-simulated at the end for the plots: the model is deterministic given a sample's draws,
so re-running a sample alone reproduces it exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stuntsim.completion import Completion, check_completion
from stuntsim.errors import StuntWarning
from stuntsim.geometry import StreetGeometry
from stuntsim.hazards import Hazard
from stuntsim.kinds.car.model import CarModel, ChunkOutcome
from stuntsim.parallel import Executor, make_executor
from stuntsim.risk.montecarlo import ANY, MarginAccumulator, ProbabilityEstimate, failed
from stuntsim.risk.sampling import Chunk, draw, plan_chunks
from stuntsim.scenario import ResolvedScenario

__all__ = ["RiskResult", "StuntWarning", "run"]

DETAIL_FIELDS = (
    "collision_object", "collision_time", "collision_speed", "collision_normal_speed",
    "collision_angle", "person_index", "person_time", "person_speed", "person_closest_speed",
    "kerb_slide_speed", "departure_drop", "departure_time", "departure_speed",
    "departure_height", "barrier_breached", "barrier_impact_energy",
    "max_speed", "max_lateral_acceleration", "completed", "ending", "progress",
    "walker_index", "walker_step_out_time", "walker_seen_time", "walker_detect_time",
    "walker_sight_distance", "walker_sight_speed", "walker_stop_time", "walker_struck_front",
)


@dataclass
class RiskResult:
    """Everything a run yields: per-sample margins and draws, estimates, kept trajectories.

    Margins are SI (``hazards[name].display_scale`` converts to the display unit).
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
    street: StreetGeometry
    path: Any
    planned_speed: np.ndarray  # the nominal speed plan at path.s [m/s]
    trajectories: dict[str, np.ndarray] = field(default_factory=dict)
    trajectory_samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    warnings: list[str] = field(default_factory=list)
    completion: Completion | None = None

    @property
    def name(self) -> str:
        return self.resolved.scenario.name

    @property
    def any_hazard(self) -> ProbabilityEstimate:
        return self.estimates[ANY]

    @property
    def any_margin_failed(self) -> np.ndarray:
        """Boolean (n,): a sample in which any hazard happened."""
        happened = np.zeros(self.samples, dtype=bool)
        for values in self.margins.values():
            happened |= failed(values)
        return happened

    def outcome_labels(self) -> np.ndarray:
        """One word per sample for plots: the most serious thing that happened."""
        labels = np.full(self.samples, "safe", dtype=object)
        near = self.near_miss()
        labels[near] = "near miss"
        order = ["loss_of_control", "rollover", "tripped_rollover", "collision",
                 "departure", "person_struck"]
        for name in order:
            if name in self.margins:
                labels[failed(self.margins[name])] = name
        return labels

    def near_miss(self) -> np.ndarray:
        """Boolean (n,): no contact, but closer than the scenario's near-miss distance."""
        threshold = self.resolved.scenario.simulation.near_miss
        clearance = np.minimum(self.margins["collision"], self.margins["person_struck"])
        if "departure" in self.margins:
            clearance = np.minimum(clearance, self.margins["departure"])
        return (clearance >= 0) & (clearance < threshold)

    def object_hit(self, sample: int) -> str:
        """What the car came closest to (or hit) in a sample, for people."""
        index = int(self.details["collision_object"][sample])
        return self.street.collision_name(index)

    def person_hit(self, sample: int) -> str:
        return self.street.person_label(int(self.details["person_index"][sample]))


def run(
    scenario: ResolvedScenario,
    samples: int | None = None,
    seed: int | None = None,
    *,
    chunk_blocks: int | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    keep_trajectories: int | None = None,
    progress: bool = False,
) -> RiskResult:
    """Run the stunt ``samples`` times over its uncertain inputs.

    A ``kind: train`` scenario runs :func:`stuntsim.kinds.train.runner.run` and returns its
    :class:`~stuntsim.kinds.train.runner.TrainResult`; the rest of this docstring is the car's.

    Parameters
    ----------
    scenario : ResolvedScenario   From :func:`stuntsim.load_scenario`.
    samples, seed : int           Default: the scenario's ``samples`` and ``seed``.
    chunk_blocks : int            Seeding blocks per execution chunk (does not change the
                                  result, only memory and scheduling).
    executor : "auto" (default: a process pool when there are several chunks and cores),
               "serial", "process", or an object with the Executor ``map`` method
    keep_trajectories : int       Trajectories kept for plots (default: the scenario's).
    progress : bool               Show a tqdm progress bar on stderr.
    """
    spec = scenario.scenario
    if spec.kind == "train":  # the train-roof stunt has its own model and result
        from stuntsim.kinds.train.runner import run as run_train

        return run_train(scenario, samples, seed, chunk_blocks=chunk_blocks, executor=executor,
                         workers=workers, keep_trajectories=keep_trajectories,
                         progress=progress)
    samples = spec.samples if samples is None else int(samples)
    seed = spec.seed if seed is None else int(seed)
    if samples < 1:
        raise ValueError(f"samples must be ≥ 1, got {samples}")
    if seed < 0:
        raise ValueError(f"seed must be ≥ 0, got {seed}")
    chunk_blocks = spec.simulation.chunk_blocks if chunk_blocks is None else chunk_blocks
    keep = spec.simulation.keep_trajectories if keep_trajectories is None else keep_trajectories

    notes = _check_plan(scenario)
    model = CarModel(scenario)
    names = scenario.uncertain_names
    chunks = plan_chunks(samples, chunk_blocks)

    hazards = dict(model.hazards)
    accumulator = MarginAccumulator(hazards, samples)
    draws_all = {name: np.empty(samples) for name in names}
    details: dict[str, np.ndarray] = {}

    bar = _progress(samples, progress)
    context = (model, seed, names)
    for chunk, drawn, outcome in make_executor(executor, workers, n_chunks=len(chunks)).map(
        _simulate_chunk, context, chunks
    ):
        accumulator.add(chunk.start, outcome.margins)
        for name in names:
            draws_all[name][chunk.start:chunk.stop] = drawn[name]
        for key in DETAIL_FIELDS:
            value = getattr(outcome, key)
            if key not in details:
                details[key] = np.empty(samples, dtype=value.dtype)
            details[key][chunk.start:chunk.stop] = value
        if bar is not None:
            bar.update(chunk.size)
    if bar is not None:
        bar.close()

    completion = check_completion(details["ending"], setting="simulation.duration",
                                  advice=model.completion_advice(
                                      details["progress"][~details["completed"]]),
                                  source=scenario.source)
    if completion.warning:
        warnings.warn(completion.warning, StuntWarning, stacklevel=2)
        notes.append(completion.warning)
    margins = accumulator.margins()
    estimates = accumulator.estimates(unfinished=~details["completed"])
    result = RiskResult(
        resolved=scenario,
        samples=samples,
        seed=seed,
        method="mc",
        hazards=hazards,
        margins={name: np.asarray(margins[name]) for name in hazards},
        estimates=estimates,
        draws=draws_all,
        details=details,
        street=model.street,
        path=model.path,
        planned_speed=model.planned_speed(),
        warnings=notes,
        completion=completion,
    )
    _keep_trajectories(result, model, keep)
    return result


def _simulate_chunk(context, chunk: Chunk) -> tuple[Chunk, dict, ChunkOutcome]:
    model, seed, names = context
    drawn = draw(seed, names, model.resolved.distributions, chunk.start, chunk.stop)
    outcome = model.simulate(drawn, chunk.size, first_sample=chunk.start)
    return chunk, drawn, outcome


def _keep_trajectories(result: RiskResult, model: CarModel, keep: int) -> None:
    """Re-simulate a few samples with their trajectories: the first ``keep`` and the worst.

    ``keep == 0`` keeps none (and re-simulates nothing).
    """
    if keep <= 0:
        return
    regular = np.arange(min(keep, result.samples))
    worst = [int(np.argmin(values)) for values in result.margins.values()]
    chosen = np.unique(np.concatenate([regular, np.asarray(worst, dtype=int)]))
    if chosen.size == 0:
        return
    drawn = {name: values[chosen] for name, values in result.draws.items()}
    outcome = model.simulate(drawn, chosen.size, record=True)
    result.trajectories = outcome.trajectories or {}
    result.trajectory_samples = chosen


def _check_plan(scenario: ResolvedScenario) -> list[str]:
    """Warnings for plans that are doubtful but not invalid."""
    notes = []
    top = scenario.nominal.get("vehicle.top_speed")
    for key in ("maneuver.entry_speed", "maneuver.corner_speed", "maneuver.exit_speed"):
        value = scenario.nominal.get(key)
        if top is not None and value is not None and value > top:
            notes.append(
                f"{key} = {value * 3.6:.0f} km/h is beyond the vehicle's top speed "
                f"({top * 3.6:.0f} km/h): the car cannot reach the plan"
            )
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=3)
    return notes


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="sample", desc="simulating", leave=False)


