r"""How badly: injury probability given that a hazard happened, and the production's risk
matrix.

:mod:`~stuntsim.severity.relations`  published injury relations (pedestrian, occupant,
                                      falls, rollover) with their bands and the assumed
                                      ones listed in :data:`ASSUMED`; risk over the takes
:mod:`~stuntsim.severity.matrix`     the 5 × 5 likelihood × severity risk matrix and each
                                      hazard's cell with where it comes from
"""

from stuntsim.constants import KMH
from stuntsim.severity.matrix import (
    DEFAULT_MATRIX,
    LEVEL_OF_OUTCOME,
    MAX_TAKES_TO_SETTLE,
    RiskMatrix,
    describe_cell,
    likelihood_basis,
    likelihood_category,
    likelihood_name,
    matrix_cell,
    rate_severity,
    risk_rating,
    severity_category,
    severity_name,
    takes_to_settle,
)
from stuntsim.severity.relations import (
    ASSUMED,
    MPH,
    delta_v_rigid_barrier,
    fall_fatality,
    fall_fatality_band,
    fall_impact_speed,
    occupant_fatality_frontal,
    occupant_fatality_joksch,
    occupant_frontal_band,
    occupant_mais3_frontal,
    over_takes,
    pedestrian_fatality_band,
    pedestrian_fatality_rosen_sander,
    pedestrian_tefft,
    rollover_serious_injury,
    rollover_serious_injury_band,
)

__all__ = [
    "ASSUMED",
    "DEFAULT_MATRIX",
    "KMH",
    "LEVEL_OF_OUTCOME",
    "MAX_TAKES_TO_SETTLE",
    "MPH",
    "RiskMatrix",
    "delta_v_rigid_barrier",
    "describe_cell",
    "fall_fatality",
    "fall_fatality_band",
    "fall_impact_speed",
    "likelihood_basis",
    "likelihood_category",
    "likelihood_name",
    "matrix_cell",
    "occupant_fatality_frontal",
    "occupant_fatality_joksch",
    "occupant_frontal_band",
    "occupant_mais3_frontal",
    "over_takes",
    "pedestrian_fatality_band",
    "pedestrian_fatality_rosen_sander",
    "pedestrian_tefft",
    "rate_severity",
    "risk_rating",
    "rollover_serious_injury",
    "rollover_serious_injury_band",
    "severity_category",
    "severity_name",
    "takes_to_settle",
]
