"""Figures of the studies: the safe operating envelope (1-D and 2-D), what drives a hazard
(Sobol indices), rare-event convergence, and mitigations compared on common random
numbers.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from stuntsim import formatting as fmt


def plot_envelope(ax: Axes, env) -> Axes:
    """A hazard's probability against one planned value, with the target and the answer.

    ``env`` is a :class:`stuntsim.studies.envelope.EnvelopeResult`. The band is the 95 % interval
    at each value (common random numbers: neighbouring values share their samples).
    """
    x = env.values * env.scale
    floor = 0.1 / env.samples
    p = np.maximum(env.probability, floor)
    ax.fill_between(x, np.maximum(env.lower, floor), np.maximum(env.upper, floor),
                    color="#c92a2a", alpha=0.2, lw=0, label="95 % interval")
    ax.plot(x, p, "o-", color="#c92a2a", ms=4, label="estimate")
    ax.axhline(env.target, color="k", ls="--", lw=1.2, label=f"target {env.target:g} per take")
    if env.answer is not None:
        ax.axvline(env.answer * env.scale, color="#2b8a3e", lw=2,
                   label=f"answer ({env.direction} value, upper bound ≤ target): "
                         f"{env.answer * env.scale:.3g} {env.unit}")
    if env.point_crossing is not None:
        ax.axvline(env.point_crossing * env.scale, color="#2b8a3e", ls=":", lw=1.5,
                   label=f"point estimate crosses: {env.point_crossing * env.scale:.3g} "
                         f"{env.unit}")
    ax.set_yscale("log")
    what = "any hazard" if env.hazard == "any" else env.hazard.replace("_", " ")
    ax.set(xlabel=f"{env.param} [{env.unit or '-'}]",
           ylabel=f"P({what}) per take", ylim=(floor / 2, 1.5),
           title=f"Safe operating envelope: P({what}) against {env.param} "
                 f"({env.samples} samples per value)")
    ax.legend(fontsize=7, loc="upper left")
    return ax


def plot_envelope_2d(ax: Axes, env) -> Axes:
    """The hazard's probability over two planned values, with the target's contour.

    Colour: log10 of the point estimate; solid line: where the upper 95 % bound meets the
    target (the safe side is where the bound is below it).
    """
    x = env.values_x * env.scale_x
    y = env.values_y * env.scale_y
    floor = 0.1 / env.samples
    mesh = ax.pcolormesh(x, y, np.log10(np.maximum(env.probability, floor)), shading="nearest",
                         cmap="Reds")
    ax.figure.colorbar(mesh, ax=ax, label="log10 P per take (point estimate)")
    if env.upper.min() < env.target < env.upper.max():
        contour = ax.contour(x, y, env.upper, levels=[env.target], colors="k", linewidths=2)
        ax.clabel(contour, fmt={env.target: f"upper 95 % = {env.target:g}"}, fontsize=7)
    what = "any hazard" if env.hazard == "any" else env.hazard.replace("_", " ")
    ax.set(xlabel=f"{env.param_x} [{env.unit_x or '-'}]",
           ylabel=f"{env.param_y} [{env.unit_y or '-'}]",
           title=f"P({what}) per take; black line: upper 95 % bound = target")
    return ax


def plot_sensitivity(ax: Axes, sens, *, labels: dict[str, str] | None = None,
                     top: int = 12) -> Axes:
    """What drives a hazard: total and first-order Sobol indices of each uncertain input.

    ``sens`` is a :class:`stuntsim.studies.SensitivityResult`; ``labels`` maps dotted paths
    to plain words (e.g. from :func:`stuntsim.scenario.describe_path`). Bars: the share of
    the margin's variance an input explains alone (first order) and with its interactions
    (total); whiskers: 95 % bootstrap intervals. Inputs sorted by the total index.
    """
    sobol = sens.sobol
    order = np.argsort(-sobol.total_order)[:top][::-1]
    names = [sens.names[i] for i in order]
    shown = [(labels or {}).get(name, name) for name in names]
    y = np.arange(len(order))

    def whiskers(values, ci):
        return [np.maximum(values - ci[:, 0], 0), np.maximum(ci[:, 1] - values, 0)]

    total, first = sobol.total_order[order], sobol.first_order[order]
    ax.barh(y + 0.2, total, height=0.4, color="#c92a2a",
            xerr=whiskers(total, sobol.total_order_ci[order]), capsize=2,
            label="total (with interactions)")
    ax.barh(y - 0.2, first, height=0.4, color="#f08c00",
            xerr=whiskers(first, sobol.first_order_ci[order]), capsize=2,
            label="first order (alone)")
    ax.set_yticks(y, shown, fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    what = sens.hazard.replace("_", " ")
    ax.set(xlabel=f"Share of the variance of the {what} margin [{sens.unit}] (Sobol index)",
           xlim=(min(-0.05, float(np.min(first)) - 0.05), 1.05),
           title=f"What drives {what}: Sobol indices ({sobol.evaluations} runs)")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_convergence(ax: Axes, mc_failures: np.ndarray, subset_results, *,
                     exact: float | None = None, label: str = "failure") -> Axes:
    """An estimate against the model evaluations it cost: crude MC against subset simulation.

    ``mc_failures`` is a boolean array of crude Monte Carlo outcomes in sample order; its
    running estimate is drawn with its 95 % Wilson band. ``subset_results`` are
    :class:`stuntsim.risk.subset.SubsetResult` objects (e.g. for several ``n_per_level``),
    drawn at their evaluation counts with their 95 % intervals. ``exact``: the true value,
    where one is known.
    """
    from stuntsim.risk.montecarlo import binomial_intervals

    n = np.arange(1, mc_failures.size + 1)
    k = np.cumsum(mc_failures)
    shown = np.unique(np.geomspace(1, mc_failures.size, 400).astype(int)) - 1
    lo, hi, _ = binomial_intervals(k[shown], n[shown])
    p = k[shown] / n[shown]
    floor = 0.1 / mc_failures.size
    ax.fill_between(n[shown], np.maximum(lo, floor), np.maximum(hi, floor), color="#adb5bd",
                    alpha=0.5, lw=0, label="crude Monte Carlo, 95 % interval")
    ax.plot(n[shown], np.where(p > 0, p, np.nan), color="#495057", lw=1.2,
            label="crude Monte Carlo, running estimate")
    if subset_results:
        evaluations = np.array([r.evaluations for r in subset_results])
        estimate = np.array([r.probability for r in subset_results])
        low = np.array([r.ci95[0] for r in subset_results])
        high = np.array([r.ci95[1] for r in subset_results])
        ax.errorbar(evaluations, estimate, yerr=[estimate - low, high - estimate], fmt="o",
                    color="#c92a2a", capsize=3, label="subset simulation, 95 % interval")
    if exact is not None:
        ax.axhline(exact, color="k", ls="--", lw=1.2, label=f"exact {exact:.3g}")
    ax.set(xscale="log", yscale="log", xlabel="Model evaluations",
           ylabel=f"P({label})", ylim=(floor, 1.0),
           title="Estimate against model evaluations: crude Monte Carlo vs subset simulation")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_comparison(ax: Axes, comparison, *, hazard: str = "any") -> Axes:
    """Each variant's probability of one hazard with its 95 % interval, and the paired
    difference from the baseline (common random numbers) written beside it."""
    names = comparison.names
    estimates = [e[hazard] for e in comparison.estimates]
    y = np.arange(len(names))[::-1]
    p = np.array([e.probability for e in estimates])
    lo = np.array([e.ci95[0] for e in estimates])
    hi = np.array([e.ci95[1] for e in estimates])
    colours = ["#495057"] + ["#2b8a3e" if d[hazard].ci95[1] < 0 else
                             "#c92a2a" if d[hazard].ci95[0] > 0 else "#868e96"
                             for d in comparison.differences]
    for yi, pi, low, high, colour in zip(y, p, lo, hi, colours, strict=True):
        ax.errorbar(pi, yi, xerr=[[pi - low], [high - pi]], fmt="o", color=colour, capsize=4)
    for i, yi in enumerate(y[1:]):
        d = comparison.differences[i][hazard]
        ax.annotate(f"Δ = {fmt.difference(d.difference)} [{fmt.difference(d.ci95[0])}, "
                    f"{fmt.difference(d.ci95[1])}]",
                    (hi[i + 1], yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8, color=colours[i + 1])
    ax.set_yticks(y, [f"{n} (baseline)" if i == 0 else n for i, n in enumerate(names)])
    what = "any hazard" if hazard == "any" else hazard.replace("_", " ")
    ax.set(xlabel=f"P({what}) per take, 95 % interval", xlim=(0, min(1.0, hi.max() * 1.6)),
           ylim=(-0.6, len(names) - 0.4),
           title=f"Mitigations on common random numbers ({comparison.samples} takes each): "
                 f"green = significantly safer, red = worse")
    return ax


def plot_comparison_harm(ax: Axes, comparison, *, outcome: str = "fatality") -> Axes:
    """Each variant's expected harm per take over all hazards (P(death) or P(serious injury
    or death)); a variant's bar is the baseline's value plus the paired difference's 95 %
    interval (common random numbers), so it shows what the mitigation changes."""
    from stuntsim.risk.montecarlo import ANY

    names = comparison.names
    y = np.arange(len(names))[::-1]
    values = np.array([h[ANY][outcome] for h in comparison.harm])
    base = values[0]
    ax.plot(base, y[0], "o", color="#495057")
    for i, yi in enumerate(y[1:]):
        d = comparison.harm_differences[i][ANY][outcome]
        lo, hi = base + d.ci95[0], base + d.ci95[1]
        colour = "#2b8a3e" if d.ci95[1] < 0 else "#c92a2a" if d.ci95[0] > 0 else "#868e96"
        ax.errorbar(values[i + 1], yi, xerr=[[max(values[i + 1] - lo, 0)],
                                            [max(hi - values[i + 1], 0)]],
                    fmt="o", color=colour, capsize=4)
        ax.annotate(f"Δ = {fmt.difference(d.difference)} [{fmt.difference(d.ci95[0])}, "
                    f"{fmt.difference(d.ci95[1])}]",
                    (max(hi, values[i + 1]), yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8, color=colour)
    ax.axvline(base, color="#495057", lw=0.8, ls=":", label="baseline")
    ax.set_yticks(y, [f"{n} (baseline)" if i == 0 else n for i, n in enumerate(names)])
    what = "P(death)" if outcome == "fatality" else "P(serious injury or death)"
    top = max(values.max(), base + max(d[ANY][outcome].ci95[1]
                                        for d in comparison.harm_differences))
    ax.set(xlabel=f"Expected {what} per take, all hazards (bars: baseline + paired Δ, 95 %)",
           xlim=(0, max(top * 1.8, 1e-6)), ylim=(-0.6, len(names) - 0.4),
           title=f"Harm on common random numbers ({comparison.samples} takes each)")
    return ax


def plot_rig_share(ax: Axes, comparison, *,
                   hazards=("person_not_seen_in_time", "person_struck", "any"),
                   variant: int = 1) -> Axes:
    """Two variants side by side per hazard, and what the variant adds over the baseline.

    ``comparison`` is a :class:`stuntsim.studies.compare.Comparison`; ``comparison.names[variant]``
    (e.g. "with the rig") is compared with its baseline ``comparison.names[0]`` (e.g.
    "without the rig", as :func:`stuntsim.studies.compare.rig_share` orders them). Bars: each
    one's probability per take with its 95 % interval; above each pair the paired
    difference variant − baseline on common random numbers with its 95 % paired interval
    (the rig's share for :func:`~stuntsim.studies.compare.rig_share`), and that difference as a
    share of the variant's probability. Red: the variant is significantly worse, green:
    significantly better, grey: no significant difference.
    """
    if not 1 <= variant < len(comparison.names):
        raise ValueError(f"variant must index one of the variants 1…"
                         f"{len(comparison.names) - 1}, got {variant}")
    missing = [h for h in hazards if h not in comparison.hazards]
    if missing:
        raise ValueError(f"hazards {missing} are not in the comparison: {comparison.hazards}")
    first, second = comparison.names[variant], comparison.names[0]
    x = np.arange(len(hazards))
    width = 0.36
    top = 0.0
    for offset, index, colour in ((-width / 2, variant, "#e8590c"), (width / 2, 0, "#adb5bd")):
        estimates = [comparison.estimates[index][h] for h in hazards]
        p = np.array([e.probability for e in estimates])
        lo = np.array([e.ci95[0] for e in estimates])
        hi = np.array([e.ci95[1] for e in estimates])
        ax.bar(x + offset, p, width=width * 0.95, color=colour, edgecolor="#495057", lw=0.6,
               yerr=[p - lo, hi - p], capsize=3, ecolor="k", zorder=2,
               label=f"{comparison.names[index]}: P per take, 95 % interval")
        top = max(top, float(hi.max()))
        for xi, e in zip(x + offset, estimates, strict=True):
            if e.probability > 0.12 * top:  # written inside the bars tall enough for it
                ax.text(xi, e.probability / 2, fmt.probability(e.probability), ha="center",
                        va="center", fontsize=7, rotation=90, zorder=3)
    for xi, hazard in zip(x, hazards, strict=True):
        d = comparison.differences[variant - 1][hazard]
        diff, (lo, hi) = d.difference, d.ci95  # variant − baseline
        colour = "#c92a2a" if lo > 0 else "#2b8a3e" if hi < 0 else "#868e96"
        base = comparison.estimates[variant][hazard].probability
        share = (f"\n= {diff / base:.0%} of P({first})" if base > 0 else "")
        peak = max(comparison.estimates[i][hazard].ci95[1] for i in (0, variant))
        ax.annotate(f"Δ = {_signed(diff)}\n[{_signed(lo)}, {_signed(hi)}]{share}", (xi, peak),
                    xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8, color=colour, zorder=4)
    ax.set_xticks(x, ["any hazard" if h == "any" else h.replace("_", " ") for h in hazards])
    ax.set(ylabel="Probability per take [-]", ylim=(0, min(1.0, top * 1.45) or 1.0),
           xlim=(-0.6, len(hazards) - 0.4),
           title=f"What '{first}' adds over '{second}'\npaired Δ = P({first}) − P({second}) "
                 f"with its 95 % interval, the same {comparison.samples} takes\n(common "
                 f"random numbers; red: significantly more, green: less, grey: not "
                 f"significant)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", color="#dee2e6", lw=0.6, zorder=0)
    return ax


def _signed(value: float) -> str:
    """A signed probability difference: three decimals, or two significant digits below
    0.01, and no "-0"."""
    if abs(value) >= 0.01:
        return f"{round(value, 3) + 0.0:+.3f}"
    return fmt.difference(value)
