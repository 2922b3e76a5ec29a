"""Visibility: occlusion sectors, sight lines and closed forms against hand computations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stuntsim.geometry import Solid
from stuntsim.geometry.visibility import (
    FORWARD_FIELD,
    Box,
    Cylinder,
    azimuth_sector,
    blocked_sectors,
    corner_visibility_distance,
    detection_time,
    direction_angles,
    elevation_range,
    eye_in_world,
    forward_blocked_share,
    segment_blocked,
    stopping_sight_distance,
    update_detection_time,
    visible,
    visible_points,
    widest_blocked_sector,
)

EYE = np.array([0.0, 0.0, 1.05])  # a small car's seated eye height (REFERENCES.md: 1.0–1.1 m)

# Near-side building filling the quadrant x < 0, y < 0, corner at the origin (the geometry
# of corner_visibility_distance's docstring).
CORNER_BLOCK = Solid("corner block", "building", [[-60, -60], [0, -60], [0, 0], [-60, 0]])


# --------------------------------------------------------------------------------------
# Sectors in the car frame
# --------------------------------------------------------------------------------------
def test_box_sector_edges_are_atan2_of_its_outer_corners():
    # 0.3 m (x) × 0.2 m (y) box centred 1.0 m ahead, 0.4 m left of the eye: corners at
    # x ∈ {0.85, 1.15}, y ∈ {0.3, 0.5}; by hand the right edge is the far-right corner,
    # atan2(0.3, 1.15) = 14.62°, the left edge the near-left one, atan2(0.5, 0.85) = 30.47°.
    box = Box([1.0, 0.4, 1.0], [0.3, 0.2, 0.1], "camera")
    az_min, az_max = azimuth_sector(EYE, box)
    assert az_min == pytest.approx(math.atan2(0.3, 1.15), abs=1e-12)
    assert az_max == pytest.approx(math.atan2(0.5, 0.85), abs=1e-12)
    assert math.degrees(az_min) == pytest.approx(14.62, abs=0.01)
    assert math.degrees(az_max) == pytest.approx(30.47, abs=0.01)


def test_cylinder_sector_is_bearing_plus_minus_asin_radius_over_distance():
    # tangent lines from a point to a circle: half-angle asin(r / d); here d = 2 m at 45°
    post = Cylinder([math.sqrt(2.0), -math.sqrt(2.0)], 0.1, 0.5, 1.5, "arm post")
    az_min, az_max = azimuth_sector(EYE, post)
    assert az_min == pytest.approx(-math.pi / 4 - math.asin(0.05), abs=1e-12)
    assert az_max == pytest.approx(-math.pi / 4 + math.asin(0.05), abs=1e-12)


def test_sector_straddling_straight_back_wraps_and_is_split_when_merged():
    # a box 2 m behind the eye, 0.4 m wide: ±atan2(0.2, 1.9) about ±π, so az_min > az_max
    box = Box([-2.0, 0.0, 1.0], [0.2, 0.4, 0.2], "rear light")
    az_min, az_max = azimuth_sector(EYE, box)
    half = math.atan2(0.2, 1.9)
    assert az_min == pytest.approx(math.pi - half, abs=1e-12)
    assert az_max == pytest.approx(-math.pi + half, abs=1e-12)
    sectors = blocked_sectors(EYE, [box])
    np.testing.assert_allclose(
        [s[:2] for s in sectors], [(-math.pi, -math.pi + half), (math.pi - half, math.pi)]
    )
    assert widest_blocked_sector(sectors) == pytest.approx(2 * half)
    assert forward_blocked_share(sectors) == 0.0  # nothing of it is in the forward field


def test_occluder_around_the_eye_covers_the_full_circle():
    # a roof box whose footprint contains the eye's vertical line
    roof = Box([0.0, 0.0, 1.5], [0.5, 0.5, 0.2], "roof camera")
    assert azimuth_sector(EYE, roof) == (pytest.approx(-math.pi), pytest.approx(math.pi))
    assert forward_blocked_share(blocked_sectors(EYE, [roof])) == pytest.approx(1.0)


def test_no_occluders_block_nothing():
    assert blocked_sectors(EYE, []) == []
    assert forward_blocked_share([]) == 0.0
    assert widest_blocked_sector([]) == 0.0


def test_overlapping_sectors_merge_and_are_counted_once():
    # A-pillar (body) 40°–50° and a camera 45°–60°: one 20° sector, 20/180 of the field
    body = [(math.radians(40), math.radians(50), "left A-pillar")]
    camera_az = (math.radians(45), math.radians(60))
    sectors = blocked_sectors(EYE, [], body_sectors=[*body, (*camera_az, "camera")])
    assert len(sectors) == 1
    assert sectors[0][:2] == pytest.approx((math.radians(40), math.radians(60)))
    assert sectors[0][2] == "left A-pillar+camera"
    assert forward_blocked_share(sectors) == pytest.approx(20 / 180)
    assert widest_blocked_sector(sectors) == pytest.approx(math.radians(20))
    # passing overlapping, unmerged sectors straight to the share gives the same answer
    unmerged = [*body, (*camera_az, "camera")]
    assert forward_blocked_share(unmerged) == pytest.approx(20 / 180)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    x=st.floats(0.8, 2.0),
    y=st.floats(-0.8, 0.8),
    length=st.floats(0.05, 0.5),
    width=st.floats(0.05, 0.6),
    grow=st.tuples(*[st.floats(0.0, 0.3)] * 4),
)
def test_a_bigger_hood_mount_never_lowers_the_blocked_share(x, y, length, width, grow):
    # monotonicity: a box containing another covers a superset of its sector
    pillars = [
        (math.radians(55), math.radians(62), "left A-pillar"),
        (math.radians(-40), math.radians(-34), "right A-pillar"),
    ]
    small = Box([x, y, 0.85], [length, width, 0.2], "mount")
    front, back, left, right = grow
    big = Box(
        [x + 0.5 * (front - back), y + 0.5 * (left - right), 0.85],
        [length + front + back, width + left + right, 0.2],
        "mount",
    )
    share_small = forward_blocked_share(blocked_sectors(EYE, [small], body_sectors=pillars))
    share_big = forward_blocked_share(blocked_sectors(EYE, [big], body_sectors=pillars))
    assert share_big >= share_small - 1e-12
    assert 0.0 < share_small <= 1.0


# --------------------------------------------------------------------------------------
# Elevation
# --------------------------------------------------------------------------------------
# A camera on the bonnet, top 5 cm below the eye: x 1.0–1.4 m, y ±0.2 m, z 0.8–1.0 m.
HOOD_CAMERA = Box([1.2, 0.0, 0.9], [0.4, 0.4, 0.2], "hood camera")


def test_elevation_range_of_a_low_box_by_hand():
    # bottom 0.25 m below the eye, steepest at the nearest footprint point (1.0 m ahead);
    # top 0.05 m below the eye, shallowest at the farthest corner, hypot(1.4, 0.2)
    el_min, el_max = elevation_range(EYE, HOOD_CAMERA)
    assert el_min == pytest.approx(math.atan2(-0.25, 1.0), abs=1e-12)
    assert el_max == pytest.approx(math.atan2(-0.05, math.hypot(1.4, 0.2)), abs=1e-12)


def test_low_box_hides_the_ground_behind_it_but_not_a_standing_head():
    # ray to the road 8 m ahead: z = 1.05 (1 − x/8) is 0.92 m at x = 1.0 and 0.87 m at
    # x = 1.4, inside the box's 0.8–1.0 m; a head 1.7 m high is above the horizon
    ground, head = np.array([8.0, 0.0, 0.0]), np.array([8.0, 0.0, 1.7])
    el_min, el_max = elevation_range(EYE, HOOD_CAMERA)
    az_min, az_max = azimuth_sector(EYE, HOOD_CAMERA)
    ground_az, ground_el = direction_angles(EYE, ground)
    _, head_el = direction_angles(EYE, head)
    assert az_min <= ground_az <= az_max
    assert el_min <= ground_el <= el_max
    assert head_el > el_max
    assert HOOD_CAMERA.blocks(EYE, ground)
    assert not HOOD_CAMERA.blocks(EYE, head)
    # counted in the azimuth share, but not when only elevations above −2° matter
    window = (math.radians(-2.0), math.radians(10.0))
    assert forward_blocked_share(blocked_sectors(EYE, [HOOD_CAMERA])) > 0
    assert blocked_sectors(EYE, [HOOD_CAMERA], elevation=window) == []


def test_exact_segment_tests_agree_with_dense_sampling():
    # brute force: 4001 points along each segment, inside depth from the box faces /
    # the cylinder surface; ambiguous cases (|depth| < 1 cm) are skipped
    rng = np.random.default_rng(20240611)
    box = Box([1.2, 0.3, 0.9], [0.4, 0.3, 0.25], "box")
    post = Cylinder([1.5, -0.4], 0.12, 0.6, 1.3, "post")
    start = np.column_stack(
        [rng.uniform(-0.5, 0.5, 400), rng.uniform(-0.5, 0.5, 400), rng.uniform(0.5, 1.5, 400)]
    )
    end = np.column_stack(
        [rng.uniform(1.0, 4.0, 400), rng.uniform(-1.5, 1.5, 400), rng.uniform(0.0, 2.0, 400)]
    )
    t = np.linspace(0.0, 1.0, 4001)[None, :, None]
    points = start[:, None, :] + t * (end - start)[:, None, :]
    box_depth = np.min(0.5 * box.size - np.abs(points - box.center), axis=-1).max(axis=1)
    radial = post.radius - np.hypot(
        points[..., 0] - post.center[0], points[..., 1] - post.center[1]
    )
    vertical = np.minimum(points[..., 2] - post.z_min, post.z_max - points[..., 2])
    post_depth = np.minimum(radial, vertical).max(axis=1)
    for occluder, depth in ((box, box_depth), (post, post_depth)):
        clear_cut = np.abs(depth) > 0.01
        assert clear_cut.sum() > 300
        hits = occluder.blocks(start, end)
        np.testing.assert_array_equal(hits[clear_cut], depth[clear_cut] > 0)
        assert 0 < hits.sum() < len(hits)


# --------------------------------------------------------------------------------------
# Sight lines in the street
# --------------------------------------------------------------------------------------
def test_segment_blocked_by_a_wall_and_not_by_a_touch():
    wall = [[-1.0, 2.0], [1.0, 2.0], [1.0, 3.0], [-1.0, 3.0]]
    blocked = segment_blocked(0.0, 0.0, [0.0, 3.0, 1.0, 0.0], [5.0, 5.0, 2.0, 1.9], [wall])
    # through the wall; past its right side; ending on its corner; stopping short of it
    np.testing.assert_array_equal(blocked, [True, False, False, False])
    # Solid objects are accepted and give the same answer
    solid = Solid("wall", "building", wall)
    np.testing.assert_array_equal(
        segment_blocked(0.0, 0.0, [0.0, 3.0], [5.0, 5.0], [solid]), [True, False]
    )


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [(3.0, 3.0, 4.0), (2.2, 1.5, 6.0), (5.0, 4.0, 2.5)],
)
def test_first_visible_position_round_a_corner_matches_similar_triangles(a, b, d):
    # closed form L* = a b / d (corner_visibility_distance's docstring); the eye steps
    # toward the corner in 1 cm steps, all positions in one batched call
    step = 0.01
    eye_x = np.arange(-50.0, 0.0, step)
    seen = ~segment_blocked(eye_x, a, b, -d, [CORNER_BLOCK])
    first = np.argmax(seen)
    assert seen[first:].all()  # once visible, visible all the way to the corner
    expected = corner_visibility_distance(a, b, d)
    assert expected == pytest.approx(a * b / d)
    assert -eye_x[first] == pytest.approx(expected, abs=step)


@pytest.mark.parametrize(("a", "b", "d", "r"), [(3.0, 3.0, 4.0, 0.25), (2.2, 1.5, 6.0, 0.3)])
def test_person_with_a_body_is_seen_when_the_silhouette_clears_the_corner(a, b, d, r):
    # closed form with radius: the eye–corner line passes within r of the centre,
    # L* = a (b d + r sqrt(b² + d² − r²)) / (d² − r²); visible() samples the silhouette at
    # ±r perpendicular to the line of sight (apparent half-angle atan(r/s) instead of
    # asin(r/s), < 1 mm here), so the first visible step is within one step of L*
    step = 0.01
    eye_x = np.arange(-50.0, 0.0, step)
    eye = np.column_stack([eye_x, np.full_like(eye_x, a), np.full_like(eye_x, 1.05)])
    seen = visible(eye, (b, -d, r, 1.7), [CORNER_BLOCK])
    first = np.argmax(seen)
    expected = corner_visibility_distance(a, b, d, person_radius=r)
    # the tangent condition by hand: signed distance of the centre from the eye–corner line
    signed = (a * b - expected * d) / math.hypot(expected, a)
    assert signed == pytest.approx(-r)
    assert -eye_x[first] == pytest.approx(expected, abs=step + 1e-3)
    assert expected > corner_visibility_distance(a, b, d)  # a body is seen earlier


def test_person_already_in_the_street_is_always_visible():
    assert corner_visibility_distance(3.0, 2.0, 0.2, person_radius=0.25) == math.inf
    assert corner_visibility_distance(3.0, 2.0, -1.0) == math.inf


def test_rig_camera_hides_a_person_straight_ahead_in_any_car_pose():
    # a 30 × 30 × 30 cm camera 1 m ahead of the eye at eye height subtends ±8.5°
    # horizontally and vertically; a 1.7 m person 10 m ahead spans +3.7° to −5.1° from the
    # eye and ±1.4° across, all inside it: hidden. Shifted 0.5 m right it is clear.
    eye_car = np.array([0.3, 0.35, 1.05])
    camera = Box([1.3, 0.35, 1.05], [0.3, 0.3, 0.3], "camera")
    aside = Box([1.3, -0.15, 1.05], [0.3, 0.3, 0.3], "camera")
    yaw = np.linspace(-math.pi, math.pi, 7)
    car_x, car_y = 12.0 + np.cos(yaw), -4.0 + 2.0 * np.sin(yaw)
    eye = eye_in_world((car_x, car_y, yaw), eye_car)
    ahead = eye[:, :2] + 10.0 * np.column_stack([np.cos(yaw), np.sin(yaw)])
    person = (ahead[:, 0], ahead[:, 1], 0.25, 1.7)
    pose = (car_x, car_y, yaw)
    assert not visible(eye, person, occluders=[camera], car_pose=pose).any()
    assert visible(eye, person, occluders=[aside], car_pose=pose).all()
    assert visible(eye, person).all()
    # eye_in_world puts the car-frame eye where the rotation says
    np.testing.assert_allclose(eye[:, 2], 1.05)
    np.testing.assert_allclose(
        np.hypot(eye[:, 0] - car_x, eye[:, 1] - car_y), math.hypot(0.3, 0.35)
    )


def test_batched_visibility_equals_one_sample_at_a_time():
    # same answers for n samples in one call as in n separate calls (no cross-talk)
    rng = np.random.default_rng(7)
    n = 64
    buildings = [CORNER_BLOCK, Solid("kiosk", "building", [[4, 1], [6, 1], [6, 3], [4, 3]])]
    rig = [
        Box([1.2, 0.0, 0.95], [0.3, 0.5, 0.3], "hood camera"),
        Cylinder([0.9, 0.6], 0.05, 0.9, 1.4, "arm"),
    ]
    car_x, car_y, yaw = rng.uniform(-15, -2, n), rng.uniform(1, 5, n), rng.uniform(-0.4, 0.4, n)
    eye_car = np.column_stack(
        [rng.uniform(0.0, 0.4, n), np.full(n, 0.3), rng.uniform(0.95, 1.15, n)]
    )
    eye = eye_in_world((car_x, car_y, yaw), eye_car)
    person = (
        rng.uniform(-2, 10, n),
        rng.uniform(-8, 6, n),
        rng.uniform(0.15, 0.3, n),
        rng.uniform(1.0, 1.9, n),
    )
    options = {"occluders": rig, "car_pose": (car_x, car_y, yaw)}
    batch = visible_points(eye, person, buildings, **options)
    assert batch.shape == (n, 3, 3)
    assert 0 < batch.any(axis=(1, 2)).sum() < n  # the draw mixes seen and hidden people
    for i in range(n):
        one = visible_points(
            eye[i],
            tuple(p[i] for p in person),
            buildings,
            occluders=rig,
            car_pose=(car_x[i], car_y[i], yaw[i]),
        )
        np.testing.assert_array_equal(one[0], batch[i])
        assert (
            bool(
                visible(
                    eye[i],
                    tuple(p[i] for p in person),
                    buildings,
                    **{"occluders": rig, "car_pose": (car_x[i], car_y[i], yaw[i])},
                )[0]
            )
            == batch[i].any()
        )
    az = np.array([azimuth_sector(e, rig[0]) for e in eye_car])
    np.testing.assert_allclose(np.column_stack(azimuth_sector(eye_car, rig[0])), az)


# --------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------
def test_aashto_stopping_sight_distance_at_20_and_30_kmh():
    # REFERENCES.md (AASHTO, t = 2.5 s, a = 3.4 m/s²): 20 km/h → 18.4 m, 30 km/h → 31.1 m
    ssd = stopping_sight_distance(np.array([20.0, 30.0]) / 3.6, 2.5, 3.4)
    np.testing.assert_allclose(ssd, [18.4, 31.1], atol=0.05)


def test_stopping_sight_distance_on_grades():
    # uphill shortens, downhill lengthens the braking term; a/g + G ≤ 0 never stops
    flat = stopping_sight_distance(30 / 3.6, 2.5, 3.4)
    assert stopping_sight_distance(30 / 3.6, 2.5, 3.4, grade=0.05) < flat
    assert stopping_sight_distance(30 / 3.6, 2.5, 3.4, grade=-0.05) > flat
    assert stopping_sight_distance(30 / 3.6, 2.5, 3.4, grade=-0.5) == math.inf


def test_detection_time_first_true_step_or_never():
    history = np.array([[0, 0, 1, 0, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(detection_time(history), [2, 0, -1])
    times = np.arange(5) * 0.1
    np.testing.assert_allclose(detection_time(history, times), [0.2, 0.0, np.nan])
    # streaming gives the same as the whole history
    first = np.full(3, np.nan)
    for k, time in enumerate(times):
        first = update_detection_time(first, history[:, k], time)
    np.testing.assert_allclose(first, [0.2, 0.0, np.nan])


def test_forward_field_is_un_r125_180_degrees():
    # UN Regulation 125: 180° forward field of vision
    assert FORWARD_FIELD[1] - FORWARD_FIELD[0] == pytest.approx(math.pi)
