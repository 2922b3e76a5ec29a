"""What drives a hazard: first-order and total Sobol indices of each uncertain input on the
hazard's margin, with a rank-correlation screen, for any stunt kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats

from stuntsim.errors import NumericalError
from stuntsim.parallel import make_executor
from stuntsim.risk.sensitivity import SobolResult, rank_correlation_screen, sobol_indices
from stuntsim.scenario import ResolvedScenario
from stuntsim.studies.margins import BATCH, margin_function


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
    bootstrap: int = 200, executor=None, workers: int | None = None,
    scheduler: str | None = None, progress: bool = False,
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

    ``executor``, ``workers``, ``scheduler``: where the batches of takes run, as in
    :func:`stuntsim.run` (default: a local process pool when there are several batches
    and cores); the result does not depend on it.
    """
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs to rank")
    batches = -(-n * (len(names) + 2) // BATCH)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n * (len(names) + 2), unit="take", desc=f"sensitivity of {hazard}",
                   leave=False)
    try:
        with make_executor(executor, workers, n_chunks=batches,
                           scheduler=scheduler) as pool:
            return _sensitivity(resolved, hazard, n=n, seed=seed, bootstrap=bootstrap,
                                executor=pool, progress=bar)
    finally:
        if bar is not None:
            bar.close()


def _sensitivity(resolved, hazard, *, n, seed, bootstrap, executor, progress
                 ) -> SensitivityResult:
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs to rank")
    seed = resolved.scenario.seed if seed is None else int(seed)
    evaluate = margin_function(resolved, hazard, executor=executor, progress=progress)
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
    unit = evaluate.model.hazards[hazard].unit
    return SensitivityResult(hazard=hazard, unit=unit, names=list(names), sobol=result,
                             screen=screen, seed=seed, transform=transform["name"],
                             warnings=(completion.warning,) if completion.warning else ())


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
