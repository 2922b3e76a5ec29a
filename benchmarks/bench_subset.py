"""Subset simulation accuracy per evaluation. Prints; never asserts.

    python benchmarks/bench_subset.py             # 400 seeds per configuration, ~1 min
    python benchmarks/bench_subset.py --seeds 4000 --only linear-1e-6   # the headline, ~8 min
    python benchmarks/bench_subset.py --figure convergence.png   # MC vs subset figure

First the headline for the issue's target (CoV ≤ 0.25 within 13 000 limit-state
evaluations at p ≈ 1e-6, linear problem), then one line per configuration. Each
reference problem (stuntsim.risk.reference; exact p from scipy.special.ndtr or the
literature) is run with independent seeds (numpy.random.default_rng(seed), seed = 0, 1,
…), and over them:

* observed CoV: sample standard deviation of p̂ over the seeds / exact p, with a
  bootstrap standard error over seeds;
* reported CoV: mean of SubsetResult.cov (ancestral-cluster estimate) and of
  cov_independent_levels (Au & Beck's Σ δ_j², independent levels);
* bias: mean p̂ / p − 1;
* evaluations: mean limit-state evaluations per run;
* evaluations for CoV 0.25: evaluations × (observed CoV / 0.25)² (CoV ∝ 1/√N at a fixed
  number of levels), checked by the direct run at N = 2360 (≈ 13 000 evaluations);
* crude Monte Carlo's equivalent N = (1 − p)/(p · δ²) for the same CoV δ (REFERENCES.md).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import scipy.special as sc

from stuntsim.risk.reference import REFERENCE_PROBLEMS
from stuntsim.risk.subset import subset_simulation

TARGET_COV = 0.25
TARGET_EVALUATIONS = 13_000
DEFAULT_N = 2000
#: N with N/2 + 5 N ≤ 13 000 (level 0 plus the five levels the 1e-6 problem takes)
BUDGET_N = 2360


def _linear_10d(beta: float):
    def g(u: np.ndarray) -> np.ndarray:
        return beta - u.sum(axis=1) / math.sqrt(10.0)

    return g


#: key -> (label, limit state, dimension, exact p)
PROBLEMS = {
    key: (label, REFERENCE_PROBLEMS[key][0], 2, REFERENCE_PROBLEMS[key][1])
    for key, label in {
        "linear-1e-6": "linear β=4.753 (1e-6)",
        "linear-1e-4": "linear β=3.719 (1e-4)",
        "four-branch-k6": "four-branch k=6",
        "four-branch-k7": "four-branch k=7",
    }.items()
}
PROBLEMS["linear-10d-1e-6"] = (
    "linear 10-D β=4.753 (1e-6)", _linear_10d(4.753), 10, float(sc.ndtr(-4.753))
)


def study(key, n_per_level, seeds, sampler="acs"):
    _, g, dim, exact = PROBLEMS[key]
    start = time.perf_counter()
    runs = [
        subset_simulation(
            g, dim, n_per_level=n_per_level, rng=np.random.default_rng(s), sampler=sampler
        )
        for s in range(seeds)
    ]
    seconds = time.perf_counter() - start
    p = np.array([r.probability for r in runs])
    boot = np.random.default_rng(12345).integers(0, seeds, (500, seeds))
    observed = p.std(ddof=1) / exact
    evaluations = float(np.mean([r.evaluations for r in runs]))
    return {
        "observed": observed,
        "observed_se": float(np.std(p[boot].std(axis=1, ddof=1) / exact)),
        "reported": float(np.mean([r.cov for r in runs])),
        "independent": float(np.mean([r.cov_independent_levels for r in runs])),
        "bias": p.mean() / exact - 1.0,
        "bias_se": p.std(ddof=1) / exact / math.sqrt(seeds),
        "evaluations": evaluations,
        "max_evaluations": max(r.evaluations for r in runs),
        "for_target": evaluations * (observed / TARGET_COV) ** 2,
        "crude": (1 - exact) / (exact * observed**2),
        "coverage": float(np.mean([r.ci95[0] <= exact <= r.ci95[1] for r in runs])),
        "seconds": seconds,
    }


def headline(seeds: int) -> None:
    """The issue's target on the linear 1e-6 problem, at the default N and at N = 2360."""
    _, _, _, exact = PROBLEMS["linear-1e-6"]
    print(f"Issue target: CoV ≤ {TARGET_COV} within {TARGET_EVALUATIONS} evaluations, "
          f"linear β = 4.753, exact p = Φ(−β) = {exact:.4g}; {seeds} seeds\n")
    for n, label in ((DEFAULT_N, "default settings"), (BUDGET_N, "N for ≤ 13 000")):
        s = study("linear-1e-6", n, seeds)
        crude_same_cov = (1 - exact) / (exact * s["observed"] ** 2)
        print(f"  {label} (n_per_level = {n}, p0 = 0.1, aCS):")
        print(f"    evaluations per run        {s['evaluations']:9.0f}"
              f"   (max {s['max_evaluations']})")
        print(f"    CoV over seeds             {s['observed']:9.3f} ± {s['observed_se']:.3f}")
        print(f"    mean reported CoV          {s['reported']:9.3f}"
              f"   (ratio {s['reported'] / s['observed']:.2f}; independent-level "
              f"{s['independent']:.3f})")
        print(f"    bias  mean p̂/p − 1         {s['bias']:+9.3f} ± {s['bias_se']:.3f}")
        print(f"    evaluations for CoV 0.25   {s['for_target']:9.0f}")
        print(f"    crude MC for the same CoV  {crude_same_cov:9.3g}"
              f"   (for CoV 0.25: {(1 - exact) / (exact * TARGET_COV**2):.3g})\n")


