"""Subset simulation accuracy per evaluation. Prints; never asserts.

    python benchmarks/bench_subset.py             # 400 seeds per configuration, ~30 s
    python benchmarks/bench_subset.py --seeds 100
    python benchmarks/bench_subset.py --figure convergence.png   # MC vs subset figure

For each reference problem (tests/test_subset.py; exact p from scipy.special.ndtr or the
literature) and n_per_level = N, over independent seeds:

* observed CoV: sample standard deviation of p̂ over the seeds / exact p, with a
  bootstrap standard error over seeds;
* reported CoV: mean of SubsetResult.cov (ancestral-cluster estimate) and of
  cov_independent_levels (Au & Beck's Σ δ_j², independent levels);
* bias: mean p̂ / p − 1;
* evaluations: mean limit-state evaluations per run;
* evaluations for CoV 0.25: evaluations × (observed CoV / 0.25)² (CoV ∝ 1/√N at a fixed
  number of levels), checked by runs at larger N;
* crude Monte Carlo's equivalent N = (1 − p)/(p · 0.25²) (REFERENCES.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from stuntsim.risk.reference import REFERENCE_PROBLEMS
from stuntsim.risk.subset import subset_simulation

_NAMES = {
    "linear-1e-6": "linear β=4.753 (1e-6)",
    "linear-1e-4": "linear β=3.719 (1e-4)",
    "four-branch-k6": "four-branch k=6",
    "four-branch-k7": "four-branch k=7",
}
PROBLEMS = {label: REFERENCE_PROBLEMS[key] for key, label in _NAMES.items()}
TARGET_COV = 0.25


def study(g, exact, n_per_level, seeds, sampler="acs"):
    start = time.perf_counter()
    runs = [
        subset_simulation(
            g, 2, n_per_level=n_per_level, rng=np.random.default_rng(s), sampler=sampler
        )
        for s in range(seeds)
    ]
    seconds = time.perf_counter() - start
    p = np.array([r.probability for r in runs])
    boot = np.random.default_rng(12345).integers(0, seeds, (500, seeds))
    observed = p.std(ddof=1) / exact
    return {
        "observed": observed,
        "observed_se": float(np.std(p[boot].std(axis=1, ddof=1) / exact)),
        "reported": float(np.mean([r.cov for r in runs])),
        "independent": float(np.mean([r.cov_independent_levels for r in runs])),
        "bias": p.mean() / exact - 1.0,
        "evaluations": float(np.mean([r.evaluations for r in runs])),
        "coverage": float(np.mean([r.ci95[0] <= exact <= r.ci95[1] for r in runs])),
        "seconds": seconds,
    }


def convergence_figure(path: str) -> None:
    """Crude MC (300k samples) against subset simulation at several N, linear p = 1e-4."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from stuntsim.plots import plot_convergence

    g, exact = PROBLEMS["linear β=3.719 (1e-4)"]
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
    parser.add_argument("--figure", help="write the MC-vs-subset convergence figure (PNG)")
    args = parser.parse_args()
    if args.figure:
        convergence_figure(args.figure)
    print(f"seeds per configuration: {args.seeds}; sampler aCS unless stated; p0 = 0.1\n")
    header = (
        f"{'problem':<30}{'N':>6}{'evals':>8}{'obs CoV':>14}{'reported':>10}"
        f"{'rep/obs':>9}{'indep':>8}{'ind/obs':>9}{'bias':>8}{'ci95 cov':>10}"
        f"{'evals@0.25':>12}{'crude N@0.25':>14}{'s':>6}"
    )
    print(header)
    print("-" * len(header))
    configs = [(name, n, "acs") for name in PROBLEMS for n in (2000,)]
    configs += [("linear β=4.753 (1e-6)", n, "acs") for n in (1000, 3000)]
    configs += [(name, 2000, "mmh") for name in PROBLEMS]
    for name, n, sampler in configs:
        g, exact = PROBLEMS[name]
        s = study(g, exact, n, args.seeds, sampler)
        crude = (1 - exact) / (exact * TARGET_COV**2)
        label = name if sampler == "acs" else f"{name} [mmh]"
        print(
            f"{label:<30}{n:>6}{s['evaluations']:>8.0f}"
            f"{s['observed']:>8.3f}±{s['observed_se']:.3f}{s['reported']:>10.3f}"
            f"{s['reported'] / s['observed']:>9.2f}{s['independent']:>8.3f}"
            f"{s['independent'] / s['observed']:>9.2f}{s['bias']:>+8.3f}{s['coverage']:>10.3f}"
            f"{s['evaluations'] * (s['observed'] / TARGET_COV) ** 2:>12.0f}{crude:>14.3g}"
            f"{s['seconds']:>6.1f}"
        )


if __name__ == "__main__":
    main()
