r"""How badly: injury probability given that a hazard happened, and the production's risk matrix.

A hazard's margin says *whether* something went wrong; the relations here say how badly a
person is hurt when it does, from the severity inputs the models record (impact speed of a
car front on a person, the change of velocity Δv of a car hitting a wall, a fall height, a
rollover). Everything is a pure, vectorised numpy function; speeds are in m/s and heights in
m (SI, as everywhere inside stuntsim), converted to the unit of the source's fit inside.

Each relation names its source and its range of validity. Relations, or parts of them, that
are *assumptions of this tool* (not a published fit) are listed in :data:`ASSUMED` with their
calibration, and carry a wide band; say so when a result depends on them.

The last part turns probabilities into a production risk assessment: the per-take risk
accumulated over a shoot (:func:`over_takes`) and a 5 × 5 likelihood × severity matrix
(:class:`RiskMatrix`), the form in which UK (HSE-style) film and TV risk assessments are
written.

Injury scales: AIS/MAIS is the (maximum) Abbreviated Injury Scale, 1 minor … 6 maximal;
"MAIS3+" is a serious or worse injury, "AIS4+" severe or worse (AAAM).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.special import expit

from stuntsim.constants import GRAVITY, KMH

__all__ = [
    "ASSUMED",
    "DEFAULT_MATRIX",
    "KMH",
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

MPH = 0.44704  # [m/s] one mile per hour (exact)

#: Relations (or parts of them) that are assumptions of this tool, with their calibration.
ASSUMED: MappingProxyType[str, str] = MappingProxyType(
    {
        "fall_fatality": (
            "log-logistic in height, P = 1/(1 + (h50/h)^β), h50 = 14.8 m (LD50 of Smith et al., "
            "trauma centre 2010–2015, 10 ft per storey) and β = 4 chosen so that P(24 m) ≈ 0.87 "
            "('a fall from 80 ft exceeds the maximum threshold', same study); the shape and β "
            "are not a published fit"
        ),
        "fall_fatality_band": (
            "h50 from 12.1 m (historical LD50, 40 ft) to 20.1 m (Smith et al. with 12 ft per "
            "storey) and β from 3 to 6, all corners; the β range is a judgement"
        ),
        "occupant_frontal_band": (
            "a factor 1.25 on Δv either way around the NHTSA curves, motivated by NASS Δv "
            "reconstructions averaging 19 % below EDR values (Funk et al. 2008) and by the "
            "difference between the crash population and a belted stunt driver"
        ),
        "occupant_fatality_joksch": (
            "Joksch's exponent 4 is from the source; the normalisation Δv = 71 mph for "
            "certain death is the commonly quoted value and was not checked against the paper"
        ),
        "delta_v_rigid_barrier": (
            "restitution 0.1 by default (car against a rigid wall at tens of km/h: mostly "
            "plastic); restitution is larger at low speed"
        ),
        "rollover_serious_injury_band": (
            "± twice the uncertainty printed in the source's abstract (whether it is one "
            "standard error or a 95 % half-width is not stated there)"
        ),
    }
)


# --- pedestrian struck by a car front ------------------------------------------------------

# Rosén & Sander (2009): logit P(death) = −6.9 + 0.090 v [km/h]; 95 % CI of each coefficient.
_RS_INTERCEPT, _RS_SLOPE = 6.9, 0.090
_RS_INTERCEPT_CI, _RS_SLOPE_CI = (5.3, 8.5), (0.060, 0.12)


def pedestrian_fatality_rosen_sander(speed):
    r"""Probability that an adult pedestrian struck by a car front dies.

    P = 1 / (1 + exp(6.9 − 0.090 v)), v the car's impact speed in km/h (logistic
    regression on GIDAS in-depth data, weighted against the bias towards severe cases).
    1.5 % at 30 km/h, 8.3 % at 50 km/h, 18 % at 60 km/h — values of this curve (as in
    REFERENCES.md), not quoted from the paper, whose abstract gives ratios: the risk at
    50 km/h is more than twice that at 40 km/h and more than five times that at 30 km/h
    (the curve gives 2.3× and 5.6×).

    Validity: pedestrians aged 15 and over, struck by the *front* of a passenger car
    (GIDAS, Germany, 1999–2007). Cases thin out above about 70–80 km/h, and Martin & Wu
    (2017) found a logistic in v too low at high speeds (they fit a cloglog in v²): treat
    results above ~80 km/h as a lower bound, and do not use it for children, the elderly
    (risk rises steeply with age), vans/SUVs/trucks, or being run over.

    Parameters
    ----------
    speed : array_like  Impact speed of the car [m/s], ≥ 0.

    Returns
    -------
    ndarray  P(death) [-].

    References
    ----------
    Rosén, E. & Sander, U. (2009). Pedestrian fatality risk as a function of car impact
    speed. Accident Analysis & Prevention 41(3):536–542.
    Rosén, E., Stigson, H. & Sander, U. (2011). Literature review of pedestrian fatality
    risk as a function of car impact speed. AAP 43(1):25–33.
    """
    v_kmh = _speed(speed) / KMH
    return expit(_RS_SLOPE * v_kmh - _RS_INTERCEPT)


def pedestrian_fatality_band(speed):
    r"""Band around :func:`pedestrian_fatality_rosen_sander` from its coefficients' 95 % CIs.

    lo = expit(0.060 v − 8.5), hi = expit(0.12 v − 5.3), v in km/h: the extremes of the
    logit over the rectangle intercept ∈ [5.3, 8.5] × slope ∈ [0.060, 0.12] (for v ≥ 0 the
    logit is smallest at the smallest slope and largest intercept, and vice versa).

    Combining the two intervals independently is conservative: intercept and slope
    estimates are strongly negatively correlated, so the joint 95 % region is a thin
    ellipse inside that rectangle and the true band is narrower. Without the published
    covariance this is the honest band, and it is wide (50 km/h: 0.4 %–67 %).

    Parameters
    ----------
    speed : array_like  Impact speed [m/s], ≥ 0.

    Returns
    -------
    (lo, hi) : tuple of ndarray  Bounds on P(death) [-]; lo ≤ central ≤ hi.
    """
    v_kmh = _speed(speed) / KMH
    lo = expit(_RS_SLOPE_CI[0] * v_kmh - _RS_INTERCEPT_CI[1])
    hi = expit(_RS_SLOPE_CI[1] * v_kmh - _RS_INTERCEPT_CI[0])
    return lo, hi


def pedestrian_tefft(speed):
    r"""Probability of death and of severe injury (AIS 4+) for a struck pedestrian (Tefft).

    logit P(death) = −5.73 + 0.0890 v,  logit P(AIS 4+) = −4.62 + 0.0876 v,  v in km/h
    (REFERENCES.md). These two-parameter logistics reproduce Tefft's published,
    population-standardised risk points to within 0.7 mph: death 10/50/90 % at
    24.1/40.6/54.6 mph, severe injury 10/50/90 % at 17.1/33.0/48.1 mph (Tefft 2013).

    Validity: pedestrians aged 15 and over struck by a forward-moving car, pickup, van or
    SUV (US PCDS 1994–1998, standardised to the 2007–2009 US age and vehicle mix); published
    points span about 25–90 km/h. Risk depends strongly on age (a 70-year-old at v is
    like a 30-year-old at v + 19 km/h); these are averages. US light trucks make these
    higher than :func:`pedestrian_fatality_rosen_sander` for cars alone.

    Parameters
    ----------
    speed : array_like  Impact speed [m/s], ≥ 0.

    Returns
    -------
    dict  ``{"death": P(death), "serious": P(AIS 4+)}`` [-], arrays of the input's shape.

    References
    ----------
    Tefft, B. C. (2011). Impact speed and a pedestrian's risk of severe injury or death.
    AAA Foundation for Traffic Safety; and Accident Analysis & Prevention 50:871–878 (2013).
    """
    v_kmh = _speed(speed) / KMH
    return {
        "death": expit(-5.73 + 0.0890 * v_kmh),
        "serious": expit(-4.62 + 0.0876 * v_kmh),
    }


# --- car occupant: wall or obstacle impact ---------------------------------------------------

# NHTSA DOT HS 813 219 (Wang 2022), frontal crashes, logit = a + b Δv [mph].
_NHTSA_FRONTAL_MAIS3 = (-6.9774, 0.1620)
_NHTSA_FRONTAL_FATAL = (-9.0422, 0.1571)
_OCCUPANT_DV_FACTOR = 1.25
_JOKSCH_DV_CERTAIN = 71.0 * MPH  # [m/s]


def delta_v_rigid_barrier(impact_speed, restitution=0.1):
    r"""Change of velocity of a car hitting a rigid, immovable wall [m/s].

    Δv = (1 + e) v_n: the normal velocity v_n is stopped and a fraction e of it comes back
    (Newton's restitution). The wall's mass is infinite, so the car's mass does not enter.

    For a glancing impact pass the *normal* component, v_n = v sin θ (θ between the car's
    velocity and the wall). That is a simplification: it ignores the tangential Δv from
    friction along the wall and the yaw the impact starts, both of which add to the
    occupant's loading, so the real Δv is somewhat larger.

    Parameters
    ----------
    impact_speed : array_like  Velocity component normal to the wall at contact [m/s], ≥ 0.
    restitution : array_like   Coefficient of restitution e [-], 0 ≤ e ≤ 1. The default 0.1
                               is an assumption (see :data:`ASSUMED`); car-to-barrier
                               crashes at tens of km/h are nearly plastic.

    Returns
    -------
    ndarray  Δv [m/s].
    """
    e = np.asarray(restitution, dtype=float)
    if np.any((e < 0.0) | (e > 1.0)):
        raise ValueError(f"restitution must be in [0, 1], got {restitution!r}")
    return (1.0 + e) * _speed(impact_speed)


def occupant_mais3_frontal(delta_v):
    r"""Probability of a serious-or-worse injury (MAIS3+) for an occupant in a frontal crash.

    P = 1 / (1 + exp(−(−6.9774 + 0.1620 Δv))), Δv in mph: NHTSA's univariate logistic in
    the vehicle's change of velocity, frontal crashes, MAIS(05/08), survey-weighted
    (PROC SURVEYLOGISTIC) on 2010–2015 NASS-CDS tow-away crashes. 10 % at Δv ≈ 47 km/h,
    50 % at Δv ≈ 69 km/h. Cross-check: for two equal cars head-on, Δv is half the closing
    speed, so 10 % falls at ≈ 95 km/h closing speed, near the 99 km/h frontal threshold
    of the TARGET study (10 % MAIS3+, US field data).

    Validity: occupants of light passenger vehicles in frontal tow-away crashes, Δv up to
    about 80 km/h (sparse above); an average over belt use, age and fleet (CDS over-samples
    severe crashes; its Δv reconstructions underestimate EDR values by ~19 % on average,
    Funk et al. 2008). Not for side impacts (much lower Δv tolerance) or rollovers. The
    coefficients were taken from a transcription of the report's frontal table; three
    independent public transcriptions agree with them, and the report's abstract confirms
    univariate logistic fits in Δv on 2010–2015 NASS-CDS, but they have NOT been checked
    against the report's own table (the PDF was not reachable here; table number, total vs
    longitudinal Δv and the occupant population remain to be confirmed).

    REFERENCES.md states MAIS3+ reaches 10 % at 70–75 km/h *impact speed* (Lubbe et al.
    2024, modern cars); Δv is not impact speed, so that figure is not a point on this curve.

    Parameters
    ----------
    delta_v : array_like  The car's change of velocity in the crash [m/s], ≥ 0.

    Returns
    -------
    ndarray  P(MAIS3+) [-].

    References
    ----------
    Wang, J.-S. (2022). MAIS(05/08) injury probability curves as functions of delta V.
    Report DOT HS 813 219, NHTSA.
    Funk, J. R., Cormier, J. M. & Gabler, H. C. (2008). Effect of delta-V errors in NASS on
    frontal crash risk calculations. Annals of Advances in Automotive Medicine 52:155–164.
    """
    return _logistic_mph(delta_v, *_NHTSA_FRONTAL_MAIS3)


def occupant_fatality_frontal(delta_v):
    r"""Probability that an occupant dies in a frontal crash of change of velocity Δv.

    logit P = −9.0422 + 0.1571 Δv, Δv in mph (NHTSA DOT HS 813 219, frontal crashes,
    fatality curve; same data, validity and caveats as :func:`occupant_mais3_frontal`).
    About 3 % at Δv = 56 km/h, 50 % at Δv ≈ 93 km/h.

    Parameters
    ----------
    delta_v : array_like  Change of velocity [m/s], ≥ 0.

    Returns
    -------
    ndarray  P(death) [-].
    """
    return _logistic_mph(delta_v, *_NHTSA_FRONTAL_FATAL)


def occupant_frontal_band(delta_v, outcome="mais3", *, dv_factor=_OCCUPANT_DV_FACTOR):
    r"""A wide band around the NHTSA frontal curves: the curve at Δv / f and at Δv · f.

    ASSUMPTION (see :data:`ASSUMED`): the report gives no usable uncertainty for a single
    crash, so the band moves Δv by a factor f (default 1.25) each way. That covers the
    NASS Δv bias (−19 % on average against EDRs; correcting it lowers the risk at a given
    true Δv) and the gap between the field population and a stunt performer (belted,
    often harnessed and helmeted, but in a car that may be stripped of airbags).

    Parameters
    ----------
    delta_v : array_like  Change of velocity [m/s], ≥ 0.
    outcome : {"mais3", "fatality"}
    dv_factor : float     f ≥ 1 [-].

    Returns
    -------
    (lo, hi) : tuple of ndarray  Bounds on the probability [-].
    """
    curves = {"mais3": occupant_mais3_frontal, "fatality": occupant_fatality_frontal}
    if outcome not in curves:
        raise ValueError(f"outcome must be one of {sorted(curves)}, got {outcome!r}")
    if not dv_factor >= 1.0:
        raise ValueError(f"dv_factor must be ≥ 1, got {dv_factor!r}")
    dv = _speed(delta_v)
    return curves[outcome](dv / dv_factor), curves[outcome](dv * dv_factor)


def occupant_fatality_joksch(delta_v):
    r"""Joksch's rule of thumb: driver fatality risk grows as Δv⁴.

    P = min(1, (Δv / 71 mph)⁴). Joksch (1993) found on NASS 1980–1986 data that the
    exponent 4 describes the driver's fatality risk against Δv well. The normalisation
    71 mph is the commonly quoted value and is an ASSUMPTION here (see :data:`ASSUMED`).
    An older fleet with lower belt use: about twice :func:`occupant_fatality_frontal` at
    Δv = 56 km/h. Use it as a cross-check of the shape, not as the main estimate.

    Parameters
    ----------
    delta_v : array_like  Change of velocity [m/s], ≥ 0.

    Returns
    -------
    ndarray  P(death) [-].

    References
    ----------
    Joksch, H. C. (1993). Velocity change and fatality risk in a crash — a rule of thumb.
    Accident Analysis & Prevention 25(1):103–104.
    """
    return np.minimum((_speed(delta_v) / _JOKSCH_DV_CERTAIN) ** 4, 1.0)


# --- falls from height -----------------------------------------------------------------------

_FALL_H50 = 14.8  # [m] LD50, Smith et al.
_FALL_BETA = 4.0
_FALL_H50_RANGE = (12.1, 20.1)  # [m]
_FALL_BETA_RANGE = (3.0, 6.0)


def fall_impact_speed(height):
    r"""Vertical speed at the end of a free fall from rest, v = √(2 g h) [m/s].

    Air drag is neglected: for a person (terminal speed ≈ 55 m/s) it lowers the speed by a
    few per cent at 20 m, so the value is slightly on the safe side; for a car it is smaller
    still. A car leaving an edge keeps its horizontal speed as well, which this does not
    include (and which is not all taken out at the landing).

    Parameters
    ----------
    height : array_like  Height fallen [m], ≥ 0.

    Returns
    -------
    ndarray  Vertical impact speed [m/s]; 10 m → 14.0 m/s.
    """
    h = np.asarray(height, dtype=float)
    if np.any(h < 0.0):
        raise ValueError("height must be ≥ 0")
    return np.sqrt(2.0 * GRAVITY * h)


def fall_fatality(height, *, h50=_FALL_H50, beta=_FALL_BETA):
    r"""Probability that an adult dies after an unplanned fall from a height onto hard ground.

    ASSUMPTION (see :data:`ASSUMED`): a log-logistic dose–response curve

        P = 1 / (1 + (h50 / h)^β),  h50 = 14.8 m, β = 4,

    anchored at the LD50 of Smith et al.: 48 ft (14.8 m) in a level-1 trauma centre's
    2010–2015 series (97 patients, storeys standardised to 10 ft; the historical LD50 was
    40 ft, 12.1 m), with β chosen so that 24 m gives ≈ 87 % ("a fall from 80 ft exceeds the
    maximum threshold", same study). It gives 0.2 % at 3 m, 2.6 % at 6 m, 17 % at 10 m,
    69 % at 18 m; Warner & Demling (1986) put a six-storey fall onto concrete at almost
    100 % for adults, an older and harsher figure. In speed terms this is P ∝ v⁸ at
    low v, much steeper than the car curves. Use :func:`fall_fatality_band`.

    Validity: adults, uncontrolled landing on concrete/pavement, 3–30 m. Not for children
    (far better tolerance), water, or a planned fall onto a decelerator (boxes, air bag):
    a rigged high fall has a different failure mode (missing or bottoming the bag).

    Parameters
    ----------
    height : array_like  Height fallen [m], ≥ 0.
    h50 : float          Height of 50 % fatality [m].
    beta : float         Steepness [-], > 0.

    Returns
    -------
    ndarray  P(death) [-].

    References
    ----------
    Smith, M. R., Amberger, M. A., Pavalonis, A. G., Onursal, E. M., Lee, S., Phillips,
    P. A. & Edwards, J. S. Some patients live after trauma: re-examining the lethality of
    vertical deceleration injuries (St. Barnabas Hospital, Bronx; data 2010–2015).
    Warner, K. G. & Demling, R. H. (1986). The pathophysiology of free-fall injury.
    Annals of Emergency Medicine 15(9):1088–1093.
    """
    h = np.asarray(height, dtype=float)
    if np.any(h < 0.0):
        raise ValueError("height must be ≥ 0")
    if not (h50 > 0.0 and beta > 0.0):
        raise ValueError(f"need h50 > 0 and beta > 0, got h50={h50!r}, beta={beta!r}")
    with np.errstate(divide="ignore"):
        log_ratio = np.log(h) - np.log(h50)  # −inf at h = 0 → P = 0
    return expit(beta * log_ratio)


def fall_fatality_band(height):
    r"""Wide band around :func:`fall_fatality`: h50 from 12.1 to 20.1 m, β from 3 to 6.

    ASSUMPTION, like the curve itself. h50's range is the historical LD50 (40 ft) to Smith
    et al.'s LD50 with 12 ft storeys (68 ft); β's range is a judgement (see
    :data:`ASSUMED`). P is monotone in each of h50 and β separately, so its extremes over
    the rectangle are at the corners.

    Parameters
    ----------
    height : array_like  Height fallen [m], ≥ 0.

    Returns
    -------
    (lo, hi) : tuple of ndarray  Bounds on P(death) [-].
    """
    corners = np.stack(
        [
            fall_fatality(height, h50=h50, beta=beta)
            for h50 in _FALL_H50_RANGE
            for beta in _FALL_BETA_RANGE
        ]
    )
    return corners.min(axis=0), corners.max(axis=0)


# --- rollover --------------------------------------------------------------------------------

# P(MAIS3+ | rollover) and its printed uncertainty, NASS-CDS 1992–2004, adult front occupants.
_ROLLOVER = {
    # (belted, far_side): (risk, ±)
    (True, False): (0.043, 0.012),
    (True, True): (0.040, 0.012),
    (False, False): (0.120, 0.035),
    (False, True): (0.181, 0.048),
}


def rollover_serious_injury(belted=True, far_side=False):
    r"""Probability of a serious-or-worse injury (MAIS3+) for a front occupant in a rollover.

    Field risk per rollover crash (injured / exposed, NASS-CDS 1992–2004, adult drivers and
    right-front passengers): belted 4.3 % near side, 4.0 % far side; unbelted 12.0 % near,
    18.1 % far ("near" = seated on the side that leads the roll).

    Validity: road vehicles in real rollovers, every number of quarter turns pooled (risk
    rises with the number of inversions and with a preceding impact); it is per rollover,
    not per quarter turn. A stunt car with a roll cage, harness and helmet should do much
    better, so for a prepared car this is an upper bound.

    Parameters
    ----------
    belted : array_like of bool    Occupant wearing a belt.
    far_side : array_like of bool  Seated on the far (trailing) side of the roll.

    Returns
    -------
    ndarray  P(MAIS3+) [-].

    References
    ----------
    Rollover injury: effects of near- and far-seating position, belt use, and number of
    quarter rolls. Traffic Injury Prevention 8(4):382–392 (2007),
    doi:10.1080/15389580701583379.
    """
    return _rollover_table(belted, far_side, 0)


def rollover_serious_injury_band(belted=True, far_side=False):
    r"""Band around :func:`rollover_serious_injury`: ± twice the source's printed uncertainty.

    The abstract prints e.g. 4.3 % ± 1.2 % without saying whether ± is one standard error or
    a 95 % half-width; doubling it is conservative either way (see :data:`ASSUMED`).

    Returns
    -------
    (lo, hi) : tuple of ndarray  Bounds on P(MAIS3+) [-], clipped to [0, 1].
    """
    p = _rollover_table(belted, far_side, 0)
    half = 2.0 * _rollover_table(belted, far_side, 1)
    return np.clip(p - half, 0.0, 1.0), np.clip(p + half, 0.0, 1.0)


# --- per take and over a shoot --------------------------------------------------------------


def over_takes(p, ci95, takes):
    r"""Probability that a hazard happens at least once in N takes, with its interval.

    P_N = 1 − (1 − p)^N for N independent takes of equal per-take probability p (computed
    as −expm1(N log1p(−p)), accurate for tiny p). The interval is the per-take interval's
    bounds put through the same map. Because the map is strictly increasing in p, the
    event lo ≤ p ≤ hi is the same event as P_N(lo) ≤ P_N(p) ≤ P_N(hi): the transformed
    interval has exactly the per-take interval's coverage, no approximation.

    Independence is the modelling assumption: takes share a driver, a car and a set, and
    fatigue or learning change p from take to take.

    Parameters
    ----------
    p : array_like      Per-take probability [-], in [0, 1].
    ci95 : (lo, hi)     Its 95 % interval [-], lo ≤ p ≤ hi.
    takes : array_like  Number of takes N, a whole number ≥ 1 (1 take returns p unchanged).

    Returns
    -------
    (p_all, (lo, hi))   Probability over the N takes and its interval [-].
    """
    p = np.asarray(p, dtype=float)
    lo, hi = (np.asarray(bound, dtype=float) for bound in ci95)
    n = np.asarray(takes)
    if not (np.issubdtype(n.dtype, np.integer) or np.all(np.isfinite(n) & (n == np.round(n)))):
        raise ValueError(f"takes must be whole numbers, got {takes!r}")
    if np.any(n < 1):
        raise ValueError(f"takes must be ≥ 1, got {takes!r}")
    for label, value in (("p", p), ("ci95 low", lo), ("ci95 high", hi)):
        if np.any(~np.isfinite(value) | (value < 0.0) | (value > 1.0)):
            raise ValueError(f"{label} must be in [0, 1], got {value!r}")
    if np.any((lo > p) | (p > hi)):
        raise ValueError(f"need ci95 low ≤ p ≤ ci95 high, got p={p!r}, ci95=({lo!r}, {hi!r})")
    n = n.astype(float)
    return _at_least_once(p, n), (_at_least_once(lo, n), _at_least_once(hi, n))


# --- the production risk matrix -------------------------------------------------------------

_LIKELIHOOD_NAMES = ("very unlikely", "unlikely", "possible", "likely", "very likely")
_SEVERITY_NAMES = (
    "negligible (first aid)",
    "minor (treatment, back at work within days)",
    "moderate (hospital, MAIS2)",
    "major (serious, MAIS3+ / permanent harm)",
    "fatal",
)


@dataclass(frozen=True)
class RiskMatrix:
    r"""A 5 × 5 likelihood × severity risk matrix, the form of UK HSE-style production RAs.

    Likelihood (per take): 1 very unlikely, 2 unlikely, 3 possible, 4 likely, 5 very likely.
    Severity (the worst outcome that is credible if the hazard happens): 1 negligible / first
    aid, 2 minor, 3 moderate (hospital, MAIS2), 4 major (MAIS3+, permanent harm), 5 fatal.
    Score = likelihood × severity (1…25); bands low / medium / high / very high.

    The numbers are a *convention of this tool*, not an HSE prescription (HSE asks for a
    suitable and sufficient assessment, not a particular matrix); a production supplies its
    own by constructing a ``RiskMatrix``.

    Attributes
    ----------
    likelihood_edges : 4 increasing floats in (0, 1)
        Per-take probabilities where likelihood steps up; default one per decade:
        p < 1e-4 → 1, [1e-4, 1e-3) → 2, [1e-3, 1e-2) → 3, [1e-2, 1e-1) → 4, ≥ 0.1 → 5.
    credible : float in (0, 1)
        A severity level counts when its conditional probability, given the hazard, is at
        least this (default 0.01, one in a hundred occurrences).
    band_edges : 3 increasing ints in (1, 25]
        Score at which the band becomes medium, high, very high; default 5, 10, 16:
        1–4 low, 5–9 medium, 10–15 high, 16–25 very high.
    """

    likelihood_edges: tuple[float, float, float, float] = (1e-4, 1e-3, 1e-2, 1e-1)
    credible: float = 0.01
    band_edges: tuple[int, int, int] = (5, 10, 16)
    band_names: tuple[str, str, str, str] = ("low", "medium", "high", "very high")

    def __post_init__(self) -> None:
        edges = np.asarray(self.likelihood_edges, dtype=float)
        if edges.shape != (4,) or np.any(edges <= 0.0) or np.any(edges >= 1.0):
            raise ValueError(f"likelihood_edges: need 4 values in (0, 1), got {edges}")
        if np.any(np.diff(edges) <= 0.0):
            raise ValueError(f"likelihood_edges must increase, got {edges}")
        if not 0.0 < self.credible < 1.0:
            raise ValueError(f"credible must be in (0, 1), got {self.credible!r}")
        bands = np.asarray(self.band_edges)
        if bands.shape != (3,) or np.any(np.diff(bands) <= 0) or bands[0] <= 1 or bands[-1] > 25:
            raise ValueError(f"band_edges: need 3 increasing scores in (1, 25], got {bands}")
        if len(self.band_names) != 4:
            raise ValueError(f"band_names: need 4 names, got {self.band_names!r}")

    def likelihood(self, p_per_take):
        """Likelihood category 1…5 of a per-take probability (see the class docstring)."""
        p = np.asarray(p_per_take, dtype=float)
        if np.any(~np.isfinite(p) | (p < 0.0) | (p > 1.0)):
            raise ValueError(f"p_per_take must be in [0, 1], got {p_per_take!r}")
        return _maybe_scalar(np.searchsorted(self.likelihood_edges, p, side="right") + 1)

    def severity(self, p_fatal=0.0, p_major=0.0, p_moderate=0.0, p_minor=0.0):
        """Severity category 1…5: the worst level whose probability given the hazard is credible.

        Each argument is P(that outcome or worse | the hazard happened) [-], e.g.
        ``p_fatal=pedestrian_fatality_rosen_sander(v)``, ``p_major=pedestrian_tefft(v)
        ["serious"]``. A level counts when its probability is ≥ ``credible``; none counting
        gives 1 (negligible / first aid).
        """
        levels = np.broadcast_arrays(
            *(np.asarray(p, dtype=float) for p in (p_minor, p_moderate, p_major, p_fatal))
        )
        category = np.ones(levels[0].shape, dtype=int)
        for value, probability in enumerate(levels, start=2):
            if np.any(~np.isfinite(probability) | (probability < 0.0) | (probability > 1.0)):
                raise ValueError("outcome probabilities must be in [0, 1]")
            category = np.where(probability >= self.credible, value, category)
        return _maybe_scalar(category)

    def rating(self, likelihood, severity):
        """(score, band): score = likelihood × severity, band from ``band_edges``."""
        lik, sev = np.asarray(likelihood), np.asarray(severity)
        for label, value in (("likelihood", lik), ("severity", sev)):
            if not np.issubdtype(value.dtype, np.integer) or np.any((value < 1) | (value > 5)):
                raise ValueError(f"{label} must be whole numbers 1…5, got {value!r}")
        score = lik * sev
        band = np.asarray(self.band_names)[np.searchsorted(self.band_edges, score, side="right")]
        if score.ndim == 0:
            return int(score), str(band)
        return score, band


DEFAULT_MATRIX = RiskMatrix()

#: Severity levels a relation can speak for, with the harm output that measures them.
LEVEL_OF_OUTCOME = {"fatality": 5, "serious_injury": 4}
#: Largest number of takes :func:`takes_to_settle` looks at.
MAX_TAKES_TO_SETTLE = 10**9


def likelihood_name(category: int) -> str:
    """The word for a likelihood category 1…5 ("very unlikely" … "very likely")."""
    return _LIKELIHOOD_NAMES[int(category) - 1]


def severity_name(category: int) -> str:
    """The words for a severity category 1…5 ("negligible (first aid)" … "fatal")."""
    return _SEVERITY_NAMES[int(category) - 1]


def rate_severity(given: dict[str, float | None], *, lower_bound: tuple[str, ...] = (),
                  sources: dict[str, str | None] | None = None,
                  matrix: RiskMatrix = DEFAULT_MATRIX) -> tuple[int | None, list[str]]:
    r"""Severity 1…5 of a hazard from what its relations say, and why, in words.

    ``given`` maps ``"fatality"`` and ``"serious_injury"`` (MAIS3+: level 4, "major") to
    P(that outcome or worse | the hazard happened), or None where no relation exists.
    (``sources`` is accepted for symmetry with :func:`matrix_cell`, which records them.)
    Levels 2 and 3 (minor, moderate: MAIS1–2) have no relation in this tool.

    The rule, conservative where the relations are silent: the severity is the worst level
    that is either *credible* (P ≥ ``matrix.credible``) or *not excluded*. A level L is
    excluded only by an exact relation at a level J ≤ L that is below the credible
    threshold, because P(L or worse) ≤ P(J or worse). So a collision whose MAIS3+ and
    death probabilities are both below 1 % is rated *moderate*, not negligible: nothing
    here rules out a moderate injury. A relation listed in ``lower_bound`` (e.g. AIS4+
    standing in for MAIS3+) can show a level is credible but never exclude it.

    Returns (None, [why]) when no relation exists at all.
    """
    sources = sources or {}
    known = {LEVEL_OF_OUTCOME[key]: (value, key) for key, value in given.items()
             if value is not None}
    if not known:
        return None, ["no relation gives this hazard's harm"]
    why = []
    credible = [level for level, (value, _) in known.items() if value >= matrix.credible]
    exact_below = [level for level, (value, key) in known.items()
                   if value < matrix.credible and key not in lower_bound]

    def excluded(level: int) -> bool:
        return any(j <= level for j in exact_below)

    for level in sorted(known, reverse=True):
        value, key = known[level]
        verdict = ("≥" if value >= matrix.credible else "<") + f" {100 * matrix.credible:g} %"
        bound = " at least" if key in lower_bound else ""
        why.append(f"P({_LEVEL_WORDS[level]} | hazard) ={bound} {_percent(value)} "
                   f"{verdict}")
    unknown = [level for level in range(5, 1, -1) if level not in known and not excluded(level)]
    unsure = [level for level, (value, key) in known.items()
              if key in lower_bound and value < matrix.credible and not excluded(level)]
    candidates = credible + unknown + unsure
    severity = max(candidates) if candidates else 1
    if severity in unknown or severity in unsure:
        why.append(f"no relation excludes {severity_name(severity)}"
                   + (" (no relation covers it)" if severity in unknown else
                      " (the relation is a lower bound)")
                   + ": rated at that level")
    elif severity == 1:
        why.append("every level above negligible is excluded")
    return severity, why


def takes_to_settle(failures: int, n: int, matrix: RiskMatrix = DEFAULT_MATRIX) -> int | None:
    """Takes needed for the upper 95 % bound to fall into the point estimate's likelihood band.

    The rating uses the upper bound, so a hazard seen rarely is rated by what the run
    cannot rule out. With the observed rate p̂ = k/n held fixed, this is the smallest N ≥ n
    at which the bound (Wilson; Clopper–Pearson at 0 failures) of round(p̂ N) failures in
    N takes is inside p̂'s band. None when the bound is already in that band; -1 when more
    than :data:`MAX_TAKES_TO_SETTLE` takes would be needed.
    """
    from stuntsim.risk.montecarlo import binomial_intervals

    p_hat = failures / n
    band = int(matrix.likelihood(p_hat))
    if int(matrix.likelihood(binomial_intervals(failures, n)[1])) == band:
        return None
    edge = matrix.likelihood_edges[band - 1]  # the band's upper edge (band < 5 here)

    def settled(takes: int) -> bool:
        hi = binomial_intervals(round(p_hat * takes), takes)[1]
        return bool(hi < edge)

    low, high = n, 2 * n
    while not settled(high):
        low, high = high, 2 * high
        if high > MAX_TAKES_TO_SETTLE:
            return -1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if settled(middle) else (middle, high)
    return high


def likelihood_basis(failures: int, n: int, probability: float, upper: float,
                     undetermined: int = 0) -> str:
    """Where a likelihood comes from, in words: observed k of N, or a bound."""
    from stuntsim.formatting import probability as show

    if failures:
        text = f"observed: {failures} of {n} takes ({show(probability)}; ≤ {show(upper)} at 95 %)"
    else:
        text = f"not observed in {n} takes; at most {show(upper)} (95 %)"
    if undetermined:
        text += f"; {undetermined} takes unfinished, counted as possible failures in the bound"
    return text


_LEVEL_WORDS = {5: "death", 4: "MAIS3+", 3: "MAIS2+", 2: "MAIS1+"}


def _percent(value: float) -> str:
    return f"{100 * value:.2g} %" if value >= 1e-5 else f"{value:.1e}"


def matrix_cell(estimate, given: dict[str, float | None] | None, *,
                lower_bound: tuple[str, ...] = (), sources: dict[str, str | None] | None = None,
                severity_note: str | None = None, not_rated: str | None = None,
                matrix: RiskMatrix = DEFAULT_MATRIX) -> dict:
    """One hazard's risk-matrix cell, with where its likelihood and severity come from.

    Parameters
    ----------
    estimate : ProbabilityEstimate   The hazard's per-take estimate (failures, n, ci95).
    given : dict or None             P(outcome | hazard) for "fatality" and
                                     "serious_injury" (None: no relation), see
                                     :func:`rate_severity`; None: rate nothing.
    severity_note : str              Where ``given`` comes from when the hazard never
                                     happened (e.g. "if it happened at 35 km/h").
    not_rated : str                  Why the hazard has no severity (e.g. its harm is
                                     rated under another hazard).

    The likelihood is read from the upper 95 % bound (sampling error on the safe side);
    where the point estimate falls in another band the cell gives both ratings and
    :func:`takes_to_settle`.
    """
    k, n = estimate.failures, estimate.n
    upper = estimate.ci95[1]
    at_bound = int(matrix.likelihood(upper))
    at_estimate = int(matrix.likelihood(estimate.probability))
    cell: dict = {
        "likelihood": at_bound,
        "likelihood_name": likelihood_name(at_bound),
        "likelihood_basis": likelihood_basis(k, n, estimate.probability, upper,
                                             getattr(estimate, "undetermined", 0)),
        "likelihood_from": "upper 95 % bound per take",
        "probability": float(estimate.probability),
        "upper_95": float(upper),
        "likelihood_at_estimate": at_estimate,
    }
    if at_estimate != at_bound:
        settle = takes_to_settle(k, n, matrix)
        cell["takes_to_settle"] = settle
    severity, why = (None, [not_rated]) if (not_rated or given is None) else rate_severity(
        given, lower_bound=lower_bound, sources=sources, matrix=matrix)
    if severity_note:
        why = [severity_note, *why]
    cell["severity_basis"] = why
    if given is not None:  # the numbers behind the words: P(outcome | hazard), None: no relation
        cell["given_hazard"] = dict(given)
    if sources and given:
        cell["severity_sources"] = {key: sources[key] for key, value in given.items()
                                    if value is not None and sources.get(key)}
    if severity is None:
        cell.update({"severity": None, "score": None,
                     "band": f"not rated ({not_rated or why[-1]})"})
        return cell
    score, band = matrix.rating(np.int64(at_bound), np.int64(severity))
    cell.update({"severity": severity, "severity_name": severity_name(severity),
                 "score": int(score), "band": str(band)})
    if at_estimate != at_bound:
        score_point, band_point = matrix.rating(np.int64(at_estimate), np.int64(severity))
        cell.update({"score_at_estimate": int(score_point), "band_at_estimate": str(band_point)})
    return cell


def describe_cell(cell: dict) -> list[str]:
    """A cell in words, for the terminal and the figure: the rating, then its basis."""
    if cell["score"] is None:
        return [cell["band"], f"likelihood {cell['likelihood_basis']}"]
    lines = [f"{cell['likelihood']} × {cell['severity']} = {cell['score']} {cell['band']}"]
    if "score_at_estimate" in cell:
        settle = cell.get("takes_to_settle")
        more = ("" if settle is None else
                "; more than 1e9 takes would settle it" if settle == -1 else
                f"; {settle:,} takes would settle it")
        lines[0] += (f" (at the point estimate: {cell['likelihood_at_estimate']} × "
                     f"{cell['severity']} = {cell['score_at_estimate']} "
                     f"{cell['band_at_estimate']}{more})")
    lines.append(f"likelihood {cell['likelihood_basis']}")
    lines.append("severity: " + "; ".join(cell["severity_basis"]))
    return lines


def likelihood_category(p_per_take, matrix: RiskMatrix = DEFAULT_MATRIX):
    """Likelihood 1…5 of a per-take probability; see :class:`RiskMatrix` for the scale."""
    return matrix.likelihood(p_per_take)


def severity_category(
    p_fatal=0.0, p_major=0.0, p_moderate=0.0, p_minor=0.0, *, matrix: RiskMatrix = DEFAULT_MATRIX
):
    """Severity 1…5 from outcome probabilities given the hazard; see :meth:`RiskMatrix.severity`."""
    return matrix.severity(p_fatal, p_major, p_moderate, p_minor)


def risk_rating(likelihood, severity, matrix: RiskMatrix = DEFAULT_MATRIX):
    """(score, band) of a likelihood and a severity category; see :class:`RiskMatrix`."""
    return matrix.rating(likelihood, severity)


# --- helpers ---------------------------------------------------------------------------------


def _speed(speed) -> np.ndarray:
    v = np.asarray(speed, dtype=float)
    if np.any(v < 0.0):
        raise ValueError("speeds must be ≥ 0 (pass the magnitude)")
    return v


def _logistic_mph(delta_v, intercept: float, slope: float) -> np.ndarray:
    return expit(intercept + slope * _speed(delta_v) / MPH)


def _rollover_table(belted, far_side, column: int) -> np.ndarray:
    belted, far_side = np.broadcast_arrays(np.asarray(belted, bool), np.asarray(far_side, bool))
    out = np.empty(belted.shape)
    for (is_belted, is_far), row in _ROLLOVER.items():
        out = np.where((belted == is_belted) & (far_side == is_far), row[column], out)
    return out


def _at_least_once(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # log1p(−1) = −inf → probability 1
        return -np.expm1(n * np.log1p(-p))


def _maybe_scalar(values: np.ndarray):
    return int(values) if np.ndim(values) == 0 else values
