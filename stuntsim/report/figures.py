"""A run's figures: the kind's own and the shared ones (the hazards, the risk matrix), each
as a function that draws it on its own :class:`~matplotlib.figure.Figure` (off-screen,
without pyplot), so a figure that cannot be drawn can be reported by name."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from stuntsim import plots
from stuntsim.kinds import kind_of
from stuntsim.report.anatomy import anatomy_figure
from stuntsim.report.summary import summary

__all__ = ["figure_builders", "one_panel", "png", "render_figures"]


def one_panel(size: tuple[float, float], draw: Callable, what) -> Callable[[], Any]:
    """A builder of a one-panel figure of ``size`` [in]: ``draw(axes, what)`` on it."""
    from matplotlib.figure import Figure

    def build():
        figure = Figure(figsize=size, layout="constrained")
        draw(figure.add_subplot(), what)
        return figure
    return build


def figure_builders(result, info: dict | None = None) -> dict[str, Callable[[], Any]]:
    """Every figure of a run by name (``info``: the run's summary, built if not given)."""
    info = summary(result) if info is None else info
    one = one_panel
    builders = {
        **kind_of(result.resolved).figure_builders(result, info),
        "hazards": one((8, 4), plots.plot_hazard_probabilities, result),
        "risk_matrix": one((11, 9), plots.plot_risk_matrix, info),
    }
    if any(entry.get("ranking") for entry in
           ((info.get("anatomy") or {}).get("hazards") or {}).values()):
        builders["failure_anatomy"] = lambda: anatomy_figure(result, info)
    return builders


def render_figures(result, info: dict | None = None) -> dict[str, bytes]:
    """Every figure of a run as PNG bytes; a figure that cannot be drawn raises (the CLI
    reports it by name instead, from :func:`figure_builders`)."""
    return {name: png(build()) for name, build in figure_builders(result, info).items()}


FIGURE_FORMATS = ("png", "svg", "pdf")


def png(figure) -> bytes:
    """A matplotlib Figure as PNG bytes (130 dpi, tight)."""
    return figure_bytes(figure, "png")


def figure_bytes(figure, fmt: str) -> bytes:
    """A matplotlib Figure as PNG (130 dpi), SVG or PDF bytes, tight. SVG and PDF keep
    text as text (``svg.fonttype`` "none" would need the reader's fonts: paths are used,
    so a figure looks the same everywhere)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {FIGURE_FORMATS}, got {fmt!r}")
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    options = {"metadata": {"Date": None}} if fmt == "svg" else {}
    if fmt == "pdf":
        options = {"metadata": {"CreationDate": None}}
    figure.savefig(buffer, format=fmt, dpi=130, bbox_inches="tight", **options)
    return buffer.getvalue()
