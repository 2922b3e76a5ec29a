"""A run's figures: the kind's own and the shared ones (the hazards, the risk matrix), each
as a function that draws it on its own :class:`~matplotlib.figure.Figure` (off-screen,
without pyplot), so a figure that cannot be drawn can be reported by name."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from stuntsim import plots
from stuntsim.kinds import kind_of
from stuntsim.report.summary import summary

__all__ = ["figure_builders", "png", "render_figures"]


def figure_builders(result, info: dict | None = None) -> dict[str, Callable[[], Any]]:
    """Every figure of a run by name (``info``: the run's summary, built if not given)."""
    from matplotlib.figure import Figure

    info = summary(result) if info is None else info

    def one(size, draw, what):
        def build():
            figure = Figure(figsize=size, layout="constrained")
            draw(figure.add_subplot(), what)
            return figure
        return build

    return {
        **kind_of(result.resolved).figure_builders(result, info),
        "hazards": one((8, 4), plots.plot_hazard_probabilities, result),
        "risk_matrix": one((11, 9), plots.plot_risk_matrix, info),
    }


def render_figures(result, info: dict | None = None) -> dict[str, bytes]:
    """Every figure of a run as PNG bytes; a figure that cannot be drawn raises (the CLI
    reports it by name instead, from :func:`figure_builders`)."""
    return {name: png(build()) for name, build in figure_builders(result, info).items()}


def png(figure) -> bytes:
    """A matplotlib Figure as PNG bytes (130 dpi, tight)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    return buffer.getvalue()
