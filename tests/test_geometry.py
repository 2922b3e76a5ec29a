"""Street geometry: clearances against hand computations and a brute-force reference."""

import math

import numpy as np
import pytest
from matplotlib.path import Path

from stuntsim.geometry import (
    FAR_DISTANCE,
    DistanceField,
    FrictionMap,
    Person,
    Solid,
    StreetGeometry,
    SurfacePatch,
    footprint_corners,
    people_clearance,
    rectangle,
    solid_from_face,
)

# A small car, reference point at the footprint centre: 3.0 m × 1.4 m.
FRONT, REAR, HALF_WIDTH = 1.5, 1.5, 0.7

# Solid below the line y = 0 (a wall face along the x axis).
WALL = Solid("wall", "building", [[-20.0, 0.0], [20.0, 0.0], [20.0, -5.0], [-20.0, -5.0]])

# L-shaped building: the reflex (inner) corner is at (4, 4).
L_BUILDING = Solid(
    "L", "building", [[0.0, 0.0], [10.0, 0.0], [10.0, 4.0], [4.0, 4.0], [4.0, 10.0], [0.0, 10.0]]
)


def clearance_of(field, x, y, yaw, front=FRONT, rear=REAR, half_width=HALF_WIDTH):
    return field.footprint_clearance(x, y, yaw, front, rear, half_width)


@pytest.fixture(scope="module")
def wall_field():
    return DistanceField([WALL], bounds=(-8.0, 8.0, -3.0, 6.0))


# ---- corners against a straight wall --------------------------------------------------
def test_axis_aligned_corner_against_wall(wall_field):
    # car centre 1.0 m above the face, half width 0.7 m: clearance 1.0 − 0.7 = 0.3 m
    result = clearance_of(wall_field, 0.0, 1.0, 0.0)
    assert result.distance[0] == pytest.approx(0.3, abs=1e-4)
    assert (result.normal_x[0], result.normal_y[0]) == pytest.approx((0.0, 1.0), abs=1e-6)
    assert result.solid_index[0] == 0


def test_car_rotated_30_degrees_against_wall(wall_field):
    # lowest corner: y = 2 − 1.5·sin30° − 0.7·cos30° = 2 − 0.75 − 0.606218 = 0.643782 m
    result = clearance_of(wall_field, 0.0, 2.0, math.radians(30.0))
    assert result.distance[0] == pytest.approx(0.643782, abs=1e-4)


def test_axis_aligned_car_against_wall_rotated_30_degrees():
    # solid below the line through the origin at 30°; signed distance of a point to it is
    # −x·sin30° + y·cos30°; nearest corner (1.5, 2 − 0.7): −0.75 + 1.3·0.866025 = 0.375833 m
    c, s = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    face = np.array([[-20.0 * c, -20.0 * s], [20.0 * c, 20.0 * s]])
    wall = Solid(
        "rotated wall", "building", np.vstack([face, face[::-1] + np.array([5 * s, -5 * c])])
    )
    field = DistanceField([wall], bounds=(-6.0, 6.0, -4.0, 6.0))
    result = clearance_of(field, 0.0, 2.0, 0.0)
    assert result.distance[0] == pytest.approx(0.375833, abs=1e-4)
    # the normal is the wall's outward normal (−sin30°, cos30°)
    assert (result.normal_x[0], result.normal_y[0]) == pytest.approx((-s, c), abs=1e-4)


# ---- a building's convex corner against the car's long side ---------------------------
def test_convex_corner_against_long_side():
    # a wedge with its apex at (0, 1) above a car centred at the origin: the apex is
    # 1.0 − 0.7 = 0.3 m from the long side, while every car corner is ≥ 1.27 m from it
    # (corner (1.5, 0.7) to the edge (0,1)–(3,4): |1.5 + 0.3|/√2 = 1.2728 m)
    wedge = Solid("wedge", "building", [[0.0, 1.0], [3.0, 4.0], [-3.0, 4.0]])
    field = DistanceField([wedge], bounds=(-5.0, 5.0, -3.0, 6.0))
    corners_only = field.point_distance(*footprint_corners(0.0, 0.0, 0.0, FRONT, REAR, 0.7)[0].T)
    assert corners_only[0].min() == pytest.approx(1.8 / math.sqrt(2.0), abs=1e-4)
    result = clearance_of(field, 0.0, 0.0, 0.0)
    assert result.distance[0] == pytest.approx(0.3, abs=1e-4)
    # normal from the solid (above) toward the car (below); contact on the car's side
    assert (result.normal_x[0], result.normal_y[0]) == pytest.approx((0.0, -1.0), abs=1e-6)
    assert (result.contact_x[0], result.contact_y[0]) == pytest.approx((0.0, 0.7), abs=1e-4)


