r"""Axle tyre forces: the Fiala brush model and combined slip by the friction ellipse.

Every function is elementwise over numpy arrays (the sample axis) and broadcasts
scalars. Forces are *axle* forces (both tyres of an axle lumped together), as in a
single-track (bicycle) model.

Sign convention: α is the direction of the wheel's velocity measured from the wheel's
heading (counter-clockwise positive, body y to the left), and a positive slip angle
gives a *negative* lateral force: the force always opposes the slip,
``Fy ≈ −Cα·α`` for small α. (Rajamani 2012 §2.3 uses the opposite angle,
α = δ − θ_V, with Fy = +Cα·α; the physics is the same.) The single-track model in
:mod:`stuntsim.car.dynamics` defines its slip angles this way.

References
----------
Fiala, E. (1954). Seitenkräfte am rollenden Luftreifen. VDI-Zeitschrift 96, 973–979.
Pacejka, H. B. (2012). Tire and Vehicle Dynamics, 3rd ed., Butterworth-Heinemann,
    §3.2 (the brush model; the parabolic pressure distribution gives the cubic law).
Hindiyeh, R. Y., Gerdes, J. C. (2014). A controller framework for autonomous drifting.
    J. Dyn. Sys., Meas., Control 136(5), 051015 — the cited form in terms of tan α and
    the friction-ellipse derating of the lateral peak used here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["combined_slip", "fiala_from_tan_slip", "fiala_lateral_force"]

# Below this peak force [N] the brush model is evaluated with this value in the
# denominator only; the result is multiplied by the true peak force, so a peak of
# exactly 0 gives exactly 0 N, and nothing divides by zero.
_TINY_FORCE = 1e-9


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
    peak of the Fiala law (:func:`fiala_lateral_force`). A locked or spinning axle
    (:math:`|F_x| = \mu F_z`) therefore has no lateral force left.

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
