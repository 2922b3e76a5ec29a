"""The train's takes as an animation: a side view along the track, one take after another.

A run is minutes long, so each take is shown around its moment — the first failure of the
hazard it was chosen for (or of any hazard, or its closest pass under a structure) — from
seven seconds before to three after, played faster than true time (the clock says how
much). In the side view the coach moves along the chainage with the performers standing
or crouching on its roof, as tall as the posture the model had them in at that step
(``top``, recorded); the structures overhead are drawn at the take's own clearances, the
drops beside the track where they are, and each performer's cues (where they are told to
crouch or stand) as dotted lines. Under a structure each performer's clearance is written
over their head. Beside it, how much of each performer's capacity the wind and the train
use (force against friction and hand-hold, moment against the restoring moment); under
it, what happened and when — all from the take's recorded steps and facts.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import ScaledTranslation

from stuntsim.constants import TO_KMH
from stuntsim.kinds.train.figures import HAZARD_COLOURS, PERFORMER_COLOURS
from stuntsim.kinds.train.schema import cue_chainage
from stuntsim.plots.animation import Animation, Segment, frame_steps, stride_for
from stuntsim.risk.montecarlo import ANY

__all__ = ["animate_takes", "take_events", "take_moment"]

COACH_LENGTH = 24.0  # [m] drawn (the model has a coach's chainage, not its length)
BEFORE, AFTER = 7.0, 2.0  # [s] shown around a take's moment
SPEED = 4.0  # times true time
MAX_EVENTS = 3
DECK = 1.2  # [m] drawn thickness of a bridge deck overhead


def _value(result, path: str, take: int) -> float:
    if path in result.draws:
        return float(result.draws[path][take])
    return float(result.resolved.nominal[path])


def take_moment(result, take: int, hazard: str | None) -> float:
    """The time [s] a take is shown around: the first failure of ``hazard`` (its worst
    moment if it did not happen); without a hazard, the take's first failure of any kind,
    else its closest pass under a structure."""
    if hazard is None:
        first = float(result.first_failure[ANY]["time"][take])
        if np.isfinite(first):
            return first
        hazard = "struck_by_structure" if result.structure_names else next(iter(result.hazards))
    first = float(result.first_failure[hazard]["time"][take])
    return first if np.isfinite(first) else float(result.worst[hazard]["time"][take])


def take_events(result, take: int, row: dict[str, np.ndarray]) -> list[tuple[float, str, str]]:
    """What went wrong in a take, each hazard at its first failure, with the values the
    model had at that step (``row``: the take's recorded steps): (time [s], words,
    colour), in time order."""
    events = []
    names = result.performer_names
    spec = result.resolved.scenario
    overhead = [s for s in spec.structures if s.clearance is not None]
    for hazard in result.hazards:
        first = result.first_failure[hazard]
        time = float(first["time"][take])
        if not np.isfinite(time):
            continue
        j = int(first["performer"][take])
        step = min(int(np.searchsorted(row["t"], time - 1e-9)), row["t"].size - 1)
        speed = float(row["v"][step]) * TO_KMH
        who = names[j]
        if hazard == "struck_by_structure":
            s, before = float(row["s"][step]), float(row["s"][max(step - 1, 0)])
            under = [st.name for st in overhead if s >= st.at and before <= st.at + st.length]
            what = " or ".join(under) if under else "a structure"
            words = (f"{who} struck by {what} (top {float(row['top'][j][step]):.2f} m, "
                     f"clearance {float(row['overhead'][step]):.2f} m) at {speed:.0f} km/h")
        elif hazard == "dislodged":
            words = (f"{who} dislodged: {float(row['demand'][j][step]):.0f} N against "
                     f"{float(row['capacity'][j][step]):.0f} N at {speed:.0f} km/h")
        elif hazard == "tipped":
            words = (f"{who} tipped over: {float(row['overturning'][j][step]):.0f} N·m "
                     f"against {float(row['restoring'][j][step]):.0f} N·m at "
                     f"{speed:.0f} km/h")
        else:
            rated = float(result.performer_details[hazard]["rated"][take, j])
            words = (f"{who}'s tether overloaded: {float(row['tether_load'][j][step]):.0f} N, "
                     f"rated {rated:.0f} N, at {speed:.0f} km/h")
        events.append((time, words, HAZARD_COLOURS.get(hazard, "#495057")))
    events.sort(key=lambda event: event[0])
    return events


def _cues(result, take: int) -> list[tuple[int, float, str]]:
    """(performer, chainage [m], posture) of every cue of a take."""
    spec = result.resolved.scenario
    structures = {s.name: s for s in spec.structures}
    out = []
    for j, performer in enumerate(spec.performers):
        for index, cue in enumerate(performer.changes):
            label = f"performers.{performer.name}.changes.{cue.name or index}"
            if cue.at is not None:
                place = cue_chainage(cue, structures, at=_value(result, f"{label}.at", take))
            else:
                place = cue_chainage(cue, structures,
                                     distance=_value(result, f"{label}.distance", take))
            out.append((j, float(place), cue.posture))
    return out


def animate_takes(result, takes, trajectories: dict[str, np.ndarray], *, reasons=None,
                  fps: float = 10.0, dpi: float = 80.0, speed: float = SPEED,
                  hold: float = 1.0) -> Animation:
    """The takes ``takes`` one after another, each around its moment (:func:`take_moment`),
    at ``speed`` times true time, each stretch's last frame held ``hold`` seconds.

    ``trajectories``: the takes' recorded steps, key → (len(takes), T) or
    (len(takes), P, T), rows in the order of ``takes``; ``reasons``: the hazard each take
    was chosen for, or None.
    """
    takes = [int(take) for take in takes]
    reasons = list(reasons) if reasons is not None else [None] * len(takes)
    traj = trajectories
    dt = result.resolved.scenario.simulation.time_step
    stride = stride_for(dt, fps, speed)
    segments = []
    for j, take in enumerate(takes):
        alive = traj["alive"][j] > 0
        last = int(np.flatnonzero(alive)[-1]) if alive.any() else 0
        t = traj["t"][j]
        moment = take_moment(result, take, reasons[j])
        first = int(np.searchsorted(t, moment - BEFORE))
        final = min(last, int(np.searchsorted(t, moment + AFTER)))
        first = min(first, final)
        row = {key: values[j] for key, values in traj.items()}
        keys = [int(np.searchsorted(t, time - 1e-9)) for time, _, _ in
                take_events(result, take, row)]
        steps = frame_steps(first, final, stride, include=keys)
        s = traj["s"][j]
        segments.append(Segment(steps=steps, times=t[steps], take=take, hold=hold,
                                data={"row": j, "moment": moment, "reason": reasons[j],
                                      "events": take_events(result, take, row),
                                      "window": (float(s[first]) - 30.0,
                                                 float(s[final]) + 50.0)}))

    width, height = 8.6, 5.0
    width, height = (2 * round(v * dpi / 2) / dpi for v in (width, height))
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[2.3, 1.0], width_ratios=[2.2, 1.0])
    side = fig.add_subplot(grid[0, :])
    log = fig.add_subplot(grid[1, 0])
    log.axis("off")
    gauge = fig.add_subplot(grid[1, 1])

    spec = result.resolved.scenario
    names = result.performer_names
    short = [name.split()[-1] if len(name.split()) > 1 else name for name in names]
    colours = [PERFORMER_COLOURS[j % len(PERFORMER_COLOURS)] for j in range(len(names))]

    # the track: rails, the ground beside it, drops, structures overhead (their clearance
    # is the take's: set per stretch)
    side.axhline(0.0, color="#343a40", lw=1.5, zorder=2)
    side.axhspan(-2.0, 0.0, color="#d8cbb4", zorder=0)
    overhead = {}
    for structure in spec.structures:
        start, end = structure.at, structure.at + structure.length
        if structure.drop > 0:
            side.add_patch(Rectangle((start, -2.0), end - start, 2.0, facecolor="#a5d8ff",
                                     edgecolor="none", zorder=1))
            side.text((start + end) / 2, -1.0, f"{structure.name}: {structure.drop:.0f} m "
                      f"drop", ha="center", va="center", fontsize=7, color="#1864ab",
                      clip_on=True, zorder=3)
        if structure.clearance is None:
            continue
        tunnel = structure.kind == "tunnel"
        patch = Rectangle((start, structure.clearance), end - start,
                          20.0 if tunnel else DECK, facecolor="#868e96" if tunnel
                          else "#adb5bd", edgecolor="#343a40", lw=0.8, zorder=3)
        side.add_patch(patch)
        label = side.text(start, structure.clearance, "", ha="left",
                          va="bottom", fontsize=7, color="white" if tunnel else "#212529",
                          clip_on=True, zorder=4)
        overhead[structure.name] = (patch, label, tunnel)
    cue_lines = [side.axvline(0.0, color=colours[0], ls=":", lw=1.0, zorder=1)
                 for _ in range(sum(len(p.changes) for p in spec.performers))]
    cue_labels = [side.text(0.0, 7.3, "", fontsize=6.5, rotation=90, ha="right", va="top",
                            clip_on=True) for _ in cue_lines]
    side.set(ylim=(-2.0, 7.5), xlabel="Chainage along the track [m]",
             ylabel="Height above rail [m]")
    side.set_xlabel("Chainage along the track [m]", fontsize=8)
    side.set_ylabel("Height above rail [m]", fontsize=8)
    side.tick_params(labelsize=7)
    title = log.text(0.0, 1.0, "", transform=log.transAxes, fontsize=8.5, va="top",
                     fontweight="bold")

    # what moves
    coach = Rectangle((0.0, 0.6), COACH_LENGTH, 3.5, facecolor="#1c7ed6", edgecolor="k",
                      lw=0.8, zorder=5, alpha=0.9)
    side.add_patch(coach)
    bodies, heads, clearances = [], [], []
    for j in range(len(names)):
        shift = ScaledTranslation((j - (len(names) - 1) / 2) * 0.09, 0.0,
                                  fig.dpi_scale_trans)
        body = Line2D([], [], color=colours[j], lw=3.5, solid_capstyle="butt", zorder=6,
                      transform=side.transData + shift)
        head = Line2D([], [], color=colours[j], marker="o", ms=4.5, ls="none", zorder=6,
                      transform=side.transData + shift)
        left = j < len(names) / 2  # labels outwards: the first on the left
        gap = side.text(0.0, 0.0, "", fontsize=7, ha="right" if left else "left",
                        va="bottom", zorder=7, fontweight="bold",
                        transform=side.transData + shift + ScaledTranslation(
                            -0.05 if left else 0.05, 0.0, fig.dpi_scale_trans))
        side.add_line(body)
        side.add_line(head)
        bodies.append(body)
        heads.append(head)
        clearances.append(gap)
    side.legend(handles=[Patch(facecolor="#1c7ed6", edgecolor="k", label="coach"),
                         *(Line2D([], [], color=colours[j], lw=3.5,
                                  label=f"{name} (height of the posture)")
                           for j, name in enumerate(names)),
                         Patch(facecolor="#adb5bd", edgecolor="#343a40",
                               label="structure overhead (the take's clearance)"),
                         Line2D([], [], color="#495057", ls=":", label="cue to crouch/stand")],
                loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=6.5, ncol=4,
                frameon=False, borderaxespad=0.2)

    # the gauges: share of capacity used, per performer
    labels, bars = [], []
    for j in range(len(names)):
        for what in ("force", "moment"):
            labels.append(f"{short[j]}: {what}")
            bars.append(Rectangle((0.0, len(bars) - 0.35), 0.0, 0.7, facecolor=colours[j],
                                  alpha=0.85 if what == "force" else 0.5, zorder=3))
            gauge.add_patch(bars[-1])
    gauge.axvline(100.0, color="#c92a2a", lw=1.2, zorder=4)
    gauge.set_yticks(range(len(labels)), labels, fontsize=7)
    gauge.set_ylim(len(labels) - 0.5, -0.5)
    gauge.set_xlim(0.0, 150.0)
    gauge.set_xlabel("Share of capacity used [%]\n(over 100 %: dislodged / tipped)",
                     fontsize=7)
    gauge.tick_params(axis="x", labelsize=7)
    gauge.grid(axis="x", color="#dee2e6", lw=0.6, zorder=0)

    status = log.text(0.0, 0.8, "", transform=log.transAxes, fontsize=7.5, va="top")
    lines = [log.text(0.0, 0.6 - 0.2 * i, "", transform=log.transAxes, fontsize=7.5,
                      va="top") for i in range(MAX_EVENTS)]
    fig.suptitle(f"{result.name}\n{'the worst ' if any(reasons) else ''}{len(takes)} "
                 f"of {result.samples} runs, side view, each around its moment, played at "
                 f"{stride * dt * fps:g}× true time", fontsize=9)
    clock = fig.text(0.995, 0.995, "", ha="right", va="top", fontsize=8.5,
                     fontweight="bold")
    moving = [coach, *bodies, *heads, *clearances, *bars, status, *lines, clock]
    state: dict = {}

    def prepare(segment: Segment) -> None:
        j, take = segment.data["row"], segment.take
        side.set_xlim(*segment.data["window"])
        reason = segment.data["reason"]
        why = f"worst {reason.replace('_', ' ')}" if reason else "chosen take"
        title.set_text(f"run #{take}: {why}")
        for name, (patch, label, tunnel) in overhead.items():
            clearance = _value(result, f"structures.{name}.clearance", take)
            patch.set_y(clearance)
            # over a bridge's deck; inside a tunnel's roof
            label.set_position((patch.get_x() + (2.0 if tunnel else 0.0),
                                clearance + (0.3 if tunnel else DECK + 0.1)))
            label.set_text(f"{name}, clearance {clearance:.2f} m")
        cues = _cues(result, take)
        for line, text, (p, place, posture) in zip(cue_lines, cue_labels, cues, strict=False):
            line.set_xdata([place, place])
            line.set_color(colours[p])
            text.set_position((place, 7.3))
            text.set_text(f"{short[p]}: {posture}")
            text.set_color(colours[p])
        roof = _value(result, "train.roof_height", take)
        coach.set_height(roof - 0.6)
        events = [e for e in segment.data["events"]
                  if e[0] <= float(segment.times[-1]) + 1e-9][-MAX_EVENTS:]
        state.update(row=j, take=take, roof=roof, events=events)
        for line, (time, words, colour) in zip(lines, events, strict=False):
            line.set_text(f"t = {time:.1f} s: {words}")
            line.set_color(colour)

    def draw(segment: Segment, i: int) -> None:
        step = int(segment.steps[i])
        j, roof = state["row"], state["roof"]
        t = float(traj["t"][j][step])
        s = float(traj["s"][j][step])
        coach.set_x(s - COACH_LENGTH / 2)
        head_room = float(traj["overhead"][j][step])
        for p in range(len(names)):
            top = float(traj["top"][j][p][step])
            bodies[p].set_data([s, s], [roof, top])
            heads[p].set_data([s], [top])
            gap = clearances[p]
            if np.isfinite(head_room):
                margin = head_room - top
                gap.set_position((s, top + 0.12))
                gap.set_text(f"{margin:+.2f} m")
                gap.set_color("#2b8a3e" if margin > 0 else "#c92a2a")
                gap.set_visible(True)
            else:
                gap.set_visible(False)
            force = traj["demand"][j][p][step] / max(traj["capacity"][j][p][step], 1e-9)
            moment = traj["overturning"][j][p][step] / max(traj["restoring"][j][p][step],
                                                           1e-9)
            bars[2 * p].set_width(min(float(force) * 100.0, 150.0))
            bars[2 * p + 1].set_width(min(float(moment) * 100.0, 150.0))
        status.set_text(f"{traj['v'][j][step] * TO_KMH:.0f} km/h at {s:.0f} m")
        for line, event in zip(lines, state["events"], strict=False):
            line.set_visible(t >= event[0] - 1e-9)
        for line in lines[len(state["events"]):]:
            line.set_visible(False)
        clock.set_text(f"t = {t:.1f} s")

    return Animation(fig, moving, segments, draw, fps=fps, speed=stride * dt * fps,
                     prepare=prepare, sticky=lines,
                     parts={"coach": coach, "status": status, "clock": clock,
                            **{f"performer {name}": body for name, body in zip(names, bodies,
                                                                               strict=True)},
                            **{f"clearance {name}": gap for name, gap in zip(names, clearances,
                                                                             strict=True)}},
                     title=f"{result.name}: runs {', '.join(map(str, takes))}")
