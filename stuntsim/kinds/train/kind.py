"""The train-roof stunt as a :class:`~stuntsim.kinds.base.StuntKind`: its schema, model,
harm, report sections and figures, and the facts a run keeps about the performers, the
structures and the track.

The runner merges the model's per-take arrays into ``result.details`` (a hazard's margin
per performer under ``"<hazard>/margin"``, its facts under ``"<hazard>/<fact>"``, and
``structure_margins``, ``max_speed``, …); :meth:`TrainKind.finish` builds from them the
:class:`TrainFacts` the report and figures read (``result.performer_margins``,
``result.worst``, ``result.segment_risk()``, …).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stuntsim.constants import TO_KMH
from stuntsim.errors import StuntWarning
from stuntsim.kinds.base import MatrixInput, StuntKind, matching_paths
from stuntsim.kinds.train import report as train_report
from stuntsim.kinds.train.harm import TRAIN_HARM_RELATIONS, train_harm
from stuntsim.kinds.train.model import PER_TAKE_PATHS, TRAIN_HAZARDS, TrainModel
from stuntsim.kinds.train.motion import cant_deficiency, speed_at_cant_deficiency
from stuntsim.kinds.train.schema import POSTURE_NAMES, TrainScenario
from stuntsim.kinds.train.track import Track
from stuntsim.risk.montecarlo import (
    ANY,
    ProbabilityEstimate,
    binomial_interval,
    estimate_probability,
    failed,
)

__all__ = ["CANT_DEFICIENCY_LIMIT", "SegmentRisk", "TrainFacts", "TrainKind"]

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
class TrainFacts:
    """What a train run keeps besides its margins (SI units).

    ``performer_margins[h]`` is (n, P); ``worst[h][field]`` (n,) holds the facts at the
    worst moment of the worst performer (``performer`` is its index), and
    ``performer_details[h][field]`` (n, P) the same per performer. ``structure_margins``
    (n, P, S) is the smallest clearance margin under each overhead structure.
    ``first_failure[h]`` has ``time`` [s] and ``segment`` (−1: never) of the first
    negative margin (``"any"``: of any hazard). ``harm[h]`` holds per-take P(death)
    (``fatality``) and ``serious_injury`` (NaN: no relation).
    """

    performer_names: list[str]
    performer_margins: dict[str, np.ndarray]
    performer_estimates: dict[str, list[ProbabilityEstimate]]
    worst: dict[str, dict[str, np.ndarray]]
    performer_details: dict[str, dict[str, np.ndarray]]
    structure_names: list[str]
    structure_margins: np.ndarray
    first_failure: dict[str, dict[str, np.ndarray]]
    harm: dict[str, dict[str, np.ndarray]]
    max_speed: np.ndarray
    completed: np.ndarray
    segment_names: list[str]
    segment_starts: np.ndarray
    track: Track
    planned: dict[str, np.ndarray] = field(default_factory=dict)
    regular_samples: int = 0
    samples: int = 0
    #: per curved segment: (index, equilibrium speed, speed at 150 mm cant deficiency) [m/s]
    #: of the nominal track (the figures draw them)
    curve_speeds: list[tuple[int, float, float]] = field(default_factory=list)

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

        Summed over segments it is the hazard's probability (each failed take counts
        once, where it first went wrong).
        """
        segment = self.first_failure[hazard]["segment"]
        n_seg = len(self.segment_names)
        counts = np.bincount(segment[segment >= 0].astype(int), minlength=n_seg)
        ci = np.array([binomial_interval(int(k), self.samples) for k in counts])
        return SegmentRisk(list(self.segment_names), counts, counts / self.samples, ci,
                           self.samples)


