r"""Which part of the driver's view a camera rig blocks: static field-of-view figures.

A design check of a rig layout, before any simulation: from the driver's eye, which
directions of the 180° forward field can hide a person, how much of that the car's own
body already hides, how much each mount adds, how far each mount sticks out of the car,
and whether the layout meets three pieces of guidance.

Method
------
1. **Target window.** A person of height H standing at horizontal distance d from the eye
   (eye height z_e) appears between the elevations

   .. math::  \epsilon_{min} = \operatorname{atan2}(z_f - z_e, d), \qquad
              \epsilon_{max} = \operatorname{atan2}(H - z_e, d)                    (F1)

   (:func:`elevation_window`; z_f is a foot height a little above the road so that the
   road surface itself is not the target).
2. **Hiding.** An occluder (a body part from
   :data:`stuntsim.kinds.car.bodies.BODY_PRESETS`, or a rig mount) *hides* the target when
   its elevation range (:func:`stuntsim.geometry.visibility.elevation_range`) covers the whole
   window, ε_min ≥ its lowest and ε_max ≤ its highest elevation: the driver could then
   miss the person entirely, whereas a person of whom any part stays in view can be seen
   (the same rule as :func:`stuntsim.geometry.visibility.visible`). So a low bonnet camera may hide
   a 1.0 m child at 10 m and still leave a standing adult's head in view, and the roof,
   all above the eye, hides no one. The figures therefore depend on the target's height
   and distance.
3. **Sectors and shares.** The azimuth sectors of the hiding occluders
   (:func:`stuntsim.geometry.visibility.azimuth_sector`) are merged
   (:func:`stuntsim.geometry.visibility.blocked_sectors`); the blocked share is the hidden part of
   the forward field ±90° divided by 180°
   (:func:`~stuntsim.geometry.visibility.forward_blocked_share`).
   Body only and body + rig give ``blocked_share_body`` and ``blocked_share_total``; their
   difference is what the rig adds (``rig_share``). A mount's *marginal* share is the total
   minus the total without it: where mounts overlap each other the overlap is counted by
   neither, so the marginal shares add up to at most the rig share (exactly, when the
   mounts' blind sectors are disjoint).
4. **Protrusion.** The body outline is the box from the front bumper (x = a + front
   overhang) back over the car's length, |y| ≤ width / 2, up to the roof
   (the vehicle's ``height``); a mount's protrusion is the largest distance by which its
   extent passes one of the box's faces (0 inside). A camera on the bonnet below roof
   height therefore protrudes 0: what it hides is judged by the sight checks.

Guidance checked (:attr:`FieldOfView.guidance`)
-----------------------------------------------
* **UN Regulation 125** (driver's forward field of vision, M1 vehicles): the 180° forward
  field is to be free of obstructions other than the car's own A-pillars and fixed parts
  (vents, wipers, mirrors …). Met here only if no rig mount hides the target anywhere in
  ±90°. R125 is a type-approval rule for the vehicle, not for a camera rig; it is used as
  the standard a road car's driver is entitled to.
* **BBC guidance on camera cars**: door and bonnet cameras are not to be used on
  uncontrolled public roads unless a mini-cam that does not impede the driver's vision,
  protruding no more than about 30 cm (REFERENCES.md). Met if every mount whose location is
  ``hood``, ``door_left`` or ``door_right`` protrudes ≤ :data:`BBC_MAX_PROTRUSION` and hides
  no part of the forward field. Other locations (roof, bumper, rear) are not covered by it.
* **A-pillar yardstick**: the widest blind sector a rig mount creates or widens (merged with
  any body part it touches) is at most :data:`A_PILLAR_LIMIT` = 6°. This is the widely quoted
  binocular A-pillar obstruction limit of UN R125; it was **not verified** in the text of
  the regulation (REFERENCES.md) and serves only as a yardstick for "no wider than a
  pillar".

What is approximate
-------------------
* One eye point (the preset's cyclopean eye), no head movement; SAE J1050 measures
  obstructions binocularly, with the head free to turn, and SAE J941 spreads the eye over an
  eyellipse, so real blind sectors are somewhat narrower.
* A box's elevation range is for the box as a whole
  (:func:`~stuntsim.geometry.visibility.elevation_range`):
  near the edge of its azimuth sector the covered elevations are fewer, so hiding is
  slightly overstated (the safe side).
* The body parts are the preset's sketch (all assumptions, see the preset); mirrors are not
  modelled.

References
----------
UN Regulation No. 125, uniform provisions concerning the approval of motor vehicles with
regard to the forward field of vision of the motor vehicle driver (180° forward field).
SAE J1050, Describing and Measuring the Driver's Field of View; SAE J941, Motor Vehicle
Drivers' Eye Locations. BBC safety guidance on camera cars (door and bonnet cameras on
public roads). Figures copied with their sources into docs/REFERENCES.md, "Visibility and
reaction".
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from stuntsim.geometry.visibility import (
    FORWARD_FIELD,
    Box,
    Occluder,
    azimuth_sector,
    blocked_sectors,
    clip_sectors,
    elevation_range,
    forward_blocked_share,
)
from stuntsim.kinds.car.bodies import BODY_PRESETS
from stuntsim.kinds.car.presets import VEHICLE_PRESETS
from stuntsim.kinds.car.rig import body_occluders, mount_occluder

__all__ = [
    "A_PILLAR_LIMIT",
    "BBC_LOCATIONS",
    "BBC_MAX_PROTRUSION",
    "BODY_HEIGHTS",
    "FIAT_500_NUOVA_HEIGHT",
    "BodyOutline",
    "FieldOfView",
    "GuidanceCheck",
    "MountView",
    "elevation_window",
    "field_of_view",
    "format_field_of_view",
    "layout_field_of_view",
]

FIAT_500_NUOVA_HEIGHT = 1.320
"""Overall height of the Fiat 500 Nuova [m] (1.320 m, car-param.com; REFERENCES.md): the
roof of the body outline used for protrusion."""

BODY_HEIGHTS: dict[str, float] = {name: preset["height"].value
                                  for name, preset in VEHICLE_PRESETS.items()}
"""Overall body height [m] of each vehicle preset (its ``height``)."""

BBC_MAX_PROTRUSION = 0.30
"""Largest protrusion of a door or bonnet camera beyond the body [m] (BBC guidance: a mini-cam
protruding ≲ 30 cm; REFERENCES.md)."""

BBC_LOCATIONS = ("hood", "door_left", "door_right")
"""Mount locations the BBC door/bonnet-camera guidance applies to."""

A_PILLAR_LIMIT = math.radians(6.0)
"""Yardstick for the widest blind sector a rig may create [rad]: the ≈ 6° binocular A-pillar
obstruction widely quoted for UN R125, not verified in the regulation's text."""

