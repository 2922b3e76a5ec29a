"""Failure anatomy figures: one input's values over the failing takes against all takes.

Like every figure of stuntsim, the function takes a matplotlib Axes, draws and returns it;
it runs no simulation, calls no pyplot show and saves no file.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from stuntsim import formatting as fmt

ALL_COLOUR = "#868e96"
FAILING_COLOUR = "#c92a2a"


def plot_input_shift(ax: Axes, all_values: np.ndarray, failing_values: np.ndarray, *,
                     xlabel: str, title: str = "", note: str = "", bins: int = 40,
                     legend: bool = True) -> Axes:
    """Overlaid histograms (as densities, so both have area 1) of an input over all takes
    (grey, filled) and over the failing takes (red outline), with each median as a dashed
    line; ``note`` (e.g. the median shift with its interval) in the upper corner."""
    all_values = np.asarray(all_values, dtype=float)
    failing_values = np.asarray(failing_values, dtype=float)
    low, high = float(np.min(all_values)), float(np.max(all_values))
    if not high > low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    ax.hist(all_values, bins=edges, density=True, color=ALL_COLOUR, alpha=0.45,
            label=f"all takes ({all_values.size:,})")
    # fewer bins for the failing takes (≈ 1.5 √k, 6 … bins): a few dozen takes in 40 bins
    # would draw noise; both on the same range
    coarse = np.linspace(low, high, int(np.clip(1.5 * np.sqrt(failing_values.size), 6,
                                                bins)) + 1)
    ax.hist(failing_values, bins=coarse, density=True, histtype="step", lw=1.8,
            color=FAILING_COLOUR, label=f"failing takes ({failing_values.size:,})")
    ax.axvline(float(np.median(all_values)), color="#495057", ls="--", lw=1.2,
               label="median, all")
    ax.axvline(float(np.median(failing_values)), color=FAILING_COLOUR, ls="--", lw=1.2,
               label="median, failing")
    ax.set_ylim(0.0, 1.35 * ax.get_ylim()[1])  # headroom for the note and the legend
    ax.set_xlabel(fmt.wrap_label(xlabel, 48), fontsize=8)
    ax.set_ylabel("density [1 / unit of the input]", fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(fmt.wrap_label(title, 70), fontsize=8.5)
    if note:
        ax.text(0.02, 0.97, note, transform=ax.transAxes, fontsize=7, va="top",
                bbox={"boxstyle": "round", "fc": "white", "ec": "#ced4da", "alpha": 0.9})
    if legend:
        ax.legend(fontsize=7, loc="upper right", framealpha=0.9)
    return ax
