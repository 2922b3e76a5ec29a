"""A Monte Carlo run of the train-roof stunt: draws → model → margins → probabilities.

Mirrors :func:`stuntsim.runner.run`: the run is cut into chunks of whole seeding blocks,
each chunk draws its samples from the block streams (:mod:`stuntsim.risk.sampling`), so
the result does not depend on the chunking or on the executor; each chunk returns a few
numbers per sample and performer (running minima, never samples × steps). A handful of
runs are re-simulated whole at the end for the plots (the model is deterministic given a
sample's draws).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from stuntsim.completion import Completion, check_completion
from stuntsim.hazards import Hazard
from stuntsim.kinds.train.harm import train_harm
from stuntsim.kinds.train.model import TrainModel, TrainOutcome
from stuntsim.kinds.train.motion import cant_deficiency
from stuntsim.kinds.train.schema import POSTURE_NAMES
from stuntsim.kinds.train.track import Track
from stuntsim.parallel import Executor, make_executor
from stuntsim.risk.montecarlo import (
    ANY,
    MarginAccumulator,
    ProbabilityEstimate,
    binomial_interval,
    estimate_probability,
    failed,
)
from stuntsim.risk.sampling import Chunk, draw, plan_chunks
from stuntsim.runner import StuntWarning
from stuntsim.scenario import ResolvedScenario

__all__ = ["CANT_DEFICIENCY_LIMIT", "SegmentRisk", "TrainResult", "run"]

#: Cant deficiency beyond which a planned curve speed is flagged as an overspeed [m]
#: (usual limits ≈ 100–150 mm, REFERENCES.md "Train roof").
CANT_DEFICIENCY_LIMIT = 0.150


@dataclass(frozen=True)
class SegmentRisk:
    """Where runs first went wrong: for each track segment, how many samples had their first
    failure there, and the probability with its 95 % interval (per take)."""

    segments: list[str]
    counts: np.ndarray  # (G,) int
    probability: np.ndarray  # (G,)
    ci95: np.ndarray  # (G, 2)
    n: int


@dataclass
class TrainResult:
    """Everything a train-roof run yields (SI units inside).

    ``margins``/``estimates`` are per hazard for any performer (the minimum over
    performers), as in :class:`stuntsim.runner.RiskResult`; ``estimates`` also holds
    ``"any"``. ``performer_margins[h]`` is (n, P); ``details[h][field]`` (n,) holds the
    facts at the worst moment of the worst performer (``performer`` is its index), and
    ``performer_details[h][field]`` (n, P) the same per performer. ``structure_margins``
    (n, P, S) is the smallest clearance margin under each overhead structure.
    ``first_failure[h]`` has ``time`` [s] and ``segment`` (−1: never) of the first
    negative margin (``"any"``: of any hazard). ``harm[h]`` holds per-sample P(death)
    (``fatality``) and ``serious_injury`` (NaN: no relation).
    """

    resolved: ResolvedScenario
    samples: int
    seed: int
    method: str
    hazards: dict[str, Hazard]
    margins: dict[str, np.ndarray]
    estimates: dict[str, ProbabilityEstimate]
    performer_names: list[str]
    performer_margins: dict[str, np.ndarray]
    performer_estimates: dict[str, list[ProbabilityEstimate]]
    details: dict[str, dict[str, np.ndarray]]
    performer_details: dict[str, dict[str, np.ndarray]]
    structure_names: list[str]
    structure_margins: np.ndarray
    first_failure: dict[str, dict[str, np.ndarray]]
    harm: dict[str, dict[str, np.ndarray]]
    draws: dict[str, np.ndarray]
    max_speed: np.ndarray
    completed: np.ndarray
    segment_names: list[str]
    segment_starts: np.ndarray
    track: Track
    planned: dict[str, np.ndarray]
    trajectories: dict[str, np.ndarray] = field(default_factory=dict)
    trajectory_samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    regular_samples: int = 0
    warnings: list[str] = field(default_factory=list)
    runtime: float = 0.0
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

    def structure_estimates(self) -> dict[str, dict[str, ProbabilityEstimate]]:
        """P(struck) per overhead structure and performer: structure → performer → estimate."""
        out = {}
        for k, structure in enumerate(self.structure_names):
            out[structure] = {
                performer: estimate_probability(self.structure_margins[:, j, k])
                for j, performer in enumerate(self.performer_names)
            }
        return out

    def segment_risk(self, hazard: str = ANY) -> SegmentRisk:
        """Per track segment: P(the first failure of ``hazard`` happens there) per take.

        Summed over segments it is the hazard's probability (each failed sample counts
        once, where it first went wrong).
        """
        segment = self.first_failure[hazard]["segment"]
        n_seg = len(self.segment_names)
        counts = np.bincount(segment[segment >= 0].astype(int), minlength=n_seg)
        ci = np.array([binomial_interval(int(k), self.samples) for k in counts])
        return SegmentRisk(list(self.segment_names), counts, counts / self.samples, ci,
                           self.samples)


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
) -> TrainResult:
    """Run the train-roof stunt ``samples`` times over its uncertain inputs.

    Parameters
    ----------
    scenario : ResolvedScenario   A ``kind: train`` scenario from
                                  :func:`stuntsim.load_scenario`.
    samples, seed : int           Default: the scenario's ``samples`` and ``seed``.
    chunk_blocks : int            Seeding blocks per execution chunk (changes memory and
                                  scheduling, never the result).
    executor : "auto" (default), "serial", "process", or an object with the Executor
               ``map`` method (:mod:`stuntsim.parallel`).
    workers : int                 Processes for a process pool.
    keep_trajectories : int       Runs kept whole for the plots (default: the scenario's),
                                  plus each hazard's worst run.
    progress : bool               A tqdm progress bar on stderr.
    """
    spec = scenario.scenario
    if getattr(spec, "kind", None) != "train":
        raise ValueError(f"not a train scenario (kind {getattr(spec, 'kind', None)!r})")
    samples = spec.samples if samples is None else int(samples)
    seed = spec.seed if seed is None else int(seed)
    if samples < 1:
        raise ValueError(f"samples must be ≥ 1, got {samples}")
    if seed < 0:
        raise ValueError(f"seed must be ≥ 0, got {seed}")
    chunk_blocks = spec.simulation.chunk_blocks if chunk_blocks is None else chunk_blocks
    keep = spec.simulation.keep_trajectories if keep_trajectories is None else keep_trajectories
    started = time.perf_counter()

    model = TrainModel(scenario)
    names = scenario.uncertain_names
    chunks = plan_chunks(samples, chunk_blocks)
    hazards = dict(model.hazards)
    accumulator = MarginAccumulator(hazards, samples)
    draws_all = {name: np.empty(samples) for name in names}
    merged: dict[str, np.ndarray] = {}

    bar = _progress(samples, progress)
    context = (model, seed, names)
    for chunk, drawn, outcome in make_executor(executor, workers, n_chunks=len(chunks)).map(
        _simulate_chunk, context, chunks
    ):
        accumulator.add(chunk.start, outcome.margins)
        for name in names:
            draws_all[name][chunk.start:chunk.stop] = drawn[name]
        for key, values in outcome.arrays().items():
            if key not in merged:
                merged[key] = np.empty((samples, *values.shape[1:]), dtype=values.dtype)
            merged[key][chunk.start:chunk.stop] = values
        if bar is not None:
            bar.update(chunk.size)
    if bar is not None:
        bar.close()

    last_structure = max((st.at + st.length for st in spec.structures), default=0.0)
    completion = check_completion(
        merged["ending"], setting="simulation.duration", source=scenario.source,
        advice=(f"the unfinished runs got at most "
                f"{float(merged['progress'][~merged['completed']].max(initial=0)):.0f} m along the "
                f"{model.length:.0f} m track (the last structure ends at "
                f"{last_structure:.0f} m) in simulation.duration = "
                f"{spec.simulation.duration:g} s: lengthen simulation.duration"))
    margins = accumulator.margins()
    estimates = accumulator.estimates(unfinished=~merged["completed"])
    performer_margins = {name: merged[f"{name}/margin"] for name in hazards}
    performer_estimates = {
        name: [estimate_probability(values[:, j]) for j in range(values.shape[1])]
        for name, values in performer_margins.items()
    }
    performer_details, details, first_failure = _gather(hazards, merged, performer_margins)
    tether_holds = np.zeros((samples, len(model.performer_names)), dtype=bool)
    if "tether_overload" in hazards:
        tethered = np.array([p.tether is not None for p in spec.performers])
        tether_holds = tethered[None, :] & (performer_margins["tether_overload"] >= 0)
    harm = train_harm({name: np.asarray(margins[name]) for name in hazards}, details,
                      tether_holds, _posture_heights(scenario, draws_all, samples))

    result = TrainResult(
        resolved=scenario,
        samples=samples,
        seed=seed,
        method="mc",
        hazards=hazards,
        margins={name: np.asarray(margins[name]) for name in hazards},
        estimates=estimates,
        performer_names=list(model.performer_names),
        performer_margins=performer_margins,
        performer_estimates=performer_estimates,
        details=details,
        performer_details=performer_details,
        structure_names=list(model.structure_names),
        structure_margins=merged["structure_margins"],
        first_failure=first_failure,
        harm=harm,
        draws=draws_all,
        max_speed=merged["max_speed"],
        completed=merged["completed"],
        segment_names=list(model.segment_names),
        segment_starts=model.segment_starts.copy(),
        track=model.track(),
        planned={},
    )
    _planned_and_kept(result, model, keep)
    result.completion = completion
    result.warnings = _check_plan(model, result.planned)
    if completion.warning:
        warnings.warn(completion.warning, StuntWarning, stacklevel=2)
        result.warnings.append(completion.warning)
    result.runtime = time.perf_counter() - started
    return result


def _simulate_chunk(context, chunk: Chunk) -> tuple[Chunk, dict, TrainOutcome]:
    model, seed, names = context
    drawn = draw(seed, names, model.resolved.distributions, chunk.start, chunk.stop)
    outcome = model.simulate(drawn, chunk.size, first_sample=chunk.start)
    return chunk, drawn, outcome


def _gather(hazards, merged, performer_margins):
    """Hazard-level facts from the worst performer; first failures over performers and
    over hazards."""
    performer_details: dict[str, dict[str, np.ndarray]] = {}
    details: dict[str, dict[str, np.ndarray]] = {}
    first_failure: dict[str, dict[str, np.ndarray]] = {}
    any_time = None
    any_segment = None
    for name in hazards:
        prefix = f"{name}/"
        per = {key[len(prefix):]: values for key, values in merged.items()
               if key.startswith(prefix) and key != f"{name}/margin"}
        performer_details[name] = per
        values = performer_margins[name]
        rows = np.arange(values.shape[0])
        worst = np.argmin(values, axis=1)
        facts = {key: array[rows, worst] for key, array in per.items()
                 if key not in ("first_time", "first_segment")}
        facts["performer"] = worst.astype(float)
        details[name] = facts
        first_index = np.argmin(per["first_time"], axis=1)
        first_time = per["first_time"][rows, first_index]
        first_segment = np.where(np.isfinite(first_time),
                                 per["first_segment"][rows, first_index], -1.0)
        first_failure[name] = {"time": first_time, "segment": first_segment,
                               "performer": np.where(np.isfinite(first_time), first_index, -1)}
        if any_time is None:
            any_time, any_segment = first_time.copy(), first_segment.copy()
        else:
            earlier = first_time < any_time
            any_time = np.where(earlier, first_time, any_time)
            any_segment = np.where(earlier, first_segment, any_segment)
    first_failure[ANY] = {"time": any_time, "segment": any_segment}
    return performer_details, details, first_failure


def _posture_heights(scenario: ResolvedScenario, draws: dict[str, np.ndarray],
                     samples: int) -> np.ndarray:
    """(n, P, 3) posture heights above the roof per sample (drawn where uncertain)."""
    out = np.empty((samples, len(scenario.scenario.performers), len(POSTURE_NAMES)))
    for j, performer in enumerate(scenario.scenario.performers):
        for k, posture in enumerate(POSTURE_NAMES):
            path = f"performers.{performer.name}.postures.{posture}.height"
            out[:, j, k] = draws[path] if path in draws else scenario.nominal[path]
    return out


def _planned_and_kept(result: TrainResult, model: TrainModel, keep: int) -> None:
    """The planned run (every input nominal) and whole runs for the plots, in one batch:
    the first ``keep`` samples (an unbiased set, used for the bands) and each hazard's
    worst sample (appended after them). ``keep == 0`` keeps only the planned run."""
    regular = np.arange(min(max(keep, 0), result.samples))
    extra = []
    if keep > 0:
        worst = [int(np.argmin(values)) for values in result.margins.values()]
        extra = [w for w in dict.fromkeys(worst) if w >= regular.size]
    chosen = np.concatenate([regular, np.asarray(extra, dtype=int)])
    nominal = model.resolved.nominal
    drawn = {name: np.concatenate(([nominal[name]], values[chosen]))
             for name, values in result.draws.items()}
    outcome = model.simulate(drawn, chosen.size + 1, record=True)
    recorded = outcome.trajectories
    result.planned = {key: values[0] for key, values in recorded.items()}
    if chosen.size:
        result.trajectories = {key: values[1:] for key, values in recorded.items()}
    result.trajectory_samples = chosen
    result.regular_samples = int(regular.size)


def _check_plan(model: TrainModel, planned: dict[str, np.ndarray]) -> list[str]:
    """Warnings for plans that are doubtful but not invalid: a planned curve speed whose
    cant deficiency (L2) is beyond the usual limits (an overspeed)."""
    notes = []
    scenario = model.scenario
    nominal = model.resolved.nominal
    segment = planned["segment"].astype(int)
    alive = planned["alive"] > 0
    spacing = nominal["track.rail_head_spacing"]
    for index, spec in enumerate(scenario.track.segments):
        if spec.radius is None:
            continue
        here = alive & (segment == index)
        if not here.any():
            continue
        speed = float(planned["v"][here].max())
        base = f"track.segments.{spec.name}"
        radius, cant = nominal[f"{base}.radius"], nominal[f"{base}.cant"]
        deficiency = float(cant_deficiency(speed, radius, cant, spacing))
        if deficiency > CANT_DEFICIENCY_LIMIT:
            notes.append(
                f"the plan runs {speed * 3.6:.0f} km/h through '{spec.name}' (R {radius:.0f} m, "
                f"cant {cant * 1000:.0f} mm): a cant deficiency of {deficiency * 1000:.0f} mm, "
                f"beyond the usual 100–150 mm (an overspeed)"
            )
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=3)
    return notes


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="sample", desc="simulating", leave=False)
