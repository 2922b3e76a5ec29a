"""The car stunt's figures: the scene from above with the takes, the clearances, the speed
and the grip along the line, and the driver's view (field of view, sight lines, the
detection time-line).

Each function takes a matplotlib Axes, draws and returns it; the thresholds they draw
travel in the result (:class:`stuntsim.kinds.car.kind.CarFacts`): no physics here.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon

from stuntsim import formatting as fmt
from stuntsim.constants import TO_KMH
from stuntsim.geometry import walker_position
from stuntsim.geometry.visibility import visible_points
from stuntsim.kinds.car.monitors import OPAQUE_CATEGORIES
from stuntsim.kinds.car.rig import body_occluders, rig_occluders
from stuntsim.risk.montecarlo import failed

OUTCOME_STYLE = {
    "safe": ("#2b8a3e", "safe"),
    "near miss": ("#f08c00", "near miss (clearance below the near-miss distance)"),
    "loss_of_control": ("#862e9c", "loss of control (sideslip)"),
    "rollover": ("#5c940d", "rollover (quasi-static)"),
    "tripped_rollover": ("#a61e4d", "tripped rollover (kerb)"),
    "collision": ("#c92a2a", "collision (building / rock / obstacle / barrier)"),
    "departure": ("#e64980", "over the edge (departure)"),
    "person_struck": ("#000000", "person struck"),
}


SOLID_STYLE = {
    "building": dict(facecolor="#ced4da", edgecolor="#495057"),
    "rock": dict(facecolor="#b08968", edgecolor="#6f4e37", hatch=".."),
    "obstacle": dict(facecolor="#74c0fc", edgecolor="#1864ab"),
    "kerb": dict(facecolor="#e9ecef", edgecolor="#868e96", hatch="///"),
}


def _trajectory_arrays(result):
    traj = result.trajectories
    if not traj:
        raise ValueError("the result kept no trajectories (keep_trajectories=0)")
    return traj, result.trajectory_samples


def draw_street(ax: Axes, street, *, thin: bool = False) -> None:
    """The street from above, unlabelled: surface patches tinted, solids in their category's
    style, drops, barriers and standing people. ``thin``: the finer lines of a small panel
    (the animation's)."""
    for patch in street.surfaces:
        ax.add_patch(Polygon(patch.polygon, closed=True, facecolor="#a5d8ff", alpha=0.5,
                             edgecolor="none", zorder=1))
    for solid in street.solids:
        style = SOLID_STYLE.get(solid.category, SOLID_STYLE["building"])
        ax.add_patch(Polygon(solid.polygon, closed=True, zorder=2,
                             **({"lw": 0.6} if thin else {}), **style))
    for drop in street.drops:
        ax.add_patch(Polygon(drop.polygon, closed=True, facecolor="#343a40", alpha=0.85,
                             edgecolor="#1c7ed6", lw=1.2 if thin else 1.5, zorder=2))
    for barrier in street.barriers:
        ax.add_patch(Polygon(barrier.polygon, closed=True, facecolor="#ffd43b",
                             edgecolor="#e67700", lw=0.8, zorder=3))
    for person in street.people:
        ax.add_patch(Circle(person.center, person.radius, facecolor="#ffc9c9",
                            edgecolor="#c92a2a", zorder=7))


def plot_scene(
    ax: Axes, result, *, max_trajectories: int = 60, view: str = "corner"
) -> Axes:
    """The street seen from above, the rehearsed line, and trajectories by outcome.

    Buildings grey, obstacles blue, kerbs hatched, surface patches tinted with their μ,
    people as circles with their role; each kept trajectory coloured by the most serious
    thing that happened in it; the car's footprint drawn at the closest approach of the
    worst sample (the smallest collision margin). ``view="corner"`` frames the corner
    (from 15 m before it to 25 m after it); ``view="all"`` the whole line.
    """
    street = result.street
    draw_street(ax, street)
    for patch in street.surfaces:
        left = patch.polygon[np.argmin(patch.polygon[:, 0])]
        ax.annotate(f"{patch.name}, μ = {patch.mu:.2g}", (left[0], np.mean(patch.polygon[:, 1])),
                    xytext=(-4, 0), textcoords="offset points", fontsize=7, ha="right",
                    va="center", color="#1864ab", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    for person in street.people:
        ax.annotate(f"{person.name}\n({person.role})", person.center, xytext=(8, 8),
                    textcoords="offset points", fontsize=7, color="#c92a2a", zorder=8)
    _plot_walkers(ax, result)
    path = result.path
    ax.plot(path.x, path.y, "k--", lw=1.2, zorder=5, label="rehearsed line")

    traj, samples = _trajectory_arrays(result)
    labels = result.outcome_labels()
    shown = samples[:max_trajectories]
    order = np.argsort([list(OUTCOME_STYLE).index(labels[s]) for s in shown])
    for row in order:
        sample = shown[row]
        keep = traj["active"][row] > 0
        colour = OUTCOME_STYLE[labels[sample]][0]
        went_wrong = labels[sample] not in ("safe", "near miss")
        ax.plot(traj["x"][row][keep], traj["y"][row][keep], color=colour,
                lw=1.4 if went_wrong else 0.8, alpha=0.9 if went_wrong else 0.75, zorder=4)

    # the car at its closest approach in the worst sample of the distance hazard that
    # failed most often (collision, or the drop edge)
    shown_hazard = "collision"
    if "departure" in result.margins and "edge" in traj and (
        np.count_nonzero(failed(result.margins["departure"]))
        > np.count_nonzero(failed(result.margins["collision"]))
    ):
        shown_hazard = "departure"
    key = "edge" if shown_hazard == "departure" else "clearance"
    worst = int(np.argmin(result.margins[shown_hazard]))
    rows = np.flatnonzero(samples == worst)
    if rows.size:
        row = rows[0]
        keep = traj["active"][row] > 0
        step = int(np.argmin(np.where(keep, traj[key][row], np.inf)))
        corners = _footprint(result, worst, traj["x"][row][step], traj["y"][row][step],
                             traj["yaw"][row][step])
        ax.add_patch(Polygon(corners, closed=True, facecolor="#ffe066", edgecolor="k",
                             lw=1.2, zorder=9))
        clearance = result.margins[shown_hazard][worst]
        what = "nearest wheel to the edge" if shown_hazard == "departure" else "closest approach"
        # the label goes toward the middle of the view (it stays inside the axes)
        xmin, xmax, ymin, ymax = _view_box(result, view)
        centre = corners.mean(axis=0)
        inward = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2]) - centre
        inward = inward / max(float(np.hypot(*inward)), 1e-9)
        ax.annotate(f"worst sample #{worst}\n{what} {clearance:+.2f} m",
                    centre, xytext=tuple(80 * inward + [-40, -10]), textcoords="offset points",
                    fontsize=8, arrowprops=dict(arrowstyle="->", lw=0.8), zorder=10,
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#868e96", alpha=0.9))

    present = [key for key in OUTCOME_STYLE if np.any(labels[shown] == key)]
    handles = [Line2D([], [], color=OUTCOME_STYLE[k][0], label=OUTCOME_STYLE[k][1])
               for k in present]
    handles += [Line2D([], [], color="k", ls="--", label="rehearsed line"),
                Patch(facecolor="#ffe066", edgecolor="k", label="car at closest approach")]
    if result.street.walkers:
        handles.append(_WALKER_HANDLE)
    if any(s.category == "rock" for s in street.solids):
        handles.append(Patch(label="rock face", **SOLID_STYLE["rock"]))
    for drop in street.drops:
        handles.append(Patch(facecolor="#343a40", edgecolor="#1c7ed6",
                             label=f"{drop.name}: {drop.height:.0f} m drop beyond the edge"))
    for barrier in street.barriers:
        handles.append(Patch(facecolor="#ffd43b", edgecolor="#e67700",
                             label=f"{barrier.name} (holds {barrier.containment_energy / 1e3:.0f}"
                                   f" kJ nominal)"))
    if street.drops or street.barriers:  # open scenes: keep the legend off the road
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
    else:
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    xmin, xmax, ymin, ymax = _view_box(result, view)
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal",
           xlabel="x (east) [m]", ylabel="y (north) [m]",
           title=f"{result.name}: {len(shown)} of {result.samples} runs by outcome")
    return ax