class TrainKind(StuntKind):
    """Performers on the roof of a moving train."""

    name = "train"
    schema = TrainScenario
    harm_relations = TRAIN_HARM_RELATIONS
    units = "SI (m, s, kg, rad, N)"
    take = "runs"
    # measured on a 2-core machine, 4096 runs in one chunk: 3.5e-7 s per run-step, 2.1 kB
    # per run at peak, 1.0 kB kept per run (two performers; more performers cost more)
    take_step_seconds = 5e-7
    chunk_bytes_per_take = 8_000
    kept_bytes_per_take = 2_000

    def model(self, resolved) -> TrainModel:
        return TrainModel(resolved)

    def per_take_paths(self, resolved) -> frozenset[str]:
        """The train's speeds and limits, the wind, the structures' clearances and drops,
        the track's curves, the performers' values and cues
        (:data:`~stuntsim.kinds.train.model.PER_TAKE_PATHS`)."""
        return matching_paths(resolved.nominal, PER_TAKE_PATHS)

    def finish(self, result, model: TrainModel, keep: int) -> None:
        spec = result.resolved.scenario
        merged = result.details
        samples = result.samples
        hazards = result.hazards
        performer_margins = {name: merged[f"{name}/margin"] for name in hazards}
        performer_estimates = {
            name: [estimate_probability(values[:, j]) for j in range(values.shape[1])]
            for name, values in performer_margins.items()
        }
        performer_details, worst, first_failure = _gather(hazards, merged, performer_margins)
        tether_holds = np.zeros((samples, len(model.performer_names)), dtype=bool)
        if "tether_overload" in hazards:
            tethered = np.array([p.tether is not None for p in spec.performers])
            tether_holds = tethered[None, :] & (performer_margins["tether_overload"] >= 0)
        harm = train_harm(result.margins, worst, tether_holds,
                          _posture_heights(result.resolved, result.draws, samples))
        result.facts = TrainFacts(
            performer_names=list(model.performer_names),
            performer_margins=performer_margins,
            performer_estimates=performer_estimates,
            worst=worst,
            performer_details=performer_details,
            structure_names=list(model.structure_names),
            structure_margins=merged["structure_margins"],
            first_failure=first_failure,
            harm=harm,
            max_speed=merged["max_speed"],
            completed=merged["completed"],
            segment_names=list(model.segment_names),
            segment_starts=model.segment_starts.copy(),
            track=model.track(),
            samples=samples,
            curve_speeds=_curve_speeds(result.resolved),
        )
        _planned_and_kept(result, model, keep)
        result.warnings.extend(_check_plan(model, result.planned))

    def harm(self, result) -> dict[str, dict[str, np.ndarray]]:
        return result.harm

    def matrix_input(self, result, name, happened, harm) -> MatrixInput:
        return train_report.matrix_input(result, name, happened, harm)

    def hazard_facts(self, result, name: str) -> dict[str, Any]:
        return train_report.hazard_facts(result, name)

    def summary_sections(self, result) -> dict[str, Any]:
        return train_report.summary_sections(result)

    def sub_rows(self, result, info: dict, name: str) -> list[tuple[str, dict]]:
        return [(f"  {performer}", {**entry, "margin_unit": info["hazards"][name]["margin_unit"]})
                for performer, entry in info["hazards"][name]["performers"].items()]

    def table_notes(self, result, info: dict) -> list[str]:
        return train_report.table_notes(info)

    def closing_lines(self, result, info: dict) -> list[str]:
        return ["serious injury: no published relation for falls from or strikes on a "
                "train roof (not estimated)"]

    def failures_csv(self, result) -> str:
        return train_report.failures_csv(result)

    def all_hazards(self):
        return dict(TRAIN_HAZARDS)

    def take_facts(self, result) -> dict[str, tuple[np.ndarray, str]]:
        """Per take: where the first failure happened, and per hazard the performer it
        was worst for, with their chainage and the train's speed there."""
        segments = np.array([*result.segment_names, ""], dtype=object)
        performers = np.array([*result.performer_names, ""], dtype=object)
        first = result.first_failure[ANY]
        facts: dict[str, tuple[np.ndarray, str]] = {
            "first_failure_time": (first["time"], "s"),
            "first_failure_segment": (segments[first["segment"].astype(int)], ""),
            "max_speed": (result.max_speed * TO_KMH, "km/h"),
        }
        for name in result.hazards:
            worst = result.worst[name]
            happened = failed(result.margins[name])
            index = np.where(happened, worst["performer"].astype(int), -1)
            facts[f"{name}_performer"] = (performers[index], "")
            if "position" in worst:
                facts[f"{name}_chainage"] = (np.where(happened, worst["position"], np.nan),
                                             "m")
            if "speed" in worst:
                facts[f"{name}_speed"] = (np.where(happened, worst["speed"] * TO_KMH, np.nan),
                                          "km/h")
        return facts

    def figure_builders(self, result, info: dict) -> dict:
        from stuntsim.kinds.train.figures import figure_builders

        return figure_builders(result)

    def animation(self, result, takes, trajectories, *, reasons=None, fps=10.0):
        from stuntsim.kinds.train.animation import animate_takes

        return animate_takes(result, takes, trajectories, reasons=reasons, fps=fps)


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


def _curve_speeds(resolved) -> list[tuple[int, float, float]]:
    """Each curve's equilibrium speed and its speed at the usual cant-deficiency limit."""
    nominal = resolved.nominal
    spacing = nominal["track.rail_head_spacing"]
    out = []
    for index, segment in enumerate(resolved.scenario.track.segments):
        if segment.radius is None:
            continue
        base = f"track.segments.{segment.name}"
        radius, cant = nominal[f"{base}.radius"], nominal[f"{base}.cant"]
        out.append((index,
                    float(speed_at_cant_deficiency(radius, cant, 0.0, spacing)),
                    float(speed_at_cant_deficiency(radius, cant, CANT_DEFICIENCY_LIMIT,
                                                   spacing))))
    return out


def _posture_heights(scenario, draws: dict[str, np.ndarray],
                     samples: int) -> np.ndarray:
    """(n, P, 3) posture heights above the roof per sample (drawn where uncertain)."""
    out = np.empty((samples, len(scenario.scenario.performers), len(POSTURE_NAMES)))
    for j, performer in enumerate(scenario.scenario.performers):
        for k, posture in enumerate(POSTURE_NAMES):
            path = f"performers.{performer.name}.postures.{posture}.height"
            out[:, j, k] = draws[path] if path in draws else scenario.nominal[path]
    return out


def _planned_and_kept(result, model: TrainModel, keep: int) -> None:
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
    result.facts.planned = {key: values[0] for key, values in recorded.items()}
    if chosen.size:
        result.trajectories = {key: values[1:] for key, values in recorded.items()}
    result.trajectory_samples = chosen
    result.facts.regular_samples = int(regular.size)


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
                f"the plan runs {speed * TO_KMH:.0f} km/h through '{spec.name}' (R {radius:.0f} m, "
                f"cant {cant * 1000:.0f} mm): a cant deficiency of {deficiency * 1000:.0f} mm, "
                f"beyond the usual 100–150 mm (an overspeed)"
            )
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=3)
    return notes
