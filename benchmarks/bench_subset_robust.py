"""Subset simulation on margins that break it: plateaus, two regions, a hard switch.

    python benchmarks/bench_subset_robust.py                    # 200 seeds, ~2-4 min
    python benchmarks/bench_subset_robust.py --seeds 400 --only two-regions --replicates 4

Prints; never asserts. Problems: stuntsim.risk.reference.ROBUSTNESS_PROBLEMS (exact p
in closed form, checked against 2·10⁷ crude Monte Carlo points) and, as a control, the
reference problems. Over independent seeds (numpy.random.default_rng(seed)):

* converged: share of runs that report converged; rules: which rule stopped the others;
* bias and CoV over the converged runs (mean p̂/p − 1, sd(p̂)/p);
* miss: share of converged runs whose p̂ < p/10 (a confident, wrong "safe");
* coverage: share of all runs whose reported 95 % interval (subset or fallback) holds p,
  with its binomial standard error; conv/fb: the same among converged runs and among
  fallbacks;
* evaluations: mean limit-state evaluations per run.
"""

from __future__ import annotations

import argparse
import collections
import math
import time

import numpy as np

from stuntsim.risk.reference import REFERENCE_PROBLEMS, ROBUSTNESS_PROBLEMS
from stuntsim.risk.subset import subset_simulation

PROBLEMS = {**ROBUSTNESS_PROBLEMS, **REFERENCE_PROBLEMS}


def study(key, seeds, *, n_per_level, p0, replicates, sampler="acs"):
    g, exact = PROBLEMS[key]
    start = time.perf_counter()
    runs = [
        subset_simulation(g, 2, n_per_level=n_per_level, p0=p0, replicates=replicates,
                          sampler=sampler, rng=np.random.default_rng(seed))
        for seed in range(seeds)
    ]
    seconds = time.perf_counter() - start
    converged = [r for r in runs if r.converged]
    p = np.array([r.probability for r in converged])
    rules = collections.Counter(d.rule for r in runs if not r.converged for d in r.problems)
    covered = np.array([r.ci95[0] <= exact <= r.ci95[1] for r in runs])
    conv = np.array([r.converged for r in runs])
    return {
        "converged": len(converged) / seeds,
        "rules": dict(rules),
        "bias": p.mean() / exact - 1 if p.size else math.nan,
        "cov": p.std(ddof=1) / exact if p.size > 1 else math.nan,
        "reported": float(np.mean([r.cov for r in converged])) if p.size else math.nan,
        "miss": float(np.mean(p < exact / 10)) if p.size else math.nan,
        "coverage": covered.mean(),
        "coverage_se": math.sqrt(max(covered.mean() * (1 - covered.mean()), 1e-12) / seeds),
        "coverage_converged": covered[conv].mean() if conv.any() else math.nan,
        "coverage_fallback": covered[~conv].mean() if (~conv).any() else math.nan,
        "evaluations": float(np.mean([r.evaluations for r in runs])),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--only", choices=list(PROBLEMS))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--p0", type=float, default=0.1)
    parser.add_argument("--replicates", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    keys = [args.only] if args.only else list(PROBLEMS)
    print(f"seeds {args.seeds}, n_per_level {args.n}, p0 {args.p0}, aCS\n")
    header = (f"{'problem':<16}{'R':>3}{'conv':>7}{'bias':>8}{'CoV':>7}{'rep':>7}"
              f"{'miss':>7}{'coverage':>14}{'conv/fb':>12}{'evals':>8}{'s':>6}  rules")
    print(header)
    print("-" * len(header))
    for key in keys:
        for replicates in args.replicates:
            s = study(key, args.seeds, n_per_level=args.n, p0=args.p0,
                      replicates=replicates)
            print(f"{key:<16}{replicates:>3}{s['converged']:>7.3f}{s['bias']:>+8.3f}"
                  f"{s['cov']:>7.3f}{s['reported']:>7.3f}{s['miss']:>7.3f}"
                  f"{s['coverage']:>8.3f}±{s['coverage_se']:.3f}"
                  f"{s['coverage_converged']:>6.2f}/{s['coverage_fallback']:.2f}"
                  f"{s['evaluations']:>8.0f}"
                  f"{s['seconds']:>6.1f}  {s['rules']}", flush=True)


if __name__ == "__main__":
    main()
