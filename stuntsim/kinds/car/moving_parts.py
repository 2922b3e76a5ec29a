"""Street parts that move rigidly from take to take: a corner template's inner building (and
what ``moves_with`` it) when the corner's widths are uncertain
(:mod:`stuntsim.kinds.car.street_templates`).

A rigid translation is queried exactly against the nominal geometry: for a footprint F
and a wall W moved by a take's displacement Δ,

    dist(F, W + Δ) = dist(F − Δ, W),

because distances are invariant under a common translation (and so are the nearest
points, less Δ, and the contact normals). So the collision solids are split into groups —
the ones that stay, and one group per moving part — each with its own distance field
built once from the nominal street; in each take every group is queried with the take's
footprint moved by −Δ of that group, and the clearance is the smallest of the groups'
answers (the union's distance is the minimum over its members: the module docstring of
:mod:`stuntsim.geometry.distance`). Standing people that move with a part are treated the
same way: a circle at c + Δ against F is the circle at c against F − Δ.

The answers equal those of a street rebuilt with the take's widths up to the fields'
float32 rounding (~1e-5 m at 100 m from the grid origin: the footprint is moved in
float64, then made relative to the origin in float32, where a rebuilt wall would be
rounded instead); tests/test_street_templates.py compares both, take by take. Each group
keeps its own :class:`~stuntsim.kinds.car.monitors.ClearanceBound`: the bound follows
the moved footprint, which moves exactly as the car does, so skipping the queries that
cannot change a margin stays exact.

Only collision solids and standing people move: a corner template moves nothing else
(kerbs and surfaces cannot ``move_with`` a building), and with people stepping out the
widths are not taken per take at all (sight lines are drawn past the nominal buildings:
:func:`~stuntsim.kinds.car.street_templates.template_offsets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from stuntsim.geometry import (
    COLLISION_CATEGORIES,
    DistanceField,
    FootprintClearance,
    StreetGeometry,
    people_clearance,
)
from stuntsim.geometry.distance import shared_field
from stuntsim.kinds.car.monitors import ClearanceBound

__all__ = ["MovingParts", "MovingQuery"]


@dataclass(frozen=True)
class _Group:
    part: str | None  # the moving part (None: the solids that stay)
    index: np.ndarray  # global index (in street.collision_solids) of each member, then −1


class MovingParts:
    """The street's collision solids and standing people grouped by the part they move
    with (None: they stay), with a distance field per group of solids, built on first use
    over the street's own area and resolution.

    ``solid_parts`` and ``person_parts`` are aligned with ``street.solids`` and
    ``street.people`` (:class:`~stuntsim.kinds.car.street_templates.StreetParts`).
    """

    def __init__(self, street: StreetGeometry, solid_parts: Sequence[str | None],
                 person_parts: Sequence[str | None]):
        self.street = street
        collision = [part for solid, part in zip(street.solids, solid_parts, strict=True)
                     if solid.category in COLLISION_CATEGORIES]
        order = [None, *dict.fromkeys(part for part in collision if part is not None)]
        self.groups = [
            _Group(part, np.append(np.flatnonzero([p == part for p in collision]), -1))
            for part in order if any(p == part for p in collision)
        ]
        self.person_groups = [
            _Group(part, np.append(np.flatnonzero([p == part for p in person_parts]), -1))
            for part in [None, *dict.fromkeys(p for p in person_parts if p is not None)]
            if any(p == part for p in person_parts)
        ]

    @cached_property
    def fields(self) -> list[DistanceField]:
        """One distance field per group of solids (:attr:`groups`)."""
        street = self.street
        solids = street.collision_solids
        return [shared_field([solids[i] for i in group.index[:-1]], bounds=street.bounds,
                             resolution=street.resolution) for group in self.groups]

    def query(self, offsets: dict[str, tuple[np.ndarray, np.ndarray]], front, rear,
              half_width, n: int) -> MovingQuery:
        """The queries of one chunk of ``n`` takes, each part displaced by its take's
        ``offsets[part]`` = (dx, dy) [m] (a part not in ``offsets`` stays)."""
        return MovingQuery(self, offsets, front, rear, half_width, n)


class MovingQuery:
    """One chunk's clearance queries against a street whose parts move take by take
    (the grouped equivalent of ``street.collision_field`` and ``street.people``)."""

    def __init__(self, parts: MovingParts, offsets, front, rear, half_width, n: int):
        self.n = n
        self.bounds = [ClearanceBound(field, front, rear, half_width, n)
                       for field in parts.fields]
        self.groups = parts.groups
        self.offsets = [offsets.get(group.part) for group in parts.groups]
        people = parts.street.people
        self.people = [([people[i] for i in group.index[:-1]], group.index,
                        offsets.get(group.part)) for group in parts.person_groups]

    def solids(self, active, x, y, yaw, cos_sin, min_clear, every_step: bool
               ) -> FootprintClearance:
        """This step's clearance to the solids (as ``Contacts.solids`` gets it from the
        street's one field): each group queried with the footprint moved by −Δ, where it
        could give a new minimum below ``min_clear`` (every take if ``every_step``); the
        nearest group wins (the earlier one on a tie). Solid indices are the street's
        ``collision_solids`` numbering; contact points are in the world."""
        n = self.n
        best = FootprintClearance(distance=np.full(n, np.inf), solid_index=np.full(n, -1),
                                  normal_x=np.zeros(n), normal_y=np.zeros(n),
                                  contact_x=np.zeros(n), contact_y=np.zeros(n))
        for bound, group, offset in zip(self.bounds, self.groups, self.offsets, strict=True):
            gx, gy = (x, y) if offset is None else (x - offset[0], y - offset[1])
            bound.advance(gx, gy, yaw)
            need = active if every_step else active & ~(bound.bound > min_clear)
            rows, answer = bound.query(need, gx, gy, yaw, cos_sin)
            if answer is None:
                continue
            closer = answer.distance < best.distance[rows]
            take = rows[closer]
            best.distance[take] = answer.distance[closer]
            best.solid_index[take] = group.index[answer.solid_index[closer]]
            best.normal_x[take] = answer.normal_x[closer]
            best.normal_y[take] = answer.normal_y[closer]
            shift_x = 0.0 if offset is None else offset[0][take]
            shift_y = 0.0 if offset is None else offset[1][take]
            best.contact_x[take] = answer.contact_x[closer] + shift_x
            best.contact_y[take] = answer.contact_y[closer] + shift_y
        return best

    def people_clearance(self, x, y, yaw, front, rear, half_width, cos_sin=None):
        """Clearance to the standing people and who is nearest (the street's ``people``
        numbering), each group's people met by the footprint moved by −Δ
        (:func:`~stuntsim.geometry.people_clearance` per group)."""
        best = np.full(self.n, np.inf)
        index = np.full(self.n, -1, dtype=np.intp)
        for people, numbering, offset in self.people:
            gx, gy = (x, y) if offset is None else (x - offset[0], y - offset[1])
            distance, local = people_clearance(people, gx, gy, yaw, front, rear, half_width,
                                               cos_sin=cos_sin)
            closer = distance < best
            best = np.where(closer, distance, best)
            index = np.where(closer, numbering[local], index)
        return best, index
