"""A resolved scenario: the validated file, every nominal value in SI and the distributions
of the uncertain inputs, ready for a model; variants and moved plans derive from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import (
    BaseModel,
)

from stuntsim.risk.distributions import (
    Distribution,
)
from stuntsim.scenario.base import ScenarioBase, numeric_leaves, validate_scenario
from stuntsim.scenario.fields import convert_quantity


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with its parameters flattened and its distributions built.

    The validated pydantic model is ``scenario`` (quantities already SI floats); its fields
    also read through directly (``resolved.maneuver.entry_speed``).

    ``nominal`` maps every numeric dotted path to its SI value; ``distributions`` maps the
    uncertain paths to :class:`~stuntsim.risk.distributions.Distribution` objects;
    ``dimensions`` gives each path's physical dimension (for display units).
    """

    scenario: ScenarioBase
    nominal: dict[str, float]
    dimensions: dict[str, str]
    distributions: dict[str, Distribution]
    source: str
    sha256: str

    def __getattr__(self, name: str):
        # The validated model's fields read through: resolved.vehicle, resolved.street, …
        if name.startswith("__") or name == "scenario":
            raise AttributeError(name)
        return getattr(self.scenario, name)

    @property
    def uncertain_names(self) -> list[str]:
        return list(self.distributions)

    def variant(self, name: str) -> ResolvedScenario:
        """The scenario with one of its named ``variants`` applied (spreads move along)."""
        if name not in self.scenario.variants:
            raise KeyError(f"no variant {name!r}: {sorted(self.scenario.variants)}")
        resolved = self
        for path, value in self.scenario.variants[name].items():
            resolved = resolved.with_nominal(path, value)
        return resolved

    def with_nominal(self, path: str, value: float | str | bool) -> ResolvedScenario:
        """The same scenario with one nominal value moved; its spread moves with it.

        ``value`` is SI, or a string with a unit (``"40 km/h"``) as in a scenario file, or
        true/false for a switch (:func:`switch_leaves`).
        """
        data = self.scenario.model_dump(mode="python", exclude_none=True)
        _set_path(data, self.scenario, path, value)
        scenario = validate_scenario(data, self.source)
        return resolve(scenario, source=self.source, sha256=self.sha256)


def resolve(scenario: ScenarioBase, *, source: str = "<memory>", sha256: str = "") -> (
    ResolvedScenario
):
    leaves = numeric_leaves(scenario)
    distributions = {}
    for path, spec in scenario.uncertain.items():
        nominal, dimension = leaves[path]
        distributions[path] = spec.build(nominal, partial(convert_quantity, dimension))
    return ResolvedScenario(
        scenario=scenario,
        nominal={path: value for path, (value, _) in leaves.items()},
        dimensions={path: dim for path, (_, dim) in leaves.items()},
        distributions=distributions,
        source=source,
        sha256=sha256 or hashlib.sha256(
            scenario.model_dump_json().encode()
        ).hexdigest(),
    )


def _set_path(data: dict, scenario: BaseModel, path: str, value: float) -> None:
    parts = path.split(".")
    if parts[0] == "vehicle":
        data["vehicle"][parts[1]] = value
        return
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list):
            named = [item for item in node if item.get("name") == part]
            node = named[0] if named else node[int(part)]
        else:
            node = node[part]
    node[parts[-1]] = value
