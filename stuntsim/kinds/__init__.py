"""The stunt kinds. Each kind is a package that registers itself when imported; importing
this package registers every kind, car first (the order of the JSON Schema's union)."""

from stuntsim.kinds import car, train

__all__ = ["car", "train"]
