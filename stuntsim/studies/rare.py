"""Rare hazards of any stunt kind: subset simulation (with replicates and an honest fallback
when it does not converge) and randomised quasi-Monte Carlo.
"""

from __future__ import annotations

import numpy as np

from stuntsim.parallel import make_executor
from stuntsim.risk.qmc import qmc_probability
from stuntsim.risk.subset import subset_simulation
from stuntsim.scenario import ResolvedScenario
from stuntsim.studies.margins import SharedPoints, margin_function

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


def rare_event(
    resolved: ResolvedScenario, hazard: str, *, method: str = "subset",
    n_per_level: int = 1000, p0: float = SUBSET_P0, replicates: int = SUBSET_REPLICATES,
    n_qmc: int = 1024, randomisations: int = 8, seed: int | None = None,
    executor=None, workers: int | None = None, scheduler: str | None = None,
    progress: bool = False, shared: SharedPoints | None = None,
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

    ``executor`` (default: this process) as in :func:`stuntsim.run`; on a pool each model
    call is cut into one batch a worker (:data:`stuntsim.studies.margins.MIN_SPLIT`), and
    the result is the same. ``shared``: a :class:`~stuntsim.studies.margins.SharedPoints`
    given to the estimates of every hazard of one scenario, so that the points they have
    in common (on one seed: QMC's nets, subset simulation's level 0) are simulated once.
    """
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs")
    bar = None
    if progress:  # the evaluations as they are made (a subset run's total is not known)
        from tqdm.auto import tqdm

        bar = tqdm(unit="take", desc=f"{method} for {hazard}", leave=False)
    try:
        with make_executor(executor or "serial", workers, scheduler=scheduler) as pool:
            return _rare_event(resolved, hazard, method=method, n_per_level=n_per_level,
                               p0=p0, replicates=replicates, n_qmc=n_qmc,
                               randomisations=randomisations, seed=seed, executor=pool,
                               progress=bar, shared=shared)
    finally:
        if bar is not None:
            bar.close()


def _rare_event(resolved, hazard, *, method, n_per_level, p0, replicates, n_qmc,
                randomisations, seed, executor, progress, shared):
    names = resolved.uncertain_names
    seed = resolved.scenario.seed if seed is None else int(seed)
    dists = [resolved.distributions[name] for name in names]
    evaluate = margin_function(resolved, hazard, executor=executor, progress=progress,
                               shared=shared)
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