def convergence_figure(path: str) -> None:
    """Crude MC (300k samples) against subset simulation at several N, linear p = 1e-4."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from stuntsim.plots import plot_convergence

    _, g, _, exact = PROBLEMS["linear-1e-4"]
    rng = np.random.default_rng(2001)
    mc_failures = g(rng.standard_normal((300_000, 2))) <= 0
    runs = [
        subset_simulation(g, 2, n_per_level=n, rng=np.random.default_rng(seed))
        for n in (200, 500, 1000, 2000, 5000) for seed in (1, 2)
    ]
    figure = Figure(figsize=(8, 5), layout="constrained")
    FigureCanvasAgg(figure)
    plot_convergence(figure.add_subplot(), mc_failures, runs, exact=exact,
                     label="g ≤ 0; linear, β = 3.719")
    figure.savefig(path, dpi=130, bbox_inches="tight")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--only", choices=list(PROBLEMS), help="one problem (headline too "
                        "when it is linear-1e-6)")
    parser.add_argument("--figure", help="write the MC-vs-subset convergence figure (PNG)")
    args = parser.parse_args()
    if args.figure:
        convergence_figure(args.figure)
    if args.only in (None, "linear-1e-6"):
        headline(args.seeds)
    print(f"seeds per configuration: {args.seeds}; p0 = 0.1; sampler aCS unless stated\n")
    header = (
        f"{'problem':<34}{'N':>6}{'evals':>8}{'obs CoV':>14}{'reported':>10}"
        f"{'rep/obs':>9}{'indep':>8}{'ind/obs':>9}{'bias':>8}{'ci95 cov':>10}"
        f"{'evals@0.25':>12}{'crude N same':>14}{'s':>6}"
    )
    print(header)
    print("-" * len(header))
    keys = [args.only] if args.only else list(PROBLEMS)
    configs = [(key, DEFAULT_N, "acs") for key in keys]
    if "linear-1e-6" in keys:
        configs += [("linear-1e-6", n, "acs") for n in (1000, BUDGET_N, 3000)]
    configs += [(key, DEFAULT_N, "mmh") for key in keys if key != "linear-10d-1e-6"]
    for key, n, sampler in configs:
        s = study(key, n, args.seeds, sampler)
        label = PROBLEMS[key][0] if sampler == "acs" else f"{PROBLEMS[key][0]} [mmh]"
        print(
            f"{label:<34}{n:>6}{s['evaluations']:>8.0f}"
            f"{s['observed']:>8.3f}±{s['observed_se']:.3f}{s['reported']:>10.3f}"
            f"{s['reported'] / s['observed']:>9.2f}{s['independent']:>8.3f}"
            f"{s['independent'] / s['observed']:>9.2f}{s['bias']:>+8.3f}{s['coverage']:>10.3f}"
            f"{s['for_target']:>12.0f}{s['crude']:>14.3g}{s['seconds']:>6.1f}"
        )


if __name__ == "__main__":
    main()
