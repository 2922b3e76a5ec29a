"""The registry of stunt kinds: ``kind:`` in a scenario file → its :class:`StuntKind`.

Each kind's package registers its kind object when imported (:func:`register`, which also
registers its schema with the scenario loader); :mod:`stuntsim.kinds` imports every kind.
Layers above the kinds reach a kind only through :func:`kind_of`.
"""

from __future__ import annotations

from stuntsim.kinds.base import StuntKind
from stuntsim.scenario.base import register_kind

__all__ = ["kind_of", "kinds", "register"]

_KINDS: dict[str, StuntKind] = {}


def register(kind: StuntKind) -> StuntKind:
    """Make ``kind`` the stunt kind of scenario files with ``kind: <kind.name>``."""
    if kind.name in _KINDS and type(_KINDS[kind.name]) is not type(kind):
        raise ValueError(f"a stunt kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    register_kind(kind.name, kind.schema)
    return kind


def kinds() -> dict[str, StuntKind]:
    """Every registered kind by name, in registration order."""
    return dict(_KINDS)


def kind_of(scenario) -> StuntKind:
    """The kind of a resolved (or validated) scenario."""
    spec = getattr(scenario, "scenario", scenario)
    try:
        return _KINDS[spec.kind]
    except KeyError:
        raise ValueError(f"no stunt kind {spec.kind!r} is registered") from None
