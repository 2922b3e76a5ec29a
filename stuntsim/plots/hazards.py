"""Figures of any run's hazards: each probability with its interval, and the risk matrix.

Like every figure of stuntsim, each function takes a matplotlib Axes, draws and returns it;
none runs a simulation, calls pyplot's show or saves a file.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch, Polygon

from stuntsim import formatting as fmt


def plot_hazard_probabilities(ax: Axes, result) -> Axes:
    """Each hazard's probability with its 95 % interval (log scale)."""
    names = [*result.hazards, "any"]
    estimates = [result.estimates[name] for name in names]
    p = np.array([e.probability for e in estimates])
    lo = np.array([e.ci95[0] for e in estimates])
    hi = np.array([e.ci95[1] for e in estimates])
    floor = 0.1 / result.samples
    y = np.arange(len(names))
    seen = p > 0
    shown = np.maximum(p, floor)
    ax.errorbar(shown[seen], y[seen],
                xerr=np.vstack([shown[seen] - np.maximum(lo[seen], floor),
                                hi[seen] - shown[seen]]),
                fmt="o", color="#c92a2a", ecolor="k", capsize=3,
                label="estimate with its 95 % interval")
    if (~seen).any():
        ax.errorbar(shown[~seen], y[~seen], xerr=np.vstack([np.zeros((~seen).sum()),
                                                            hi[~seen] - shown[~seen]]),
                    fmt="o", mfc="white", color="#868e96", ecolor="#868e96", capsize=3,
                    label="no failure seen: only the upper 95 % bound")
    for yi, e in zip(y, estimates, strict=True):
        ax.annotate(f"{e.failures}/{e.n}", (max(e.probability, floor), yi), xytext=(0, 6),
                    textcoords="offset points", fontsize=7, ha="center")
    ax.set_xscale("log")
    ax.set_yticks(y, [name.replace("_", " ") for name in names[:-1]] + ["any hazard"])
    ax.set(xlabel="Probability per take (log scale)", xlim=(floor / 2, 1.5),
           ylim=(-0.7, len(names) - 0.3), title=f"How likely each hazard is "
           f"({result.samples} simulated takes)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return ax


BAND_COLOURS = {"low": "#b2f2bb", "medium": "#ffec99", "high": "#ffc078",
                "very high": "#ff8787"}


def plot_risk_matrix(ax: Axes, info: dict) -> Axes:
    """The 5 × 5 risk matrix of a run's summary (``summary(result)["risk_matrix"]``).

    Cells are coloured by band (low / medium / high / very high; the scale is written in
    ``info["risk_matrix"]["scale"]``); each rated hazard is written in its cell with where
    its likelihood comes from ("730/8000 observed", "0 in 8000: ≤ 4.6e-04"). A hazard
    whose point estimate falls in another likelihood band is also drawn, hollow, in that
    cell. Underneath, each hazard's rating and basis in the same words as the terminal
    table (:func:`stuntsim.severity.describe_cell`).
    """
    from stuntsim.formatting import probability
    from stuntsim.severity import (
        DEFAULT_MATRIX,
        describe_cell,
        likelihood_name,
        severity_name,
    )

    for lik in range(1, 6):
        for sev in range(1, 6):
            score, band = DEFAULT_MATRIX.rating(np.int64(lik), np.int64(sev))
            ax.add_patch(Polygon([[sev - 0.5, lik - 0.5], [sev + 0.5, lik - 0.5],
                                  [sev + 0.5, lik + 0.5], [sev - 0.5, lik + 0.5]],
                                 closed=True, facecolor=BAND_COLOURS.get(band, "#e9ecef"),
                                 edgecolor="white", lw=2, zorder=1))
            ax.text(sev + 0.42, lik - 0.42, str(score), ha="right", va="bottom", fontsize=7,
                    color="#495057", zorder=2)
    cells: dict[tuple[int, int], list[str]] = {}
    hollow: dict[tuple[int, int], list[str]] = {}
    notes = []
    for name, cell in info["risk_matrix"]["hazards"].items():
        label = name.replace("_", " ")
        rating, *basis = describe_cell(cell)
        notes.append(f"{label}: {rating}; " + "; ".join(basis))
        if cell["severity"] is None:
            continue
        hazard = info["hazards"].get(name, {})
        k, n = hazard.get("failures"), hazard.get("n")
        source = f"{k}/{n} seen" if k else f"0/{n}, ≤ {probability(cell['upper_95'])}"
        cells.setdefault((cell["likelihood"], cell["severity"]), []).append(
            f"{label}\n({source})")
        if cell["likelihood_at_estimate"] != cell["likelihood"]:
            hollow.setdefault((cell["likelihood_at_estimate"], cell["severity"]), []).append(
                f"{label}\n(point estimate)")
    # a cell holding both a rating and another hazard's point estimate: one above the other
    shared = set(cells) & set(hollow)
    for (lik, sev), names in cells.items():
        ax.text(sev, lik + (0.2 if (lik, sev) in shared else 0.0), "\n".join(names),
                ha="center", va="center", fontsize=7 if len(names) < 3 else 5.5,
                fontweight="bold", zorder=3)
    for (lik, sev), names in hollow.items():
        ax.text(sev, lik - (0.22 if (lik, sev) in shared else 0.0), "\n".join(names),
                ha="center", va="center", fontsize=7,
                color="#495057", fontstyle="italic", zorder=3,
                bbox={"boxstyle": "round", "facecolor": "none", "edgecolor": "#495057",
                      "linestyle": "--"})
    ax.set_xticks(range(1, 6), [f"{i}\n{severity_name(i).split(' (')[0]}"
                                for i in range(1, 6)], fontsize=8)
    ax.set_yticks(range(1, 6), [f"{likelihood_name(i)} {i}" for i in range(1, 6)], fontsize=8)
    ax.set(xlim=(0.5, 5.5), ylim=(0.5, 5.5), aspect="equal",
           xlabel="Severity if it happens\n(the worst level with ≥ 1 % probability, or "
                  "that no relation excludes)",
           ylabel="Likelihood per take (upper 95 % bound;\n<1e-4, <1e-3, <1e-2, <0.1, ≥0.1)",
           title=f"Risk matrix: {info['scenario']}")
    handles = [Patch(facecolor=c, label=f"{b} risk") for b, c in BAND_COLOURS.items()]
    handles.append(Patch(facecolor="none", edgecolor="#495057", linestyle="--",
                         label="at the point estimate\n(where it differs)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    ax.text(-0.25, -0.2, "\n".join(fmt.wrap_label(note, 140) for note in notes),
            transform=ax.transAxes, fontsize=6.5, va="top", ha="left", color="#343a40")
    return ax

