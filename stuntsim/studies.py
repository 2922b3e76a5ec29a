"""Studies beyond a plain run: what drives a hazard (sensitivity) and rare events.

These connect the generic estimators of :mod:`stuntsim.risk` (which see only arrays) to a
scenario's model: the uncertain inputs become the columns of an array, and the model's
margin for one hazard becomes the function the estimators evaluate, in batches of whole
samples.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.stats

from stuntsim.completion import Completion, check_completion
from stuntsim.errors import NumericalError, StuntWarning
from stuntsim.kinds.car.model import CarModel
from stuntsim.risk.qmc import qmc_probability
from stuntsim.risk.sensitivity import SobolResult, rank_correlation_screen, sobol_indices
from stuntsim.risk.subset import subset_simulation
from stuntsim.scenario import ResolvedScenario

__all__ = ["SensitivityResult", "margin_function", "rare_event", "sensitivity"]

BATCH = 8192  # samples per model call (the model's fast regime)
#: Independent subset-simulation replicates for a scenario's margin. A model margin can have
#: several failure regions, plateaus and switches that one run can miss without noticing;
#: replicates that disagree show it (stuntsim.risk.subset, "When subset simulation fails").
#: On Rome's person_struck (p ≈ 5.5e-5, a switch and a dead end) the share of runs that
#: report "converged" with an interval disjoint from crude Monte Carlo's is ≈ 36 % with one
#: replicate, 2.6 % with 2, 0.25 % with 4 and ≈ 0.001 % with 8 (resampling 25 replicate
#: outcomes); on the car a model call costs mostly its fixed ≈ 1.2 s, so 8 replicates of
#: N = 1000 (800 points a call) take ≈ 25 % longer than 4.
SUBSET_REPLICATES = 8
#: Intermediate conditional probability of subset simulation (Au & Beck 2001: 0.1 typical)
SUBSET_P0 = 0.1
#: Fresh independent samples for the crude Monte Carlo fallback of a subset run that did not
#: converge, per sample of a level: 16 000 at N = 1000, one or two model calls (≈ 1 ms a
#: sample in large batches, ≈ 15 s); with no failure among them p ≤ 2.3e-4 (Clopper–Pearson
#: 95 %), against 4.6e-4 from the library default N·R = 8000.
FALLBACK_PER_LEVEL_SAMPLE = 16


def margin_function(resolved: ResolvedScenario, hazard: str) -> MarginFunction:
    """``f(values (m, d)) -> margins (m,)`` of one hazard, in SI, columns in the order of
    ``resolved.uncertain_names``; evaluated in batches of at most :data:`BATCH` samples.
    ``f.completion()`` says whether the evaluated takes got through the stunt."""
    model = CarModel(resolved)
    if hazard not in model.hazards:
        raise ValueError(f"unknown hazard {hazard!r}: one of {list(model.hazards)}")
    return MarginFunction(model, hazard, resolved.uncertain_names)


class MarginFunction:
    """One hazard's margin as a function of the uncertain inputs' values, keeping count of
    the takes that did not get through the stunt (:mod:`stuntsim.completion`)."""

    def __init__(self, model: CarModel, hazard: str, names: list[str]):
        self.model = model
        self.hazard = hazard
        self.names = names
        self._endings: list[np.ndarray] = []
        self._progress: list[np.ndarray] = []

    def __call__(self, values: np.ndarray) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        out = np.empty(values.shape[0])
        for start in range(0, values.shape[0], BATCH):
            part = values[start:start + BATCH]
            draws = {name: part[:, j] for j, name in enumerate(self.names)}
            outcome = self.model.simulate(draws, part.shape[0], first_sample=start)
            out[start:start + part.shape[0]] = outcome.margins[self.hazard]
            self._endings.append(outcome.ending)
            self._progress.append(outcome.progress[~outcome.completed])
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


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol indices and a rank-correlation screen of each uncertain input on one margin."""

    hazard: str
    unit: str
    names: list[str]
    sobol: SobolResult
    screen: dict[str, tuple[float, float]]  # name -> (Spearman ρ, p-value)
    seed: int
    #: "none": indices of the margin itself; "rank": of its ranks (some margins infinite)
    transform: str = "none"
    warnings: tuple[str, ...] = ()

    def ranking(self) -> list[str]:
        """Inputs from the most to the least influential (total-order index)."""
        return [self.names[i] for i in np.argsort(-self.sobol.total_order)]

    def to_dict(self) -> dict:
        sobol = self.sobol
        return {
            "hazard": self.hazard,
            "margin_unit": self.unit,
            "evaluations": sobol.evaluations,
            "seed": self.seed,
            "transform": self.transform,
            "warnings": list(self.warnings),
            "inputs": {
                name: {
                    "first_order": float(sobol.first_order[i]),
                    "first_order_ci95": [float(v) for v in sobol.first_order_ci[i]],
                    "total_order": float(sobol.total_order[i]),
                    "total_order_ci95": [float(v) for v in sobol.total_order_ci[i]],
                    "spearman_rho": _finite(self.screen[name][0]),
                    "spearman_p": _finite(self.screen[name][1]),
                }
                for i, name in enumerate(self.names)
            },
            "ranking": self.ranking(),
        }


