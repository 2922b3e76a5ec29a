"""Validation of a street template (:mod:`stuntsim.kinds.car.street_templates`): its
fields, the parts it places, a street the car fits in for the file's values and each
variant's, and the plan warning for a rehearsed line that no longer fits the street.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.path import Path as MplPath

from stuntsim.kinds.car.path import path_from_points, path_from_segments
from stuntsim.kinds.car.street_templates import (
    _EXAMPLE,
    _REQUIRED,
    CORNER_FIELDS,
    HAIRPIN_FIELDS,
    _unplaced,
    corner_polygons,
    street_parts,
)
from stuntsim.scenario.fields import check_polygon, convert_quantity

__all__ = ["check_street", "line_notes"]


def check_street(scenario) -> None:
    """The template's fields, its parts and what it places, checked together, and a
    street the car fits in, for the file's values and each variant's (raises
    ``ValueError`` naming the field). A rehearsed line that no longer fits is a plan
    warning (:func:`line_notes`), as a line through any wall is."""
    street = scenario.street
    _check_fields(street)
    _check_placed(street)
    if street.template is None:
        return
    _check_geometry(street, "")
    width = scenario.vehicle.resolved()["width"]
    _check_fits(street, width, "")
    for name, changes in scenario.variants.items():
        moved = _moved(street, changes)
        if moved is not None:
            where = f"variants.{name}: "
            _check_geometry(moved, where)
            _check_fits(moved, width, where)


def line_notes(scenario) -> list[str]:
    """Where the rehearsed line runs through what the template draws (a building; the
    rock, the void beyond the edge, a barrier), in words with the widths that put it
    there: a warning at ``stuntsim validate`` and in every run (every take that follows
    the line collides or goes over; an envelope over the widths shows it as a
    probability near 1, which is the answer there)."""
    street = scenario.street
    if street.template is None:
        return []
    path = _line_path(scenario.maneuver.line)
    points = np.column_stack([path.x, path.y])
    widths = (("entry_width", "exit_width") if street.template == "corner"
              else ("road_width",))
    given = " and ".join(f"street.{key} = {getattr(street, key):g} m" for key in widths)
    why = ("the line keeps its place beside the outer walls and the inner building moves "
           "with the widths: move the line or widen the street"
           if street.template == "corner" else
           "the road's edges are drawn about the bend's centreline radius and the line stays "
           "where it was drawn: move the line or change the road")
    notes = []
    for name, polygon in _template_outlines(street):
        inside = MplPath(polygon).contains_points(points)
        if not inside.any():
            continue
        s = np.arange(points.shape[0]) * path.spacing
        notes.append(f"{given}: the rehearsed line runs through {name} (from "
                     f"{s[inside][0]:.1f} m to {s[inside][-1]:.1f} m along it), so every take "
                     f"that follows it fails; {why}")
    return notes


def _check_fields(street) -> None:
    template = street.template
    mine = {"corner": CORNER_FIELDS, "hairpin": HAIRPIN_FIELDS}.get(template, ())
    given = [name for name in dict.fromkeys(CORNER_FIELDS + HAIRPIN_FIELDS)
             if getattr(street, name) is not None and name not in mine]
    if given and template is None:
        # name the field that tells the template apart (turn and heading are both's)
        own = [name for name in given if (name in CORNER_FIELDS) != (name in HAIRPIN_FIELDS)]
        name = (own or given)[0]
        owner = "hairpin" if name in HAIRPIN_FIELDS and name not in CORNER_FIELDS else "corner"
        raise ValueError(f"street.{name}: belongs to a street template; add "
                         f"'template: {owner}' or remove it")
    if given:
        raise ValueError(f"street.{given[0]}: is not a parameter of the {template} template "
                         f"(its parameters: {', '.join(mine)})")
    for name in _REQUIRED.get(template, ()):
        if getattr(street, name) is None:
            raise ValueError(f"street.{name}: required by 'template: {template}' "
                             f"(e.g. {name}: {_EXAMPLE[name]})")
    if template == "corner":
        if street.outer_building.depth is None:
            raise ValueError("street.outer_building.depth: required (how deep the outer "
                             "building is behind its faces, e.g. 10 m)")
        if street.outer_building.name == street.inner_building.name:
            raise ValueError(f"street.inner_building.name: the two buildings need "
                             f"different names, both are {street.inner_building.name!r}")


def _check_placed(street) -> None:
    """Parts without a shape only where the template places them; ``moves_with`` only
    toward a corner's building."""
    template = street.template
    shapes = {"rock_faces": ("face", "polygon", "solid_side"),
              "drops": ("edge", "polygon", "drop_side"),
              "barriers": ("face", "polygon", "solid_side")}
    for group in ("buildings", "rock_faces", "drops", "barriers"):
        unplaced = [item for item in getattr(street, group) if _unplaced(item)]
        line, polygon, side = shapes.get(group, ("face", "polygon", "solid_side"))
        for item in unplaced:
            where = f"street.{group}.{item.name}"
            if template != "hairpin" or group == "buildings":
                hint = (" (a hairpin template places rock faces, drops and barriers "
                        "listed without one)" if group != "buildings" else "")
                raise ValueError(f"{where}: give exactly one of '{line}' or "
                                 f"'{polygon}'{hint}")
            if getattr(item, side, None) is not None:
                raise ValueError(f"{where}: '{side}' goes with a '{line}'; the hairpin "
                                 f"places this one itself (rock inside the bend, the drop "
                                 f"and barriers outside)")
        if template == "hairpin" and group in ("rock_faces", "drops") and len(unplaced) > 1:
            raise ValueError(f"street.{group}.{unplaced[1].name}: the hairpin places one "
                             f"of its {group.replace('_', ' ')} (here already "
                             f"{unplaced[0].name!r}); give the others a shape")
    names = street.template_names() if template == "corner" else []
    for group in ("obstacles", "people"):
        for item in getattr(street, group):
            if item.moves_with is None:
                continue
            where = f"street.{group}.{item.name}.moves_with"
            if template != "corner":
                raise ValueError(f"{where}: only beside a corner template, whose buildings "
                                 f"move when a width changes")
            if item.moves_with not in names:
                raise ValueError(f"{where}: names no building of the corner, got "
                                 f"{item.moves_with!r} (one of {names})")


