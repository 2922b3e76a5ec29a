"""Mitigations compared on common random numbers: does a change really help, and by how much?

Every variant runs with the same seed, so sample i of every variant shares its uniforms
(per block and per parameter name, :mod:`stuntsim.risk.sampling`): the same grip draw, the
same driver delay, the same braking error. Outcomes are then *paired*, and the difference
between two variants is estimated from the discordant samples only — far tighter than
comparing two independent estimates.

For a hazard, with b samples that fail in the baseline but not in the variant and c that
fail in the variant but not in the baseline (n pairs):

    Δp̂ = (c − b) / n,   SE = √((b + c) − (c − b)² / n) / n        (McNemar-type, paired)

and the 95 % interval Δp̂ ± 1.96 SE (Wald for paired proportions; Newcombe 1998, Stat. Med.
17:2635, method 1). With no discordant pair the difference is exactly 0 and the interval
is ±u, u the Clopper–Pearson upper bound for 0 discordant pairs out of n: the data cannot
tell a difference below that.

Harm is compared the same way: each sample's probability of death (and of serious injury
or death) from the hazard that happened in it (the kind's harm relations,
:meth:`StuntKind.harm <stuntsim.kinds.base.StuntKind.harm>`), paired across variants:
the mean of the per-sample differences d_i with the interval d̄ ± 1.96 s_d/√n (normal
approximation to the paired mean; the d_i are bounded in [−1, 1] and mostly zero, so it
needs a few tens of samples that differ to be trusted). With no sample that differs the
difference is 0 ± u as above. Over all hazards a sample's harm is
1 − Π_h (1 − P_h) (any hazard's outcome); "serious injury or death" takes, per hazard, the
larger of the two relations, so a hazard with only a fatality relation (a fall) still
counts; hazards with no relation (loss of control) count nothing — say so when reading it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from stuntsim import formatting as fmt
from stuntsim.errors import StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.risk.montecarlo import ANY, ProbabilityEstimate, binomial_interval, failed
from stuntsim.runner import RiskResult, run_size
from stuntsim.scenario import ResolvedScenario
from stuntsim.studies.variants import run_variants

__all__ = ["Comparison", "Difference", "compare", "paired_difference", "paired_mean_difference",
           "rig_share"]

HARM_OUTCOMES = ("fatality", "serious_or_fatal")

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Difference:
    """Variant minus baseline for one hazard: Δp with its paired 95 % interval."""

    difference: float
    ci95: tuple[float, float]
    worse: int  # samples failing in the variant only
    better: int  # samples failing in the baseline only

    def to_dict(self) -> dict:
        return {"difference": self.difference, "ci95": list(self.ci95),
                "variant_only_failures": self.worse, "baseline_only_failures": self.better}


def _pairs(base, variant, dtype) -> tuple[np.ndarray, np.ndarray]:
    base = np.asarray(base, dtype=dtype)
    variant = np.asarray(variant, dtype=dtype)
    if base.shape != variant.shape or base.ndim != 1:
        raise ValueError("paired outcomes must be 1-D arrays of the same length")
    return base, variant


def _no_difference(n: int) -> Difference:
    """No pair differs: exactly 0, ± the Clopper–Pearson bound for 0 discordant of n."""
    bound = binomial_interval(0, n)[1]
    return Difference(0.0, (-bound, bound), 0, 0)


def paired_difference(base_failed: np.ndarray, variant_failed: np.ndarray) -> Difference:
    """Paired difference of two failure indicators on the same samples (module docstring)."""
    base_failed, variant_failed = _pairs(base_failed, variant_failed, bool)
    n = base_failed.size
    better = int(np.count_nonzero(base_failed & ~variant_failed))
    worse = int(np.count_nonzero(variant_failed & ~base_failed))
    diff = (worse - better) / n
    if worse + better == 0:
        return _no_difference(n)
    se = math.sqrt(max((worse + better) - (worse - better) ** 2 / n, 0.0)) / n
    return Difference(diff, (max(diff - _Z95 * se, -1.0), min(diff + _Z95 * se, 1.0)),
                      worse, better)


def paired_mean_difference(base: np.ndarray, variant: np.ndarray) -> Difference:
    """Paired difference of per-sample harm values in [0, 1] (module docstring)."""
    base, variant = _pairs(base, variant, float)
    n = base.size
    d = variant - base
    worse = int(np.count_nonzero(d > 0))
    better = int(np.count_nonzero(d < 0))
    if worse + better == 0:
        return _no_difference(n)
    mean = float(d.mean())
    half = _Z95 * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 1.0
    return Difference(mean, (max(mean - half, -1.0), min(mean + half, 1.0)), worse, better)


def sample_harm(result: RiskResult) -> dict[str, dict[str, np.ndarray]]:
    """Per-sample harm of a run: hazard (and "any") → {"fatality", "serious_or_fatal"}."""
    harm = kind_of(result.resolved).harm(result)
    out: dict[str, dict[str, np.ndarray]] = {}
    survive = {key: np.ones(result.samples) for key in HARM_OUTCOMES}
    for name, values in harm.items():
        # NaN throughout: the hazard has no relation for that outcome (the tables say
        # "no relation"); it adds nothing here. harm_fact already refused NaN facts.
        fatal = _or_zero(values["fatality"])
        serious = np.maximum(_or_zero(values["serious_injury"]), fatal)
        out[name] = {"fatality": fatal, "serious_or_fatal": serious}
        survive["fatality"] *= 1.0 - fatal
        survive["serious_or_fatal"] *= 1.0 - serious
    out[ANY] = {key: 1.0 - value for key, value in survive.items()}
    return out


def _or_zero(values: np.ndarray) -> np.ndarray:
    """A harm array, or zeros where the hazard has no relation (all NaN)."""
    if np.isnan(values).all():
        return np.zeros(values.shape)
    if np.isnan(values).any():
        raise ValueError("harm is NaN in some samples only: a relation that cannot say")
    return values


@dataclass(frozen=True)
class Comparison:
    """Each variant's hazard probabilities and its paired difference from the baseline."""

    names: list[str]  # baseline first
    estimates: list[dict[str, ProbabilityEstimate]]
    differences: list[dict[str, Difference]]  # one per variant after the baseline
    hazards: list[str]  # including "any"
    samples: int
    seed: int
    # expected harm per take, variant → hazard → outcome ("fatality", "serious_or_fatal")
    harm: list[dict[str, dict[str, float]]]
    harm_differences: list[dict[str, dict[str, Difference]]]  # paired, after the baseline
    warnings: list[str] = field(default_factory=list)  # each variant's, prefixed by its name

    def to_dict(self) -> dict:
        return {
            "samples": self.samples,
            "seed": self.seed,
            "common_random_numbers": True,
            "baseline": self.names[0],
            "warnings": list(self.warnings),
            "harm_note": "expected harm per take: P(death) and P(serious injury or death) "
                         "from the hazard that happened in each sample (the kind's harm "
                         "relations); 'any' combines hazards as 1 − Π(1 − P); hazards "
                         "without a harm relation count nothing",
            "variants": [
                {
                    "name": name,
                    "hazards": {h: estimates[h].to_dict() for h in self.hazards},
                    "difference_from_baseline": (
                        None if i == 0
                        else {h: self.differences[i - 1][h].to_dict() for h in self.hazards}
                    ),
                    "expected_harm_per_take": self.harm[i],
                    "harm_difference_from_baseline": (
                        None if i == 0
                        else {h: {o: d.to_dict() for o, d in outcomes.items()}
                              for h, outcomes in self.harm_differences[i - 1].items()}
                    ),
                }
                for i, (name, estimates) in enumerate(zip(self.names, self.estimates,
                                                          strict=True))
            ],
        }

    def table(self) -> str:
        """Plain-text comparison: per variant, each hazard's probability and the paired
        difference from the baseline."""
        lines = [f"{len(self.names)} variants on common random numbers "
                 f"({self.samples} samples each, seed {self.seed}); baseline: {self.names[0]}"]
        w = max(19, *(len(h) for h in self.hazards))
        for i, name in enumerate(self.names[1:]):
            lines += ["", f"variant: {name}",
                      f"{'hazard':<{w}} {'baseline':>9} {'variant':>9}  "
                      f"{'difference [95 % paired interval]':<34}"]
            for hazard in self.hazards:
                d = self.differences[i][hazard]
                lines.append(
                    f"{hazard:<{w}} {fmt.probability(self.estimates[0][hazard].probability):>9} "
                    f"{fmt.probability(self.estimates[i + 1][hazard].probability):>9}  "
                    f"{fmt.difference(d.difference)} [{fmt.difference(d.ci95[0])}, "
                    f"{fmt.difference(d.ci95[1])}]"
                )
            for outcome, label in (("fatality", "P(death)"),
                                   ("serious_or_fatal", "P(serious or death)")):
                d = self.harm_differences[i][ANY][outcome]
                lines.append(
                    f"{label:<{w}} {fmt.probability(self.harm[0][ANY][outcome]):>9} "
                    f"{fmt.probability(self.harm[i + 1][ANY][outcome]):>9}  "
                    f"{fmt.difference(d.difference)} [{fmt.difference(d.ci95[0])}, "
                    f"{fmt.difference(d.ci95[1])}]"
                )
        lines += ["", "P(death), P(serious or death): expected per take over all hazards "
                  "(hazards without a harm relation count nothing)"]
        lines += [f"WARNING: {note}" for note in self.warnings]
        return "\n".join(lines)