WALKER_COLOUR = "#d9480f"


_WALKER_HANDLE = Line2D([], [], color=WALKER_COLOUR, marker="o", mfc="#ffd8a8", lw=1.5,
                        label="person stepping out: start, nominal walk "
                              "(wedge: 5–95 % of the headings)")


def _plot_walkers(ax: Axes, result) -> None:
    """People who step out: where they wait, their nominal walk as an arrow, and the spread
    of the drawn headings as a faint wedge; nothing at all when there are none."""
    for walker in result.resolved.scenario.street.people_stepping_out:
        start = np.asarray(walker.start, dtype=float)
        end = start + walker.walk_distance * np.array([np.cos(walker.heading),
                                                       np.sin(walker.heading)])
        headings = result.draws.get(f"street.people_stepping_out.{walker.name}.heading")
        if headings is not None and headings.size and np.ptp(headings) > 0:
            lo, hi = np.quantile(headings, [0.05, 0.95])
            fan = np.linspace(lo, hi, 24)
            wedge = np.vstack([start, start + walker.walk_distance
                               * np.column_stack([np.cos(fan), np.sin(fan)])])
            ax.add_patch(Polygon(wedge, closed=True, facecolor=WALKER_COLOUR, alpha=0.12,
                                 edgecolor="none", zorder=6))
        ax.annotate("", end, start, zorder=7,
                    arrowprops=dict(arrowstyle="-|>", color=WALKER_COLOUR, lw=1.5,
                                    shrinkA=0, shrinkB=0))
        ax.add_patch(Circle(start, walker.radius, facecolor="#ffd8a8",
                            edgecolor=WALKER_COLOUR, zorder=7))
        times = result.draws.get(f"street.people_stepping_out.{walker.name}.start_time")
        if times is not None and times.size and np.ptp(times) > 0:
            t_lo, t_hi = np.quantile(times, [0.05, 0.95])
            when = f"steps out at {t_lo:.1f}–{t_hi:.1f} s (5–95 %)"
        else:
            when = f"steps out at {walker.start_time:.1f} s"
        ax.annotate(f"{walker.name} ({walker.role})\n{when}", start, xytext=(-6, 10),
                    textcoords="offset points", ha="right", fontsize=7, color=WALKER_COLOUR,
                    zorder=8, bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none",
                                        alpha=0.8))


def _view_box(result, view: str):
    path = result.path
    s = path.s
    keep = np.ones(s.size, dtype=bool)
    if view == "corner" and path.corner_start is not None:
        keep = (s >= path.corner_start - 15.0) & (s <= path.corner_end + 25.0)
    elif view not in ("corner", "all"):
        raise ValueError(f"view must be 'corner' or 'all', got {view!r}")
    xs = [path.x[keep].min(), path.x[keep].max()]
    ys = [path.y[keep].min(), path.y[keep].max()]
    traj = result.trajectories
    if traj:
        inside = ((traj["x"] >= xs[0] - 5) & (traj["x"] <= xs[1] + 5)
                  & (traj["y"] >= ys[0] - 5) & (traj["y"] <= ys[1] + 5))
        xs += [traj["x"][inside].min(), traj["x"][inside].max()]
        ys += [traj["y"][inside].min(), traj["y"][inside].max()]
    pad = 4.0
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


