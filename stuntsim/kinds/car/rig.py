r"""The camera rig on the car: what it hides from the driver and what it does to the car.

A rig is a set of mounts (a camera with its plate, arm or suction cups), each an
axis-aligned box or an upright cylinder in the car frame (x forward, y left, z up [m],
origin on the road below the bare car's centre of gravity), with a mass.

Sight: each mount becomes a :class:`stuntsim.geometry.visibility.Box` or
:class:`~stuntsim.geometry.visibility.Cylinder` occluder; the car's own body (bonnet, A-pillars,
roof, doors) is a set of boxes from a preset (:data:`stuntsim.kinds.car.bodies.BODY_PRESETS`).

Mass: bolting mounts of mass m_i at (x_i, y_i, z_i) onto a car of mass m, CG at the origin
at height h, yaw inertia I_z and roll radius of gyration k gives (rigid-body composition,
parallel-axis theorem; e.g. Meriam & Kraige, *Engineering Mechanics: Dynamics*, ch. 7;
Gillespie, *Fundamentals of Vehicle Dynamics*, 1992, ch. 1 on CG location)::

    M   = m + Σ m_i                                                        (R1)
    x_c = Σ m_i x_i / M        (the CG moves forward by x_c)               (R2)
    h'  = (m h + Σ m_i z_i) / M                                            (R3)
    a'  = a − x_c,   b' = b + x_c     (CG to front / rear axle)            (R4)
    I_z' = I_z + m x_c² + Σ m_i ((x_i − x_c)² + y_i²) + Σ I_z,i            (R5)
    M k'² = m k² + m (h − h')² + Σ m_i ((z_i − h')² + y_i²) + Σ I_x,i      (R6)

with each mount's own inertia about its centre, a solid box m(l² + w²)/12 in yaw and
m(w² + h²)/12 in roll, a solid cylinder m r²/2 in yaw and m(3r² + H²)/12 in roll. The
single-track model has no lateral CG offset: y_c = Σ m_i y_i / M is reported (a heavy
door mount on one side) but not simulated, and R5/R6 take the inertia about x_c, 0.
Rollover (SSF = t/2h') and the tripped-rollover threshold then follow from h' and k'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stuntsim.geometry.visibility import Box, Cylinder
from stuntsim.kinds.car.bodies import BODY_PRESETS

__all__ = ["body_occluders", "mount_occluder", "rig_occluders", "rigged_mass_properties"]


def body_occluders(preset: str) -> list[Box]:
    """The car body's own obstructions (bonnet, pillars, roof, doors) as boxes, car frame."""
    return [Box(part.center, part.size, part.name) for part in BODY_PRESETS.get(preset, ())]


def mount_occluder(mount) -> Box | Cylinder:
    """A scenario :class:`~stuntsim.scenario.RigMount` as a visibility occluder."""
    x, y, z = mount.position
    if mount.shape == "box":
        return Box((x, y, z), mount.size, mount.name)
    half = 0.5 * mount.height
    return Cylinder((x, y), mount.radius, z - half, z + half, mount.name)


def rig_occluders(rig) -> list[Box | Cylinder]:
    """The occluders of the mounts on the car (none when the rig is off)."""
    return [mount_occluder(mount) for mount in rig.active_mounts()]


def _own_inertia(mount, mass):
    """A mount's own (yaw, roll) moments of inertia about its centre [kg m²]."""
    if mount.shape == "box":
        length, width, height = mount.size
        return mass * (length**2 + width**2) / 12.0, mass * (width**2 + height**2) / 12.0
    r, h = mount.radius, mount.height
    return 0.5 * mass * r * r, mass * (3.0 * r * r + h * h) / 12.0


def rigged_mass_properties(vehicle: dict, mounts: Sequence, masses: Sequence) -> dict:
    """The car's mass properties with the rig bolted on (R1–R6 of the module docstring).

    Parameters
    ----------
    vehicle : dict
        The bare car: ``mass`` [kg], ``yaw_inertia`` [kg m²], ``cg_to_front``,
        ``cg_to_rear``, ``cg_height``, ``roll_gyration_radius`` [m]; floats or (n,) arrays.
    mounts : sequence of RigMount   The mounts on the car (position, shape, size).
    masses : sequence of array_like Each mount's mass [kg] (float or (n,), may be drawn).

    Returns
    -------
    dict
        The same keys for the rigged car, plus ``cg_shift_forward`` (x_c) and
        ``cg_offset_left`` (y_c, not simulated) [m].
    """
    m = np.asarray(vehicle["mass"], dtype=float)
    h = np.asarray(vehicle["cg_height"], dtype=float)
    k = np.asarray(vehicle["roll_gyration_radius"], dtype=float)
    masses = [np.asarray(mi, dtype=float) for mi in masses]
    total = m + sum(masses, np.zeros_like(m))  # (R1)
    shift = sum((mi * mount.position[0] for mount, mi in zip(mounts, masses, strict=True)),
                np.zeros_like(m)) / total  # (R2)
    offset = sum((mi * mount.position[1] for mount, mi in zip(mounts, masses, strict=True)),
                 np.zeros_like(m)) / total
    height = (m * h + sum((mi * mount.position[2]
                           for mount, mi in zip(mounts, masses, strict=True)),
                          np.zeros_like(m))) / total  # (R3)
    yaw = np.asarray(vehicle["yaw_inertia"], dtype=float) + m * shift**2  # (R5)
    roll = m * k**2 + m * (h - height) ** 2  # (R6)
    for mount, mi in zip(mounts, masses, strict=True):
        x, y, z = mount.position
        own_yaw, own_roll = _own_inertia(mount, mi)
        yaw = yaw + mi * ((x - shift) ** 2 + y * y) + own_yaw
        roll = roll + mi * ((z - height) ** 2 + y * y) + own_roll
    return {
        "mass": total,
        "yaw_inertia": yaw,
        "cg_to_front": np.asarray(vehicle["cg_to_front"], dtype=float) - shift,  # (R4)
        "cg_to_rear": np.asarray(vehicle["cg_to_rear"], dtype=float) + shift,
        "cg_height": height,
        "roll_gyration_radius": np.sqrt(roll / total),
        "cg_shift_forward": shift,
        "cg_offset_left": offset,
    }
