"""Figures of a train-roof run: one function per figure, Axes in, Axes out.

They read a run's result (:class:`~stuntsim.runner.RiskResult` with the train's facts);
they never run a simulation, never call pyplot's show and never save files.
:func:`render_figures` draws them all on fresh :class:`matplotlib.figure.Figure` objects
(no pyplot state), for the CLI and notebooks.

Bands over samples (median and 5–95 %) come from the runs kept whole (the first
``keep_trajectories`` samples, an unbiased subset); failures are marked for *every*
sample of the run, at the moment its margin was worst.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from stuntsim import formatting as fmt
from stuntsim.constants import TO_KMH
from stuntsim.kinds.train.schema import POSTURE_NAMES
from stuntsim.risk.montecarlo import ANY, failed

__all__ = [
    "along_track_band",
    "figure_builders",
    "plot_clearance_at_structures",
    "plot_demand_along_track",
    "plot_risk_by_segment",
    "plot_speed_plan",
    "render_figures",
]

HAZARD_COLOURS = {
    "dislodged": "#c92a2a",
    "tipped": "#f08c00",
    "struck_by_structure": "#000000",
    "tether_overload": "#862e9c",
    ANY: "#495057",
}
PERFORMER_COLOURS = ("#1864ab", "#2b8a3e", "#e8590c", "#862e9c", "#a61e4d")
POSTURE_STYLE = {"standing": ":", "crouching": "--", "prone": "-."}
GRID_STEP = 4.0  # [m] chainage grid of the bands


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def along_track_band(result, values: np.ndarray, *, quantiles=(0.05, 0.5, 0.95)):
    """Quantiles over the kept regular runs of a per-step quantity, on a chainage grid.

    Parameters
    ----------
    result : RiskResult    A train run's result
    values : (k, T) array   A recorded quantity of the kept runs (rows as in
                            ``result.trajectories``; only the first
                            ``result.regular_samples`` rows are used).

    Returns
    -------
    (grid, bands) : grid (m,) chainage [m]; bands (len(quantiles), m), NaN where fewer
    than two runs cover a grid point.
    """
    traj = _trajectories(result)
    k = result.regular_samples
    grid = np.arange(result.segment_starts[0], result.segment_starts[-1] + GRID_STEP,
                     GRID_STEP)
    sampled = np.full((k, grid.size), np.nan)
    for row in range(k):
        alive = traj["alive"][row] > 0
        s = traj["s"][row][alive]
        y = values[row][alive]
        forward = np.concatenate(([True], np.diff(s) > 0))  # drop standstill repeats
        if forward.sum() < 2:
            continue
        sampled[row] = np.interp(grid, s[forward], y[forward], left=np.nan, right=np.nan)
    covered = np.sum(np.isfinite(sampled), axis=0) >= 2
    bands = np.full((len(quantiles), grid.size), np.nan)
    if covered.any():
        bands[:, covered] = np.nanquantile(sampled[:, covered], quantiles, axis=0)
    return grid, bands


def _trajectories(result):
    if not result.trajectories or result.regular_samples < 1:
        raise ValueError("the result kept no runs (keep_trajectories=0): no bands to draw")
    return result.trajectories


def _shade_structures(ax: Axes, result, *, label: bool = True) -> None:
    """Grey spans where something is overhead, blue where the track is on a high bridge."""
    for structure in result.resolved.scenario.structures:
        start, end = structure.at, structure.at + max(structure.length, 3.0)
        if structure.clearance is not None:
            colour = "#adb5bd" if structure.kind == "tunnel" else "#868e96"
            ax.axvspan(start, end, color=colour, alpha=0.35, lw=0, zorder=0)
        else:
            ax.axvspan(start, end, color="#74c0fc", alpha=0.3, lw=0, zorder=0)
        if label:
            ax.annotate(structure.name, ((start + end) / 2, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(0, -3),
                        textcoords="offset points", rotation=90, ha="center", va="top",
                        fontsize=6.5, color="#343a40")


def _curves(ax: Axes, result) -> None:
    """Tick marks along the bottom for the curves, labelled with radius and cant."""
    nominal = result.resolved.nominal
    for index, segment in enumerate(result.resolved.scenario.track.segments):
        if segment.radius is None:
            continue
        start, end = result.segment_starts[index], result.segment_starts[index + 1]
        base = f"track.segments.{segment.name}"
        ax.axvspan(start, end, ymin=0, ymax=0.025, color="#e8590c", alpha=0.8, lw=0)
        ax.annotate(f"R {nominal[f'{base}.radius']:.0f} {segment.hand[0].upper()}\n"
                    f"{nominal[f'{base}.cant'] * 1000:.0f} mm",
                    ((start + end) / 2, 0.03), xycoords=("data", "axes fraction"),
                    ha="center", va="bottom", fontsize=6, color="#d9480f")


# --------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------


def plot_demand_along_track(ax: Axes, result, *, performer: int = 0,
                            quantity: str = "force") -> Axes:
    """Demand against capacity along the track for one performer.

    ``quantity="force"``: the horizontal force the performer must resist (drag, inertia,
    gradient) against friction plus hand-hold [N], with the dislodged failures;
    ``quantity="moment"``: the overturning moment against the restoring moment about the
    stance edge [N·m], with the tipped failures. Lines are medians, bands 5–95 % over the
    kept runs; markers are every failed sample's worst moment.
    """
    if quantity not in ("force", "moment"):
        raise ValueError(f"quantity must be 'force' or 'moment', got {quantity!r}")
    traj = _trajectories(result)
    name = result.performer_names[performer]
    demand_key, capacity_key, hazard, unit = (
        ("demand", "capacity", "dislodged", "N") if quantity == "force"
        else ("overturning", "restoring", "tipped", "N·m"))
    _shade_structures(ax, result)
    _curves(ax, result)
    for key, colour, label in ((demand_key, "#c92a2a", "demand"),
                               (capacity_key, "#1864ab", "capacity")):
        grid, (low, median, high) = along_track_band(result, traj[key][:, performer, :])
        what = {"demand": "demand: force on the body" if quantity == "force"
                else "overturning moment",
                "capacity": "capacity: friction + hand" if quantity == "force"
                else "restoring moment"}[label]
        ax.fill_between(grid, low, high, color=colour, alpha=0.2, lw=0)
        ax.plot(grid, median, color=colour, lw=1.4, label=f"{what} (median, 5–95 %)")
    margins = result.performer_margins[hazard][:, performer]
    happened = failed(margins)
    if happened.any():
        facts = result.performer_details[hazard]
        ax.scatter(facts["position"][happened, performer], facts[demand_key][happened, performer],
                   marker="x", color="k", s=18, lw=0.9, zorder=5,
                   label=f"{hazard}: worst moment ({happened.sum()}/{result.samples} runs)")
    else:
        ax.plot([], [], ls="", marker="x", color="k", label=f"{hazard}: in no run")
    ax.set(xlabel="Chainage along the track [m]",
           ylabel=f"{'Force' if quantity == 'force' else 'Moment'} [{unit}]",
           xlim=(result.segment_starts[0], result.segment_starts[-1]),
           title=f"{name}: {'demand vs capacity' if quantity == 'force' else 'tipping'} "
                 f"along the run ({result.regular_samples} runs in the bands)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2,
              framealpha=0.9, handlelength=1.5, columnspacing=1.0)
    return ax


def plot_clearance_at_structures(ax: Axes, result, *,
                                 max_points: int = 400) -> Axes:
    """Each overhead structure's clearance against the top of each performer there.

    For each structure: its clearance above rail (nominal, and the 5–95 % range of the
    draws as a grey box); dots are the highest point of each performer while under it in
    a sample (roof plus the posture actually reached by then), red-edged where the
    performer was struck; horizontal lines mark roof + each posture's nominal height
    (first performer's body, nominal roof). The tick labels give P(struck) per take for
    each performer.
    """
    names = result.structure_names
    if not names:
        raise ValueError("the scenario has no structures overhead")
    nominal = result.resolved.nominal
    roof = nominal["train.roof_height"]
    rng = np.random.default_rng(0)  # jitter only: a fixed local generator, no global state
    n_perf = len(result.performer_names)
    width = 0.7
    ticks = [f"{structure}\nP(struck) per take" for structure in names]
    for k, structure in enumerate(names):
        path = f"structures.{structure}.clearance"
        drawn = result.draws.get(path)
        lo, hi = ((np.quantile(drawn, 0.05), np.quantile(drawn, 0.95)) if drawn is not None
                  else (nominal[path], nominal[path]))
        ax.fill_between([k - width / 2, k + width / 2], lo, hi, color="#adb5bd", alpha=0.6,
                        lw=0)
        ax.hlines(nominal[path], k - width / 2, k + width / 2, color="k", lw=2.5)
        for j, performer in enumerate(result.performer_names):
            margin = result.structure_margins[:, j, k]
            passed = np.isfinite(margin)
            if not passed.any():
                continue
            clearance = drawn if drawn is not None else np.full(result.samples, nominal[path])
            top = clearance[passed] - margin[passed]
            struck = failed(margin[passed])
            pick = np.arange(top.size)
            if pick.size > max_points:  # all struck samples, and a subset of the others
                keep = rng.choice(np.flatnonzero(~struck), max_points, replace=False)
                pick = np.sort(np.concatenate([np.flatnonzero(struck), keep]))
            x = k + (j - (n_perf - 1) / 2) * width / max(n_perf, 1) + rng.uniform(
                -0.08, 0.08, pick.size)
            colour = PERFORMER_COLOURS[j % len(PERFORMER_COLOURS)]
            ax.scatter(x, top[pick], s=7, color=colour, alpha=0.5, lw=0, zorder=3)
            if struck.any():
                ax.scatter(x[struck[pick]], top[pick][struck[pick]], s=16, facecolor=colour,
                           edgecolor="#c92a2a", lw=1.0, zorder=4)
            ticks[k] += f"\n{performer}: {fmt.probability(np.mean(failed(margin)))}"
    body = result.resolved.scenario.performers[0].postures
    right = len(names) - 0.4 + 0.45  # a margin on the right for the height labels
    for posture in POSTURE_NAMES:
        height = nominal.get(f"performers.{result.performer_names[0]}.postures.{posture}"
                             ".height", getattr(body, posture).height)
        ax.axhline(roof + height, color="#495057", ls=POSTURE_STYLE[posture], lw=1)
        ax.annotate(f"roof +\n{posture}\n{roof + height:.2f} m", (right, roof + height),
                    xytext=(-2, 2), textcoords="offset points", ha="right", fontsize=7)
    ax.axhline(roof, color="#495057", lw=1.5)
    ax.annotate(f"coach roof\n{roof:.3f} m", (right, roof), xytext=(-2, 2),
                textcoords="offset points", ha="right", fontsize=7)
    handles = [Line2D([], [], color="k", lw=2.5, label="clearance (nominal)"),
               Patch(color="#adb5bd", alpha=0.6, label="clearance 5–95 % of the draws")]
    handles += [Line2D([], [], ls="", marker="o", color=PERFORMER_COLOURS[j % 5],
                       label=f"{name}: top while under it")
                for j, name in enumerate(result.performer_names)]
    handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="#c92a2a",
                          label="struck (top above the clearance)"))
    ax.legend(handles=handles, fontsize=7, loc="lower left", framealpha=0.9)
    ax.set_xticks(range(len(names)), ticks, fontsize=8)
    ax.set(xlim=(-0.6, right), ylim=(roof - 0.2, None),
           xlabel="Structure overhead, in track order",
           ylabel="Height above top of rail [m]",
           title="Clearance at each structure vs the top of each performer under it")
    return ax


def plot_risk_by_segment(ax: Axes, result) -> Axes:
    """P(a run first goes wrong in each track segment), per hazard, with 95 % intervals.

    For each hazard a sample counts once, in the segment where its margin first went
    negative; "any hazard" counts the first failure of any kind. Summed over segments a
    hazard's bars give its probability. The small numbers are failed runs.
    """
    hazards = [name for name in result.hazards if result.estimates[name].failures]
    series = [*hazards, ANY]
    segments = result.segment_names
    nominal = result.resolved.nominal
    y = np.arange(len(segments))[::-1]
    height = 0.8 / len(series)
    for i, name in enumerate(series):
        risk = result.segment_risk(name)
        offset = (i - (len(series) - 1) / 2) * height
        colour = HAZARD_COLOURS.get(name, "#868e96")
        err = np.vstack([risk.probability - risk.ci95[:, 0], risk.ci95[:, 1] - risk.probability])
        label = "any hazard (first of any kind)" if name == ANY else name.replace("_", " ")
        ax.barh(y - offset, risk.probability, height=height, color=colour,
                alpha=0.85 if name != ANY else 0.35, edgecolor=colour, label=label)
        ax.errorbar(risk.probability, y - offset, xerr=err, fmt="none", ecolor="k",
                    elinewidth=0.7, capsize=2)
        for yi, count, upper in zip(y - offset, risk.counts, risk.ci95[:, 1], strict=True):
            if count:
                ax.annotate(f"{count}", (upper, yi), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=6)
    labels = []
    for segment in result.resolved.scenario.track.segments:
        base = f"track.segments.{segment.name}"
        if segment.radius is None:
            labels.append(f"{segment.name}\n(straight)")
        else:
            labels.append(f"{segment.name}\n(R {nominal[f'{base}.radius']:.0f} m "
                          f"{segment.hand}, {nominal[f'{base}.cant'] * 1000:.0f} mm)")
    ax.set_yticks(y, labels, fontsize=7)
    never = [name.replace("_", " ") for name in result.hazards
             if not result.estimates[name].failures]
    note = f"; never happened: {', '.join(never)}" if never else ""
    ax.set(xlabel="Probability per take that the run first goes wrong here [-]",
           title=f"Risk by track segment ({result.samples} runs{note})")
    ax.set_xlim(left=0)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_speed_plan(ax: Axes, result) -> Axes:
    """The train's speed along the track: the plan (all inputs nominal), the kept runs'
    median and 5–95 % band, and the curves' equilibrium speeds √(g R c / b)."""
    traj = _trajectories(result)
    planned = result.planned
    alive = planned["alive"] > 0
    _shade_structures(ax, result)
    grid, (low, median, high) = along_track_band(result, traj["v"] * TO_KMH)
    ax.fill_between(grid, low, high, color="#1864ab", alpha=0.2, lw=0, label="5–95 % of runs")
    ax.plot(grid, median, color="#1864ab", lw=1.2, label="median run")
    ax.plot(planned["s"][alive], planned["v"][alive] * TO_KMH, "k--", lw=1.2, label="plan")
    # speeds at which a_u = 0 (equilibrium) and D = 150 mm (a usual cant-deficiency limit),
    # computed with the run (TrainFacts.curve_speeds)
    for k, (index, equilibrium, limit) in enumerate(result.curve_speeds):
        for v, style, label in ((equilibrium, ":", "equilibrium speed (no lateral)"),
                                (limit, "-", "150 mm cant deficiency (usual limit)")):
            ax.hlines(v * TO_KMH, result.segment_starts[index],
                      result.segment_starts[index + 1], color="#e8590c", ls=style, lw=1.5,
                      label=label if k == 0 else None)
    ax.set(xlabel="Chainage along the track [m]", ylabel="Train speed [km/h]",
           xlim=(result.segment_starts[0], result.segment_starts[-1]),
           title="Speed along the run")
    ax.legend(fontsize=7, loc="lower left")
    return ax


def figure_builders(result) -> dict:
    """The train's own figures of a run, each a function drawing it on its own
    :class:`Figure` (no pyplot): ``demand_capacity``, ``speed``, ``clearance``,
    ``risk_by_segment`` (the shared ones, the hazards and the risk matrix, are added by
    :mod:`stuntsim.report`)."""
    n_perf = len(result.performer_names)

    def demand_capacity():
        figure = Figure(figsize=(12, 4.2 * n_perf), layout="constrained")
        axes = figure.subplots(n_perf, 2, squeeze=False)
        for j in range(n_perf):
            plot_demand_along_track(axes[j, 0], result, performer=j, quantity="force")
            plot_demand_along_track(axes[j, 1], result, performer=j, quantity="moment")
        return figure

    def one(size, draw):
        def build():
            figure = Figure(figsize=size, layout="constrained")
            draw(figure.add_subplot(), result)
            return figure
        return build

    builders = {}
    if result.trajectories:
        builders["demand_capacity"] = demand_capacity
        builders["speed"] = one((11, 4), plot_speed_plan)
    if result.structure_names:
        builders["clearance"] = one((9, 6), plot_clearance_at_structures)
    builders["risk_by_segment"] = one((9, 1.5 + 0.75 * len(result.segment_names)),
                                      plot_risk_by_segment)
    return builders


def render_figures(result) -> dict[str, Figure]:
    """Every figure of a run on its own :class:`Figure` (see :func:`figure_builders`)."""
    return {name: build() for name, build in figure_builders(result).items()}
