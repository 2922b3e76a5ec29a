"""Street geometry: what a street is made of, clearance queries for car footprints, barrier
physics, friction under the wheels and sight lines.

:mod:`~stuntsim.geometry.shapes`      solids, people, walkers, surfaces, drops, barriers
:mod:`~stuntsim.geometry.distance`    the distance-field engine (exact near contact)
:mod:`~stuntsim.geometry.clearance`   footprints against solids, people and drop edges
:mod:`~stuntsim.geometry.barriers`    EN 1317 impact severity and containment
:mod:`~stuntsim.geometry.friction`    the friction map
:mod:`~stuntsim.geometry.street`      a street as a whole, its fields built on first use
:mod:`~stuntsim.geometry.visibility`  sight lines past buildings, a car body and a rig
"""

from stuntsim.geometry.barriers import EN1317_CONTAINMENT, breach_normal_speed, impact_severity
from stuntsim.geometry.clearance import (
    FootprintClearance,
    circle_clearance,
    edge_margin,
    footprint_corners,
    people_clearance,
    wheel_contact_points,
)
from stuntsim.geometry.distance import FAR_DISTANCE, DistanceField
from stuntsim.geometry.friction import FrictionMap
from stuntsim.geometry.shapes import (
    CATEGORIES,
    COLLISION_CATEGORIES,
    Barrier,
    Drop,
    Person,
    Solid,
    SurfacePatch,
    Walker,
    barrier_from_face,
    drop_from_edge,
    rectangle,
    solid_from_face,
    walker_position,
)
from stuntsim.geometry.street import StreetGeometry

__all__ = [
    "CATEGORIES",
    "COLLISION_CATEGORIES",
    "EN1317_CONTAINMENT",
    "FAR_DISTANCE",
    "Barrier",
    "DistanceField",
    "Drop",
    "FootprintClearance",
    "FrictionMap",
    "Person",
    "Solid",
    "StreetGeometry",
    "SurfacePatch",
    "Walker",
    "barrier_from_face",
    "breach_normal_speed",
    "circle_clearance",
    "drop_from_edge",
    "edge_margin",
    "footprint_corners",
    "impact_severity",
    "people_clearance",
    "rectangle",
    "solid_from_face",
    "walker_position",
    "wheel_contact_points",
]