def _check_geometry(street, where: str) -> None:
    """Radii and lengths that draw simple outlines."""
    if street.template == "corner":
        for key in ("outer_building", "inner_building"):
            building = getattr(street, key)
            limit = min(building.along_entry, building.along_exit,
                        building.depth if building.depth is not None else math.inf)
            if building.corner_radius >= limit:
                raise ValueError(
                    f"{where}street.{key}.corner_radius: {building.corner_radius:g} m must "
                    f"be less than the building's faces and depth ({limit:g} m)")
        for name, polygon in corner_polygons(street).items():
            try:
                check_polygon(polygon)
            except ValueError as err:
                raise ValueError(f"{where}street: the building {name!r}: {err}") from None
        return
    inner = street.radius - 0.5 * street.road_width
    if inner <= 0.5:
        raise ValueError(
            f"{where}street.road_width: {street.road_width:g} m is too wide for a bend of "
            f"radius {street.radius:g} m: the inner edge would be on R − w/2 = {inner:g} m; "
            f"it must stay above 0.5 m (a narrower road or a larger radius)")
    edge = street.radius + 0.5 * street.road_width
    for barrier in street.barriers:
        if _unplaced(barrier) and edge - barrier.thickness <= 0.5:
            raise ValueError(
                f"{where}street.barriers.{barrier.name}.thickness: {barrier.thickness:g} m "
                f"would put the barrier's face on a radius of {edge - barrier.thickness:g} m "
                f"(the road's edge on R + w/2 = {edge:g} m, less the thickness); it must stay "
                f"above 0.5 m")


def _check_fits(street, car_width: float, where: str) -> None:
    """The car fits the street: every width wider than the car."""
    widths = (("entry_width", "exit_width") if street.template == "corner"
              else ("road_width",))
    for key in widths:
        value = getattr(street, key)
        if value <= car_width:
            raise ValueError(f"{where}street.{key}: {value:g} m is not wider than the car "
                             f"({car_width:g} m): the car cannot pass")


def _template_outlines(street) -> list[tuple[str, np.ndarray]]:
    """The outlines of what the template draws (buildings; rock, void and barriers)."""
    if street.template == "corner":
        return [(name, np.asarray(p)) for name, p in corner_polygons(street).items()]
    parts = street_parts(street)
    placed = {item.name for group in (street.rock_faces, street.drops, street.barriers)
              for item in group if _unplaced(item)}
    return [(item.name, item.polygon) for item in (*parts.solids, *parts.drops,
                                                   *parts.barriers) if item.name in placed]


def _line_path(line):
    """The rehearsed line densely sampled (as the model samples it)."""
    if line.points is not None:
        return path_from_points(line.points)
    segments = [("straight", seg.straight) if seg.straight is not None
                else ("arc", seg.arc.radius, seg.arc.angle) for seg in line.segments]
    return path_from_segments(line.start, line.heading, segments)


def _moved(street, changes: dict) -> Any:
    """The street with a variant's changes to its template parameters, or None when the
    variant changes none of them."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for path, value in changes.items():
        parts = path.split(".")
        if parts[0] != "street" or isinstance(value, bool):
            continue
        if len(parts) == 2 and parts[1] in CORNER_FIELDS + HAIRPIN_FIELDS:
            top[parts[1]] = convert_quantity(_dimension(parts[1]), value)
        elif len(parts) == 3 and parts[1] in ("outer_building", "inner_building"):
            nested.setdefault(parts[1], {})[parts[2]] = convert_quantity("length", value)
    if not (top or nested):
        return None
    for key, update in nested.items():
        top[key] = getattr(street, key).model_copy(update=update)
    return street.model_copy(update=top)


def _dimension(name: str) -> str:
    return "angle" if name in ("heading", "angle") else "length"