def _footprint(result, sample: int, x, y, yaw) -> np.ndarray:
    def value(path):
        return _sample_value(result, path, sample)

    a = value("vehicle.cg_to_front")
    front = a + value("vehicle.front_overhang")
    rear = value("vehicle.length") - front
    half = 0.5 * value("vehicle.width")
    local = np.array([[front, half], [-rear, half], [-rear, -half], [front, -half]])
    c, s = np.cos(yaw), np.sin(yaw)
    return np.column_stack([x + c * local[:, 0] - s * local[:, 1],
                            y + s * local[:, 0] + c * local[:, 1]])


def plot_clearance(ax: Axes, result, *, hazard: str = "collision",
                   bins: int = 60) -> Axes:
    """Histogram of a distance margin (closest approach) with the failure threshold at 0."""
    unit = result.hazards[hazard].unit
    margins = result.margins[hazard] * result.hazards[hazard].display_scale
    margins = margins[np.isfinite(margins)]
    if margins.size == 0:
        ax.text(0.5, 0.5, f"no {hazard} margin in this scenario", ha="center",
                transform=ax.transAxes)
        return ax
    happened = failed(margins)
    edges = np.histogram_bin_edges(margins, bins=bins)
    edge = hazard == "departure"
    ax.hist(margins[~happened], bins=edges, color="#2b8a3e", alpha=0.8,
            label="all wheels on the road" if edge else "no contact")
    ax.hist(margins[happened], bins=edges, color="#c92a2a", alpha=0.9,
            label="a wheel over the edge" if edge else "contact")
    ax.axvline(0.0, color="k", lw=1.5,
               label="failure threshold (the edge)" if edge else "failure threshold (contact)")
    near = result.resolved.scenario.simulation.near_miss
    if unit == "m" and near > 0:
        ax.axvline(near, color="#f08c00", ls="--", lw=1.2, label=f"near miss ({near:g} m)")
    estimate = result.estimates[hazard]
    lo, hi = estimate.ci95
    ax.set(
        xlabel="Nearest wheel's distance from the drop edge, least over the run [m]" if edge
        else f"Closest approach over the run [{unit}]" if unit == "m"
        else f"{hazard} margin [{unit}]",
        ylabel="Takes",
        title=f"{hazard}: P = {fmt.probability(estimate.probability)} (95 % CI "
              f"{fmt.probability(lo)}–{fmt.probability(hi)}), n = {result.samples}",
    )
    ax.legend(fontsize=8)
    return ax


def plot_speed_profile(ax: Axes, result, *, max_trajectories: int = 40) -> Axes:
    """Speed along the line for the kept takes, against the planned speed and the cornering
    limit √(μgR) (:class:`~stuntsim.kinds.car.kind.CarLimits`: computed with the run)."""
    traj, samples = _trajectory_arrays(result)
    labels = result.outcome_labels()
    for row, sample in enumerate(samples[:max_trajectories]):
        keep = traj["active"][row] > 0
        ax.plot(traj["s"][row][keep], traj["speed"][row][keep] * TO_KMH,
                color=OUTCOME_STYLE[labels[sample]][0], lw=0.7, alpha=0.7)
    s = result.path.s
    limits = result.limits
    mu, lo, hi = limits.mu
    nominal, low, high = limits.cornering_limit * TO_KMH
    ax.plot(s, nominal, color="#c92a2a", lw=1.5,
            label=f"cornering limit √(μgR), μ = {mu:.2g} (nominal)")
    if hi > lo:
        ax.fill_between(s, low, high, color="#c92a2a", alpha=0.15, lw=0,
                        label=f"… for μ from {lo:.2g} to {hi:.2g} (5–95 % of the draws)")
    _plot_plan(ax, result)
    handles, _ = ax.get_legend_handles_labels()
    present = sorted({labels[s_] for s_ in samples[:max_trajectories]},
                     key=list(OUTCOME_STYLE).index)
    handles += [Line2D([], [], color=OUTCOME_STYLE[k][0], label=OUTCOME_STYLE[k][1])
                for k in present]
    ax.legend(handles=handles, fontsize=7)
    top = np.nanmax(traj["speed"]) * TO_KMH * 1.3
    ax.set(xlabel="Distance along the rehearsed line [m]", ylabel="Speed [km/h]",
           ylim=(0, top), title="Speed along the line: plan, runs and the cornering limit")
    return ax


def _plot_plan(ax: Axes, result) -> None:
    ax.plot(result.path.s, result.planned_speed * TO_KMH, "k--", lw=1.5,
            label="speed plan (nominal)")


