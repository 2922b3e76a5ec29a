"""Studies beyond a plain run, for every stunt kind: mitigations compared on common random
numbers, the safe operating envelope of a planned value, what drives a hazard, and rare
hazards by subset simulation or quasi-Monte Carlo. They run any kind's model through the
registry (:mod:`stuntsim.kinds`) and know none by name.
"""

from stuntsim.studies.compare import (
    Comparison,
    Difference,
    compare,
    paired_difference,
    rig_share,
    switch_share,
)
from stuntsim.studies.envelope import (
    Envelope2DResult,
    EnvelopeResult,
    envelope,
    envelope_2d,
    parse_range,
)
from stuntsim.studies.margins import MarginFunction, SharedPoints, margin_function
from stuntsim.studies.rare import (
    FALLBACK_PER_LEVEL_SAMPLE,
    SUBSET_P0,
    SUBSET_REPLICATES,
    HazardEstimate,
    rare_event,
    rare_events,
)
from stuntsim.studies.sensitivity import SensitivityResult, sensitivity

__all__ = [
    "FALLBACK_PER_LEVEL_SAMPLE",
    "SUBSET_P0",
    "SUBSET_REPLICATES",
    "Comparison",
    "Difference",
    "Envelope2DResult",
    "EnvelopeResult",
    "HazardEstimate",
    "MarginFunction",
    "SensitivityResult",
    "SharedPoints",
    "compare",
    "envelope",
    "envelope_2d",
    "margin_function",
    "paired_difference",
    "parse_range",
    "rare_event",
    "rare_events",
    "rig_share",
    "sensitivity",
    "switch_share",
]