def compare(
    variants: Sequence[ResolvedScenario],
    *,
    names: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    executor: str | None = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> Comparison:
    """Run the baseline (first) and its variants on the same seed and compare them, paired.

    ``executor``, ``workers``, ``scheduler`` as in :func:`stuntsim.run`; one pool or
    cluster serves every variant."""
    if len(variants) < 2:
        raise ValueError("compare needs a baseline and at least one variant")
    base = variants[0]
    samples, seed = run_size(base, samples, seed)
    names = list(names) if names is not None else [v.scenario.name for v in variants]
    # one pool or cluster for every variant; variants that differ only in values read
    # take by take share model calls (stuntsim.studies.variants)
    results: list[RiskResult] = run_variants(variants, samples, seed, executor, workers,
                                             scheduler, progress, desc="compare")
    for result in results:  # what each run would have warned here
        for note in result.warnings:
            warnings.warn(note, StuntWarning, stacklevel=2)
    hazards = [*results[0].hazards, ANY]

    def happened(result: RiskResult, hazard: str) -> np.ndarray:
        if hazard == ANY:
            return result.any_margin_failed
        return failed(result.margins[hazard])

    differences = [
        {h: paired_difference(happened(results[0], h), happened(r, h)) for h in hazards}
        for r in results[1:]
    ]
    harms = [sample_harm(r) for r in results]
    harm = [{h: {o: float(values[o].mean()) for o in HARM_OUTCOMES}
             for h, values in per.items()} for per in harms]
    harm_differences = [
        {h: {o: paired_mean_difference(harms[0][h][o], per[h][o]) for o in HARM_OUTCOMES}
         for h in harms[0]}
        for per in harms[1:]
    ]
    return Comparison(names=names, estimates=[r.estimates for r in results],
                      differences=differences, hazards=hazards, samples=samples, seed=seed,
                      harm=harm, harm_differences=harm_differences,
                      warnings=[f"{name}: {note}" for name, r in zip(names, results, strict=True)
                                for note in r.warnings])


def switch_share(
    scenario: ResolvedScenario,
    switch: str,
    *,
    names: tuple[str, str],
    samples: int | None = None,
    seed: int | None = None,
    executor: str | None = "auto",
) -> Comparison:
    """The share of the risk one switchable element carries (a camera rig, a barrier): the
    same takes with ``switch`` (e.g. ``rig.present``) off as the baseline, and the stunt
    as planned as the variant, paired on common random numbers. ``differences[0][hazard]``
    is then P(with) − P(without) with its paired 95 % interval: the risk the element adds
    (negative where it lowers one). An element that changes nothing gives a difference of
    exactly 0: the two runs are the same computation. ``names``: (without, with)."""
    without = scenario.with_nominal(switch, False)
    return compare([without, scenario], names=list(names), samples=samples, seed=seed,
                   executor=executor)


def rig_share(scenario: ResolvedScenario, *, samples: int | None = None,
              seed: int | None = None, executor: str | None = "auto") -> Comparison:
    """The camera rig's share of the risk (``rig.present`` off: no occluders, no added
    mass), :func:`switch_share`: e.g. a driver who sees a person later brakes later."""
    return switch_share(scenario, "rig.present", names=("without the rig", "with the rig"),
                        samples=samples, seed=seed, executor=executor)