def plot_lateral_acceleration(ax: Axes, result, *, max_trajectories: int = 40) -> Axes:
    """|a_y| along the line for the kept takes against the friction limit μg under the car
    and the rollover threshold SSF·g (both computed with the run: figures only draw)."""
    traj, samples = _trajectory_arrays(result)
    labels = result.outcome_labels()
    for row, sample in enumerate(samples[:max_trajectories]):
        keep = traj["active"][row] > 0
        s = traj["s"][row][keep]
        ax.plot(s, np.abs(traj["ay"][row][keep]), color=OUTCOME_STYLE[labels[sample]][0],
                lw=0.7, alpha=0.7)
    limits = result.limits
    mu_nominal, lo, hi = limits.mu
    nominal, low, high = limits.friction_limit
    ax.axhline(nominal, color="#c92a2a", lw=1.5,
               label=f"friction limit μg, street surface μ = {mu_nominal:.2g} (nominal)")
    if hi > lo:
        ax.axhspan(low, high, color="#c92a2a", alpha=0.12, lw=0,
                   label=f"… for μ from {lo:.2g} to {hi:.2g} (5–95 % of the draws)")
    for name, mu, limit in limits.surfaces:
        ax.axhline(limit, color="#1864ab", ls=":", lw=1.2,
                   label=f"μg on {name} (μ = {mu:.2g})")
    ssf_g = limits.rollover_threshold
    rigged = " with the rig" if limits.rigged else ""
    ax.axhline(ssf_g, color="#5c940d", ls="--", lw=1.2,
               label=f"rollover threshold SSF·g = {ssf_g:.1f} m/s² (nominal{rigged})")
    ax.legend(fontsize=7, loc="upper left")
    ax.set(xlabel="Distance along the rehearsed line [m]",
           ylabel="Lateral acceleration |a_y| [m/s²]", ylim=(0, ssf_g * 1.15),
           title="Lateral acceleration against the grip the surface offers")
    return ax


MOUNT_COLOURS = ("#e8590c", "#1971c2", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#c2255c",
                 "#5c7cfa")


def plot_field_of_view(ax: Axes, fov) -> Axes:
    """The driver's view from above: which directions can hide the target person.

    ``ax`` must be a polar Axes (``subplot_kw={"projection": "polar"}``); ``fov`` a
    :class:`~stuntsim.kinds.car.field_of_view.FieldOfView`. Straight ahead is at the top and the
    driver's left on the left. Each blind sector is a wedge: the car body's in grey, each rig
    mount's in its own colour; a mount that covers those directions only above or below the
    target (so it cannot hide the whole person) is drawn hatched. The UN R125 180° forward
    field is the white half, its ±90° boundary dashed; the radius carries no meaning.
    """
    field_lo, field_hi = fov.field
    outside = 2.0 * np.pi - (field_hi - field_lo)
    ax.bar(field_hi + 0.5 * outside, 1.12, width=outside, bottom=0.0, color="#f1f3f5",
           edgecolor="none", zorder=0)
    for edge in (field_lo, field_hi):
        ax.plot([edge, edge], [0.0, 1.12], color="#495057", ls="--", lw=1.2, zorder=4)
    ax.text(field_hi + 0.5 * outside, 0.5, "behind the driver:\noutside the UN R125\n"
            "180° forward field", ha="center", va="center", fontsize=8, color="#868e96",
            zorder=5)

    body_names = sorted({name for _, _, names in fov.body_sectors for name in names.split("+")})
    for lo, hi, _ in fov.body_sectors:
        ax.bar(0.5 * (lo + hi), 1.0, width=hi - lo, bottom=0.0, color="#868e96",
               edgecolor="#495057", lw=0.6, zorder=2)
    handles = [Patch(facecolor="#868e96", edgecolor="#495057",
                     label=fmt.wrap_label("car body" + (f": {', '.join(body_names)}"
                                               if body_names else "")))]
    for i, mount in enumerate(fov.mounts):
        colour = MOUNT_COLOURS[i % len(MOUNT_COLOURS)]
        az_min, az_max = mount.azimuth
        width = (az_max - az_min) % (2.0 * np.pi) or 2.0 * np.pi
        centre = az_min + 0.5 * width
        if mount.hides_target:
            style = dict(facecolor=colour, alpha=0.85, edgecolor=colour)
            what = (f"hides {mount.share:.1%} of the field" if mount.share > 0
                    else "hides the target, outside the field")
        else:
            style = dict(facecolor="none", edgecolor=colour, hatch="////")
            what = "too high or low to hide the target"
        ax.bar(centre, 1.0, width=width, bottom=0.0, lw=1.0, zorder=3, **style)
        ax.text(centre, 1.06, f"{np.degrees(width):.0f}°", ha="center", va="center",
                fontsize=8, color=colour, fontweight="bold", zorder=5)
        handles.append(Patch(label=fmt.wrap_label(f"{mount.name} ({mount.location}): {what}"),
                             lw=1.0, **style))
    handles.append(Line2D([], [], color="#495057", ls="--", lw=1.2,
                          label=fmt.wrap_label("edge of the UN R125 180° forward field (±90°)")))

    ax.set_theta_zero_location("N")
    ax.set_theta_direction(1)  # anticlockwise: +azimuth (the driver's left) on the left
    ticks = np.arange(-150, 181, 30)
    labels = ["ahead" if t == 0 else "behind" if t == 180 else f"{abs(t)}° {'L' if t > 0 else 'R'}"
              for t in ticks]
    ax.set_xticks(np.radians(ticks), labels, fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(-np.pi, np.pi)  # the whole circle, not only where wedges are
    ax.set_ylim(0.0, 1.12)
    ax.grid(axis="x", color="#dee2e6", lw=0.6)
    ax.spines["polar"].set_color("#adb5bd")
    lo, hi = np.degrees(fov.elevation_window)
    ax.set_title(
        f"Driver's view: {fov.blocked_share_total:.1%} of the 180° forward field can hide a "
        f"{fov.target}\n(car body alone {fov.blocked_share_body:.1%}, rig adds "
        f"{fov.rig_share:.1%}; person seen at {lo:+.1f}° to {hi:+.1f}° elevation)",
        fontsize=10,
    )
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.1, 0.5), fontsize=8,
              frameon=False, labelspacing=0.8)
    return ax


