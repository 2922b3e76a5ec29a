"""A street as a whole: its solids, drops, barriers, people and surfaces, with the distance
fields and friction map a model queries, built on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from stuntsim.geometry.clearance import people_clearance
from stuntsim.geometry.distance import DistanceField, shared_field
from stuntsim.geometry.friction import FrictionMap
from stuntsim.geometry.shapes import (
    COLLISION_CATEGORIES,
    Barrier,
    Drop,
    Person,
    Solid,
    SurfacePatch,
    Walker,
)


# --------------------------------------------------------------------------------------
# A whole street
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StreetGeometry:
    """Everything in the street, with lazily built query structures.

    Parameters
    ----------
    solids : sequence of Solid
    people : sequence of Person
    surfaces : sequence of SurfacePatch   Later ones override earlier ones.
    drops : sequence of Drop              Where the ground ends.
    barriers : sequence of Barrier        Restraints with a containment limit.
    default_mu : float                    μ where no surface patch applies [-].
    resolution : float                    Distance-grid spacing [m].
    margin : float                        Space around the contents in :attr:`bounds` [m].
    area : (xmin, xmax, ymin, ymax) or None
        The region the distance grids cover [m] (default: the contents plus ``margin``);
        the car model passes the region its line can reach.
    """

    solids: Sequence[Solid] = ()
    people: Sequence[Person] = ()
    walkers: Sequence[Walker] = ()
    surfaces: Sequence[SurfacePatch] = ()
    drops: Sequence[Drop] = ()
    barriers: Sequence[Barrier] = ()
    default_mu: float = 0.8
    resolution: float = 0.02
    margin: float = 5.0
    area: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        for name in ("solids", "people", "walkers", "surfaces", "drops", "barriers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    #: Distance fields (5–20 MB each) are not pickled: where a street is unpickled (a
    #: worker process) they are built again on first use, and shared there by content
    #: (:func:`~stuntsim.geometry.distance.shared_field`), instead of travelling with
    #: every task that carries the street.
    _NOT_PICKLED = ("collision_field", "barrier_field", "drop_field", "kerb_field")

    def __getstate__(self):
        return {name: value for name, value in self.__dict__.items()
                if name not in self._NOT_PICKLED}

    def __setstate__(self, state):
        self.__dict__.update(state)

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) [m] of all contents plus ``margin`` (grids and plots)."""
        if self.area is not None:
            return tuple(float(v) for v in self.area)
        points = [s.polygon for s in self.solids] + [p.polygon for p in self.surfaces]
        points += [d.polygon for d in self.drops] + [b.polygon for b in self.barriers]
        points += [np.vstack([p.center - p.radius, p.center + p.radius]) for p in self.people]
        if not points:
            return (-self.margin, self.margin, -self.margin, self.margin)
        every = np.vstack(points)
        lo, hi = every.min(axis=0) - self.margin, every.max(axis=0) + self.margin
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))

    @cached_property
    def collision_solids(self) -> tuple[Solid, ...]:
        """Solids of :data:`COLLISION_CATEGORIES`, indexed by ``collision_field``."""
        return tuple(s for s in self.solids if s.category in COLLISION_CATEGORIES)

    def person_label(self, index: int) -> str:
        """"name (role)" of a person by the car model's ``person_index`` numbering:
        ``people`` first, then ``walkers``; "" for −1."""
        if index < 0:
            return ""
        everyone = (*self.people, *self.walkers)
        person = everyone[index]
        return f"{person.name} ({person.role})"

    def collision_name(self, index: int) -> str:
        """Name of what a car collided with: ``collision_solids`` first, then ``barriers``
        (the car model's ``collision_object`` numbering); "" for −1."""
        if index < 0:
            return ""
        solids = self.collision_solids
        if index < len(solids):
            return solids[index].name
        return self.barriers[index - len(solids)].name

    def collision_category(self, index: int) -> str:
        """Category of what a car collided with ("barrier" for a barrier), "" for −1."""
        if index < 0:
            return ""
        solids = self.collision_solids
        return solids[index].category if index < len(solids) else "barrier"

    @cached_property
    def kerbs(self) -> tuple[Solid, ...]:
        """Solids of category "kerb", indexed by ``kerb_field``."""
        return tuple(s for s in self.solids if s.category == "kerb")

    @cached_property
    def collision_field(self) -> DistanceField:
        """Distance field of buildings, rock faces and obstacles (built on first use)."""
        return shared_field(self.collision_solids, bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def barrier_field(self) -> DistanceField | None:
        """Distance field of the barriers (indexed like ``barriers``), or None."""
        return self._field_of(self.barriers)

    @cached_property
    def drop_field(self) -> DistanceField | None:
        """Distance field of the drops (indexed like ``drops``), or None.

        Positive on the road, negative beyond an edge: at a wheel's contact point it is the
        ``departure`` margin.
        """
        return self._field_of(self.drops)

    def _field_of(self, items) -> DistanceField | None:
        """A distance field over named polygons (drops, barriers), indexed like ``items``."""
        if not items:
            return None
        return shared_field([Solid(item.name, "obstacle", item.polygon) for item in items],
                             bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def kerb_field(self) -> DistanceField | None:
        """Distance field of the kerbs, or None when the street has none."""
        if not self.kerbs:
            return None
        return shared_field(self.kerbs, bounds=self.bounds, resolution=self.resolution)

    @cached_property
    def friction(self) -> FrictionMap:
        """Friction map of the surface patches."""
        return FrictionMap(self.surfaces, self.default_mu)

    def people_clearance(self, x, y, yaw, front, rear, half_width):
        """:func:`people_clearance` for this street's people."""
        return people_clearance(self.people, x, y, yaw, front, rear, half_width)
