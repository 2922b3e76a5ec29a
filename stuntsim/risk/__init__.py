"""Estimators that know nothing of cars, trains, streets or plots: arrays in, arrays out.

* :mod:`~stuntsim.risk.distributions`: uncertain inputs, sampled by inverse CDF;
* :mod:`~stuntsim.risk.sampling`: reproducible, chunk-independent uniforms and draws;
* :mod:`~stuntsim.risk.montecarlo`: probabilities and intervals from margins.
"""

from stuntsim.risk.distributions import (
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from stuntsim.risk.montecarlo import (
    ANY,
    MarginAccumulator,
    ProbabilityEstimate,
    binomial_interval,
    binomial_intervals,
    estimate_probability,
    failed,
    margin_quantiles,
)
from stuntsim.risk.sampling import (
    BLOCK_SIZE,
    Chunk,
    block_uniforms,
    draw,
    plan_chunks,
    stable_hash,
    stream,
    uniforms,
)

__all__ = [
    "ANY",
    "BLOCK_SIZE",
    "Chunk",
    "Distribution",
    "Fixed",
    "LogNormal",
    "MarginAccumulator",
    "Normal",
    "ProbabilityEstimate",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "binomial_interval",
    "binomial_intervals",
    "block_uniforms",
    "draw",
    "estimate_probability",
    "failed",
    "margin_quantiles",
    "plan_chunks",
    "stable_hash",
    "stream",
    "uniforms",
]

# Rare events, randomised quasi-Monte Carlo and sensitivity.
from stuntsim.risk.qmc import QMCResult, qmc_mean, qmc_probability
from stuntsim.risk.sensitivity import (
    SobolResult,
    rank_correlation_screen,
    sobol_indices,
)
from stuntsim.risk.subset import SubsetResult, subset_simulation

__all__ += [
    "QMCResult",
    "SobolResult",
    "SubsetResult",
    "qmc_mean",
    "qmc_probability",
    "rank_correlation_screen",
    "sobol_indices",
    "subset_simulation",
]