# ---- penetration -------------------------------------------------------------------------
def test_corner_penetration_is_negative_with_normal_out_of_the_wall(wall_field):
    # centre 0.5 m above the face: the lower corners are 0.7 − 0.5 = 0.2 m inside
    result = clearance_of(wall_field, 0.0, 0.5, 0.0)
    assert result.distance[0] == pytest.approx(-0.2, abs=1e-4)
    assert (result.normal_x[0], result.normal_y[0]) == pytest.approx((0.0, 1.0), abs=1e-6)


def test_vertex_penetration_is_negative_with_normal_toward_the_car():
    # the apex at (0, 0.5) lies 0.7 − 0.5 = 0.2 m inside the car's upper side
    wedge = Solid("wedge", "building", [[0.0, 0.5], [3.0, 3.5], [-3.0, 3.5]])
    field = DistanceField([wedge], bounds=(-5.0, 5.0, -3.0, 6.0))
    result = clearance_of(field, 0.0, 0.0, 0.0)
    assert result.distance[0] == pytest.approx(-0.2, abs=1e-4)
    assert (result.normal_x[0], result.normal_y[0]) == pytest.approx((0.0, -1.0), abs=1e-6)


def test_overlapping_solids_inside_is_negative():
    # two overlapping squares; (1.5, 0.5) is inside the second only, 0.5 m from its
    # nearest edge; the first square's edge x = 1 passes 0.5 m away as well, but inside
    a = Solid("a", "obstacle", rectangle([0.0, 0.0], 2.0, 2.0, 0.0))
    b = Solid("b", "obstacle", rectangle([1.5, 0.0], 2.0, 2.0, 0.0))
    field = DistanceField([a, b], bounds=(-3.0, 5.0, -3.0, 3.0))
    distance, _ = field.point_distance([1.5, 3.0], [0.5, 0.0])
    # (3, 0) is outside both: 3 − 2.5 = 0.5 m from b's right edge
    assert distance == pytest.approx([-0.5, 0.5], abs=1e-4)


def test_outside_bounds_is_far(wall_field):
    distance, solid = wall_field.point_distance([100.0], [0.0])
    assert distance[0] == FAR_DISTANCE
    assert solid[0] == -1


# ---- people ------------------------------------------------------------------------------
def test_person_in_front_and_at_a_corner():
    # in front: 2.5 − 1.5 (front edge) − 0.3 (radius) = 0.7 m;
    # at the front-left corner (1.5, 0.7), centre (2.5, 1.7): √(1² + 1²) − 0.3 = 1.114214 m
    front = Person("grip", "crew", [2.5, 0.0], 0.3)
    corner = Person("camera", "camera operator", [2.5, 1.7], 0.3)
    distance, index = people_clearance([corner, front], 0.0, 0.0, 0.0, FRONT, REAR, HALF_WIDTH)
    assert distance[0] == pytest.approx(0.7, abs=1e-9)
    assert index[0] == 1
    distance, index = people_clearance([corner], 0.0, 0.0, 0.0, FRONT, REAR, HALF_WIDTH)
    assert distance[0] == pytest.approx(math.sqrt(2.0) - 0.3, abs=1e-9)
    # the car driven 1.0 m forward overlaps the person in front by 0.3 m
    distance, _ = people_clearance([front], 1.0, 0.0, 0.0, FRONT, REAR, HALF_WIDTH)
    assert distance[0] == pytest.approx(-0.3, abs=1e-9)


