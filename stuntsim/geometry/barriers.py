"""Road restraint systems: impact severity against a barrier and what a barrier that gives
way leaves of the motion (EN 1317-2 containment levels).
"""

from __future__ import annotations

import math

import numpy as np

from stuntsim.constants import TO_KMH


def _test_impact_energy(mass, speed_kmh, angle_deg) -> float:
    """ISe = ½ m (v sin θ)² of an EN 1317-2 test impact [J]."""
    return 0.5 * mass * (speed_kmh / TO_KMH * math.sin(math.radians(angle_deg))) ** 2


#: EN 1317-2:2010 containment levels → the impact severity [J] of their highest-energy test
#: (Table 1 test definitions: TB21 1300 kg 80 km/h 8°; TB22 1300 kg 80 km/h 15°; TB31
#: 1500 kg 80 km/h 20°; TB32 1500 kg 110 km/h 20°; TB41 10 t 70 km/h 8°; TB42 10 t 70 km/h
#: 15°; TB51 13 t bus 70 km/h 20°; TB61 16 t 80 km/h 20°; TB71 30 t 65 km/h 20°; TB81 38 t
#: 65 km/h 20°). Gives the widely quoted 43 kJ (N1), 82 kJ (N2), 127 kJ (H1), 288 kJ (H2),
#: 462 kJ (H3), 572 kJ (H4a), 725 kJ (H4b).
EN1317_CONTAINMENT: dict[str, float] = {
    "T1": _test_impact_energy(1300, 80, 8),
    "T2": _test_impact_energy(1300, 80, 15),
    "T3": _test_impact_energy(10000, 70, 8),
    "N1": _test_impact_energy(1500, 80, 20),
    "N2": _test_impact_energy(1500, 110, 20),
    "H1": _test_impact_energy(10000, 70, 15),
    "H2": _test_impact_energy(13000, 70, 20),
    "H3": _test_impact_energy(16000, 80, 20),
    "H4a": _test_impact_energy(30000, 65, 20),
    "H4b": _test_impact_energy(38000, 65, 20),
}


def impact_severity(mass, normal_speed):
    """Impact severity ISe = ½ m v_n² [J] (EN 1317-2), v_n the speed into the barrier."""
    v_n = np.maximum(np.asarray(normal_speed, dtype=float), 0.0)
    return 0.5 * np.asarray(mass, dtype=float) * v_n**2


def breach_normal_speed(mass, normal_speed, containment_energy):
    """Normal speed left after breaking through a barrier [m/s].

    Energy balance across the breach: the barrier absorbs its containment energy E_c from
    the normal motion, ½ m v_n'² = ½ m v_n² − E_c, so v_n' = √(v_n² − 2 E_c / m) (0 when the
    barrier holds). An idealisation: a real barrier that gives way absorbs less than its
    rating in some failure modes (posts snapping, a car vaulting a low wall) and more in
    others; the tangential speed is kept (no friction along the barrier).
    """
    v_n = np.maximum(np.asarray(normal_speed, dtype=float), 0.0)
    left = v_n**2 - 2.0 * np.asarray(containment_energy, dtype=float) / np.asarray(mass, float)
    return np.sqrt(np.maximum(left, 0.0))
