r"""How badly a train-roof hazard ends: the probability of death given that it happened.

No published relation covers a person falling from, or struck on, the roof of a moving
train. The relations here are therefore ASSUMPTIONS built on the one fall relation the
project has (:func:`stuntsim.severity.fall_fatality`, itself an assumed log-logistic
curve anchored at Smith et al.'s LD50 of 14.8 m), and they carry a wide band:

(H1)  fall from the train at speed v from height h (roof height above rail plus any drop
      beside the track, e.g. a bridge over a gorge): an energy-equivalent fall height
          h_eq = h + v² / (2 g)
      (all of the horizontal speed taken out at the landing, as a fall onto hard
      ground from h_eq would), P = fall_fatality(h_eq).
      Band: low = fall_fatality_band(h)[0] (only the vertical fall hurts: the horizontal
      speed is shed in a slide or tumble along the ballast), high =
      fall_fatality_band(h_eq)[1]. At 97 km/h from a 4.1 m roof h_eq ≈ 41 m, beyond the
      relation's 3–30 m range (extrapolated: P ≈ 1); at 40 km/h h_eq ≈ 10.4 m, P ≈ 0.19.
      Not modelled: falling under the train, being run over, a fall into water.
(H2)  struck by a structure at the train's speed v (a head or body against a rigid portal
      or bridge beam): the same energy equivalence, h_eq = v² / (2 g), P =
      fall_fatality(h_eq), band fall_fatality_band(h_eq). For comparison, a pedestrian
      struck by a (compliant) car front at 97 km/h has P ≈ 0.85 (Rosén & Sander 2009,
      :func:`stuntsim.severity.pedestrian_fatality_rosen_sander`); a rigid structure is
      no kinder.
(H3)  dislodged or tipped, tether holding: the performer falls within the roof and is held;
      P = fall_fatality(posture height above the roof) (≈ 2·10⁻⁴ from standing). Being
      dragged or swung against the coach side is not in any relation: the serious-injury
      risk of this outcome is real and unquantified here.

Serious injury: no relation for any of these (reported as such).
"""

from __future__ import annotations

import numpy as np

from stuntsim import severity
from stuntsim.constants import GRAVITY
from stuntsim.kinds.base import harm_fact
from stuntsim.risk.montecarlo import failed

__all__ = [
    "TRAIN_HARM_RELATIONS",
    "fall_from_train_fatality",
    "fall_from_train_fatality_band",
    "structure_strike_fatality",
    "structure_strike_fatality_band",
    "train_harm",
]

#: For each hazard: who is hurt and which relation gives P(death); None: no relation.
TRAIN_HARM_RELATIONS: dict[str, dict[str, str | None]] = {
    "dislodged": {
        "who": "the performer",
        "fatality": "ASSUMPTION (stuntsim.kinds.train.harm): without a holding tether, a fall from "
                    "the train at speed, fall_fatality at h + v²/2g (H1); with one, a fall "
                    "within the roof (H3)",
        "serious_injury": None,
    },
    "tipped": {
        "who": "the performer",
        "fatality": "ASSUMPTION (stuntsim.kinds.train.harm): as dislodged, (H1) or (H3)",
        "serious_injury": None,
    },
    "struck_by_structure": {
        "who": "the performer",
        "fatality": "ASSUMPTION (stuntsim.kinds.train.harm): rigid impact at the train's speed as "
                    "a fall from v²/2g, fall_fatality (H2)",
        "serious_injury": None,
    },
    "tether_overload": {
        "who": "the performer",
        "fatality": "ASSUMPTION (stuntsim.kinds.train.harm): the tether fails, a fall from the "
                    "train at speed (H1)",
        "serious_injury": None,
    },
}


def _equivalent_height(speed, height):
    speed = np.asarray(speed, dtype=float)
    if np.any(speed < 0.0):
        raise ValueError("speeds must be ≥ 0")
    return np.asarray(height, dtype=float) + speed**2 / (2.0 * GRAVITY)


def fall_from_train_fatality(speed, fall_height):
    r"""P(death) for a fall from a moving train (H1), an ASSUMPTION (module docstring).

    Parameters
    ----------
    speed : array_like        Train speed when the performer leaves the roof [m/s], ≥ 0.
    fall_height : array_like  Roof above the ground they land on [m], ≥ 0.

    Returns
    -------
    ndarray  P(death) [-].
    """
    return severity.fall_fatality(_equivalent_height(speed, fall_height))


def fall_from_train_fatality_band(speed, fall_height):
    """(low, high) around :func:`fall_from_train_fatality` (H1): the vertical fall alone at
    the low end, the energy-equivalent height at the high end."""
    low, _ = severity.fall_fatality_band(np.asarray(fall_height, dtype=float))
    _, high = severity.fall_fatality_band(_equivalent_height(speed, fall_height))
    return low, high


def structure_strike_fatality(speed):
    r"""P(death) for a body struck by a rigid structure at the train's speed (H2), an
    ASSUMPTION: fall_fatality at h_eq = v²/(2g).

    Parameters
    ----------
    speed : array_like  Train speed at the strike [m/s], ≥ 0.
    """
    return severity.fall_fatality(_equivalent_height(speed, 0.0))


def structure_strike_fatality_band(speed):
    """(low, high) around :func:`structure_strike_fatality` (H2)."""
    return severity.fall_fatality_band(_equivalent_height(speed, 0.0))


def train_harm(margins: dict[str, np.ndarray], details: dict[str, dict[str, np.ndarray]],
               tether_holds: np.ndarray, posture_heights: np.ndarray):
    """Per-sample P(death) (and NaN serious injury: no relation) for each hazard.

    Parameters
    ----------
    margins : hazard -> (n,)        Hazard margins (the worst performer).
    details : hazard -> field -> (n,)
                                    Facts at the worst moment: ``speed``, ``fall_height``,
                                    ``performer`` (index), ``posture`` (index).
    tether_holds : (n, P) bool      The performer had a tether and it never overloaded.
    posture_heights : (n, P, 3)     Height above the roof of each posture [m].

    Returns
    -------
    hazard -> {"fatality": (n,), "serious_injury": (n,)}; 0 where the hazard did not
    happen.
    """
    out = {}
    for name, values in margins.items():
        happened = failed(values)
        facts = details[name]
        n = values.size
        rows = np.arange(n)
        speed = harm_fact(facts, "speed", happened, name)
        who = harm_fact(facts, "performer", happened, name).astype(int)
        if name == "struck_by_structure":
            fatal = structure_strike_fatality(speed)
        elif name in ("dislodged", "tipped", "tether_overload"):
            fall = harm_fact(facts, "fall_height", happened, name)
            falls_off = fall_from_train_fatality(speed, fall)
            if name == "tether_overload":
                fatal = falls_off
            else:
                posture = harm_fact(facts, "posture", happened, name).astype(int)
                on_roof = severity.fall_fatality(posture_heights[rows, who, posture])
                fatal = np.where(tether_holds[rows, who], on_roof, falls_off)
        else:  # pragma: no cover - every train hazard is listed above
            raise KeyError(name)
        out[name] = {"fatality": np.where(happened, fatal, 0.0),
                     "serious_injury": np.full(n, np.nan)}
    return out
