"""A car scenario that is legal but doubtful, found before any take: people standing inside
a building, a rehearsed line that starts in or runs through a wall, street objects the car
can never reach, a plan faster than the car, a vehicle written out without a sketch of
its body where the driver's view matters. Each is a warning at ``stuntsim validate`` and
in every run (the run still goes: a production may model a doorway as a building on
purpose). A street whose geometry cannot be built at all (a face too sharp for its
thickness) is an error.
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path as MplPath

from stuntsim.constants import KMH
from stuntsim.kinds.car.street_checks import line_notes

__all__ = ["plan_warnings"]

#: A person or line point this far inside a solid's outline counts as inside [m]
#: (a person leaning on a wall touches it; one 5 cm into it is in the wall).
INSIDE_TOLERANCE = 0.05


def plan_warnings(resolved, model) -> list[str]:
    """Everything doubtful about the plan, in words (a street that cannot be built raises
    :class:`~stuntsim.errors.ScenarioError` from ``model.street``)."""
    street = model.street  # a ScenarioError if it cannot be built
    notes = _top_speed(resolved)
    solids = [*street.collision_solids, *street.barriers]
    for person in street.people:
        notes += _person_in_solid(person.name, person.center, person.radius, solids)
    for walker in street.walkers:
        notes += _person_in_solid(walker.name, walker.start, walker.radius, solids,
                                  where="starts")
    notes += _line_in_solids(model.path, street.collision_solids)
    notes += line_notes(resolved.scenario)  # which widths of a street template put it there
    notes += _out_of_reach(street, solids)
    notes += _no_body_sketch(resolved, street)
    return notes


def _no_body_sketch(resolved, street) -> list[str]:
    """A vehicle written out in full (``preset: none``) has no sketch of its own body: its
    pillars and bonnet hide nothing, which matters only where the driver must see someone
    (a person stepping out) or where a rig's share of the view is judged."""
    scenario = resolved.scenario
    if scenario.vehicle.preset != "none" or not (street.walkers
                                                  or scenario.rig.active_mounts()):
        return []
    return ["vehicle: preset none has no sketch of the car's body, so its pillars and "
            "bonnet hide nothing from the driver: the view (and any sight margin) is "
            "optimistic; compare with the nearest preset's body"]


def _top_speed(resolved) -> list[str]:
    notes = []
    top = resolved.nominal.get("vehicle.top_speed")
    for key in ("maneuver.entry_speed", "maneuver.corner_speed", "maneuver.exit_speed"):
        value = resolved.nominal.get(key)
        if top is not None and value is not None and value > top:
            notes.append(f"{key} = {value / KMH:.0f} km/h is beyond the vehicle's top speed "
                         f"({top / KMH:.0f} km/h): the car cannot reach the plan")
    return notes


def _signed_distance(point, polygon: np.ndarray) -> float:
    """Distance from ``point`` to the outline, negative inside."""
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    ab = b - a
    t = np.clip(((point - a) * ab).sum(axis=1) / (ab * ab).sum(axis=1), 0.0, 1.0)
    nearest = a + t[:, None] * ab
    distance = float(np.min(np.hypot(*(point - nearest).T)))
    return -distance if MplPath(polygon).contains_point(point) else distance


def _person_in_solid(name, center, radius, solids, *, where="stands") -> list[str]:
    notes = []
    for solid in solids:
        depth = _signed_distance(np.asarray(center, dtype=float), solid.polygon)
        if depth < -INSIDE_TOLERANCE:
            notes.append(f"{name} {where} inside {solid.name} ({-depth:.2f} m in from its "
                         f"outline): nobody can be there, and their margins mean nothing; "
                         f"check the position")
        elif depth < radius - INSIDE_TOLERANCE:
            notes.append(f"{name} {where} partly inside {solid.name} (centre {depth:.2f} m from "
                         f"its outline, radius {radius:.2f} m); check the position")
    return notes


def _line_in_solids(path, solids) -> list[str]:
    notes = []
    points = np.column_stack([path.x, path.y])
    s = np.arange(points.shape[0]) * path.spacing
    for solid in solids:
        inside = MplPath(solid.polygon).contains_points(points)
        if not inside.any():
            continue
        if inside[0]:
            notes.append(f"the rehearsed line starts inside {solid.name}: every take begins "
                         f"in a collision; move maneuver.line")
        else:
            first, last = s[inside][0], s[inside][-1]
            notes.append(f"the rehearsed line runs through {solid.name} from {first:.1f} m to "
                         f"{last:.1f} m along it: a driver who follows it collides; check "
                         f"maneuver.line and the street")
    return notes


def _out_of_reach(street, solids) -> list[str]:
    """Objects entirely outside the area the distance grids cover (the line's reach): the
    car is never checked against them, so their hazards read "not applicable"."""
    xmin, xmax, ymin, ymax = street.bounds
    far = []
    for name, polygon in [(s.name, s.polygon) for s in solids] + [
            (p.name, np.vstack([p.center - p.radius, p.center + p.radius]))
            for p in street.people]:
        lo, hi = polygon.min(axis=0), polygon.max(axis=0)
        if hi[0] < xmin or lo[0] > xmax or hi[1] < ymin or lo[1] > ymax:
            far.append(name)
    if not far:
        return []
    return [f"{', '.join(far)}: beyond the area the rehearsed line can reach (its extent "
            f"plus 15 m), so never checked for contact; move them or the line if they "
            f"belong to the stunt"]
