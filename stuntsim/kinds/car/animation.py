"""The car's takes as an animation: the street from above, one panel per take, at true time.

Each panel draws the street as the scene figure does (:mod:`stuntsim.kinds.car.figures`),
then, step by recorded step: the car's footprint where the model had it (the rigged car's
own dimensions, :func:`stuntsim.geometry.footprint_corners`, the model's function), its
trail coloured by speed, the people stepping out where the model placed them
(:func:`stuntsim.geometry.walker_position`), and for a driver watching for them the sight
line from the eye to the person (dashed while hidden, solid once seen, with the moment of
detection). Under each panel, what happened and when, written as it happens: "hits outer
corner palazzo at 21 km/h", "crew member struck at 17 km/h", "sideslip beyond 15°"…, from
the take's own facts (``result.details``) and recorded steps — nothing is recomputed here
but the moment a motion limit was first passed, read off the recorded steps.
"""

from __future__ import annotations

import math
import textwrap
from typing import NamedTuple

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon

from stuntsim.constants import TO_KMH
from stuntsim.geometry import footprint_corners, walker_position
from stuntsim.kinds.car.figures import (
    OUTCOME_STYLE,
    WALKER_COLOUR,
    _sample_value,
    _view_box,
    draw_street,
)
from stuntsim.kinds.car.model import CarModel, Parameters
from stuntsim.kinds.car.monitors import SIDESLIP_MIN_SPEED
from stuntsim.plots.animation import Animation, Segment, frame_steps, stride_for
from stuntsim.risk.montecarlo import failed

__all__ = ["Event", "animate_takes", "car_dimensions", "outcome_events"]

CAR_FILL = "#ffe066"
HIDDEN = "#c92a2a"
SEEN = "#2b8a3e"
BRAKING = "#f08c00"
TRAIL_STRIDE = 5  # recorded steps per trail point
MAX_EVENTS = 5  # events under a panel
LOG_SIZE = 7.5  # [pt] the log's font
LINE_HEIGHT = 0.15  # [in] a line of the log
LEAD = 2.5  # [s] shown before the first incident


def _speed_colours() -> ListedColormap:
    from matplotlib import colormaps

    return ListedColormap(colormaps["plasma"](np.linspace(0.0, 0.85, 256)), name="speed")


def car_dimensions(result, take: int) -> dict[str, float]:
    """The footprint of a take's car as the model sees it: ``front`` and ``rear`` of the
    centre of gravity and ``half_width`` [m] (the rig moves the CG: the model's own values,
    :meth:`CarModel.car_values`), and the sideslip limit [rad]."""
    draws = {name: values[take:take + 1] for name, values in result.draws.items()}
    car = CarModel(result.resolved).car_values(Parameters(result.resolved.nominal, draws, 1))
    front = float(car["cg_to_front"][0] + car["front_overhang"][0])
    return {"front": front, "rear": float(car["length"][0]) - front,
            "half_width": 0.5 * float(car["width"][0]),
            "sideslip_limit": _sample_value(result, "maneuver.sideslip_limit", take)}


class Event(NamedTuple):
    """Something that happened in a take: when [s], in words, the colour it is written in,
    whether it is an incident (a hazard, the person seen) rather than a step of the plan
    (someone steps out, the end of the line), and whether only "by then" is known (the
    moment itself was not kept)."""

    time: float
    text: str
    colour: str
    incident: bool = True
    by_then: bool = False

    def line(self) -> str:
        return f"{'by ' if self.by_then else ''}t = {self.time:.2f} s: {self.text}"


