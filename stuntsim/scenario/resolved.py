"""A resolved scenario: the validated file, every nominal value in SI and the distributions
of the uncertain inputs, ready for a model; variants and moved plans derive from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from pydantic import (
    BaseModel,
)

from stuntsim.risk.distributions import (
    Distribution,
)
from stuntsim.scenario.base import (
    ScenarioBase,
    field_bounds,
    numeric_leaves,
    validate_scenario,
)
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
    #: each uncertain input's field range, closed, SI (see :meth:`within_range`)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: the scenario file's text when it was loaded from one unchanged ("" for a variant,
    #: a moved plan or a scenario built in memory: no file says exactly what it is)
    text: str = field(default="", repr=False)

    def __repr__(self) -> str:
        spec = self.scenario
        return (f"<ResolvedScenario {spec.name!r} ({spec.kind}): {len(self.distributions)} "
                f"uncertain inputs, {spec.samples} takes by default, seed {spec.seed}, "
                f"from {self.source}>")

    def __getattr__(self, name: str):
        # The validated model's fields read through: resolved.vehicle, resolved.street, …
        if name.startswith("__") or name == "scenario":
            raise AttributeError(name)
        return getattr(self.scenario, name)

    @property
    def uncertain_names(self) -> list[str]:
        return list(self.distributions)

    def within_range(self, draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Draws held inside their fields' ranges (a model never sees a negative speed).

        Validation allows an unbounded tail (a normal's, a lognormal's upper one) outside
        its field's range with probability at most
        :data:`~stuntsim.scenario.base.MAX_OUTSIDE` (1e-3, usually far less: a corner
        speed of 12 km/h with sd 1.5 km/h goes below zero with probability 6e-16); such a
        draw is taken at the range's end, the nearest value the model accepts. Draws
        already inside are returned unchanged (the same array objects).
        """
        out = {}
        for name, values in draws.items():
            low, high = self.ranges.get(name, (-np.inf, np.inf))
            values = np.asarray(values, dtype=float)
            outside = (values < low) | (values > high)
            out[name] = np.clip(values, low, high) if outside.any() else values
        return out

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


def resolve(scenario: ScenarioBase, *, source: str = "<memory>", sha256: str = "",
            text: str = "") -> ResolvedScenario:
    """The scenario with its nominal values, dimensions and distributions in SI; ``text``:
    the file it was read from, unchanged (kept with a finished run)."""
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
        ranges={path: _closed(field_bounds(scenario, path)) for path in distributions},
        text=text,
    )


def _closed(bounds: tuple[float, bool, float, bool]) -> tuple[float, float]:
    """A field's range as a closed interval (a strict bound moved one float inside)."""
    low, low_strict, high, high_strict = bounds
    if low_strict:
        low = float(np.nextafter(low, np.inf))
    if high_strict:
        high = float(np.nextafter(high, -np.inf))
    return low, high


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
