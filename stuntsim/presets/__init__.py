"""Named parameter sets (vehicles), as plain data with a source for every figure."""

from stuntsim.presets.vehicles import VEHICLE_PRESETS, PresetValue

__all__ = ["VEHICLE_PRESETS", "PresetValue"]
