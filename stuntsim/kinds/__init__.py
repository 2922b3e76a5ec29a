"""The stunt kinds, and the registry that maps ``kind:`` to each.

Each kind is a package that registers its :class:`~stuntsim.kinds.base.StuntKind` when
imported; importing this package registers every kind, car first (the order of the JSON
Schema's union). Layers above reach a kind only through :func:`kind_of`.
"""

from stuntsim.kinds import car, train
from stuntsim.kinds.registry import kind_of, kinds, register

__all__ = ["car", "kind_of", "kinds", "register", "train"]
