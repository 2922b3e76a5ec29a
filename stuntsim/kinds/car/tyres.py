r"""Axle tyre forces: the Fiala brush model and combined slip by the friction ellipse.

Every function is elementwise over numpy arrays (the sample axis) and broadcasts
scalars. Forces are *axle* forces (both tyres of an axle lumped together), as in a
single-track (bicycle) model.

A braked axle either rolls (its wheels turn; the forces above) or is locked (its wheels
stand still and slide): :func:`axle_forces` decides which from the brake force and the
axle's velocity, and gives a locked axle the Coulomb force of :func:`sliding_force`.

Sign convention: α is the direction of the wheel's velocity measured from the wheel's
heading (counter-clockwise positive, body y to the left), and a positive slip angle
gives a *negative* lateral force: the force always opposes the slip,
``Fy ≈ −Cα·α`` for small α. (Rajamani 2012 §2.3 uses the opposite angle,
α = δ − θ_V, with Fy = +Cα·α; the physics is the same.) The single-track model in
:mod:`stuntsim.kinds.car.dynamics` defines its slip angles this way.

References
----------
Fiala, E. (1954). Seitenkräfte am rollenden Luftreifen. VDI-Zeitschrift 96, 973–979.
Pacejka, H. B. (2012). Tire and Vehicle Dynamics, 3rd ed., Butterworth-Heinemann,
    §3.2 (the brush model; the parabolic pressure distribution gives the cubic law).
Hindiyeh, R. Y., Gerdes, J. C. (2014). A controller framework for autonomous drifting.
    J. Dyn. Sys., Meas., Control 136(5), 051015 — the cited form in terms of tan α and
    the friction-ellipse derating of the lateral peak used here.
Wong, J. Y. Theory of Ground Vehicles, Wiley, §1.3 (braking effort and longitudinal
    skid) and Table 1.3, "average values of coefficient of road adhesion" (peak and
    sliding values) — the sliding coefficient of a locked wheel, below the peak. The
    table's figures were checked only as quoted elsewhere, not in a printed edition.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "axle_forces",
    "combined_slip",
    "fiala_from_tan_slip",
    "fiala_lateral_force",
    "sliding_force",
]

# Below this peak force [N] the brush model is evaluated with this value in the
# denominator only; the result is multiplied by the true peak force, so a peak of
# exactly 0 gives exactly 0 N, and nothing divides by zero.
_TINY_FORCE = 1e-9
# A locked wheel's Coulomb force fades linearly to zero below this sliding speed [m/s],
# like the brakes of the single-track model (a regularised sign function: not stiff for RK4).
SLIDING_SPEED_FLOOR = 0.1
# Floor of the longitudinal wheel speed in tan α = v / max(u, ·) [m/s], as in the model.
_MIN_SLIP_SPEED = 0.1


def fiala_lateral_force(slip_angle, cornering_stiffness, peak_force):
    r"""Lateral axle force of the Fiala brush model [N].

    With :math:`z = \tan\alpha`, cornering stiffness :math:`C_\alpha` and peak force
    :math:`F_p`:

    .. math::

        F_y = -C_\alpha z + \frac{C_\alpha^2}{3F_p} z|z| - \frac{C_\alpha^3}{27F_p^2} z^3
        \quad (|z| < 3F_p/C_\alpha), \qquad F_y = -F_p\,\mathrm{sign}(z) \text{ otherwise.}

    It is evaluated in the equivalent factored form
    :math:`F_y = -F_p\,\mathrm{sign}(z)\,(1 - (1 - q)^3)` with
    :math:`q = \min(C_\alpha|z| / (3F_p), 1)`, which is continuous with zero slope at
    the saturation point (full sliding).

    Parameters
    ----------
    slip_angle : array_like         Slip angle α [rad]; clipped to ±(π/2 − 1e-9) so
                                    tan α keeps its sign (beyond that the axle is
                                    fully sliding anyway).
    cornering_stiffness : array_like  Axle cornering stiffness Cα [N/rad], ≥ 0.
    peak_force : array_like          Available lateral peak force Fp [N], ≥ 0
                                    (μ·Fz for pure slip); 0 gives 0 N.

    Returns
    -------
    ndarray  Lateral axle force Fy [N], opposing the slip (positive α → Fy ≤ 0).

    References
    ----------
    Fiala (1954); Pacejka (2012) §3.2; Hindiyeh & Gerdes (2014), as in the module.
    """
    limit = 0.5 * np.pi - 1e-9
    z = np.tan(np.clip(np.asarray(slip_angle, dtype=np.float64), -limit, limit))
    return fiala_from_tan_slip(z, cornering_stiffness, peak_force)


def fiala_from_tan_slip(tan_slip, cornering_stiffness, peak_force):
    r"""Fiala lateral force from :math:`z = \tan\alpha` directly [N].

    For callers that have :math:`\tan\alpha` as a velocity ratio and never need the
    angle itself (the single-track model does, with an in-place copy of this law for
    speed); this skips an arctan/tan pair. Same law and convention as
    :func:`fiala_lateral_force`; ``tan_slip`` may take any real value (very large
    values are simply full sliding).

    Parameters
    ----------
    tan_slip : array_like            tan α [-].
    cornering_stiffness : array_like  Axle cornering stiffness Cα [N/rad], ≥ 0.
    peak_force : array_like          Available lateral peak force Fp [N], ≥ 0.

    Returns
    -------
    ndarray  Lateral axle force Fy [N].
    """
    peak = np.asarray(peak_force, dtype=np.float64)
    # q = Cα z / (3 Fp), signed, clipped to the sliding limit ±1.
    q = np.clip(
        np.multiply(tan_slip, cornering_stiffness) / (3.0 * np.maximum(peak, _TINY_FORCE)),
        -1.0,
        1.0,
    )
    # 1 − (1 − |q|)³ = |q| (3 − 3|q| + q²), so the signed force is −Fp q (3 − 3|q| + q²).
    magnitude = np.abs(q)
    return -peak * q * ((magnitude - 3.0) * magnitude + 3.0)


def combined_slip(longitudinal_request, slip_angle, cornering_stiffness, mu, normal_load):
    r"""Axle forces under combined slip, friction-ellipse (circle) model.

    The longitudinal force is granted up to the friction limit,
    :math:`F_x = \mathrm{clip}(F_{x,\mathrm{req}}, -\mu F_z, \mu F_z)`; what is left
    bounds the lateral force, :math:`F_{p} = \sqrt{(\mu F_z)^2 - F_x^2}`, which is the
    peak of the Fiala law (:func:`fiala_lateral_force`). A spinning driven axle
    (:math:`|F_x| = \mu F_z`) therefore has no lateral force left. This is the law of a
    *rolling* axle; a locked one slides (:func:`axle_forces`, :func:`sliding_force`).

    Parameters
    ----------
    longitudinal_request : array_like  Requested longitudinal axle force Fx [N]
                                      (+ forward: drive; − rearward: braking).
    slip_angle : array_like           Slip angle α [rad].
    cornering_stiffness : array_like   Axle cornering stiffness Cα [N/rad].
    mu : array_like                    Tyre–road friction coefficient μ [-], ≥ 0.
    normal_load : array_like           Axle normal load Fz [N], ≥ 0.

    Returns
    -------
    (Fx, Fy) : tuple of ndarray  Granted longitudinal force [N] and lateral force [N].

    References
    ----------
    Hindiyeh & Gerdes (2014) (derating of the lateral peak by the longitudinal force);
    Pacejka (2012) §3.2 (brush model).
    """
    capacity = np.multiply(mu, normal_load, dtype=np.float64)
    fx = np.clip(np.asarray(longitudinal_request, dtype=np.float64), -capacity, capacity)
    lateral_peak = np.sqrt(capacity * capacity - fx * fx)
    fy = fiala_lateral_force(slip_angle, cornering_stiffness, lateral_peak)
    return fx, fy


def sliding_force(long_velocity, lat_velocity, mu, normal_load, *,
                  speed_floor=SLIDING_SPEED_FLOOR):
    r"""Coulomb friction force of a locked (fully sliding) axle [N], in the wheel frame.

    .. math::

        (F_x, F_y) = -\mu F_z \, \frac{(u, v)}{\max(|V|, \varepsilon)},
        \qquad |V| = \sqrt{u^2 + v^2}

    A wheel that does not turn slides with the velocity of its contact patch, (u, v) in
    the wheel frame, and kinetic friction opposes that sliding velocity with magnitude
    μF_z (Coulomb; Pacejka 2012, §3.2: at full sliding every element of the brush model
    slides, so the force is μF_z against the sliding velocity). Below ε the force fades
    linearly to zero (a regularised sign function, like the model's brakes), so a
    stopped car stays stopped and the equations are not stiff for RK4.

    Parameters
    ----------
    long_velocity : array_like   u, contact-patch velocity along the wheel's heading [m/s].
    lat_velocity : array_like    v, contact-patch velocity to the wheel's left [m/s].
    mu : array_like              Sliding friction coefficient [-] (for a locked wheel the
                                 peak μ times the locked-friction ratio, Wong Table 1.3).
    normal_load : array_like     Axle normal load F_z [N], ≥ 0.
    speed_floor : float          ε [m/s], > 0.

    Returns
    -------
    (Fx, Fy) : tuple of ndarray  Along and across the wheel's heading [N].

    References
    ----------
    Pacejka (2012) §3.2; Wong §1.3, Table 1.3.
    """
    u = np.asarray(long_velocity, dtype=np.float64)
    v = np.asarray(lat_velocity, dtype=np.float64)
    scale = -np.multiply(mu, normal_load, dtype=np.float64) / np.maximum(np.hypot(u, v),
                                                                         speed_floor)
    return scale * u, scale * v


def axle_forces(longitudinal_request, brake_force, long_velocity, lat_velocity,
                cornering_stiffness, mu, normal_load, locked_friction_ratio, *,
                speed_floor=SLIDING_SPEED_FLOOR):
    r"""Axle forces of a rolling or locked axle, the wheel spin treated as quasi-static [N].

    A braked wheel turns as long as friction can balance its brake. With the wheel
    rolling and the tyre fully sliding, the contact patch slides with (u − Ωr, v) in the
    wheel frame (Ω the wheel's spin, r its radius) and the friction force μF_z opposes
    that velocity; a longitudinal force F_x then needs u − Ωr = |v| |F_x| /
    √((μF_z)² − F_x²), and Ω ≥ 0 (the brake cannot drive the wheel backwards) holds
    only while

    .. math::  |F_x| \le \mu F_z \, u / |V|, \qquad |V| = \sqrt{u^2 + v^2}.

    A brake force beyond that locks the axle (for v = 0 the threshold is μF_z, the
    familiar one). So, with B the brake force (its magnitude, the brake system's
    request before any standstill fade) and the same regularisation ε as the sliding
    force:

    - **locked** if :math:`|B| \max(|V|, ε) > μF_z \max(|u|, ε)` (the threshold above;
      for |u| < ε it is the limit of the model's faded brake, so that at u = 0 any brake
      beyond μF_z ε/|V| locks a wheel that slides sideways): the Coulomb force of
      :func:`sliding_force` with the sliding coefficient ρ μ (ρ = μ_sliding / μ_peak);
    - **rolling** otherwise: the friction-ellipse law of :func:`combined_slip`, F_x =
      clip(F_x,req, ±μF_z), F_y = Fiala(tan α, C_α, √((μF_z)² − F_x²)) with
      tan α = v / max(u, 0.1 m/s). A driven, spinning axle (|F_x,req| > μF_z with
      B = 0) stays on this law: a spinning wheel's slip velocity is mostly longitudinal
      (Ωr − u ≫ |v|), so nearly all of μF_z goes along the wheel and F_y → 0.

    At the threshold the rolling axle is fully sliding whenever C_α ≥ 3μF_z (then
    |q| = C_α|V| / (3μF_z u) ≥ 1 in the Fiala law), with the force μF_z·(u, v)/|V|
    against the sliding direction: with ρ = 1 the two states meet continuously; with
    ρ < 1 the force drops by the factor ρ at lock-up, as a real tyre's does.

    Parameters
    ----------
    longitudinal_request : array_like  Requested longitudinal axle force F_x,req [N]
                                       (drive minus the faded brake), wheel frame.
    brake_force : array_like           Brake force magnitude |B| [N], ≥ 0, before fading.
    long_velocity, lat_velocity : array_like  Contact-patch velocity (u, v) [m/s], wheel frame.
    cornering_stiffness : array_like   Axle cornering stiffness C_α [N/rad].
    mu : array_like                    Peak friction coefficient μ [-].
    normal_load : array_like           Axle normal load F_z [N].
    locked_friction_ratio : array_like ρ = μ_sliding / μ_peak [-], in (0, 1].
    speed_floor : float                ε [m/s].

    Returns
    -------
    (Fx, Fy, locked) : ndarray, ndarray, bool ndarray  Wheel-frame forces [N] and the
    lock state.

    References
    ----------
    Pacejka (2012) §3.2 (sliding force against the sliding velocity); Hindiyeh & Gerdes
    (2014) (friction ellipse); Wong Table 1.3 (sliding below peak adhesion).
    """
    u = np.asarray(long_velocity, dtype=np.float64)
    v = np.asarray(lat_velocity, dtype=np.float64)
    capacity = np.multiply(mu, normal_load, dtype=np.float64)
    speed = np.maximum(np.hypot(u, v), speed_floor)
    locked = np.asarray(brake_force) * speed > capacity * np.maximum(np.abs(u), speed_floor)
    fx, fy = _combined_slip_from_tan(
        longitudinal_request, v / np.maximum(u, _MIN_SLIP_SPEED), cornering_stiffness,
        capacity,
    )
    fx_locked, fy_locked = sliding_force(u, v, np.multiply(locked_friction_ratio, mu),
                                         normal_load, speed_floor=speed_floor)
    return np.where(locked, fx_locked, fx), np.where(locked, fy_locked, fy), locked


def _combined_slip_from_tan(longitudinal_request, tan_slip, cornering_stiffness, capacity):
    """:func:`combined_slip` from tan α and the friction capacity μF_z [N] directly."""
    capacity = np.asarray(capacity, dtype=np.float64)
    fx = np.clip(np.asarray(longitudinal_request, dtype=np.float64), -capacity, capacity)
    lateral_peak = np.sqrt(capacity * capacity - fx * fx)
    return fx, fiala_from_tan_slip(tan_slip, cornering_stiffness, lateral_peak)