# ---- against brute force -----------------------------------------------------------------
def brute_force_distance(polygon, rectangles):
    """Exact distance polygon (k,2) – rectangles (n,4,2): min over vertex–edge pairs both
    ways, 0 where they intersect (an edge crossing or one inside the other)."""
    poly_a, poly_b = polygon, np.roll(polygon, -1, axis=0)
    rect_a, rect_b = rectangles, np.roll(rectangles, -1, axis=1)

    def point_segment(p, a, b):
        ab = b - a
        t = np.clip(np.sum((p - a) * ab, axis=-1) / np.sum(ab * ab, axis=-1), 0.0, 1.0)
        return np.linalg.norm(p - a - t[..., None] * ab, axis=-1)

    # rectangle corners (n,4,1,2) against polygon edges (1,1,k,2), and the other way
    corner_edge = point_segment(rectangles[:, :, None], poly_a[None, None], poly_b[None, None])
    vertex_edge = point_segment(polygon[None, :, None], rect_a[:, None], rect_b[:, None])
    distance = np.minimum(corner_edge.min(axis=(1, 2)), vertex_edge.min(axis=(1, 2)))

    def cross(o, a, b):
        return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (
            b[..., 0] - o[..., 0]
        )

    p1, p2 = rect_a[:, :, None], rect_b[:, :, None]
    q1, q2 = poly_a[None, None], poly_b[None, None]
    crossing = (cross(q1, q2, p1) * cross(q1, q2, p2) < 0) & (
        cross(p1, p2, q1) * cross(p1, p2, q2) < 0
    )
    corner_in_polygon = Path(polygon).contains_points(rectangles.reshape(-1, 2)).reshape(-1, 4)
    vertex_in_rect = np.array([Path(r).contains_points(polygon).any() for r in rectangles])
    touching = crossing.any(axis=(1, 2)) | corner_in_polygon.any(axis=1) | vertex_in_rect
    return np.where(touching, 0.0, distance)


@pytest.mark.parametrize("resolution", [0.02, 0.1])
def test_random_poses_near_l_building_match_brute_force(resolution):
    # exactness near the walls must not depend on the grid spacing (module docstring)
    field = DistanceField([L_BUILDING], bounds=(-4.0, 14.0, -4.0, 14.0), resolution=resolution)
    rng = np.random.default_rng(20240611)
    n = 4000
    # centres in a frame around the L and in its inner corner, random headings
    x = rng.uniform(-3.0, 13.0, n)
    y = rng.uniform(-3.0, 13.0, n)
    yaw = rng.uniform(-np.pi, np.pi, n)
    result = clearance_of(field, x, y, yaw)
    truth = brute_force_distance(
        L_BUILDING.polygon, footprint_corners(x, y, yaw, FRONT, REAR, HALF_WIDTH)
    )
    near = (truth > 0.0) & (truth < 1.0)
    assert near.sum() > 300  # the sample really probes the 0–1 m band
    error = np.abs(result.distance[near] - truth[near])
    # required: 1 cm; the method is exact up to float32 rounding (~1e-5 m)
    assert error.max() < 1e-3
    # wherever they touch, the clearance is ≤ 0
    assert np.all(result.distance[truth == 0.0] <= 1e-4)
    # normals are unit vectors
    norm = np.hypot(result.normal_x, result.normal_y)
    assert norm[near] == pytest.approx(1.0, abs=1e-4)


# ---- solid_from_face ---------------------------------------------------------------------
def test_solid_from_face_l_shape_left_and_right():
    # polyline (0,0) → (10,0) → (10,10) turns left. Solid on the left, 5 m thick: offset
    # by the left normals (0,1) and (−1,0), mitred at (10,0) + (−5, 5) = (5, 5)
    line = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]
    left = solid_from_face("corner", "building", line, "left", thickness=5.0)
    expected = [[0, 0], [10, 0], [10, 10], [5, 10], [5, 5], [0, 5]]
    assert {tuple(p) for p in left.polygon} == {tuple(map(float, p)) for p in expected}
    inside = Path(left.polygon).contains_points([[5.0, 0.1], [9.9, 5.0], [5.0, -0.1]])
    assert inside.tolist() == [True, True, False]
    # solid on the right: the mitre is on the outside, (10,0) + (5, −5) = (15, −5)
    right = solid_from_face("corner", "building", line, "right", thickness=5.0)
    expected = [[0, 0], [10, 0], [10, 10], [15, 10], [15, -5], [0, -5]]
    assert {tuple(p) for p in right.polygon} == {tuple(map(float, p)) for p in expected}
    inside = Path(right.polygon).contains_points([[5.0, -0.1], [10.1, 5.0], [5.0, 0.1]])
    assert inside.tolist() == [True, True, False]


def test_solid_from_face_too_thick_for_its_segments_raises():
    # a 1 m leg turning toward the solid cannot hold a 5 m deep offset: it folds over
    with pytest.raises(ValueError, match="not simple"):
        solid_from_face("yard", "building", [[0, 0], [10, 0], [10, 1], [0, 1]], "left")


