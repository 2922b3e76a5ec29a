"""Field of view of a rig layout: sectors, shares, protrusion and guidance by hand."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from stuntsim import load_scenario
from stuntsim.kinds.car.field_of_view import (
    GUIDANCE_BBC,
    GUIDANCE_PILLAR,
    GUIDANCE_R125,
    BodyOutline,
    elevation_window,
    field_of_view,
    format_field_of_view,
    layout_field_of_view,
)
from stuntsim.kinds.car.figures import plot_field_of_view
from stuntsim.kinds.car.presets import FIAT_500_NUOVA
from stuntsim.kinds.car.schema import Rig, RigMount

ROME = Path(__file__).resolve().parents[1] / "scenarios" / "rome_sharp_turn.yaml"

VALUES = {key: item.value for key, item in FIAT_500_NUOVA.items()}
EYE = (VALUES["eye_forward"], VALUES["eye_left"], VALUES["eye_height"])
OUTLINE = BodyOutline.from_vehicle(VALUES, "fiat_500_nuova")

# The adult window at 10 m from the 1.05 m eye: foot 0.1 m at atan2(-0.95, 10) = -5.43°,
# head 1.7 m at atan2(0.65, 10) = +3.72° (F1).
ADULT = dict(person_height=1.7, distance=10.0)
# A 1.0 m child at 10 m: head at atan2(-0.05, 10) = -0.29°.
CHILD = dict(person_height=1.0, distance=10.0)


def box(name, location, position, size, mass=5.0):
    return RigMount(name=name, location=location, position=position, size=size, mass=mass)


def layout(mounts, **target):
    return layout_field_of_view(EYE, mounts, outline=OUTLINE, **target)


def check(fov, name):
    return next(g for g in fov.guidance if g.name == name)


# The example layout: a camera on the bonnet and one on each door at window height.
HOOD = box("hood camera", "hood", (1.05, 0.0, 0.98), (0.25, 0.3, 0.3), 9.0)
DOOR_LEFT = box("left door camera", "door_left", (0.35, 0.78, 1.0), (0.3, 0.18, 0.22), 6.0)
DOOR_RIGHT = box("right door camera", "door_right", (0.35, -0.78, 1.0), (0.3, 0.18, 0.22), 6.0)


def test_preset_eye_and_outline():
    # eye from the preset (assumption, stuntsim/kinds/car/presets.py); outline from a = 0.6 × 1.840,
    # front overhang 0.50, length 2.970, width 1.320, height 1.320 m (car-param.com)
    assert EYE == (0.05, 0.27, 1.05)
    assert OUTLINE.front == pytest.approx(0.6 * 1.840 + 0.50)
    assert OUTLINE.rear == pytest.approx(0.6 * 1.840 + 0.50 - 2.970)
    assert (OUTLINE.half_width, OUTLINE.roof) == (0.66, 1.32)


def test_elevation_window_by_hand():
    # (F1): atan2(foot - eye, d) and atan2(H - eye, d)
    assert elevation_window(1.05) == pytest.approx(
        (math.atan2(0.1 - 1.05, 10.0), math.atan2(1.7 - 1.05, 10.0)), abs=1e-15)
    foot, head = elevation_window(1.05, person_height=[1.0, 1.7], distance=5.0)
    np.testing.assert_allclose(foot, np.arctan2([-0.95, -0.95], 5.0), atol=1e-15)
    np.testing.assert_allclose(head, np.arctan2([-0.05, 0.65], 5.0), atol=1e-15)
    with pytest.raises(ValueError, match="distance"):
        elevation_window(1.05, distance=0.0)


def test_box_mount_sector_is_atan2_of_its_outer_corners():
    # footprint x 1.1…1.3, y -0.15…0.15; from the eye (0.05, 0.27) the corners lie at
    # dx 1.05…1.25, dy -0.42…-0.12: the right edge is the near-right corner (1.05, -0.42),
    # the left edge the far-left corner (1.25, -0.12). z 0.8…1.2 covers the adult window
    # (top +0.15 m at 1.06 m: +8.1° ≥ +3.72°; bottom -0.25 m: -13.3° ≤ -5.43°).
    mount = box("hood camera", "hood", (1.2, 0.0, 1.0), (0.2, 0.3, 0.4))
    fov = layout([mount], **ADULT)
    (view,) = fov.mounts
    az_min, az_max = math.atan2(-0.42, 1.05), math.atan2(-0.12, 1.25)
    assert view.hides_target
    assert view.azimuth == pytest.approx((az_min, az_max), abs=1e-12)
    (sector,) = view.sectors  # wholly inside the forward field: not clipped
    assert sector == pytest.approx((az_min, az_max), abs=1e-12)
    # its own share of the forward field: its width over 180°
    assert view.share == pytest.approx((az_max - az_min) / math.pi, abs=1e-12)
    # alone in front of the driver, disjoint from the A-pillars: all of it is marginal
    assert view.marginal_share == pytest.approx(view.share, abs=1e-12)
    assert fov.rig_share == pytest.approx(view.share, abs=1e-12)


def test_no_mounts_adds_nothing():
    # with no rig the total is computed from exactly the body's occluders
    fov = layout([], **ADULT)
    assert fov.rig_share == 0.0
    assert fov.blocked_share_total == fov.blocked_share_body
    assert fov.total_sectors == fov.body_sectors
    # the body alone hides a person only behind its pillars (the preset's A-pillars are
    # 4-8° wide: stuntsim/kinds/car/presets.py); bonnet and doors are below, the roof
    # above the window
    assert 0.0 < fov.blocked_share_body < 0.1
    assert fov.widest_sector_name == "left A-pillar"
    assert fov.mounts == ()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    x=st.floats(0.7, 1.5),
    y=st.floats(-0.5, 0.5),
    size=st.tuples(*[st.floats(0.02, 0.8)] * 3),
    axis=st.integers(0, 2),
    growth=st.floats(0.0, 0.5),
)
def test_bigger_hood_mount_never_hides_less(x, y, size, axis, growth):
    # a box grown about its centre contains the smaller one: its azimuth sector and its
    # elevation range can only widen, so the blocked share cannot drop
    grown = list(size)
    grown[axis] += growth
    small = layout([box("cam", "hood", (x, y, 0.95), size)], **ADULT)
    big = layout([box("cam", "hood", (x, y, 0.95), tuple(grown))], **ADULT)
    assert big.blocked_share_total >= small.blocked_share_total - 1e-12
    assert big.rig_share >= small.rig_share - 1e-12


def test_marginal_shares_add_up_when_disjoint():
    # hood camera -25.6…-6.1° and left door camera +43.0…+76.0° overlap neither each other
    # nor the A-pillars (+24.8…+32.4°, -58.7…-53.6°): each one's marginal is its own share
    fov = layout([HOOD, DOOR_LEFT], **ADULT)
    marginals = [m.marginal_share for m in fov.mounts]
    assert sum(marginals) == pytest.approx(fov.rig_share, abs=1e-12)
    assert marginals == pytest.approx([m.share for m in fov.mounts], abs=1e-12)


def test_marginal_shares_miss_the_overlap_when_mounts_overlap():
    # two hood cameras 0.1 m apart overlap in azimuth; the overlap is hidden by either, so
    # neither's marginal counts it: rig share = share_a + share_b - overlap
    # = marginal_a + marginal_b + overlap
    a = box("cam a", "hood", (1.05, 0.0, 0.98), (0.25, 0.3, 0.3))
    b = box("cam b", "hood", (1.05, 0.1, 0.98), (0.25, 0.3, 0.3))
    fov = layout([a, b], **ADULT)
    (lo_a, hi_a), (lo_b, hi_b) = (m.azimuth for m in fov.mounts)
    overlap = (min(hi_a, hi_b) - max(lo_a, lo_b)) / math.pi
    assert overlap > 0
    marginals = sum(m.marginal_share for m in fov.mounts)
    assert marginals < fov.rig_share
    assert fov.rig_share == pytest.approx(marginals + overlap, abs=1e-12)
    assert fov.rig_share == pytest.approx(
        sum(m.share for m in fov.mounts) - overlap, abs=1e-12)


def test_low_hood_mount_hides_a_child_but_not_an_adult():
    # Box in front of the driver: x 1.0…1.2, y 0.17…0.37 (centred on the eye's y = 0.27),
    # z 0.85…1.08. Seen from the eye (0.05, 0.27, 1.05) its nearest footprint point is
    # 0.95 m ahead, so its top is at atan2(1.08 - 1.05, 0.95) = +1.81°, its bottom at
    # atan2(0.85 - 1.05, 0.95) = -11.9°. Child window (1.0 m at 10 m): -5.43° … -0.29°,
    # inside: hidden. Adult window: -5.43° … +3.72°, the head above the top: seen.
    mount = box("low hood camera", "hood", (1.1, 0.27, 0.965), (0.2, 0.2, 0.23))
    child, adult = layout([mount], **CHILD), layout([mount], **ADULT)
    top = math.atan2(0.03, 0.95)
    assert child.mounts[0].elevation[1] == pytest.approx(top, abs=1e-12)
    assert child.elevation_window[1] < top < adult.elevation_window[1]
    # its azimuth: corners (0.95, ±0.1) and (1.15, ±0.1) from the eye
    width = 2.0 * math.atan2(0.1, 0.95)
    assert child.mounts[0].hides_target
    assert child.rig_share == pytest.approx(width / math.pi, abs=1e-12)
    assert not check(child, GUIDANCE_R125).met
    assert not adult.mounts[0].hides_target
    assert adult.rig_share == 0.0
    assert check(adult, GUIDANCE_R125).met
    # the sector itself is the same for both: only whether it can hide the person differs
    assert child.mounts[0].sectors == adult.mounts[0].sectors


def test_door_mount_protrusion_by_hand():
    # body half width 1.320 / 2 = 0.66 m; a 0.18 m wide mount centred at y = 0.87 reaches
    # y = 0.96: 0.30 m beyond the side. Behind the eye (x -0.55…-0.25 < 0.05) so that it
    # is outside the forward field.
    fov = layout([box("door cam", "door_left", (-0.4, 0.87, 1.0), (0.3, 0.18, 0.22))])
    assert fov.mounts[0].protrusion == pytest.approx(0.30, abs=1e-12)
    assert fov.mounts[0].sectors == ()


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        # front bumper at a + overhang = 1.104 + 0.50 = 1.604 m; mount reaches 1.80 m
        (box("bumper cam", "front_bumper", (1.7, 0.0, 0.5), (0.2, 0.2, 0.2)), 1.80 - 1.604),
        # rear at 1.604 - 2.970 = -1.366 m; mount reaches -1.50 m
        (box("rear cam", "rear", (-1.4, 0.0, 0.6), (0.2, 0.2, 0.2)), 1.50 - 1.366),
        # roof at 1.320 m (car-param.com); cylinder 0.98 m high centred at 1.20 m: top 1.69
        (RigMount(name="roof post", location="roof", shape="cylinder",
                  position=(-0.3, 0.0, 1.2), radius=0.05, height=0.98, mass=3.0), 1.69 - 1.32),
        # a camera on the bonnet below the roof is inside the outline
        (HOOD, 0.0),
    ],
)
def test_protrusion_beyond_each_face(mount, expected):
    assert layout([mount]).mounts[0].protrusion == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("beyond", "met"), [(0.35, False), (0.20, True)])
def test_bbc_protrusion_limit(beyond, met):
    # BBC: door/bonnet mini-cams protruding ≲ 0.30 m (REFERENCES.md); the mount sits behind
    # the eye, so it hides nothing of the forward field and only its protrusion decides
    y = 0.66 + beyond - 0.09
    fov = layout([box("door cam", "door_left", (-0.4, y, 1.0), (0.3, 0.18, 0.22))])
    assert fov.mounts[0].protrusion == pytest.approx(beyond, abs=1e-12)
    assert fov.mounts[0].share == 0.0
    bbc = check(fov, GUIDANCE_BBC)
    assert bbc.met is met
    assert ("protrudes 0.35 m" in bbc.explanation) is not met


def test_r125_met_by_the_body_and_broken_by_a_hood_camera():
    # UN R125: only the car's own pillars may obstruct the 180° forward field
    assert check(layout([]), GUIDANCE_R125).met
    in_front = box("hood camera", "hood", (1.1, 0.27, 0.98), (0.25, 0.3, 0.3))
    fov = layout([in_front])
    r125 = check(fov, GUIDANCE_R125)
    assert not r125.met
    assert "hood camera" in r125.explanation
    # and a bonnet camera that hides the road ahead breaks the BBC guidance as well
    assert not check(fov, GUIDANCE_BBC).met


def test_a_pillar_yardstick():
    # a 3 cm radius post 0.85 m ahead and 0.27 m right of the eye subtends
    # 2 asin(0.03 / hypot(0.85, 0.27)) = 3.85° ≤ 6°; the hood camera's 19.5° does not
    mini = RigMount(name="mini-cam", location="hood", shape="cylinder",
                    position=(0.9, 0.0, 1.05), radius=0.03, height=0.3, mass=0.5)
    fov = layout([mini])
    assert fov.mounts[0].share * 180.0 == pytest.approx(
        math.degrees(2 * math.asin(0.03 / math.hypot(0.85, 0.27))), abs=1e-9)
    assert check(fov, GUIDANCE_PILLAR).met
    assert not check(layout([HOOD]), GUIDANCE_PILLAR).met
    assert check(layout([]), GUIDANCE_PILLAR).met


def test_field_of_view_from_a_scenario_matches_the_layout():
    resolved = load_scenario(ROME)
    rigged = resolved.scenario.model_copy(
        update={"rig": Rig(mounts=[HOOD, DOOR_LEFT, DOOR_RIGHT.model_copy(
            update={"present": False})])})
    fov = field_of_view(rigged, **CHILD)
    direct = layout([HOOD, DOOR_LEFT], **CHILD)
    assert [m.name for m in fov.mounts] == ["hood camera", "left door camera"]
    assert fov.to_dict() == direct.to_dict()
    # a ResolvedScenario reads through to its model; the Rome car has no rig of its own
    assert field_of_view(resolved).rig_share == 0.0


def test_to_dict_is_json_ready_in_degrees():
    fov = layout([HOOD, DOOR_LEFT, DOOR_RIGHT], **ADULT)
    data = json.loads(json.dumps(fov.to_dict()))
    assert data["widest_sector_deg"] == pytest.approx(math.degrees(fov.widest_sector))
    assert data["mounts"][0]["sectors_in_field_deg"][0] == pytest.approx(
        np.degrees(fov.mounts[0].sectors[0]).tolist())
    assert [g["name"] for g in data["guidance"]] == [GUIDANCE_R125, GUIDANCE_BBC,
                                                     GUIDANCE_PILLAR]


def test_format_lists_mounts_and_verdicts():
    text = format_field_of_view(layout([HOOD, DOOR_LEFT, DOOR_RIGHT], **ADULT))
    for name in ("hood camera", "left door camera", "right door camera", "NOT met"):
        assert name in text
    assert "No rig mounts" in format_field_of_view(layout([]))


def test_plot_returns_the_axes_with_a_legend_naming_each_mount():
    fov = layout([HOOD, DOOR_LEFT, DOOR_RIGHT], **ADULT)
    ax = Figure().add_subplot(projection="polar")
    assert plot_field_of_view(ax, fov) is ax
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts()).replace("\n", " ")
    for name in ("car body", "hood camera", "left door camera", "right door camera"):
        assert name in legend
    assert "forward field" in ax.get_title()
