"""stuntsim: how likely a stunt is to go wrong, in which way, how badly, and what would help.

>>> import stuntsim
>>> scenario = stuntsim.load_scenario("scenarios/rome_sharp_turn.yaml")   # doctest: +SKIP
>>> result = stuntsim.run(scenario, samples=2000)                          # doctest: +SKIP
>>> result.estimates["collision"].probability                             # doctest: +SKIP
"""

import importlib
import logging
from typing import TYPE_CHECKING

from stuntsim.errors import IncompleteRunError, NumericalError, StuntsimError
from stuntsim.version import __version__

# what the tool decides (chunking, executor, plan) is logged on "stuntsim"; silent unless the
# application configures logging (the CLI's -v does)
logging.getLogger("stuntsim").addHandler(logging.NullHandler())

# The rest is imported on first use (PEP 562): numpy, scipy, pint and pydantic cost about a
# second, and the command line starts its worker processes' server before paying it
# (stuntsim.parallel.warm_up), so that the two imports run side by side.
_LAZY = {
    "ANY": "stuntsim.risk.montecarlo",
    "RiskResult": "stuntsim.runner",
    "StuntWarning": "stuntsim.runner",
    "load_result": "stuntsim.runner",
    "run": "stuntsim.runner",
    "ResolvedScenario": "stuntsim.scenario",
    "ScenarioError": "stuntsim.scenario",
    "load_scenario": "stuntsim.scenario",
    "parse_scenario": "stuntsim.scenario",
    "scenario_json_schema": "stuntsim.scenario",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from stuntsim.risk.montecarlo import ANY
    from stuntsim.runner import RiskResult, StuntWarning, load_result, run
    from stuntsim.scenario import (
        ResolvedScenario,
        ScenarioError,
        load_scenario,
        parse_scenario,
        scenario_json_schema,
    )


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stuntsim' has no attribute {name!r}")
    importlib.import_module("stuntsim.runner")  # with it the stunt kinds, registered
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups find it directly
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ANY",
    "IncompleteRunError",
    "NumericalError",
    "ResolvedScenario",
    "RiskResult",
    "ScenarioError",
    "StuntWarning",
    "StuntsimError",
    "__version__",
    "load_result",
    "load_scenario",
    "parse_scenario",
    "run",
    "scenario_json_schema",
]