HIDDEN_STYLE = {
    "building": ("#c92a2a", "hidden by a building"),
    "body": ("#495057", "hidden by the car body"),
    "rig": ("#e8590c", "hidden by the camera rig"),
    "body and rig": ("#ae3ec9", "hidden by the car body and the rig together"),
    "unclear": ("#adb5bd", "hidden (cause not resolved)"),
}


def plot_sight_lines(ax: Axes, result, *, sample: int | None = None,
                     spacing: float = 0.3, max_hidden: int = 10) -> Axes:
    """Plan view of one take's conflict: when the driver first saw the person, and why not
    sooner.

    Shows the buildings, the car's path (solid up to first sight, dotted after), the car's
    footprint at first sight and at detection (first sight + perception–reaction time) and
    where it struck or stopped, the person's position at those moments and their walk, the
    clear sight line from the driver's eye at first sight (green), and earlier sight lines
    every ``spacing`` [s] from the step-out to first sight (at most ``max_hidden``), dashed
    and coloured by what hid the person: a building (2-D test,
    :func:`~stuntsim.geometry.visibility.segment_blocked`) or, when the buildings leave a sample
    point
    of the person open, the car body or the camera rig (3-D test in the car frame,
    :func:`stuntsim.geometry.visibility.rig_blocked`). The building corner that hid the person last
    is marked.

    ``sample``: a kept sample (``result.trajectory_samples``); by default the kept sample
    with the smallest ``person_not_seen_in_time`` margin in which the person was seen, or
    else the smallest margin of all.
    """
    traj, samples = _trajectory_arrays(result)
    if "eye_x" not in traj:
        raise ValueError("the scenario has no people stepping out: no sight lines to draw")
    details, margins = result.details, result.margins["person_not_seen_in_time"]
    if sample is None:
        seen = np.isfinite(details["walker_seen_time"][samples])
        pool = samples[seen] if seen.any() else samples
        sample = int(pool[np.argmin(margins[pool])])
    rows = np.flatnonzero(samples == sample)
    if rows.size == 0:
        raise ValueError(f"sample {sample} was not kept; kept: {samples.tolist()}")
    row = rows[0]
    active = traj["active"][row] > 0
    t = traj["t"][row]
    last = int(np.flatnonzero(active)[-1]) if active.any() else t.size - 1

    walker = result.resolved.scenario.street.people_stepping_out[
        int(details["walker_index"][sample])]
    spec = {key: _sample_value(result, f"street.people_stepping_out.{walker.name}.{key}",
                               sample)
            for key in ("heading", "start_time", "walking_speed", "walk_distance", "radius",
                        "height")}
    start = np.asarray(walker.start, dtype=float)
    direction = np.array([np.cos(spec["heading"]), np.sin(spec["heading"])])

    def person_at(time):  # as the model places them (the same function)
        return np.array(walker_position(start, spec["heading"], spec["start_time"],
                                        spec["walking_speed"], spec["walk_distance"], time))

    def step_at(time):  # the recorded step at the end of which ``time`` falls
        return min(int(np.searchsorted(t, time - 1e-9)), last)

    eye_forward, eye_left, eye_height = (_sample_value(result, f"vehicle.{key}", sample)
                                         for key in ("eye_forward", "eye_left", "eye_height"))

    def car_origin(i):  # the bare car's frame (the rig moves the CG, not the body)
        yaw = traj["yaw"][row][i]
        c, s = np.cos(yaw), np.sin(yaw)
        return (traj["eye_x"][row][i] - c * eye_forward + s * eye_left,
                traj["eye_y"][row][i] - s * eye_forward - c * eye_left, yaw)

    def footprint(i):
        return _footprint(result, sample, *car_origin(i))

    step_out = spec["start_time"]
    seen_time = float(details["walker_seen_time"][sample])
    detect_time = float(details["walker_detect_time"][sample])
    strike_time = float(details["person_time"][sample])
    stop_time = float(details["walker_stop_time"][sample])
    ever_seen = np.isfinite(seen_time)
    i_seen = step_at(seen_time) if ever_seen else last
    end_hidden = seen_time if ever_seen else t[last]

    # street
    for patch in result.street.surfaces:
        mu = _sample_value(result, f"street.surfaces.{patch.name}.mu", sample)
        ax.add_patch(Polygon(patch.polygon, closed=True, facecolor="#a5d8ff", alpha=0.5,
                             edgecolor="none", zorder=1, label=f"{patch.name}, μ = {mu:.2g}"))
    for solid in result.street.solids:
        style = SOLID_STYLE.get(solid.category, SOLID_STYLE["building"])
        ax.add_patch(Polygon(solid.polygon, closed=True, zorder=2, **style))
    opaque = [s for s in result.street.solids if s.category in OPAQUE_CATEGORIES]
    body = body_occluders(result.resolved.scenario.vehicle.preset)
    rig = rig_occluders(result.resolved.scenario.rig)

    # the car's path, and the person's walk
    x, y = traj["x"][row], traj["y"][row]
    ax.plot(x[: i_seen + 1], y[: i_seen + 1], color="k", lw=1.5, zorder=4,
            label="car's path to first sight" if ever_seen else "car's path")
    if ever_seen and last > i_seen:
        ax.plot(x[i_seen: last + 1], y[i_seen: last + 1], color="k", lw=1.2, ls=":",
                zorder=4, label="car's path after first sight")
    walk_end = start + spec["walk_distance"] * direction
    ax.annotate("", walk_end, start, zorder=5,
                arrowprops=dict(arrowstyle="-|>", color=WALKER_COLOUR, lw=1.2, shrinkA=0,
                                shrinkB=0, alpha=0.7))
    ax.plot(*start, "o", color=WALKER_COLOUR, mfc="#ffd8a8", ms=5, zorder=5,
            label=f"{walker.name}: waits here, walks along the arrow")

    # earlier sight lines, coloured by what hid the person
    spacing = max(spacing, (end_hidden - step_out) / max(max_hidden, 1))
    hidden_times = np.arange(step_out, end_hidden - 0.5 * spacing, spacing)
    if not ever_seen:
        hidden_times = np.append(hidden_times, end_hidden)
    blocking_polygons: list[np.ndarray] = []
    causes: dict[str, set[str]] = {}
    for time in hidden_times:
        i = step_at(time)
        eye = np.array([traj["eye_x"][row][i], traj["eye_y"][row][i], eye_height])
        person = person_at(t[i])
        cause, polygons, parts = _what_hid(eye, person, spec, car_origin(i), opaque, body,
                                           rig)
        blocking_polygons += polygons
        causes.setdefault(cause, set()).update(parts)
        colour = HIDDEN_STYLE[cause][0]
        ax.plot([eye[0], person[0]], [eye[1], person[1]], color=colour, ls="--", lw=1.0,
                alpha=0.85, zorder=6)
        ax.plot(*eye[:2], ".", color=colour, ms=4, zorder=6)
    for cause in HIDDEN_STYLE:  # legend entries, naming the parts of the car that hid them
        if cause in causes:
            parts = f" ({', '.join(sorted(causes[cause]))})" if causes[cause] else ""
            ax.plot([], [], color=HIDDEN_STYLE[cause][0], ls="--", lw=1.0,
                    label=fmt.wrap_label(f"sight line every {spacing:.2g} s, "
                                         f"{HIDDEN_STYLE[cause][1]}{parts}", 48))
    if hidden_times.size:
        i = step_at(hidden_times[0])
        ax.annotate(f"steps out\nt = {step_out:.2f} s", (traj["eye_x"][row][i],
                    traj["eye_y"][row][i]), xytext=(0, -8), textcoords="offset points",
                    ha="center", va="top", fontsize=7, color="#495057", zorder=10)

    # first sight, detection, and how it ended
    if ever_seen:
        eye = (traj["eye_x"][row][i_seen], traj["eye_y"][row][i_seen])
        person = person_at(t[i_seen])
        ax.plot([eye[0], person[0]], [eye[1], person[1]], color="#2b8a3e", lw=2.0, zorder=8,
                label=f"first clear sight line, {seen_time - step_out:.1f} s after "
                      "the step-out")
        moments = [("first sight", i_seen, "#2b8a3e", "none")]
        if np.isfinite(detect_time) and detect_time <= t[last]:
            moments.append(("detection (braking begins)", step_at(detect_time), "#f08c00",
                            "none"))
    else:
        moments = []
    if np.isfinite(strike_time):
        moments.append(("the strike", step_at(strike_time), "#c92a2a", "#ffc9c9"))
    elif np.isfinite(stop_time):
        moments.append(("standstill", step_at(stop_time), "#1971c2", "#d0ebff"))
    corners = [footprint(i) for _, i, _, _ in moments]
    people = [person_at(t[i]) for _, i, _, _ in moments]
    for (what, i, colour, fill), car, person in zip(moments, corners, people, strict=True):
        ax.add_patch(Polygon(car, closed=True, facecolor=fill, edgecolor=colour, lw=1.6,
                             alpha=0.9, zorder=7,
                             label=f"car and person at {what} (t = {t[i]:.2f} s)"))
        ax.add_patch(Circle(person, spec["radius"], facecolor=fill if fill != "none"
                            else "white", edgecolor=colour, lw=1.6, zorder=9))

    # the building corner that hid the person last: the blocking polygon's vertex nearest
    # to the first clear sight line (or, never seen, to the last hidden one)
    corner = None
    if blocking_polygons:
        if ever_seen:
            a = np.array([traj["eye_x"][row][i_seen], traj["eye_y"][row][i_seen]])
            b = person_at(t[i_seen])
        else:
            i = step_at(hidden_times[-1])
            a = np.array([traj["eye_x"][row][i], traj["eye_y"][row][i]])
            b = person_at(t[i])
        vertices = np.vstack(blocking_polygons)
        corner = vertices[np.argmin(_segment_distance(vertices, a, b))]
        ax.plot(*corner, marker="*", ms=14, color="#c92a2a", mec="k", zorder=10,
                ls="none", label="building corner that hid the person")

    # frame the conflict
    points = [np.column_stack([traj["eye_x"][row][[step_at(h) for h in hidden_times]],
                               traj["eye_y"][row][[step_at(h) for h in hidden_times]]])
              if hidden_times.size else np.zeros((0, 2)),
              start[None], walk_end[None], *corners, *(p[None] for p in people)]
    if corner is not None:
        points.append(corner[None])
    box = np.vstack(points)
    (xmin, ymin), (xmax, ymax) = box.min(axis=0) - 2.5, box.max(axis=0) + 2.5
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal",
           xlabel="x (east) [m]", ylabel="y (north) [m]")

    margin = margins[sample]
    verdict = ("no conflict with the car's path" if not np.isfinite(margin) else
               f"sight margin {margin:+.1f} m ("
               + ("too late to stop" if failed(margin) else "time to stop") + ")")
    when = (f"first seen {seen_time - step_out:.1f} s after stepping out" if ever_seen
            else "never seen")
    speed = details["walker_sight_speed"][sample] * TO_KMH
    distance = details["walker_sight_distance"][sample]
    struck_at = f"struck at {details['person_speed'][sample] * TO_KMH:.0f} km/h"
    reaction = _sample_value(result, "driver.perception_reaction_time", sample)
    if np.isfinite(strike_time) and not strike_time >= detect_time:
        ending = (f"{struck_at}, {strike_time - seen_time:.1f} s after first sight, before the "
                  f"driver braked (perception–reaction {reaction:.1f} s)"
                  if ever_seen else f"{struck_at}, unseen")
    elif np.isfinite(strike_time):
        ending = f"{struck_at} while braking"
    elif np.isfinite(stop_time):
        ending = f"car stopped {stop_time - detect_time:.1f} s after detection"
    else:
        ending = "not struck"
    if not np.isfinite(distance):
        where = "never judged"
    elif ever_seen:
        where = f"car {distance:.1f} m from their path at {speed:.0f} km/h"
    else:
        where = f"car reached their path unseen at {speed:.0f} km/h"
    ax.set_title(f"Sample #{sample}: {walker.name} {when};\n{where}: {verdict};\n{ending}",
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
    return ax


def _sample_value(result, path: str, sample: int) -> float:
    if path in result.draws:
        return float(result.draws[path][sample])
    return float(result.resolved.nominal[path])


def _sample_values(result, path: str) -> np.ndarray:
    """A parameter's value in every sample (n,): drawn where uncertain, else nominal."""
    if path in result.draws:
        return np.asarray(result.draws[path], dtype=float)
    return np.full(result.samples, float(result.resolved.nominal[path]))


def _what_hid(eye, person, spec, pose, opaque, body, rig):
    """What hid the person on one sight line: "building" when the buildings alone hide every
    sample point of them; otherwise the car body and/or rig hide the points the buildings
    leave open. Returns the cause, the building polygons that block a sample point, and the
    names of the body parts and rig mounts that block a point the buildings leave open."""
    target = (person[0], person[1], spec["radius"], spec["height"])
    open_points = visible_points(eye, target, opaque)[0]  # (across, heights) past buildings
    polygons = [solid.polygon for solid in opaque
                if not visible_points(eye, target, [solid])[0].all()]
    if not open_points.any():
        return "building", polygons, set()
    blocked = {}
    names: dict[str, set[str]] = {}
    for group, parts in (("body", body), ("rig", rig)):
        blocked[group] = np.zeros_like(open_points)
        names[group] = set()
        for part in parts:
            hides = ~visible_points(eye, target, (), occluders=[part], car_pose=pose)[0]
            if (hides & open_points).any():
                names[group].add(part.name)
            blocked[group] |= hides
    if not np.all(blocked["body"] | blocked["rig"] | ~open_points):
        return "unclear", polygons, set()
    for group in ("body", "rig"):
        if np.all(blocked[group] | ~open_points):
            return group, polygons, names[group]
    return "body and rig", polygons, names["body"] | names["rig"]


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance [m] of points (k, 2) from the segment a–b."""
    ab = b - a
    u = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.hypot(*(points - (a + u[:, None] * ab)).T)


TIMELINE_STYLE = {
    "hidden": ("#ffa8a8", "stepped out → first seen (hidden)"),
    "reaction": ("#ffd43b", "seen → detected (perception–reaction time)"),
    "braking": ("#74c0fc", "detected → standstill or strike (full braking)"),
    "unseen": ("#ced4da", "never seen"),
}


def plot_detection_timeline(ax: Axes, result, *, max_samples: int = 60) -> Axes:
    """How each conflict unfolded, on a clock that starts when the person steps out.

    One bar per take in which the person's walk conflicted with the car (a finite
    ``person_not_seen_in_time`` margin), sorted by that margin, most negative at the top:
    hidden (stepped out → first seen), perception–reaction (seen → detected), braking
    (detected → standstill, strike or the end of the run), ending in a marker for how it
    ended. With more than ``max_samples`` such takes, an evenly spaced subset by margin is
    shown (the title says how many).
    """
    details = result.details
    if "walker_step_out_time" not in details:
        raise ValueError("the result has no people stepping out")
    margins = result.margins.get("person_not_seen_in_time")
    conflict = np.flatnonzero(np.isfinite(margins)) if margins is not None else np.zeros(0)
    if conflict.size == 0:
        ax.text(0.5, 0.5, "no take in which the person's walk met the car's path",
                ha="center", va="center", transform=ax.transAxes)
        ax.set(xlabel="Time since the person stepped out [s]", yticks=[],
               title="Detection timeline: no conflicts")
        return ax
    order = conflict[np.argsort(margins[conflict], kind="stable")]
    if order.size > max_samples:
        order = order[np.unique(np.linspace(0, order.size - 1, max_samples).round()
                                .astype(int))]
    out = details["walker_step_out_time"][order]
    seen = details["walker_seen_time"][order] - out
    detect = details["walker_detect_time"][order] - out
    reaction = _sample_values(result, "driver.perception_reaction_time")[order]
    no_braking = np.isnan(detect)  # no longer on a collision course when the driver reacted
    strike = details["person_time"][order] - out
    stop = details["walker_stop_time"][order] - out
    collision = details["collision_time"][order] - out
    run_end = result.resolved.scenario.simulation.duration - out
    # the run ends at the strike, at a standstill, at a collision, or at the duration
    end = np.fmin(np.fmin(strike, stop), np.fmin(collision, run_end))
    y = np.arange(order.size)
    ever_seen = np.isfinite(seen)

    handles = []

    def segment(key, left, right, keep):
        keep = keep & (right > left)
        if keep.any():
            ax.barh(y[keep], (right - left)[keep], left=left[keep], height=0.72,
                    color=TIMELINE_STYLE[key][0], edgecolor="none", zorder=2)
            handles.append(Patch(color=TIMELINE_STYLE[key][0],
                                 label=_timeline_label(key, result, order)))

    zero = np.zeros(order.size)
    segment("hidden", zero, np.fmin(seen, end), ever_seen)
    segment("reaction", seen, np.fmin(np.where(no_braking, seen + reaction, detect), end),
            ever_seen & (seen < end))
    segment("braking", detect, end, ever_seen & (detect < end))
    segment("unseen", zero, end, ~ever_seen)

    struck = np.isfinite(strike)
    stopped = ~struck & np.isfinite(stop)
    crashed = ~struck & ~stopped & np.isfinite(collision)
    passed = ~struck & ~stopped & ~crashed & no_braking & ever_seen
    moving = ~struck & ~stopped & ~crashed & ~passed
    at_reaction = np.fmin(seen + reaction, end)
    for keep, where, marker, colour, label in (
        (stopped, end, "o", "#2b8a3e", "car stood still, person not struck"),
        (struck, end, "X", "#c92a2a", "person struck"),
        (crashed, end, "s", "#495057", "car hit a building or obstacle first"),
        (passed, at_reaction, "D", "#1971c2",
         "no braking: by the time the driver reacted the car was past (or would pass "
         "before them)"),
        (moving, end, ">", "#868e96", "still moving at the end of the run, person not struck"),
    ):
        if keep.any():
            handles += ax.plot(where[keep], y[keep], marker, color=colour, mec="white",
                               mew=0.5, ms=7, ls="none", zorder=3, label=fmt.wrap_label(label, 60))
    ax.axvline(0.0, color="k", lw=1.0, zorder=1)
    late = np.count_nonzero(failed(margins[order]))
    if 0 < late < order.size:
        handles.append(ax.axhline(late - 0.5, color="k", ls="--", lw=1.0, zorder=4,
                                  label="sight margin 0: above, seen too late to stop "
                                        "before their path"))

    step = max(1, int(np.ceil(order.size / 12)))
    ticks = y[::step]
    ax.set_yticks(ticks, [f"{m:+.1f} m" if abs(m) >= 0.05 else "0.0 m"
                          for m in margins[order[::step]]], fontsize=8)
    ax.set_ylim(order.size - 0.4, -0.6)  # most negative margin at the top
    ax.set_xlim(-0.2, float(np.nanmax(end)) + 0.3)
    ax.grid(axis="x", color="#dee2e6", lw=0.6, zorder=0)
    n_struck = int(np.count_nonzero(struck))
    all_struck = int(np.count_nonzero(np.isfinite(details["person_time"][conflict])))
    subset = (f"{order.size} of {conflict.size}" if order.size < conflict.size
              else f"all {conflict.size}")
    ax.set(xlabel="Time since the person stepped out [s]",
           ylabel="Sight margin of the take [m] (most negative at the top)",
           title=f"Detection timeline: {subset} takes in which the walk met the car's path "
                 f"({result.samples} simulated)\nstruck in {n_struck} of {order.size} shown "
                 f"({n_struck / order.size:.0%}); in all conflicts {all_struck} of "
                 f"{conflict.size} ({all_struck / conflict.size:.0%})")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    return ax


def _timeline_label(key: str, result, order: np.ndarray) -> str:
    label = TIMELINE_STYLE[key][1]
    if key == "reaction":
        reaction = (result.details["walker_detect_time"][order]
                    - result.details["walker_seen_time"][order])
        reaction = reaction[np.isfinite(reaction)]
        if reaction.size:
            label += f", median {np.median(reaction):.1f} s"
    return label


def figure_builders(result) -> dict:
    """The car's own figures of a run, each a function drawing it on its own
    :class:`~matplotlib.figure.Figure` (off-screen, without pyplot); the shared ones (the
    hazards, the risk matrix) are added by :mod:`stuntsim.report`."""
    from matplotlib.figure import Figure

    scenario = result.resolved.scenario

    def figure(size, draw):
        def build():
            fig = Figure(figsize=size, layout="constrained")
            draw(fig)
            return fig
        return build

    wide = bool(result.street.drops or result.street.barriers)  # legend beside the scene
    out = {
        "scene": figure((13, 9) if wide else (9, 9),
                        lambda fig: plot_scene(fig.add_subplot(), result)),
        "clearance": figure((8, 4.5), lambda fig: plot_clearance(fig.add_subplot(), result)),
    }
    if "departure" in result.hazards:
        out["edge_clearance"] = figure((8, 4.5), lambda fig: plot_clearance(
            fig.add_subplot(), result, hazard="departure"))

    def speed_and_grip(fig):
        top, bottom = fig.subplots(2, 1, sharex=True)
        plot_speed_profile(top, result)
        plot_lateral_acceleration(bottom, result)

    out["speed_and_grip"] = figure((9, 8), speed_and_grip)
    if scenario.rig.active_mounts() or scenario.street.people_stepping_out:
        from stuntsim.kinds.car.field_of_view import field_of_view

        def views(fig):
            left, right = fig.subplots(1, 2, subplot_kw={"projection": "polar"})
            plot_field_of_view(left, field_of_view(result.resolved, person_height=1.7))
            plot_field_of_view(right, field_of_view(result.resolved, person_height=1.0))

        out["field_of_view"] = figure((13, 6.5), views)
    if scenario.street.people_stepping_out and result.trajectories:
        out["sight_lines"] = figure((9, 8), lambda fig: plot_sight_lines(
            fig.add_subplot(), result))
        out["detection_timeline"] = figure((10, 7), lambda fig: plot_detection_timeline(
            fig.add_subplot(), result))
    return out