def sensitivity(
    resolved: ResolvedScenario, hazard: str, *, n: int = 512, seed: int | None = None,
    bootstrap: int = 200,
) -> SensitivityResult:
    """First-order and total Sobol indices of each uncertain input on ``hazard``'s margin.

    Saltelli design with ``n`` base points (a power of two): n (d + 2) model evaluations
    (:func:`stuntsim.risk.sensitivity.sobol_indices`), plus a Spearman screen on the
    A-matrix samples.

    Infinite margins are legitimate (``person_not_seen_in_time`` is +inf when the person's
    walk never meets the car, −inf when the car could not stop at all); variances of them
    are not. When any evaluated margin is infinite, the indices are computed on the
    **ranks** of all n (d + 2) margins (:func:`scipy.stats.rankdata`, ties averaged): a
    monotone transform that keeps +inf above and −inf below every finite margin, so the
    indices say which input moves a take up or down the ordering of margins (variance-based
    indices are not invariant under such a transform — Saltelli et al. 2008, *Global
    Sensitivity Analysis: The Primer*, §1.2.13 — which is why the result records
    ``transform="rank"`` and the table says so). Otherwise the margins are analysed as
    they are (``transform="none"``). NaN is an error; a margin that is the same in every
    take (e.g. no people in the street: +inf everywhere) has nothing to explain and is an
    error.
    """
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs to rank")
    seed = resolved.scenario.seed if seed is None else int(seed)
    evaluate = margin_function(resolved, hazard)
    recorded: dict[str, np.ndarray] = {}
    transform = {"name": "none"}

    def model(values: np.ndarray) -> np.ndarray:
        margins = evaluate(values)
        if np.isnan(margins).any():
            raise NumericalError(f"{hazard}: the model returned NaN margins",
                                 sample=int(np.flatnonzero(np.isnan(margins))[0]))
        if np.all(margins == margins[0]):
            raise ValueError(f"{hazard}'s margin is {margins[0]} in every take of this "
                             f"scenario: there is nothing to explain")
        if not np.isfinite(margins).all():
            transform["name"] = "rank"
            margins = scipy.stats.rankdata(margins)
        recorded["values"], recorded["margins"] = values[:n], margins[:n]
        return margins

    dists = [resolved.distributions[name] for name in names]
    result = sobol_indices(model, dists, n=n, rng=np.random.default_rng(seed),
                           bootstrap=bootstrap)
    completion = evaluate.completion()
    screen = rank_correlation_screen(
        {name: recorded["values"][:, j] for j, name in enumerate(names)},
        recorded["margins"],
    )
    unit = CarModel(resolved).hazards[hazard].unit
    return SensitivityResult(hazard=hazard, unit=unit, names=list(names), sobol=result,
                             screen=screen, seed=seed, transform=transform["name"],
                             warnings=(completion.warning,) if completion.warning else ())


def rare_event(
    resolved: ResolvedScenario, hazard: str, *, method: str = "subset",
    n_per_level: int = 1000, p0: float = SUBSET_P0, replicates: int = SUBSET_REPLICATES,
    n_qmc: int = 1024, randomisations: int = 8, seed: int | None = None,
):
    """P(hazard) by subset simulation (``method="subset"``) or randomised QMC (``"qmc"``).

    The uncertain inputs are mapped to independent standard normals through their
    distributions (x = F⁻¹(Φ(z)), :meth:`Distribution.from_standard_normal`), or to
    uniforms for QMC (x = F⁻¹(u)). Returns the estimator's result object.

    Subset simulation runs ``replicates`` independent replicates together (one model call
    per Markov-chain step for all of them, so they cost little more time than one) and
    reports convergence only when they agree (:mod:`stuntsim.risk.subset`); a run that did
    not converge reports crude Monte Carlo on 16·``n_per_level`` fresh samples instead
    (``result.converged``, ``result.summary()``).
    """
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs")
    seed = resolved.scenario.seed if seed is None else int(seed)
    dists = [resolved.distributions[name] for name in names]
    evaluate = margin_function(resolved, hazard)
    rng = np.random.default_rng(seed)
    if method == "subset":
        def limit_state(z: np.ndarray) -> np.ndarray:
            values = np.column_stack(
                [dist.from_standard_normal(z[:, j]) for j, dist in enumerate(dists)]
            )
            return evaluate(values)

        result = subset_simulation(limit_state, len(names), n_per_level=n_per_level, p0=p0,
                                   replicates=replicates,
                                   fallback_samples=FALLBACK_PER_LEVEL_SAMPLE * n_per_level,
                                   rng=rng)
        evaluate.completion()  # warns, or raises when no take got through the stunt
        return result
    if method == "qmc":
        def limit_state_u(u: np.ndarray) -> np.ndarray:
            values = np.column_stack([dist.ppf(u[:, j]) for j, dist in enumerate(dists)])
            return evaluate(values)

        result = qmc_probability(limit_state_u, len(names), n_qmc,
                                 randomisations=randomisations, rng=rng)
        evaluate.completion()
        return result
    raise ValueError(f"unknown method {method!r}: 'subset' or 'qmc'")


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
