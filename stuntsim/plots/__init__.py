"""Figures every stunt kind shares: a run's hazards and risk matrix, and the studies'
results (envelope, sensitivity, rare-event convergence, comparisons). A kind's own figures
live with it, in its own package.

Each function takes a matplotlib Axes, draws and returns it; none runs a simulation, calls
pyplot's show or saves a file.
"""

from stuntsim.plots.anatomy import plot_input_shift
from stuntsim.plots.hazards import BAND_COLOURS, plot_hazard_probabilities, plot_risk_matrix
from stuntsim.plots.studies import (
    plot_comparison,
    plot_comparison_harm,
    plot_convergence,
    plot_envelope,
    plot_envelope_2d,
    plot_rig_share,
    plot_sensitivity,
)

__all__ = [
    "BAND_COLOURS",
    "plot_comparison",
    "plot_comparison_harm",
    "plot_convergence",
    "plot_envelope",
    "plot_envelope_2d",
    "plot_hazard_probabilities",
    "plot_input_shift",
    "plot_rig_share",
    "plot_risk_matrix",
    "plot_sensitivity",
]
