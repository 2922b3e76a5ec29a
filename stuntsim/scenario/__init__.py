"""Scenario files: the strict schema's building blocks, the registry of stunt kinds, loading
(YAML as plain data, bounded) and resolution into nominal values and distributions.

This package is data and validation: it imports no model and knows no kind by name (each
kind registers its schema, :func:`register_kind`).
"""

from stuntsim.errors import ScenarioError
from stuntsim.scenario.base import (
    ScenarioBase,
    describe_path,
    numeric_leaves,
    register_kind,
    scenario_json_schema,
    scenario_kinds,
    switch_leaves,
)
from stuntsim.scenario.fields import (
    MAX_NAME,
    MAX_SAMPLES,
    MAX_SEED,
    Angle,
    Friction,
    Length,
    Name,
    Point,
    Points,
    Quantity,
    Speed,
    Strict,
    Time,
    polyline,
    repeated_names,
)
from stuntsim.scenario.loader import load_scenario, parse_scenario
from stuntsim.scenario.resolved import ResolvedScenario, resolve

__all__ = [
    "MAX_NAME",
    "MAX_SAMPLES",
    "MAX_SEED",
    "Angle",
    "Friction",
    "Length",
    "Name",
    "Point",
    "Points",
    "Quantity",
    "ResolvedScenario",
    "ScenarioBase",
    "ScenarioError",
    "Speed",
    "Strict",
    "Time",
    "describe_path",
    "load_scenario",
    "numeric_leaves",
    "parse_scenario",
    "polyline",
    "register_kind",
    "repeated_names",
    "resolve",
    "scenario_json_schema",
    "scenario_kinds",
    "switch_leaves",
]
