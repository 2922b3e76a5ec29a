"""A run's report, for any stunt kind: summary.json and failures.csv, the terminal table and
the figures. The kind adds its sections through its hooks (:mod:`stuntsim.kinds.base`)."""

from stuntsim.outputs import write_atomic
from stuntsim.report.figures import figure_builders, png, render_figures
from stuntsim.report.summary import QUANTILES, summary, summary_files, write_summary
from stuntsim.report.tables import format_matrix, format_table

__all__ = [
    "QUANTILES",
    "figure_builders",
    "format_matrix",
    "format_table",
    "png",
    "render_figures",
    "summary",
    "summary_files",
    "write_atomic",
    "write_summary",
]