def outcome_events(result, take: int, row: dict[str, np.ndarray]) -> list[Event]:
    """What happened in a take and when, in time order.

    ``row``: the take's recorded steps (``t``, ``speed``, ``sideslip``, ``ay``,
    ``active``). Times are the model's (a contact, a strike, a wheel over an edge, a
    person seen or braked for); a motion limit (sideslip, rollover) at the first recorded
    step beyond it; a slide into a kerb at the end of the take (its moment is not kept).
    """
    details, margins = result.details, result.margins
    active = row["active"] > 0
    last = int(np.flatnonzero(active)[-1]) if active.any() else 0
    end = float(row["t"][last])
    events: list[Event] = []

    def happened(name):
        return name in margins and bool(failed(margins[name][take]))

    def kmh(key):
        return float(details[key][take]) * TO_KMH

    if happened("collision"):
        events.append(Event(float(details["collision_time"][take]),
                            f"hits {result.object_hit(take)} at "
                            f"{kmh('collision_speed'):.0f} km/h",
                            OUTCOME_STYLE["collision"][0]))
    if happened("person_struck"):
        events.append(Event(float(details["person_time"][take]),
                            f"{result.person_hit(take)} struck at "
                            f"{kmh('person_speed'):.0f} km/h",
                            OUTCOME_STYLE["person_struck"][0]))
    if happened("departure"):
        drop = result.street.drops[int(details["departure_drop"][take])]
        events.append(Event(float(details["departure_time"][take]),
                            f"over the edge ({drop.name}, {drop.height:.0f} m) at "
                            f"{kmh('departure_speed'):.0f} km/h",
                            OUTCOME_STYLE["departure"][0]))
    if happened("loss_of_control"):
        limit = _sample_value(result, "maneuver.sideslip_limit", take)
        sliding = active & (row["speed"] > SIDESLIP_MIN_SPEED)
        beyond = np.flatnonzero(sliding & (np.abs(row["sideslip"]) >= limit))
        events.append(Event(float(row["t"][beyond[0]]) if beyond.size else end,
                            f"sideslip beyond {np.degrees(limit):.0f}° (loss of control)",
                            OUTCOME_STYLE["loss_of_control"][0]))
    if happened("rollover"):
        ay = np.abs(np.where(active, row["ay"], 0.0))
        threshold = float(margins["rollover"][take]) + float(ay.max())
        beyond = np.flatnonzero(ay >= threshold - 1e-9)
        events.append(Event(float(row["t"][beyond[0]]) if beyond.size else end,
                            f"|a_y| beyond the rollover threshold {threshold:.1f} m/s²",
                            OUTCOME_STYLE["rollover"][0]))
    if happened("tripped_rollover"):
        events.append(Event(end, f"slid sideways into the kerb at "
                                 f"{kmh('kerb_slide_speed'):.0f} km/h (tripped rollover)",
                            OUTCOME_STYLE["tripped_rollover"][0], by_then=True))
    sight = margins.get("person_not_seen_in_time")
    if sight is not None and np.isfinite(sight[take]):
        walker = result.resolved.scenario.street.people_stepping_out[
            int(details["walker_index"][take])]
        out = float(details["walker_step_out_time"][take])
        seen = float(details["walker_seen_time"][take])
        detect = float(details["walker_detect_time"][take])
        events.append(Event(out, f"{walker.name} steps out", WALKER_COLOUR, incident=False))
        late = bool(failed(sight[take]))
        verdict = (f"{'too late' if late else 'in time'} to stop (sight margin "
                   f"{float(sight[take]):+.1f} m)")
        if np.isfinite(seen):
            events.append(Event(seen, f"seen {seen - out:.1f} s after stepping out, "
                                      f"{verdict}", HIDDEN if late else SEEN))
        else:
            events.append(Event(end, f"never seen, {verdict}", HIDDEN))
        if np.isfinite(detect):
            events.append(Event(detect, f"driver brakes, {detect - seen:.1f} s after "
                                        f"seeing them", BRAKING))
    ending = int(details["ending"][take])
    if ending == 1:
        events.append(Event(end, "reached the end of the line", OUTCOME_STYLE["safe"][0],
                            incident=False))
    elif ending == 3:
        events.append(Event(end, "stopped before the person", OUTCOME_STYLE["safe"][0],
                            incident=False))
    elif ending == 0:
        events.append(Event(end, "still moving when the simulated time ran out", "#495057",
                            incident=False))
    if not any(happened(name) for name in result.hazards):
        clearance = float(np.min([margins[h][take] for h in ("collision", "person_struck")]))
        events.append(Event(end, f"no hazard: closest approach {clearance:.2f} m",
                            OUTCOME_STYLE["safe"][0], incident=False))
    events.sort(key=lambda event: event.time)
    return events


def _frame_box(result, traj, active, first: int, view: str
               ) -> tuple[float, float, float, float]:
    """The part of the street a panel shows: where the shown takes go from step ``first``
    on, within the scene figure's view, and where people step out, with a margin; the
    whole line for ``view="all"``."""
    outer = _view_box(result, view)
    if view == "all":
        return outer
    xmin, xmax, ymin, ymax = outer
    shown = active.copy()
    shown[:, :first] = False
    x, y = traj["x"][shown], traj["y"][shown]
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    points = [np.column_stack([x[inside], y[inside]])]
    for walker in result.resolved.scenario.street.people_stepping_out:
        start = np.asarray(walker.start, dtype=float)
        points.append(np.vstack([start, start + walker.walk_distance * np.array(
            [np.cos(walker.heading), np.sin(walker.heading)])]))
    points = np.vstack(points)
    if points.shape[0] == 0:
        return outer
    low, high = points.min(axis=0) - 6.0, points.max(axis=0) + 6.0
    centre, half = (low + high) / 2, np.maximum((high - low) / 2, 10.0)
    low, high = centre - half, centre + half
    return (max(low[0], xmin), min(high[0], xmax), max(low[1], ymin), min(high[1], ymax))


