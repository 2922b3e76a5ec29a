"""The car body's own obstructions to the driver's view, by vehicle preset.

Each preset of :mod:`stuntsim.kinds.car.presets` has a sketch of the parts of its body
(bonnet, A- and B-pillars, roof, doors) that can stand between the driver's eye and the
street, as axis-aligned boxes in the car frame; the field of view
(:mod:`stuntsim.kinds.car.field_of_view`) and the camera rig
(:mod:`stuntsim.kinds.car.rig`) test sight lines against them. Every figure of a sketch is
an ASSUMPTION placed from the preset's cited dimensions: no measured obstruction angles
(SAE J1050) were found for these cars.
"""

from __future__ import annotations

from typing import NamedTuple

from stuntsim.kinds.car.presets import _B5_A, _F5_A, _INCH, _ML_A

__all__ = ["BODY_PRESETS", "BodyPart"]


class BodyPart(NamedTuple):
    """A part of the car's own body that can stand between the driver's eye and the street:
    an axis-aligned box in the car frame (origin on the road below the CG, x forward, y left,
    z up) [m]."""

    name: str
    center: tuple[float, float, float]
    size: tuple[float, float, float]


# The Nuova 500's body as the driver sees it, sketched from its 2.970 × 1.320 × 1.320 m
# outline (car-param.com) with the CG 1.104 m behind the front axle and the front bumper
# 0.50 m ahead of it (the presets above). Every figure below is an ASSUMPTION: no measured
# obstruction angles (SAE J1050) of the car were found. The A-pillars rake back; each is
# represented by its section at about eye height (x ≈ 0.62 m), a vertical 7 × 6 cm post,
# which gives obstruction angles of about 6-7° (left) and 4° (right) seen from the eye,
# of the order of the ~6° A-pillar limit often quoted for UN R125 (REFERENCES.md, not
# verified in the text).
FIAT_500_NUOVA_BODY: tuple[BodyPart, ...] = (
    BodyPart("bonnet and scuttle", (1.20, 0.0, 0.54), (0.80, 1.28, 0.58)),  # top 0.83 m
    BodyPart("left A-pillar", (0.62, 0.58, 1.07), (0.07, 0.06, 0.46)),
    BodyPart("right A-pillar", (0.62, -0.58, 1.07), (0.07, 0.06, 0.46)),
    BodyPart("roof", (-0.24, 0.0, 1.295), (1.32, 1.20, 0.05)),
    BodyPart("left door below the window", (-0.10, 0.63, 0.565), (1.80, 0.06, 0.63)),
    BodyPart("right door below the window", (-0.10, -0.63, 0.565), (1.80, 0.06, 0.63)),
    BodyPart("left B-pillar", (-0.35, 0.60, 1.08), (0.08, 0.06, 0.40)),
    BodyPart("right B-pillar", (-0.35, -0.60, 1.08), (0.08, 0.06, 0.40)),
)



def _sketch_body(*, bumper: float, scuttle: float, bonnet_top: float, pillar: float,
                 belt: float, roof: float, roof_rear: float, b_pillar: float,
                 half_width: float, sill: float = 0.25) -> tuple[BodyPart, ...]:
    """The same eight parts as the Nuova 500's sketch, placed from a few stations of a body
    [m, car frame]: the front bumper and the windscreen's base (``scuttle``) bound the
    bonnet, whose top is ``bonnet_top``; the A-pillars are 8 × 7 cm posts at ``pillar``
    (their section at the eye's height) from the waist (``belt``) to the ``roof``, whose
    front is 0.2 m behind that section (the windscreen's rake) and whose rear is
    ``roof_rear``; the B-pillars stand at ``b_pillar``; the doors fill the sides below the
    waist. Every station of the sketches below is an ASSUMPTION (no measured obstruction
    angles, SAE J1050, were found for these cars)."""
    w = half_width
    roof_front = pillar - 0.2
    door_front, door_rear = scuttle, roof_rear
    pane = roof - belt
    return (
        BodyPart("bonnet and scuttle", (0.5 * (bumper + scuttle), 0.0, 0.5 * (sill + bonnet_top)),
                 (bumper - scuttle, 2 * w - 0.04, bonnet_top - sill)),
        BodyPart("left A-pillar", (pillar, w - 0.08, belt + 0.5 * pane), (0.08, 0.07, pane)),
        BodyPart("right A-pillar", (pillar, -(w - 0.08), belt + 0.5 * pane), (0.08, 0.07, pane)),
        BodyPart("roof", (0.5 * (roof_front + roof_rear), 0.0, roof - 0.025),
                 (roof_front - roof_rear, 2 * w - 0.12, 0.05)),
        BodyPart("left door below the window",
                 (0.5 * (door_front + door_rear), w - 0.03, 0.5 * (sill + belt)),
                 (door_front - door_rear, 0.06, belt - sill)),
        BodyPart("right door below the window",
                 (0.5 * (door_front + door_rear), -(w - 0.03), 0.5 * (sill + belt)),
                 (door_front - door_rear, 0.06, belt - sill)),
        BodyPart("left B-pillar", (b_pillar, w - 0.05, belt + 0.5 * pane), (0.10, 0.06, pane)),
        BodyPart("right B-pillar", (b_pillar, -(w - 0.05), belt + 0.5 * pane),
                 (0.10, 0.06, pane)),
    )


# Fiat 500 (312): bumper 0.69 m ahead of the front axle (the preset), a short, high bonnet
# (0.95 m), the A-pillar section 0.65 m ahead of the eye: obstruction about 6° to the left.
FIAT_500_2007_BODY = _sketch_body(
    bumper=_F5_A + 0.69, scuttle=0.60, bonnet_top=0.95, pillar=0.20, belt=0.95,
    roof=1.488, roof_rear=-1.45, b_pillar=-0.85, half_width=0.5 * 1.627,
)
# BMW 550i (F10): a long bonnet, low waist (0.92 m), the A-pillar 0.70 m ahead of the eye.
BMW_550I_F10_BODY = _sketch_body(
    bumper=_B5_A + 0.85, scuttle=0.85, bonnet_top=0.90, pillar=0.55, belt=0.92,
    roof=1.464, roof_rear=-1.70, b_pillar=-0.55, half_width=0.5 * 1.860,
)
# ML 63 AMG camera car: a high bonnet and waist (1.15 m); the arm stands above the roof and
# hides nothing below the horizon from the driver (not a body part).
MERCEDES_ML63_CAMERA_CAR_BODY = _sketch_body(
    bumper=_ML_A + 0.93, scuttle=0.95, bonnet_top=1.15, pillar=0.40, belt=1.15,
    roof=71.5 * _INCH, roof_rear=-2.20, b_pillar=-0.70, half_width=0.5 * 75.2 * _INCH,
)

BODY_PRESETS: dict[str, tuple[BodyPart, ...]] = {
    "fiat_500_nuova": FIAT_500_NUOVA_BODY,
    "fiat_500_2007": FIAT_500_2007_BODY,
    "bmw_550i_f10": BMW_550I_F10_BODY,
    "mercedes_ml63_camera_car": MERCEDES_ML63_CAMERA_CAR_BODY,
    "none": (),  # a vehicle written out in full (preset: none) has no body sketch
}
"""The car body's own obstructions to the driver's view, by preset (all sketches are
assumptions)."""