GUIDANCE_R125 = "UN R125 180° forward field"
GUIDANCE_BBC = "BBC door/bonnet cameras"
GUIDANCE_PILLAR = "A-pillar yardstick (6°)"

Sector = tuple[float, float, str]


def elevation_window(eye_height, *, person_height=1.7, distance=10.0, foot=0.1):
    """Elevations at which a standing person appears, foot to head (F1 of the module).

    Parameters
    ----------
    eye_height : array_like     Driver's eye above the road z_e [m].
    person_height : array_like  Height of the person H [m], > foot (1.7 m an adult,
                                1.0 m a small child).
    distance : array_like       Horizontal distance from the eye to the person d [m], > 0.
    foot : array_like           Lowest point of the person that counts z_f [m], ≥ 0 (a
                                little above the road, so the road is not the target).

    Returns
    -------
    (el_min, el_max) : floats or ndarrays
        Elevations [rad] above the eye's horizontal plane of the foot and the head.
    """
    eye_height, person_height, distance, foot = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (eye_height, person_height, distance, foot))
    )
    if np.any(distance <= 0):
        raise ValueError(f"distance must be > 0 m, got {distance}")
    if np.any(foot < 0) or np.any(person_height <= foot):
        raise ValueError(f"need 0 <= foot < person_height, got {foot} and {person_height}")
    el_min = np.arctan2(foot - eye_height, distance)  # (F1)
    el_max = np.arctan2(person_height - eye_height, distance)
    return el_min[()], el_max[()]


