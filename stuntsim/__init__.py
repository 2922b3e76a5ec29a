"""stuntsim: how likely a stunt is to go wrong, in which way, how badly, and what would help.

>>> import stuntsim
>>> scenario = stuntsim.load_scenario("scenarios/rome_sharp_turn.yaml")   # doctest: +SKIP
>>> result = stuntsim.run(scenario, samples=2000)                          # doctest: +SKIP
>>> result.estimates["collision"].probability                             # doctest: +SKIP
"""

import logging

from stuntsim.errors import IncompleteRunError, NumericalError, StuntsimError
from stuntsim.risk.montecarlo import ANY
from stuntsim.runner import RiskResult, StuntWarning, load_result, run
from stuntsim.scenario import (
    ResolvedScenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_json_schema,
)
from stuntsim.version import __version__

# what the tool decides (chunking, executor, plan) is logged on "stuntsim"; silent unless the
# application configures logging (the CLI's -v does)
logging.getLogger("stuntsim").addHandler(logging.NullHandler())

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
