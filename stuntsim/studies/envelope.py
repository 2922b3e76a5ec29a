"""The safe operating envelope: how a hazard's probability moves with one planned value.

For each value of a parameter (say the entry speed) the stunt is run with that nominal
value — its spread moves along (DESIGN.md, principle 6) — on **common random numbers**:
the same seed, hence the same uniforms for every sample and parameter, so the curve is
smooth and differences between neighbouring values are not sampling noise.

The answer is the largest value (when the risk grows with the parameter; the smallest when
it falls) whose *upper* 95 % bound still meets the target, interpolated linearly between
the grid values that straddle the target; the point-estimate crossing is given beside it.
A value is only offered when every value on the safe side of it meets the target too.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from stuntsim.errors import StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.risk.montecarlo import ANY, ProbabilityEstimate
from stuntsim.runner import run_size
from stuntsim.scenario import ResolvedScenario, ScenarioError
from stuntsim.studies.variants import run_variants
from stuntsim.units import display_scale, display_unit, to_si

__all__ = ["Envelope2DResult", "EnvelopeResult", "envelope", "envelope_2d", "parse_range"]


@dataclass(frozen=True)
class EnvelopeResult:
    """Probabilities of one hazard along a parameter, and the largest safe value.

    ``values`` and ``answer`` are SI; ``unit`` and ``scale`` give the display unit
    (``value_si * scale`` is in ``unit``).
    """

    param: str
    dimension: str
    unit: str
    scale: float
    hazard: str
    target: float
    values: np.ndarray
    estimates: list[ProbabilityEstimate]
    direction: str  # "largest" (risk grows with the value) or "smallest"
    answer: float | None  # the upper 95 % bound meets the target up to here
    point_crossing: float | None  # the point estimate meets the target up to here
    samples: int
    seed: int
    notes: list[str] = field(default_factory=list)

    @property
    def probability(self) -> np.ndarray:
        return np.array([e.probability for e in self.estimates])

    @property
    def lower(self) -> np.ndarray:
        return np.array([e.ci95[0] for e in self.estimates])

    @property
    def upper(self) -> np.ndarray:
        return np.array([e.ci95[1] for e in self.estimates])

    def with_target(self, target: float) -> EnvelopeResult:
        """The same runs read against another target (nothing is simulated again)."""
        if not 0.0 < target < 1.0:
            raise ValueError(f"the target probability must be in (0, 1), got {target}")
        return replace(
            self,
            target=float(target),
            answer=_crossing(self.values, self.upper, target, self.direction),
            point_crossing=_crossing(self.values, self.probability, target, self.direction),
        )

    def describe(self) -> str:
        """One sentence with the answer in the parameter's own unit."""
        what = "hazard" if self.hazard == ANY else self.hazard.replace("_", " ")
        bound = "at most" if self.direction == "largest" else "at least"
        if self.answer is None:
            return (
                f"No {self.param} in the range keeps P({what}) ≤ {self.target:g} per take "
                f"with 95 % confidence ({self.samples} samples per value)."
            )
        text = (
            f"{self.param} {bound} {self.answer * self.scale:.3g} {self.unit} keeps "
            f"P({what}) ≤ {self.target:g} per take with 95 % confidence "
            f"({self.samples} samples per value, seed {self.seed})"
        )
        if self.point_crossing is not None:
            text += (f"; the point estimate crosses the target at "
                     f"{self.point_crossing * self.scale:.3g} {self.unit}")
        return text + "."

    def to_dict(self) -> dict:
        return {
            "param": self.param,
            "unit": self.unit,
            "hazard": self.hazard,
            "target": self.target,
            "direction": self.direction,
            "answer": None if self.answer is None else self.answer * self.scale,
            "point_crossing": (
                None if self.point_crossing is None else self.point_crossing * self.scale
            ),
            "samples": self.samples,
            "seed": self.seed,
            "values": [float(v * self.scale) for v in self.values],
            "estimates": [e.to_dict() for e in self.estimates],
            "notes": list(self.notes),
            "statement": self.describe(),
        }


@dataclass(frozen=True)
class Envelope2DResult:
    """Probabilities of one hazard over a grid of two parameters (axis 0: ``param_y``)."""

    param_x: str
    param_y: str
    unit_x: str
    unit_y: str
    scale_x: float
    scale_y: float
    hazard: str
    target: float
    values_x: np.ndarray
    values_y: np.ndarray
    probability: np.ndarray  # (ny, nx)
    upper: np.ndarray  # (ny, nx) upper 95 % bounds
    samples: int
    seed: int

    def to_dict(self) -> dict:
        return {
            "param_x": self.param_x, "unit_x": self.unit_x,
            "param_y": self.param_y, "unit_y": self.unit_y,
            "hazard": self.hazard, "target": self.target,
            "values_x": [float(v * self.scale_x) for v in self.values_x],
            "values_y": [float(v * self.scale_y) for v in self.values_y],
            "probability": self.probability.tolist(),
            "upper95": self.upper.tolist(),
            "samples": self.samples, "seed": self.seed,
        }