class GuidanceCheck(NamedTuple):
    """One piece of guidance applied to a rig layout."""

    name: str
    met: bool
    explanation: str


@dataclass(frozen=True)
class BodyOutline:
    """The car body's bounding box in the car frame [m]: x from ``rear`` to ``front``,
    |y| ≤ ``half_width``, z from the road to ``roof``."""

    front: float
    rear: float
    half_width: float
    roof: float

    @classmethod
    def from_vehicle(cls, values: Mapping[str, float], preset: str) -> BodyOutline:
        """From resolved vehicle values (``cg_to_front``, ``front_overhang``, ``length``,
        ``width`` and ``height`` [m]; without a ``height``, the preset's,
        :data:`BODY_HEIGHTS`)."""
        if "height" in values:
            height = float(values["height"])
        elif preset in BODY_HEIGHTS:
            height = BODY_HEIGHTS[preset]
        else:
            raise KeyError(f"no body height for preset {preset!r}: {sorted(BODY_HEIGHTS)}")
        front = float(values["cg_to_front"]) + float(values["front_overhang"])
        return cls(front, front - float(values["length"]), 0.5 * float(values["width"]),
                   height)

    def protrusion(self, occluder: Occluder) -> float:
        """Largest distance [m] by which the occluder passes a face of the outline (0 inside)."""
        lower, upper = _extent(occluder)
        beyond = (
            upper[0] - self.front,
            self.rear - lower[0],
            upper[1] - self.half_width,
            -self.half_width - lower[1],
            upper[2] - self.roof,
        )
        return max(0.0, *(float(b) for b in beyond))


@dataclass(frozen=True)
class MountView:
    """What one rig mount does to the driver's view. Angles [rad], lengths [m], shares [-].

    ``azimuth`` is its whole azimuth sector (az_min, az_max) seen from the eye (az_min >
    az_max when it straddles straight back); ``sectors`` its part(s) inside the forward
    field; ``elevation`` the elevations it covers. ``hides_target`` says whether it covers
    the whole target window; ``share`` is then the part of the forward field it hides on
    its own (else 0), and ``marginal_share`` what the total loses without it.
    """

    name: str
    location: str
    azimuth: tuple[float, float]
    sectors: tuple[tuple[float, float], ...]
    elevation: tuple[float, float]
    hides_target: bool
    share: float
    marginal_share: float
    protrusion: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "location": self.location,
            "azimuth_deg": [_deg(a) for a in self.azimuth],
            "sectors_in_field_deg": [[_deg(lo), _deg(hi)] for lo, hi in self.sectors],
            "elevation_deg": [_deg(e) for e in self.elevation],
            "hides_target": self.hides_target,
            "share": self.share,
            "marginal_share": self.marginal_share,
            "protrusion_m": self.protrusion,
        }