def _first_step(result, traj, active, events, view: str) -> int:
    """Where the animation starts: the first step for ``view="all"``; else 2.5 s before
    the first incident of any shown take, or, without one, as the first car comes into
    the scene figure's view."""
    if view == "all":
        return 0
    dt = result.resolved.scenario.simulation.time_step
    incidents = [event.time for happened in events for event in happened if event.incident]
    if incidents:
        return int(max(0, np.searchsorted(traj["t"][0], min(incidents) - LEAD - 1e-9)))
    xmin, xmax, ymin, ymax = _view_box(result, view)
    inside = ((traj["x"] >= xmin - 2) & (traj["x"] <= xmax + 2)
              & (traj["y"] >= ymin - 2) & (traj["y"] <= ymax + 2) & active)
    entered = [int(np.argmax(row)) for row in inside if row.any()]
    return max(0, min(entered) - round(0.3 / dt)) if entered else 0


def _grid(n: int) -> tuple[int, int]:
    return {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2)}.get(n, (2, 3))


def _draw_street(ax, result, *, names: bool) -> None:
    street = result.street
    draw_street(ax, street, thin=True)
    for person in street.people if names else ():
        ax.annotate(person.name, person.center, xytext=(5, 5), textcoords="offset points",
                    fontsize=6, color="#c92a2a", zorder=8)
    path = result.path
    ax.plot(path.x, path.y, color="k", ls=(0, (4, 3)), lw=0.8, zorder=5)