def parse_range(text: str, dimension: str, steps: int) -> np.ndarray:
    """``"20 km/h:60 km/h"`` → ``steps`` evenly spaced SI values (ends included)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f'a range is "LOW:HIGH", e.g. "20 km/h:60 km/h", got {text!r}')
    low, high = (to_si(part.strip(), dimension) for part in parts)
    if not high > low:
        raise ValueError(f"the range must go from low to high, got {text!r}")
    if steps < 2:
        raise ValueError("a range needs at least 2 steps")
    return np.linspace(low, high, steps)


def envelope(
    scenario: ResolvedScenario,
    param: str,
    values: Sequence[float],
    *,
    target: float,
    hazard: str = ANY,
    samples: int | None = None,
    seed: int | None = None,
    executor: str | None = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> EnvelopeResult:
    """Run the stunt at each value of ``param`` (SI) and find the largest safe value."""
    dimension = _dimension(scenario, param)
    _check(target, hazard, scenario)
    values = np.asarray(values, dtype=float)
    samples, seed = run_size(scenario, samples, seed)
    variants = [scenario.with_nominal(param, float(v)) for v in values]
    runs = run_variants(variants, samples, seed, executor, workers, scheduler, progress,
                        desc="envelope", reduce=_estimates_and_warnings)
    estimates = [result[hazard] for result, _ in runs]
    p = np.array([e.probability for e in estimates])
    upper = np.array([e.ci95[1] for e in estimates])
    direction = "largest" if p[-1] >= p[0] else "smallest"
    notes = _run_warnings(runs, values, display_scale(dimension), display_unit(dimension))
    if not _monotone(p, direction):
        notes.append("the estimated probability is not monotone over the range: read the "
                     "curve, not only the answer")
    unit = display_unit(dimension)
    return EnvelopeResult(
        param=param, dimension=dimension, unit=unit, scale=display_scale(dimension),
        hazard=hazard, target=float(target), values=values, estimates=estimates,
        direction=direction,
        answer=_crossing(values, upper, target, direction),
        point_crossing=_crossing(values, p, target, direction),
        samples=samples, seed=seed, notes=notes,
    )


def envelope_2d(
    scenario: ResolvedScenario,
    param_x: str,
    values_x: Sequence[float],
    param_y: str,
    values_y: Sequence[float],
    *,
    target: float,
    hazard: str = ANY,
    samples: int | None = None,
    seed: int | None = None,
    executor: str | None = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> Envelope2DResult:
    """The hazard's probability over a grid of two parameters, on common random numbers."""
    dim_x, dim_y = _dimension(scenario, param_x), _dimension(scenario, param_y)
    _check(target, hazard, scenario)
    values_x = np.asarray(values_x, dtype=float)
    values_y = np.asarray(values_y, dtype=float)
    samples, seed = run_size(scenario, samples, seed)
    variants = [
        scenario.with_nominal(param_y, float(vy)).with_nominal(param_x, float(vx))
        for vy in values_y for vx in values_x
    ]
    runs = run_variants(variants, samples, seed, executor, workers, scheduler, progress,
                        desc="envelope", reduce=_estimates_and_warnings)
    results = [r[hazard] for r, _ in runs]
    for note in dict.fromkeys(note for _, notes in runs for note in notes):
        warnings.warn(note, StuntWarning, stacklevel=2)
    shape = (values_y.size, values_x.size)
    return Envelope2DResult(
        param_x=param_x, param_y=param_y,
        unit_x=display_unit(dim_x), unit_y=display_unit(dim_y),
        scale_x=display_scale(dim_x), scale_y=display_scale(dim_y),
        hazard=hazard, target=float(target), values_x=values_x, values_y=values_y,
        probability=np.array([e.probability for e in results]).reshape(shape),
        upper=np.array([e.ci95[1] for e in results]).reshape(shape),
        samples=samples, seed=seed,
    )


def _estimates_and_warnings(result) -> tuple[dict[str, ProbabilityEstimate], list[str]]:
    """What an envelope keeps of a value's run: its estimates and warnings."""
    return result.estimates, result.warnings


def _run_warnings(runs, values, scale: float, unit: str) -> list[str]:
    """Each run's warnings, once, prefixed by the value that raised them; also warned."""
    notes = []
    for value, (_, run_notes) in zip(values, runs, strict=True):
        notes += [f"at {value * scale:.4g} {unit}: {note}" for note in run_notes]
    for note in notes:
        warnings.warn(note, StuntWarning, stacklevel=3)
    return notes


def _crossing(values, curve, target, direction) -> float | None:
    """Where ``curve`` (probabilities along ``values``) last meets ``target`` from the safe end."""
    order = np.arange(values.size) if direction == "largest" else np.arange(values.size)[::-1]
    ok = curve[order] <= target
    if not ok[0]:
        return None
    if ok.all():
        return float(values[order[-1]])
    first_bad = int(np.argmin(ok))
    i, j = order[first_bad - 1], order[first_bad]
    # linear interpolation of the curve between the two grid values that straddle the target
    fraction = (target - curve[i]) / (curve[j] - curve[i])
    return float(values[i] + fraction * (values[j] - values[i]))


def _monotone(p: np.ndarray, direction: str) -> bool:
    steps = np.diff(p)
    return bool(np.all(steps >= 0) if direction == "largest" else np.all(steps <= 0))


def _dimension(scenario: ResolvedScenario, param: str) -> str:
    if param not in scenario.dimensions:
        raise ScenarioError(f"{param!r} names no numeric field of the scenario",
                            source=scenario.source, field="--param")
    return scenario.dimensions[param]


def _check(target: float, hazard: str, scenario: ResolvedScenario) -> None:
    if not 0.0 < target < 1.0:
        raise ValueError(f"the target probability must be in (0, 1), got {target}")
    known = [*kind_of(scenario).model(scenario).hazards, ANY]
    if hazard not in known:
        raise ValueError(f"unknown hazard {hazard!r}: one of {known}")