@dataclass(frozen=True, eq=False)
class FieldOfView:
    """The driver's forward field of view with a rig layout, for one target.

    Angles [rad], lengths [m], shares [-] of the forward field ``field`` (±90°, UN R125).
    ``body_sectors`` and ``total_sectors`` are the merged azimuth sectors, over the full
    circle, where the body alone and the body with the rig hide the target (see
    :func:`~stuntsim.geometry.visibility.blocked_sectors`). ``widest_sector`` is the widest
    contiguous
    blind sector inside the forward field (body + rig) and ``widest_sector_name`` its
    occluders' names joined with '+'.
    """

    eye: np.ndarray
    field: tuple[float, float]
    person_height: float
    distance: float
    foot: float
    elevation_window: tuple[float, float]
    body_sectors: list[Sector]
    total_sectors: list[Sector]
    blocked_share_body: float
    blocked_share_total: float
    rig_share: float
    widest_sector: float
    widest_sector_name: str
    mounts: tuple[MountView, ...]
    guidance: tuple[GuidanceCheck, ...]

    @property
    def target(self) -> str:
        """The target in words, e.g. '1.70 m person at 10 m'."""
        return f"{self.person_height:.2f} m person at {self.distance:g} m"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures: angles in degrees, lengths in metres, shares as fractions."""
        return {
            "eye_m": [float(v) for v in self.eye],
            "field_deg": [_deg(a) for a in self.field],
            "target": {
                "person_height_m": self.person_height,
                "distance_m": self.distance,
                "foot_m": self.foot,
                "elevation_window_deg": [_deg(e) for e in self.elevation_window],
            },
            "body_sectors_deg": _sectors_dict(self.body_sectors),
            "total_sectors_deg": _sectors_dict(self.total_sectors),
            "blocked_share_body": self.blocked_share_body,
            "blocked_share_total": self.blocked_share_total,
            "rig_share": self.rig_share,
            "widest_sector_deg": _deg(self.widest_sector),
            "widest_sector_name": self.widest_sector_name,
            "mounts": [mount.to_dict() for mount in self.mounts],
            "guidance": [
                {"name": g.name, "met": g.met, "explanation": g.explanation}
                for g in self.guidance
            ],
        }


def field_of_view(
    scenario, *, person_height: float = 1.7, distance: float = 10.0, foot: float = 0.1
) -> FieldOfView:
    """The driver's field of view in a car scenario with its rig (see the module docstring).

    Parameters
    ----------
    scenario : CarScenario or ResolvedScenario
        Its vehicle gives the eye (``eye_forward``, ``eye_left``, ``eye_height``), the body
        preset (``vehicle.preset``) and the outline (``cg_to_front``, ``front_overhang``,
        ``length``, ``width``); its rig's active mounts are assessed.
    person_height : float  Target person's height [m] (1.7 an adult, 1.0 a small child).
    distance : float       Target's horizontal distance from the eye [m].
    foot : float           Lowest point of the target that counts [m].

    Returns
    -------
    FieldOfView
    """
    scenario = getattr(scenario, "scenario", scenario)  # a ResolvedScenario wraps the model
    if not (hasattr(scenario, "vehicle") and hasattr(scenario, "rig")):
        raise TypeError(f"field_of_view needs a car scenario, got {type(scenario).__name__}")
    values = scenario.vehicle.resolved()
    preset = scenario.vehicle.preset
    eye = (values["eye_forward"], values["eye_left"], values["eye_height"])
    return layout_field_of_view(
        eye,
        scenario.rig.active_mounts(),
        body_preset=preset,
        outline=BodyOutline.from_vehicle(values, preset),
        person_height=person_height,
        distance=distance,
        foot=foot,
    )


def layout_field_of_view(
    eye,
    mounts: Sequence,
    *,
    body_preset: str = "fiat_500_nuova",
    outline: BodyOutline,
    person_height: float = 1.7,
    distance: float = 10.0,
    foot: float = 0.1,
    field: tuple[float, float] = FORWARD_FIELD,
) -> FieldOfView:
    """The field-of-view figures of a rig layout given directly (what :func:`field_of_view`
    computes from a scenario).

    Parameters
    ----------
    eye : array_like        Driver's eye (3,) in the car frame [m].
    mounts : sequence       Rig mounts on the car (:class:`~stuntsim.scenario.RigMount`:
                            name, location, shape, position, size or radius + height).
    body_preset : str       Key of :data:`~stuntsim.kinds.car.bodies.BODY_PRESETS`.
    outline : BodyOutline   The body's bounding box, for protrusion.
    person_height, distance, foot : float
                            The target, as in :func:`elevation_window` [m].
    field : (lo, hi)        The forward field [rad]; default ±90° (UN R125).
    """
    eye = np.array(eye, dtype=float).reshape(-1)
    if eye.shape != (3,):
        raise ValueError(f"eye must be three coordinates [m], got {eye}")
    eye.setflags(write=False)
    if body_preset not in BODY_PRESETS:
        raise KeyError(f"no body preset {body_preset!r}: {sorted(BODY_PRESETS)}")
    window = tuple(float(e) for e in elevation_window(
        eye[2], person_height=person_height, distance=distance, foot=foot))

    body = [part for part in body_occluders(body_preset) if _hides(eye, part, window)]
    occluders = [mount_occluder(mount) for mount in mounts]
    hides = [_hides(eye, occluder, window) for occluder in occluders]
    rig = [occluder for occluder, hiding in zip(occluders, hides, strict=True) if hiding]

    body_sectors = blocked_sectors(eye, body)
    total_sectors = blocked_sectors(eye, body + rig)
    share_body = forward_blocked_share(body_sectors, field)
    share_total = forward_blocked_share(total_sectors, field)

    views = []
    for mount, occluder, hiding in zip(mounts, occluders, hides, strict=True):
        az_min, az_max = (float(a) for a in azimuth_sector(eye, occluder))
        own = [(az_min, az_max, occluder.name)]
        if hiding:
            others = [o for o in rig if o is not occluder]
            without = forward_blocked_share(blocked_sectors(eye, body + others), field)
            share, marginal = forward_blocked_share(own, field), max(0.0, share_total - without)
        else:
            share = marginal = 0.0
        el_min, el_max = (float(e) for e in elevation_range(eye, occluder))
        views.append(MountView(
            name=mount.name,
            location=mount.location,
            azimuth=(az_min, az_max),
            sectors=tuple((lo, hi) for lo, hi, _ in clip_sectors(blocked_sectors(eye, [occluder]),
                                                          field)),
            elevation=(el_min, el_max),
            hides_target=hiding,
            share=share,
            marginal_share=marginal,
            protrusion=outline.protrusion(occluder),
        ))

    in_field = clip_sectors(total_sectors, field)
    widest = max(in_field, key=lambda s: s[1] - s[0], default=(0.0, 0.0, ""))
    guidance = (
        _check_r125(views, body_sectors, field, person_height, distance),
        _check_bbc(views),
        _check_pillar(in_field, clip_sectors(blocked_sectors(eye, rig), field)),
    )
    return FieldOfView(
        eye=eye,
        field=(float(field[0]), float(field[1])),
        person_height=float(person_height),
        distance=float(distance),
        foot=float(foot),
        elevation_window=window,
        body_sectors=body_sectors,
        total_sectors=total_sectors,
        blocked_share_body=share_body,
        blocked_share_total=share_total,
        rig_share=max(0.0, share_total - share_body),
        widest_sector=widest[1] - widest[0],
        widest_sector_name=widest[2],
        mounts=tuple(views),
        guidance=guidance,
    )


def format_field_of_view(fov: FieldOfView) -> str:
    """A short plain-text table of a :class:`FieldOfView`: shares in %, angles in degrees."""
    lo, hi = fov.elevation_window
    eye = ", ".join(f"{v:.2f}" for v in fov.eye)
    lines = [
        f"Driver's view: eye at ({eye}) m; target a {fov.target} "
        f"(elevations {_deg(lo):+.1f}° to {_deg(hi):+.1f}°)",
        f"Forward field ±{_deg(fov.field[1]):.0f}° hidden: {fov.blocked_share_total:.1%} "
        f"(car body {fov.blocked_share_body:.1%}, rig adds {fov.rig_share:.1%}); "
        f"widest blind sector {_deg(fov.widest_sector):.1f}°"
        + (f" ({fov.widest_sector_name})" if fov.widest_sector_name else ""),
    ]
    if fov.mounts:
        rows = [("mount", "location", "sector in field", "hides", "share", "marginal",
                 "protrudes", "elevations")]
        for m in fov.mounts:
            sectors = ", ".join(f"{_deg(a):+.1f}…{_deg(b):+.1f}°" for a, b in m.sectors) or "—"
            rows.append((
                m.name, m.location, sectors, "yes" if m.hides_target else "no",
                f"{m.share:.1%}", f"{m.marginal_share:.1%}", f"{m.protrusion:.2f} m",
                f"{_deg(m.elevation[0]):+.1f}…{_deg(m.elevation[1]):+.1f}°",
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines.append("")
        lines.extend("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     .rstrip() for row in rows)
    else:
        lines.append("No rig mounts on the car.")
    lines.append("")
    lines.append("Guidance:")
    for check in fov.guidance:
        verdict = "met    " if check.met else "NOT met"
        lines.append(textwrap.fill(f"{verdict}  {check.name}: {check.explanation}", width=96,
                                   subsequent_indent=" " * 9))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Guidance
# --------------------------------------------------------------------------------------
def _check_r125(views, body_sectors, field, person_height, distance) -> GuidanceCheck:
    target = f"a {person_height:.2f} m person at {distance:g} m"
    hiding = [m for m in views if m.share > 0]
    if not hiding:
        body = sorted({name for _, _, names in clip_sectors(body_sectors, field)
                       for name in names.split("+")})
        by_body = f"; only the car's own {_and(body)} do" if body else ""
        return GuidanceCheck(GUIDANCE_R125, True,
                             f"no rig mount hides {target} anywhere in the ±90° forward "
                             f"field{by_body}")
    parts = ", ".join(f"{m.name} ({_deg(m.share * (field[1] - field[0])):.1f}°)"
                      for m in hiding)
    return GuidanceCheck(GUIDANCE_R125, False,
                         f"{parts} can hide {target} inside the ±90° forward field, which "
                         f"should be obstructed only by the car's own A-pillars and fixed "
                         f"parts")


def _check_bbc(views) -> GuidanceCheck:
    covered = [m for m in views if m.location in BBC_LOCATIONS]
    if not covered:
        return GuidanceCheck(GUIDANCE_BBC, True, "no door or bonnet mounts")
    faults = []
    for m in covered:
        if m.protrusion > BBC_MAX_PROTRUSION:
            faults.append(f"{m.name} protrudes {m.protrusion:.2f} m > "
                          f"{BBC_MAX_PROTRUSION:.2f} m beyond the body")
        if m.share > 0:
            faults.append(f"{m.name} hides {m.share:.1%} of the forward field")
    scope = "(applies on uncontrolled public roads)"
    if faults:
        return GuidanceCheck(GUIDANCE_BBC, False, "; ".join(faults) + f" {scope}")
    largest = max(m.protrusion for m in covered)
    return GuidanceCheck(GUIDANCE_BBC, True,
                         f"{len(covered)} door/bonnet mount(s) protrude at most {largest:.2f} m "
                         f"(≤ {BBC_MAX_PROTRUSION:.2f} m) and hide nothing of the forward "
                         f"field {scope}")


def _check_pillar(in_field, rig_in_field) -> GuidanceCheck:
    # a blind sector counts when a rig mount is in it, with any body part it merges with
    with_rig = [s for s in in_field
                if any(min(s[1], b) - max(s[0], a) > 0 for a, b, _ in rig_in_field)]
    note = "(the ≈ 6° A-pillar figure quoted for UN R125, unverified; a yardstick only)"
    if not with_rig:
        return GuidanceCheck(GUIDANCE_PILLAR, True,
                             f"the rig adds no blind sector to the forward field {note}")
    lo, hi, name = max(with_rig, key=lambda s: s[1] - s[0])
    width = _deg(hi - lo)
    met = hi - lo <= A_PILLAR_LIMIT
    return GuidanceCheck(GUIDANCE_PILLAR, met,
                         f"widest blind sector with a rig mount in it is {width:.1f}° "
                         f"({name}, {_deg(lo):+.1f}° to {_deg(hi):+.1f}°), "
                         f"{'≤' if met else '>'} 6° {note}")


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def _hides(eye, occluder: Occluder, window: tuple[float, float]) -> bool:
    """The occluder's elevation range covers the whole target window."""
    el_min, el_max = elevation_range(eye, occluder)
    return bool(el_min <= window[0] and el_max >= window[1])


def _extent(occluder: Occluder) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest corner (3,) of an occluder's bounding box [m]."""
    if isinstance(occluder, Box):
        return occluder.lower, occluder.upper
    r = occluder.radius
    x, y = occluder.center
    return np.array([x - r, y - r, occluder.z_min]), np.array([x + r, y + r, occluder.z_max])


def _and(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _deg(angle: float) -> float:
    return float(math.degrees(angle))


def _sectors_dict(sectors: Sequence[Sector]) -> list[dict[str, Any]]:
    return [{"from": _deg(a), "to": _deg(b), "name": name} for a, b, name in sectors]