def animate_takes(result, takes, trajectories: dict[str, np.ndarray], *, reasons=None,
                  fps: float = 10.0, dpi: float = 80.0, view: str = "corner",
                  hold: float = 1.5) -> Animation:
    """The takes ``takes`` (at most six) side by side, at true time.

    ``trajectories``: the takes' recorded steps, key → (len(takes), T) (rows in the order
    of ``takes``, as :meth:`CarModel.simulate` records them with ``record=True``);
    ``reasons``: per take, the hazard it was chosen for (its panel's title), or None.
    ``view="corner"`` frames the corner and starts as the first car comes into view;
    ``"all"`` frames the whole line and starts at the first recorded step. The last frame
    is held ``hold`` seconds.
    """
    takes = [int(take) for take in takes]
    if not 1 <= len(takes) <= 6:
        raise ValueError(f"1 to 6 takes at a time, got {len(takes)}")
    reasons = list(reasons) if reasons is not None else [None] * len(takes)
    traj = trajectories
    times = traj["t"]
    active = traj["active"] > 0
    last = np.array([int(np.flatnonzero(a)[-1]) if a.any() else 0 for a in active])
    dims = [car_dimensions(result, take) for take in takes]
    events = [outcome_events(result, take, {key: traj[key][j] for key in
                                            ("t", "speed", "sideslip", "ay", "active")})
              [-MAX_EVENTS:] for j, take in enumerate(takes)]
    dt = result.resolved.scenario.simulation.time_step
    stride = stride_for(dt, fps)
    first = min(_first_step(result, traj, active, events, view), int(last.max()))
    xmin, xmax, ymin, ymax = _frame_box(result, traj, active, first, view)
    keys = [*last, *(int(np.searchsorted(times[j], event.time - 1e-9))
                     for j, happened in enumerate(events) for event in happened)]
    segment = Segment(steps=frame_steps(first, int(last.max()), stride, include=keys),
                      times=np.empty(0), hold=hold)
    segment.times = times[0][segment.steps]

    rows, cols = _grid(len(takes))
    aspect = (ymax - ymin) / (xmax - xmin)
    panel_w = 3.3 if len(takes) > 1 else 5.0
    panel_h = min(panel_w * aspect, 1.4 * panel_w)
    chars = int((panel_w - 0.5) * 72 / (0.55 * LOG_SIZE))  # a line of the log
    logs = [[textwrap.fill(event.line(), chars, subsequent_indent="   ")
             for event in happened]
            for happened in events]
    lines_needed = 1 + max(sum(text.count("\n") + 1 for text in log) for log in logs)
    log_h = lines_needed * LINE_HEIGHT + 0.1
    width = cols * panel_w
    height = rows * (panel_h + log_h) + 0.55 + 0.55
    # whole, even pixel sizes (an MP4 needs even ones)
    width, height = (2 * round(v * dpi / 2) / dpi for v in (width, height))
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(2 * rows + 1, cols,
                            height_ratios=[panel_h, log_h] * rows + [0.55])
    speed_max = float(np.nanmax(np.where(active, traj["speed"], np.nan))) * TO_KMH
    norm = Normalize(0.0, max(5.0 * np.ceil(speed_max / 5.0), 5.0))
    cmap = _speed_colours()
    walkers = result.resolved.scenario.street.people_stepping_out
    watch = "eye_x" in traj and bool(walkers)

    moving = []
    panels = []
    outcomes = result.outcome_labels()
    for j, take in enumerate(takes):
        r, c = divmod(j, cols)
        ax = fig.add_subplot(grid[2 * r, c])
        log = fig.add_subplot(grid[2 * r + 1, c])
        log.axis("off")
        _draw_street(ax, result, names=j == 0)
        ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal")
        ax.set_xlabel("x (east) [m]", fontsize=7, labelpad=1)
        ax.set_ylabel("y (north) [m]", fontsize=7, labelpad=1)
        ax.tick_params(labelsize=6, pad=1)
        label = outcomes[take]
        why = f"worst {reasons[j].replace('_', ' ')}" if reasons[j] else \
            OUTCOME_STYLE[label][1].split(" (")[0]
        ax.set_title(f"take #{take}: {why}", fontsize=8, color=OUTCOME_STYLE[label][0])
        trail = LineCollection([], cmap=cmap, norm=norm, linewidths=2.0, zorder=6,
                               capstyle="round")
        ax.add_collection(trail)
        car = Polygon(np.zeros((4, 2)), closed=True, facecolor=CAR_FILL, edgecolor="k",
                      lw=0.9, zorder=9)
        ax.add_patch(car)
        people = []
        for walker in walkers:
            value = {key: _sample_value(result, f"street.people_stepping_out.{walker.name}."
                                        f"{key}", take)
                     for key in ("heading", "start_time", "walking_speed", "walk_distance",
                                 "radius")}
            circle = Circle(walker.start, value["radius"], facecolor="#ffd8a8",
                            edgecolor=WALKER_COLOUR, lw=1.0, zorder=8)
            ax.add_patch(circle)
            people.append((walker, value, circle))
        sight = Line2D([], [], lw=1.2, zorder=8)
        ax.add_line(sight)
        status = log.text(0.0, 1.0, "", transform=log.transAxes, fontsize=LOG_SIZE,
                          va="top", ha="left", color="#212529")
        lines, row = [], 1
        for event, text in zip(events[j], logs[j], strict=True):
            lines.append(log.text(0.0, 1.0 - row * LINE_HEIGHT / log_h, text,
                                  transform=log.transAxes, fontsize=LOG_SIZE, va="top",
                                  ha="left", color=event.colour, linespacing=1.1))
            row += text.count("\n") + 1
        for text in (status, *lines):
            text.set_in_layout(False)
        moving += [trail, *(circle for _, _, circle in people), sight, car, status, *lines]
        panels.append({"take": take, "trail": trail, "car": car, "people": people,
                       "sight": sight, "status": status, "lines": lines, "events": events[j],
                       "dims": dims[j], "label": label})

    # the colour bar and the key, along the bottom
    bottom = fig.add_subplot(grid[2 * rows, :])
    bottom.axis("off")
    bar = bottom.inset_axes([0.0, 0.55, 0.35, 0.25])
    from matplotlib.cm import ScalarMappable

    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar, orientation="horizontal")
    bar.set_xlabel("trail: speed [km/h]", fontsize=7, labelpad=1)
    bar.tick_params(labelsize=6, pad=1)
    handles = [Patch(facecolor=CAR_FILL, edgecolor="k", label="car footprint"),
               Line2D([], [], color="k", ls=(0, (4, 3)), lw=0.8, label="rehearsed line"),
               Patch(facecolor="#ffc9c9", edgecolor="#c92a2a", label="person standing")]
    if walkers:
        handles.append(Patch(facecolor="#ffd8a8", edgecolor=WALKER_COLOUR,
                             label="person stepping out"))
    street = result.street
    if street.surfaces:
        handles.append(Patch(facecolor="#a5d8ff", alpha=0.5, label="other grip (wet…)"))
    if street.drops:
        handles.append(Patch(facecolor="#343a40", edgecolor="#1c7ed6", label="drop"))
    if street.barriers:
        handles.append(Patch(facecolor="#ffd43b", edgecolor="#e67700", label="barrier"))
    if watch:
        handles += [Line2D([], [], color=HIDDEN, ls="--", label="sight line: hidden"),
                    Line2D([], [], color=SEEN, label="seen"),
                    Line2D([], [], color=BRAKING, label="seen, braking")]
    bottom.legend(handles=handles, loc="center left", bbox_to_anchor=(0.38, 0.5),
                  fontsize=6.5, ncol=math.ceil(len(handles) / 4), frameon=False)
    fig.suptitle(f"{result.name}\n{'the worst ' if any(reasons) else ''}"
                 f"{len(takes)} take{'s' if len(takes) > 1 else ''} of {result.samples}, "
                 + ("at true time" if abs(stride * dt * fps - 1.0) < 0.01
                    else f"at {stride * dt * fps:.2g}× true time"), fontsize=9)
    clock = fig.text(0.995, 0.995, "", ha="right", va="top", fontsize=9,
                     fontweight="bold")
    clock.set_in_layout(False)
    moving.append(clock)

    trail_segments = []
    for j in range(len(takes)):
        points = np.column_stack([traj["x"][j], traj["y"][j]])
        trail_segments.append((points, traj["speed"][j] * TO_KMH))

    def draw(segment: Segment, i: int) -> None:
        step = int(segment.steps[i])
        t = float(times[0][step])
        clock.set_text(f"t = {t:.1f} s")
        for j, panel in enumerate(panels):
            k = min(step, int(last[j]))
            x, y, yaw = traj["x"][j][k], traj["y"][j][k], traj["yaw"][j][k]
            d = panel["dims"]
            panel["car"].set_xy(footprint_corners(x, y, yaw, d["front"], d["rear"],
                                                  d["half_width"])[0])
            ended = step >= last[j]
            label = panel["label"]
            panel["car"].set_facecolor(OUTCOME_STYLE[label][0] if ended and label not in
                                       ("safe", "near miss") else CAR_FILL)
            points, speed = trail_segments[j]
            shown = np.append(np.arange(0, k, TRAIL_STRIDE), k)
            segs = np.stack([points[shown[:-1]], points[shown[1:]]], axis=1)
            panel["trail"].set_segments(segs)
            panel["trail"].set_array(speed[shown[1:]])
            now = float(times[j][k])
            panel["status"].set_text(f"{traj['speed'][j][k] * TO_KMH:.0f} km/h"
                                     + ("  (take over)" if ended else ""))
            for line, event in zip(panel["lines"], panel["events"], strict=True):
                line.set_visible(t >= event.time - 1e-9)
            for walker, value, circle in panel["people"]:
                circle.center = walker_position(
                    np.asarray(walker.start, dtype=float), value["heading"],
                    value["start_time"], value["walking_speed"], value["walk_distance"], now)
            _sight_line(result, panel, traj, j, k, now)

    return Animation(fig, moving, [segment], draw, fps=fps, speed=stride * dt * fps,
                     sticky=[line for panel in panels for line in panel["lines"]],
                     parts={f"{what} {panel['take']}": panel[what] for panel in panels
                            for what in ("car", "trail", "sight", "status")},
                     title=f"{result.name}: takes {', '.join(map(str, takes))}")


def _sight_line(result, panel, traj, j: int, k: int, now: float) -> None:
    """The line from the driver's eye to the person they must see, from the moment that
    person steps out: dashed red while hidden, green once seen, orange once braking."""
    sight = panel["sight"]
    details = result.details
    take = panel["take"]
    if "eye_x" not in traj or not panel["people"]:
        sight.set_visible(False)
        return
    index = int(details["walker_index"][take])
    _, _, circle = panel["people"][index]
    out = float(details["walker_step_out_time"][take])
    seen = float(details["walker_seen_time"][take])
    detect = float(details["walker_detect_time"][take])
    if not now >= out:
        sight.set_visible(False)
        return
    sight.set_visible(True)
    px, py = circle.center
    sight.set_data([traj["eye_x"][j][k], px], [traj["eye_y"][j][k], py])
    if now >= detect:
        sight.set(color=BRAKING, linestyle="-")
    elif now >= seen:
        sight.set(color=SEEN, linestyle="-")
    else:
        sight.set(color=HIDDEN, linestyle="--")
