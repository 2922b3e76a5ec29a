"""How badly: injury probability given that a hazard happened, and the production's risk matrix.

A hazard's margin says *whether* something went wrong; the relations here say how badly a
person is hurt when it does, from the severity inputs the models record (impact speed of a
car front on a person, the change of velocity Δv of a car hitting a wall, a fall height, a
rollover). Everything is a pure, vectorised numpy function; speeds are in m/s and heights in
m (SI, as everywhere inside stuntsim), converted to the unit of the source's fit inside.

Each relation names its source and its range of validity. Relations, or parts of them, that
are *assumptions of this tool* (not a published fit) are listed in :data:`ASSUMED` with their
calibration, and carry a wide band; say so when a result depends on them.

The per-take risk accumulated over a shoot is :func:`over_takes`.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
from scipy.special import expit

from stuntsim.constants import GRAVITY, KMH

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