def test_polygon_orientation_is_normalised():
    clockwise = Solid("cw", "obstacle", [[0, 0], [0, 1], [1, 1], [1, 0]])
    x, y = clockwise.polygon.T
    assert np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) > 0  # counter-clockwise


def test_unknown_category_is_an_error():
    with pytest.raises(ValueError, match="category"):
        Solid("tree", "vegetation", [[0, 0], [1, 0], [0, 1]])


# ---- friction ----------------------------------------------------------------------------
@pytest.mark.parametrize("resolution", [0.1, None])
def test_friction_map_patches_and_override(resolution):
    # cobbles [0,10]², μ 0.5 (sampietrino.it); wet patch [5,15]×[0,10], μ 0.2, listed later
    # so it wins where they overlap; default dry asphalt μ 0.8
    cobbles = SurfacePatch("cobbles", [[0, 0], [10, 0], [10, 10], [0, 10]], 0.5)
    wet = SurfacePatch("wet", [[5, 0], [15, 0], [15, 10], [5, 10]], 0.2)
    friction = FrictionMap([cobbles, wet], 0.8, resolution=resolution)
    mu = friction.mu_at([2.0, 7.0, 12.0, 20.0, 2.0], [5.0, 5.0, 5.0, 5.0, -3.0])
    assert mu == pytest.approx([0.5, 0.2, 0.2, 0.8, 0.8])
    assert friction.patch_index([2.0, 7.0, 20.0], [5.0, 5.0, 5.0]).tolist() == [0, 1, -1]


# ---- a whole street ----------------------------------------------------------------------
def test_street_geometry_splits_collision_solids_and_kerbs():
    kerb = Solid("kerb", "kerb", [[0, -0.3], [20, -0.3], [20, 0], [0, 0]])
    parked = Solid("Panda", "obstacle", rectangle([10.0, 2.0], 3.6, 1.6, 0.0))
    street = StreetGeometry(solids=[WALL, kerb, parked], resolution=0.05)
    assert [s.name for s in street.collision_solids] == ["wall", "Panda"]
    assert street.kerb_field is not None
    # car centre (10, 4.5): 4.5 − 0.7 − (2.0 + 0.8) = 1.0 m to the parked car's side
    result = street.collision_field.footprint_clearance(10.0, 4.5, 0.0, FRONT, REAR, 0.7)
    assert result.distance[0] == pytest.approx(1.0, abs=1e-4)
    assert street.collision_solids[result.solid_index[0]].name == "Panda"
    assert StreetGeometry(solids=[WALL], resolution=0.05).kerb_field is None


def test_a_field_of_the_same_solids_is_built_once_and_answers_as_a_fresh_one():
    # stuntsim.geometry.distance.shared_field: runs of one street reuse its field. The
    # reference is a field built afresh (DistanceField directly), queried at the same points.
    from stuntsim.geometry.distance import SHARED_FIELDS, DistanceField, shared_field

    wall = Solid("wall", "building", [(0.0, 0.0), (4.0, 0.0), (4.0, 1.0), (0.0, 1.0)])
    same = Solid("wall", "building", [(0.0, 0.0), (4.0, 0.0), (4.0, 1.0), (0.0, 1.0)])
    moved = Solid("wall", "building", [(0.0, 0.0), (4.0, 0.0), (4.0, 1.5), (0.0, 1.5)])
    options = dict(bounds=(-5.0, 9.0, -5.0, 6.0), resolution=0.05)
    first = shared_field([wall], **options)
    assert shared_field([same], **options) is first  # equal content: the same field
    assert shared_field([moved], **options) is not first  # another polygon: its own field
    assert shared_field([wall], bounds=options["bounds"], resolution=0.1) is not first
    px = np.array([2.0, -1.0, 5.0, 2.0])
    py = np.array([1.6, 0.5, 0.5, 0.5])
    fresh = DistanceField([wall], **options)
    for got, want in zip(first.point_distance(px, py), fresh.point_distance(px, py),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    # bounded: after SHARED_FIELDS other fields the first one is built again
    for k in range(SHARED_FIELDS):
        shared_field([Solid("wall", "building", [(0.0, 0.0), (4.0, 0.0), (4.0, 2.0 + k),
                                                 (0.0, 2.0 + k)])], **options)
    assert shared_field([wall], **options) is not first
