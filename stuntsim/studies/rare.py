"""Rare hazards of any stunt kind: subset simulation (with replicates and an honest fallback
when it does not converge) and randomised quasi-Monte Carlo.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stuntsim.errors import StuntWarning
from stuntsim.parallel import make_executor
from stuntsim.risk.qmc import qmc_probability
from stuntsim.risk.subset import subset_simulation, subset_steps
from stuntsim.scenario import ResolvedScenario, ScenarioError
from stuntsim.studies.margins import SharedPoints, margin_function, takes_completion

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


@dataclass
class HazardEstimate:
    """One hazard's part of :func:`rare_events`: its result, or the error that stopped its
    estimate (a :class:`ValueError`, e.g. a margin the hazard cannot have in this scene),
    and its warnings (the takes that ran out of simulated time)."""

    result: Any = None
    error: ValueError | None = None
    warnings: list[str] = field(default_factory=list)


def rare_events(
    resolved: ResolvedScenario, hazards, *, method: str = "subset",
    n_per_level: int = 1000, p0: float = SUBSET_P0, replicates: int = SUBSET_REPLICATES,
    n_qmc: int = 1024, randomisations: int = 8, seed: int | None = None,
    executor=None, workers: int | None = None, scheduler: str | None = None,
    progress: bool = False,
) -> dict[str, HazardEstimate]:
    """:func:`rare_event` for several hazards of one scenario, computed together: each
    hazard's result is the one :func:`rare_event` gives it alone (the same seed, the same
    points, the same margins), but the model runs once for all of them.

    Subset simulation advances every hazard's replicates in lockstep: each Markov-chain
    step of every hazard goes into one model call (the model returns every hazard's
    margin at once), and points that several hazards ask for alike (level 0, drawn from
    one seed) are simulated once. QMC evaluates its net once for all hazards
    (:class:`~stuntsim.studies.margins.SharedPoints`). A hazard whose estimate fails with
    a :class:`ValueError` has it in its :class:`HazardEstimate`; the others go on.
    """
    hazards = list(hazards)
    names = resolved.uncertain_names
    if not names:
        raise ValueError("the scenario has no uncertain inputs")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit="take", desc=f"{method} for {len(hazards)} hazards", leave=False)
    try:
        with make_executor(executor or "serial", workers, scheduler=scheduler) as pool:
            if method == "subset":
                return _subset_together(resolved, hazards, n_per_level=n_per_level, p0=p0,
                                        replicates=replicates, seed=seed, executor=pool,
                                        progress=bar)
            shared, out = SharedPoints(), {}
            for hazard in hazards:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", StuntWarning)
                    try:
                        result = _rare_event(
                            resolved, hazard, method=method, n_per_level=n_per_level,
                            p0=p0, replicates=replicates, n_qmc=n_qmc,
                            randomisations=randomisations, seed=seed, executor=pool,
                            progress=bar, shared=shared)
                    except ValueError as err:
                        if isinstance(err, ScenarioError):
                            raise
                        out[hazard] = HazardEstimate(error=err)
                        continue
                out[hazard] = HazardEstimate(result=result, warnings=[
                    str(w.message) for w in caught if issubclass(w.category, StuntWarning)])
            return out
    finally:
        if bar is not None:
            bar.close()


def _subset_together(resolved, hazards, *, n_per_level, p0, replicates, seed, executor,
                     progress) -> dict[str, HazardEstimate]:
    names = resolved.uncertain_names
    seed = resolved.scenario.seed if seed is None else int(seed)
    dists = [resolved.distributions[name] for name in names]
    evaluate = margin_function(resolved, hazards[0], executor=executor, progress=progress)
    for hazard in hazards:
        if hazard not in evaluate.model.hazards:
            raise ValueError(f"unknown hazard {hazard!r}: one of {list(evaluate.model.hazards)}")
    out = {hazard: HazardEstimate() for hazard in hazards}
    steps, requests = {}, {}
    endings: dict[str, list] = {hazard: [] for hazard in hazards}
    reached: dict[str, list] = {hazard: [] for hazard in hazards}

    def advance(hazard, sent=None):
        """The hazard's next request, or its end (its result or its error)."""
        try:
            requests[hazard] = (next(steps[hazard]) if sent is None
                                else steps[hazard].send(sent))
        except StopIteration as stop:
            out[hazard].result = stop.value
        except ValueError as err:
            if isinstance(err, ScenarioError):
                raise
            out[hazard].error = err

    for hazard in hazards:  # each with its own stream, as rare_event gives it
        steps[hazard] = subset_steps(len(names), n_per_level=n_per_level, p0=p0,
                                     replicates=replicates,
                                     fallback_samples=FALLBACK_PER_LEVEL_SAMPLE * n_per_level,
                                     rng=np.random.default_rng(seed))
        advance(hazard)
    while requests:
        pending, requests = requests, {}
        # points asked for alike (level 0 on one seed) are simulated once
        unique: list[np.ndarray] = []
        where: dict[str, int] = {}
        for hazard, z in pending.items():
            same = next((k for k, other in enumerate(unique)
                         if other.shape == z.shape and np.array_equal(other, z)), None)
            if same is None:
                unique.append(z)
                same = len(unique) - 1
            where[hazard] = same
        sizes = [z.shape[0] for z in unique]
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        z_all = np.concatenate(unique)
        values = np.column_stack([dist.from_standard_normal(z_all[:, j])
                                  for j, dist in enumerate(dists)])
        margins, ending, reach = evaluate.every(values)
        for hazard in pending:
            part = slice(offsets[where[hazard]], offsets[where[hazard] + 1])
            endings[hazard].append(ending[part])
            reached[hazard].append(reach[part][ending[part] == 0])
            advance(hazard, margins[hazard][part].copy())
    model = evaluate.model
    for hazard, estimate in out.items():  # each hazard's takes, as rare_event counts them
        if estimate.result is None or not endings[hazard]:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StuntWarning)
            takes_completion(model, endings[hazard], reached[hazard])
        estimate.warnings = [str(w.message) for w in caught
                             if issubclass(w.category, StuntWarning)]
    return out


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
